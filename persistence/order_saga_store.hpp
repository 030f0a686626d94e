#pragma once

#include "persistence/audit_store.hpp"
#include "persistence/inbox_store.hpp"
#include "persistence/pg_pool.hpp"
#include "persistence/reservation_store.hpp"
#include "persistence/sync_log_store.hpp"

#include <caf/expected.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
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
  /// What the saga started from, never changed: the shop order's JSON as
  /// received (table saga_input, out of `data` so that no transition
  /// copies it). Empty from `decide`.
  std::string input;
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
  /// Asks in the same statement whether the shop customer holds this ERP
  /// customer number already (Ferry wrote it there: shop_customer_tag);
  /// the answer is applied_transition::customer_tagged.
  std::optional<std::pair<std::int64_t, std::string>> check_customer_tag;
};

/// What `apply_checked` committed.
struct applied_transition {
  /// False: another node moved the saga, nothing was committed.
  bool moved = false;
  /// The transition's check_customer_tag found the shop customer holding
  /// that ERP number.
  bool customer_tagged = false;
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
  /// The order's JSON as received (order_saga_row::input).
  std::string input;
  std::vector<reserved_line> reserve;
  /// The inbox event to complete (0: none).
  std::int64_t inbox_id = 0;
  std::string node;
  /// Claim the new saga for `node` for `lease`.
  bool claim = false;
  std::chrono::seconds lease{120};
};

/// What the intake makes of one inbox event of a new order.
struct order_event_reading {
  /// The order's arrival; empty when the event is unreadable.
  std::optional<order_arrival> arrival;
  /// Why it is unreadable: the event is dead-lettered (source "shop",
  /// entity "order", keyed by its event id), logged and failed.
  std::string unreadable;
};

/// Reads a batch of inbox events, one reading per event in order. Called
/// again when the batch's transaction is retried on a fresh connection,
/// so it must not change anything itself.
using order_event_reader = std::function<std::vector<order_event_reading>(
    const std::vector<claimed_event>&)>;

/// What `take_arrivals` committed.
struct taken_orders {
  /// The events taken (readable or not).
  std::size_t events = 0;
  /// Those dead-lettered as unreadable.
  std::size_t unreadable = 0;
  /// Each arrival, with its new row (empty for an order that has a saga
  /// already: a duplicate or replayed webhook).
  std::vector<std::pair<order_arrival, std::optional<order_saga_row>>> arrivals;
};

/// What Ferry does with a shop webhook in the transaction that inserts it
/// in the inbox: the saga of a new order, or the sync_log entry of an
/// event that needs nothing more. The event is then inserted done; one with
/// neither is inserted pending for its consumer.
struct webhook_work {
  std::optional<order_arrival> arrival;
  std::optional<sync_log_entry> log;
};

/// What `receive_webhooks` committed.
struct received_webhooks {
  /// Element i: whether events[i] was inserted (false: a duplicate).
  std::vector<bool> inserted;
  /// The sagas created claimed (their arrival's `claim`), to be started.
  std::vector<order_saga_row> claimed;
  /// Arrivals with `claim` that created no saga (duplicates).
  std::size_t claims_unused = 0;
  /// Sagas created without a claim (runnable), and arrivals of orders that
  /// had a saga already.
  std::size_t unclaimed = 0;
  std::size_t duplicates = 0;
  /// Events inserted pending.
  std::size_t pending = 0;
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

/// What a replay of a dead letter came to (order_saga_store::replay).
struct dead_letter_replay {
  enum kind_t {
    /// The order's saga starts again from `received`.
    replayed,
    not_found,
    /// Replayed before (`replayed_at`).
    already_replayed,
    /// Not the dead letter of a failed order (`source`, `entity`).
    not_replayable,
    /// The order has no saga (any more).
    no_saga,
    /// The order's saga is not failed (`state`).
    not_failed,
    /// Neither the saga nor the dead letter holds the order.
    no_order,
  };
  kind_t kind = not_found;
  /// The dead letter's.
  std::string source;
  std::string entity;
  std::string entity_id;
  /// When it was replayed (this time for `replayed`), ISO-8601 UTC.
  std::string replayed_at;
  /// The saga's state.
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
  ~order_saga_store();
  order_saga_store(const order_saga_store&) = delete;
  order_saga_store& operator=(const order_saga_store&) = delete;

