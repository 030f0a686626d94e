#pragma once

#include "actors/erp_connector.hpp"
#include "actors/shop_connector.hpp"

#include <mutex>

namespace ferry {

/// The current handle of each connector. The supervisor restarts a failed
/// connector as a new actor, so a handle kept across the restart would point
/// at the dead one: the connector's factory puts each new handle here and
/// the actors that call a connector look it up per call (one mutex, no
/// allocation). Tests put fakes here. Thread-safe.
class connector_directory {
public:
  void set_erp(erp_connector_actor erp);
  void set_shop(shop_connector_actor shop);

  /// The current handle; invalid (`!handle`) before the first spawn.
  erp_connector_actor erp() const;
  shop_connector_actor shop() const;

private:
  mutable std::mutex mutex_;
  erp_connector_actor erp_;
  shop_connector_actor shop_;
};

} // namespace ferry
