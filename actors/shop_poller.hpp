#pragma once

#include "actors/shop_connector.hpp"
#include "actors/shop_messages.hpp"
#include "monitoring/flow_health.hpp"

#include <caf/actor_system.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>
#include <chrono>
#include <functional>
#include <memory>

namespace ferry::persistence {
class shop_poll_store;
} // namespace ferry::persistence

namespace ferry {

/// How often and how far back the poller looks.
struct shop_poller_settings {
  /// Time between the end of one poll cycle and the start of the next.
  std::chrono::milliseconds interval{60'000};
  /// Each walk starts this long before the saved cursor, for clock skew
  /// and changes committed late in the shop.
  std::chrono::seconds overlap{300};
  /// Items per list call (the contract allows 1–500).
  int page_size = 200;
  /// How long one list call may take, retries included.
  std::chrono::milliseconds call_timeout{120'000};
  /// Where failed walks and completed cycles are reported (flow
  /// "shop_poll"); may be null.
  std::shared_ptr<monitoring::flow_health> flows;
};

/// The lost-webhook catch-up: every `interval` it walks
/// `GET /orders?created_since`, `/customers?updated_since` and
/// `/products?updated_since` from a cursor persisted per resource (minus
/// `overlap`) and puts into the inbox each change the inbox lacks (no event
/// about the same entity at the same `updated_at`, be it a webhook or an
/// earlier poll), so a lost webhook is caught within one interval. The
/// first cycle starts at once. Runs detached (its inbox writes block).
using shop_poller_actor =
    caf::typed_actor<caf::reacts_to<shop_poll_atom>,
                     caf::replies_to<caf::get_atom>::with<shop_poll_report>>;

/// The connector to call now (a supervisor may have restarted it since).
using shop_connector_resolver = std::function<shop_connector_actor()>;

/// Spawns the poller; `store` is shared with whoever else uses the pool.
shop_poller_actor
spawn_shop_poller(caf::actor_system& sys, shop_poller_settings settings,
                  shop_connector_resolver connector,
                  std::shared_ptr<persistence::shop_poll_store> store);

/// The same with one fixed connector.
shop_poller_actor
spawn_shop_poller(caf::actor_system& sys, shop_poller_settings settings,
                  shop_connector_actor connector,
                  std::shared_ptr<persistence::shop_poll_store> store);

} // namespace ferry
