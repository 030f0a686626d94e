#pragma once

#include "simulators/erp/sim_knobs.hpp"
#include "simulators/erp/sim_store.hpp"

#include <atomic>
#include <string>

namespace ferry::sim {

/// Who may call and with what password (the integration user).
struct sim_credentials {
  std::string username = "ferry";
  std::string password;
};

/// The ERP's SOAP endpoint over HTTPS (gSOAP's server, a thread per
/// connection, kept-alive connections), serving `GET {path}?wsdl` too.
class soap_server {
public:
  soap_server(sim_store& store, knob_board& knobs, sim_credentials creds,
              std::string key_file);
  ~soap_server();
  /// Binds 127.0.0.1:`port` (0: any free port); returns the bound port.
  int bind(int port);
  /// Accepts connections until stop(); applies the outage knob.
  void run();
  void stop();

private:
  struct impl;
  impl* impl_;
};

} // namespace ferry::sim
