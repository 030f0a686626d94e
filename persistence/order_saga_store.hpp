#pragma once

#include "persistence/audit_store.hpp"
#include "persistence/pg_pool.hpp"
#include "persistence/reservation_store.hpp"
#include "persistence/sync_log_store.hpp"

#include <caf/expected.hpp>
#include <chrono>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace ferry::persistence {

/// One order saga as stored (`saga` rows of kind "order", keyed by the
/// shop's increment_id).
struct order_saga_row {
  std::string key;
  /// "received", "validated", "pending_approval", "approved", "rejected",
  /// "customer_ensured", "submitted", "failed", …
  std::string state;
  /// Everything the saga knows: the shop order, the ERP numbers, the
  /// reason of a failure, flags of side effects done. `parked: true` while
  /// it waits for something from outside (a decision) or has nothing left
  /// to do.
  nlohmann::json data;
  /// Optimistic lock: every transition increments it.
  int version = 0;
  std::string created_at;
  std::string updated_at;
};

/// One committed step of a saga: the new state and data, its sync_log
/// entry, and what else belongs in the same transaction.
struct order_transition {
  std::string to;
  nlohmann::json data;
  sync_log_entry log;
  /// Lines to reserve for the order (reservation_store::reserve).
  std::vector<reserved_line> reserve;
  /// Release the order's reservation (reservation_store::release).
  bool release = false;
  /// Dead-letter the order with this reason (source "order_saga").
  std::optional<std::string> dead_letter_reason;
  /// A message for the outbox (topic, payload).
  std::optional<std::pair<std::string, nlohmann::json>> outbox;
  /// An audit row (who decided).
  std::optional<audit_entry> audit;
  /// Give up the node's claim with this transition (the saga's run ends
  /// with it: it is parked or failed), instead of extending it.
  bool unclaim = false;
};

/// A new order from the inbox, committed in one transaction: its saga row
/// unless the order has one, the sync_log entries of the transitions it
/// went through (received, and validated when nothing external stood
/// between them), the stock reserved, the inbox event completed, and the
/// saga claimed by `node` when the caller starts it at once.
struct order_arrival {
  std::string key;
  /// "received", or "validated" when validation passed.
  std::string state;
  nlohmann::json data;
  /// One per transition, in order; the row's version is their count - 1.
  std::vector<sync_log_entry> logs;
  std::vector<reserved_line> reserve;
  /// The inbox event to complete (0: none).
  std::int64_t inbox_id = 0;
  std::string node;
  /// Claim the new saga for `node` for `lease`.
  bool claim = false;
  std::chrono::seconds lease{120};
};

/// What a decision on a held order came to.
struct approval_outcome {
  enum kind_t { decided, not_found, not_pending, already_decided };
  kind_t kind = not_found;
  /// For already_decided: the first decision ("approve"/"reject"), who made
  /// it and when; for decided: this one.
  std::string decision;
  std::string decided_by;
  std::string decided_at;
  std::string reason;
  /// The saga's state now.
  std::string state;
};

/// The order sagas' rows (table `saga`, kind "order"). Nodes of a cluster
/// share them: a node claims runnable sagas with `FOR UPDATE SKIP LOCKED`
/// and a lease, so the sagas of a node that died are taken over when its
/// leases end.
class order_saga_store {
public:
  /// Uses connections of `pool`; the pool must outlive the store.
  explicit order_saga_store(pg_pool& pool);

  /// Creates the saga in state `received` with `data` unless the order has
  /// one (a duplicate or replayed webhook); true when this call created it.
  /// The sync_log entry `log` is written with it.
  caf::expected<bool> receive(const std::string& key,
                              const nlohmann::json& data,
                              const sync_log_entry& log);

  /// Commits `a` (see order_arrival); the new row when this call created
  /// it, nothing for an order that has a saga already (a duplicate or
  /// replayed webhook: only the inbox event is completed).
  caf::expected<std::optional<order_saga_row>>
  arrive(const order_arrival& a);

  /// `arrive` for each of `all` in one transaction (one commit for a
  /// claimed batch of the inbox); all or nothing.
  caf::expected<std::vector<std::optional<order_saga_row>>>
  arrive_all(const std::vector<order_arrival>& all);

  /// Writes the sync_log entries of inbox events that need no saga (echoes
  /// of Ferry's own writes, shop-side updates) and completes the events
  /// (inbox id, entry) for `node`, in one transaction.
  caf::expected<void>
  log_events(const std::vector<std::pair<std::int64_t, sync_log_entry>>& done,
             const std::string& node);

  /// The saga of `key`, if any.
  caf::expected<std::optional<order_saga_row>> load(const std::string& key);

  /// Commits `t` if the saga is still at `from.version` (else false: another
  /// node moved it). `node` keeps its claim for `lease` more.
  caf::expected<bool> apply(const order_saga_row& from,
                            const order_transition& t, const std::string& node,
                            std::chrono::seconds lease);

  /// Claims up to `limit` runnable sagas (not parked, not failed) that no
  /// live lease holds, oldest first, for `node`; returns their rows.
  caf::expected<std::vector<order_saga_row>>
  claim_runnable(const std::string& node, std::size_t limit,
                 std::chrono::seconds lease);

  /// Gives up `node`'s claim on `key`.
  caf::expected<void> release(const std::string& key, const std::string& node);

  /// Gives up every claim of `node` (at its start: the claims of its
  /// previous run are void).
  caf::expected<std::int64_t> release_node(const std::string& node);

  /// The decision on a saga in `pending_approval`: "approve" or "reject"
  /// (with a reason), by `decided_by`. Moves it to approved/rejected with
  /// its sync_log entry and an audit row in one transaction; a reject also
  /// queues a customer-service notification (outbox topic
  /// "order.rejected"). A second decision changes nothing and returns the
  /// first.
  caf::expected<approval_outcome> decide(const std::string& key,
                                         const std::string& decision,
                                         const std::string& decided_by,
                                         const std::string& reason);

  /// Writes a sync_log entry that is no transition (a retry, a skip).
  caf::expected<void> log(const sync_log_entry& entry);

  /// The sync_log rows of `entity`/`entity_id`, oldest first, masked.
  caf::expected<std::vector<sync_log_record>>
  history(const std::string& entity, const std::string& entity_id,
          std::size_t limit = 200);

  /// How many order sagas are in each state.
  caf::expected<std::vector<std::pair<std::string, std::int64_t>>>
  count_by_state();

private:
  pg_pool& pool_;
};

} // namespace ferry::persistence
