#pragma once

#include "actors/erp_connector.hpp"
#include "actors/pricing_messages.hpp"
#include "monitoring/flow_health.hpp"
#include "persistence/price_cache.hpp"
#include "persistence/price_list_store.hpp"

#include <caf/actor_system.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>
#include <chrono>
#include <functional>
#include <memory>

namespace ferry {

/// Polls the ERP every `interval`: GetPriceLists and GetItems (for
/// BasePrice) from persisted cursors (sync_cursor "pricing.price_lists",
/// "pricing.items"; ModifiedSince is inclusive, so a cursor is the last
/// ModifiedAt seen and a row seen again is an unchanged upsert). When a
/// list or base price really changed it bumps the price version in Redis,
/// which publishes it to every node, and tells this node's registry at
/// once; if Redis is down it keeps the bump pending for the next poll.
/// Runs detached (PostgreSQL calls block). (pricing_tick_atom) polls now;
/// (get_atom) answers with its report.
using price_list_poller_actor =
    caf::typed_actor<caf::reacts_to<pricing_tick_atom>,
                     caf::replies_to<caf::get_atom>::with<price_poll_report>>;

/// The ERP connector to call now (a supervisor may have restarted it).
using erp_connector_resolver = std::function<erp_connector_actor()>;

/// The poller's settings.
struct price_list_poller_settings {
  std::chrono::milliseconds interval{30000};
  int page_size = 500;
  std::chrono::milliseconds call_timeout{60000};
  /// Where refused lists, failed calls and cycles are reported (flow
  /// "prices"); may be null.
  std::shared_ptr<monitoring::flow_health> flows;
};

/// Spawns the poller; its first poll starts at once. `cache` may be null.
/// The local registry is found under pricing_registry_name. The stores and
/// cache must outlive the actor (shared ownership).
price_list_poller_actor
spawn_price_list_poller(caf::actor_system& sys,
                        price_list_poller_settings settings,
                        erp_connector_resolver erp,
                        std::shared_ptr<persistence::price_list_store> store,
                        std::shared_ptr<persistence::price_cache> cache);

} // namespace ferry
