#pragma once

#include "simulators/erp/sim_knobs.hpp"
#include "simulators/erp/sim_store.hpp"

#include <memory>

namespace ferry::sim {

/// The admin API: JSON over plain HTTP on 127.0.0.1 (see README.md). A
/// thread per connection (Beast, synchronous): it is a test tool.
class admin_server {
public:
  admin_server(sim_store& store, knob_board& knobs);
  ~admin_server();
  /// Binds 127.0.0.1:`port` (0: any); returns the bound port.
  int bind(int port);
  /// Accepts connections until the process ends.
  void run();

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace ferry::sim
