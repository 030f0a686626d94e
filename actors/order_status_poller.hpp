#pragma once

#include "actors/connector_directory.hpp"
#include "actors/orders_messages.hpp"
#include "monitoring/flow_health.hpp"
#include "persistence/pg_pool.hpp"

#include <caf/actor_system.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>
#include <chrono>
#include <memory>
#include <string>

namespace ferry {

/// What the status-back poller needs; app/ maps the configuration onto it.
struct order_status_poller_settings {
  /// The cursor's name in `order_status_cursor`.
  std::string name = "erp_sales_order_status";
  std::string node = "ferry";
  std::chrono::milliseconds interval{5000};
  int page_size = 100;
  std::chrono::milliseconds call_timeout{60000};
  /// Where failed calls, refused changes and rounds are reported (flow
  /// "order_status"); may be null.
  std::shared_ptr<monitoring::flow_health> flows;
};

/// ERP order status back into the shop: polls GetSalesOrderStatusChanges
/// from a persisted cursor and mirrors each change onto the shop order
/// (Released → processing; Shipped → complete with the tracking number in
/// the comment; Invoiced → complete; Cancelled → canceled), committing it
/// on the saga (state status_mirrored, or closed for Invoiced and
/// Cancelled) with a sync_log entry. A change already mirrored (the walk
/// is inclusive and may repeat rows) changes nothing, so the poller is
/// idempotent; a change the shop refuses (e.g. a status that would go
/// backwards) is logged as skipped.
using order_status_poller_actor =
    caf::typed_actor<caf::reacts_to<order_tick_atom>>;

/// Spawns the poller (detached: it waits on PostgreSQL).
order_status_poller_actor
spawn_order_status_poller(caf::actor_system& sys,
                          order_status_poller_settings settings,
                          persistence::pg_pool& pool,
                          std::shared_ptr<connector_directory> connectors);

/// The shop status an ERP status maps to ("processing", "complete",
/// "canceled"); empty for Open.
std::string shop_status_for(erp_order_status status);

} // namespace ferry
