#pragma once

#include "actors/erp_connector.hpp"
#include "actors/inbox_retry.hpp"
#include "actors/pricing_messages.hpp"
#include "actors/shop_connector.hpp"
#include "monitoring/flow_health.hpp"
#include "persistence/customer_store.hpp"
#include "persistence/dead_letter_store.hpp"
#include "persistence/echo_store.hpp"
#include "persistence/inbox_store.hpp"
#include "persistence/price_list_store.hpp"
#include "persistence/sync_log_store.hpp"

#include <caf/actor_system.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>

namespace ferry {

/// Customers both ways.
///
/// Shop → ERP: claims `customers/create` and `customers/update` inbox
/// events (topic-filtered, with a lease) every `claim_interval`. An update
/// of an account already linked to an ERP customer is completed as it is
/// (an echo of Ferry's write-back, or a shop edit of fields the ERP owns);
/// an update of an account not linked yet (a lost `customers/create` that
/// the shop poller found) takes the path of a new account, which validates the
/// account (a failure goes to the dead-letter table with its reason); looks the
/// normalized email up with FindCustomer and creates the customer only when
/// missing (a second shop account of a known email maps to that ERP customer
/// and is flagged in the sync log); writes the CustomerNo back to the shop
/// (`erp_customer_no`). A failure that may pass leaves the event for
/// another attempt after a growing delay (`retry`); a refusal, or a failure
/// that outlasts the attempts, dead-letters it.
///
/// ERP → shop: every `erp_poll_interval`, GetCustomers from the persisted
/// cursor "customers.erp"; names and PriceGroup (→ shop group_id through
/// `group_of_price_group`) of changed customers are applied to their linked
/// shop accounts. A change whose content hash is what Ferry itself wrote to
/// the ERP is an echo and is not synced back. The cursor never passes a
/// change that could not be saved: it is read again in the next poll, and
/// only after `retry.max_attempts` polls in a row is it dead-lettered
/// (with its payload and reason) and passed.
///
/// Runs detached (PostgreSQL calls block). (customer_tick_atom) claims now,
/// (pricing_tick_atom) polls the ERP now, (get_atom) reports.
using customer_sync_actor = caf::typed_actor<
    caf::reacts_to<customer_tick_atom>, caf::reacts_to<pricing_tick_atom>,
    caf::replies_to<caf::get_atom>::with<customer_sync_report>>;

/// The stores the sync uses (shared with others on the same pool).
struct customer_sync_stores {
  std::shared_ptr<persistence::inbox_store> inbox;
  std::shared_ptr<persistence::customer_store> customers;
  std::shared_ptr<persistence::dead_letter_store> dead_letters;
  std::shared_ptr<persistence::sync_log_store> sync_log;
  std::shared_ptr<persistence::echo_store> echoes;
  /// For the ERP cursor (sync_cursor).
  std::shared_ptr<persistence::price_list_store> cursors;
};

/// The sync's settings.
struct customer_sync_settings {
  std::string node_id = "ferry";
  std::chrono::milliseconds claim_interval{200};
  std::chrono::milliseconds erp_poll_interval{60000};
  std::chrono::seconds lease{60};
  std::size_t claim_batch = 20;
  int page_size = 200;
  std::chrono::milliseconds call_timeout{60000};
  std::map<std::string, int> group_of_price_group;
  /// When a shop customer whose sync failed is tried again, and when it is
  /// dead-lettered instead.
  inbox_retry_policy retry;
  /// Where abandoned ERP polls and completed ones are reported (flow
  /// "customers"); may be null.
  std::shared_ptr<monitoring::flow_health> flows;
};

/// Spawns the sync; both loops start at once.
customer_sync_actor
spawn_customer_sync(caf::actor_system& sys, customer_sync_settings settings,
                    std::function<erp_connector_actor()> erp,
                    std::function<shop_connector_actor()> shop,
                    customer_sync_stores stores);

} // namespace ferry