  /// Creates the saga in state `received` with `input` (the order's JSON)
  /// and `data` unless the order has one (a duplicate or replayed webhook);
  /// true when this call created it. The sync_log entry `log` is written
  /// with it.
  caf::expected<bool> receive(const std::string& key, const std::string& input,
                              const nlohmann::json& data,
                              const sync_log_entry& log);

  /// Commits `a` (see order_arrival); the new row when this call created
  /// it, nothing for an order that has a saga already (a duplicate or
  /// replayed webhook: only the inbox event is completed).
  caf::expected<std::optional<order_saga_row>> arrive(const order_arrival& a);

  /// Takes up to `limit` open inbox events of `topic` and commits what
  /// `read` makes of them in one transaction, with no claim committed
  /// before (inbox_store::take): the arrivals as `arrive` does, the
  /// unreadable events dead-lettered, logged and failed, the others done,
  /// handled by `node`. An error when nothing was committed.
  caf::expected<taken_orders> take_arrivals(const std::string& topic,
                                            std::size_t limit,
                                            const std::string& node,
                                            const order_event_reader& read);

  /// Inserts `events` in the inbox with their `work` (element i for
  /// events[i]) in one transaction: for each event inserted (not a
  /// duplicate), its arrival as `arrive` commits it or its sync_log entry,
  /// the event done by `node`; events without work pending. All or nothing.
  caf::expected<received_webhooks>
  receive_webhooks(const std::vector<inbox_event>& events,
                   const std::vector<webhook_work>& work,
                   const std::string& node);

  /// The sync_log entry of an order event that cannot be read (`reason`).
  static sync_log_entry unreadable_log(const claimed_event& event,
                                       const std::string& reason);

  /// Takes up to `limit` open inbox events of `topic` that need no saga and
  /// commits the sync_log entry `log` makes of each (it must not change
  /// anything itself) and their completion by `node` in one transaction;
  /// the entries committed.
  caf::expected<std::vector<sync_log_entry>>
  take_logged(const std::string& topic, std::size_t limit,
              const std::string& node,
              const std::function<sync_log_entry(const claimed_event&)>& log);

  /// The saga of `key`, if any.
  caf::expected<std::optional<order_saga_row>> load(const std::string& key);

  /// Commits `t` if the saga is still at `from.version` (else false: another
  /// node moved it). `node` keeps its claim for `lease` more. Transitions
  /// that only move the row, log and release the reservation (nearly all)
  /// are group-committed: the sagas that commit at the same time share one
  /// statement; each call returns once its own transition is committed.
  caf::expected<bool> apply(const order_saga_row& from,
                            const order_transition& t, const std::string& node,
                            std::chrono::seconds lease);

  /// `apply`, with the answer of the transition's check_customer_tag.
  caf::expected<applied_transition> apply_checked(const order_saga_row& from,
                                                  const order_transition& t,
                                                  const std::string& node,
                                                  std::chrono::seconds lease);

  /// Records that shop customer `shop_customer_id` holds ERP customer
  /// number `customer_no` (the saga wrote it there), for the
  /// check_customer_tag of its later orders.
  caf::expected<void> record_customer_tag(std::int64_t shop_customer_id,
                                          const std::string& customer_no);

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

  /// Replays dead letter `id` of a failed order (source "order_saga", entity
  /// "order"), for `by`, in one transaction: the order's saga goes back to
  /// `received` with the order it started from and the data it arrived
  /// with, unclaimed, so that a node's claim of runnable sagas starts it;
  /// its key is the same shop order, so the ERP order it makes has the same
  /// ExternalOrderID. The dead letter is marked replayed, with a sync_log
  /// entry and an audit row (action "replay", entity "dead_letter"). Any
  /// other outcome changes nothing.
  caf::expected<dead_letter_replay> replay(std::int64_t id,
                                           const std::string& by);

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
  struct transition_writer;

  pg_pool& pool_;
  std::unique_ptr<transition_writer> transitions_;
};

} // namespace ferry::persistence
