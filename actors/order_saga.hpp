#pragma once

#include "actors/backoff.hpp"
#include "actors/connector_directory.hpp"
#include "actors/orders_messages.hpp"
#include "mapping/money.hpp"
#include "mapping/order_mapping.hpp"
#include "monitoring/flow_health.hpp"
#include "persistence/order_saga_store.hpp"

#include <caf/actor_system.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>
#include <chrono>
#include <map>
#include <memory>
#include <string>

namespace ferry {

/// What an order saga needs; app/ maps the configuration onto it.
struct order_saga_settings {
  /// This node's id: the owner of the sagas' claims.
  std::string node = "ferry";
  order_mapping_settings mapping;
  /// Currency → the grand total from which an order waits for approval.
  std::map<std::string, money> approval_thresholds{
      {"USD", money::from_minor(500000)}};
  /// Shop customer group_id → currency → its own threshold, replacing
  /// `approval_thresholds` for that currency. When set, a registered
  /// customer's group is read from the shop before the approval gate.
  std::map<int, std::map<std::string, money>> group_approval_thresholds;
  /// How long a claim on a saga lasts without a transition.
  std::chrono::seconds lease{120};
  /// Per connector request (the connectors retry inside it).
  std::chrono::milliseconds call_timeout{120000};
  /// Between attempts of a step that failed transiently (ERP down, circuit
  /// open, database lost): full jitter up to the capped delay.
  backoff_policy retry_backoff{std::chrono::milliseconds{500},
                               std::chrono::milliseconds{15000}, 2.0};
  /// Where an order that ends failed (dead-lettered) is counted, as
  /// `ferry_flow_failures_total{flow="orders",reason="record_refused"}`;
  /// none in tests that do not look.
  std::shared_ptr<monitoring::flow_health> flows = nullptr;
};

/// The states of an order saga, in the order they are reached.
namespace order_state {
constexpr const char* received = "received";
constexpr const char* validated = "validated";
constexpr const char* pending_approval = "pending_approval";
constexpr const char* approved = "approved";
constexpr const char* rejected = "rejected";
constexpr const char* customer_ensured = "customer_ensured";
constexpr const char* submitted = "submitted";
constexpr const char* failed = "failed";
} // namespace order_state

/// One shop order on its way to the ERP. Each step is a committed state
/// transition with its sync_log entry (persistence::order_saga_store), so
/// a saga started again after a crash resumes from its last committed
/// state: received → validated (stock reserved) → pending_approval (shop
/// order held) → approved | rejected (shop order cancelled) →
/// customer_ensured (FindCustomer / CreateCustomer, the ERP number stored
/// on the shop customer) → submitted (CreateSalesOrder, exactly once: an
/// unknown outcome or DuplicateExternalOrderID is settled with
/// GetSalesOrder; reservation released; the shop order gets a comment with
/// the ERP number). A problem of the order itself ends in `failed` with its
/// reason and a dead letter; transient failures are retried with backoff.
/// The actor runs detached (it waits on PostgreSQL) and quits when the
/// saga waits for a decision or has nothing left to do.
using order_saga_actor = caf::typed_actor<caf::reacts_to<order_step_atom>>;

/// Starts the saga of `key` (the shop's increment_id); it loads its row and
/// takes its first step at once.
order_saga_actor
spawn_order_saga(caf::actor_system& sys, std::string key,
                 order_saga_settings settings,
                 std::shared_ptr<persistence::order_saga_store> store,
                 std::shared_ptr<connector_directory> connectors);

/// Starts the saga of `row`, just created and claimed by the intake: it
/// takes its first step without loading the row again.
order_saga_actor
spawn_order_saga(caf::actor_system& sys, persistence::order_saga_row row,
                 order_saga_settings settings,
                 std::shared_ptr<persistence::order_saga_store> store,
                 std::shared_ptr<connector_directory> connectors);

/// The received -> validated step of a new order, which the intake commits
/// with the saga's creation (nothing external stands between the two):
/// its sync_log entry and the stock it reserves. Nothing when the order
/// fails validation; its saga then fails it with the reason.
struct order_validation {
  persistence::sync_log_entry log;
  std::vector<persistence::reserved_line> reserve;
};
std::optional<order_validation>
validate_on_arrival(const std::string& key, const shop::shop_order& order,
                    const order_saga_settings& settings);

/// The comment put on a shop order whose ERP sales order exists.
std::string erp_number_comment(const std::string& sales_order_no);

} // namespace ferry
