#pragma once

#include "persistence/pg_pool.hpp"

#include <caf/expected.hpp>
#include <chrono>
#include <cstdint>
#include <optional>
#include <pqxx/transaction_base>
#include <string>
#include <vector>

namespace ferry::persistence {

/// An incoming event (a webhook, an ERP notification) as received.
struct inbox_event {
  /// Who sent it: "shop", "erp", ...
  std::string source;
  /// The sender's id of the event; unique per source.
  std::string event_id;
  /// What it is about: "order.created", ...
  std::string topic;
  /// The raw JSON text; must be valid JSON (stored as jsonb).
  std::string payload;
};

/// An inbox row claimed by a node for processing.
struct claimed_event {
  /// The row id, used to complete or fail the claim.
  std::int64_t id = 0;
  /// The event itself.
  inbox_event event;
  /// How many times it has been claimed, this claim included.
  int attempts = 0;
};

/// The `inbox` table: events are committed here before they are
/// acknowledged, and claimed by the nodes of a cluster with
/// `FOR UPDATE SKIP LOCKED` and leases that expire, so that the claims of a
/// node that died are taken over once their lease ends.
class inbox_store {
public:
  /// Uses connections of `pool`; the pool must outlive the store.
  explicit inbox_store(pg_pool& pool);

  /// Inserts unless (source, event_id) exists; true when this call inserted
  /// it, false for a duplicate. Committed on return. `db_errc::rejected`
  /// when the payload is not valid JSON or a field is empty.
  caf::expected<bool> insert_if_absent(const inbox_event& event);

  /// The same inside a caller's transaction (for persistence code that
  /// commits the event together with the work it creates). Throws pqxx
  /// exceptions.
  static bool insert_if_absent(pqxx::transaction_base& tx,
                               const inbox_event& event);

  /// Inserts every event absent so far in one statement, committed on
  /// return (one commit, one WAL flush for the lot: the group commit of the
  /// webhook intake). Element i of the result is true when this call
  /// inserted `events[i]`; false for a duplicate, also of an earlier element
  /// of `events`. All or nothing: when one payload is refused
  /// (`db_errc::rejected`, e.g. not valid JSON) none is stored.
  caf::expected<std::vector<bool>>
  insert_all_if_absent(const std::vector<inbox_event>& events);

  /// The same inside a caller's transaction, for persistence code that
  /// commits events with the work they create: events[i] with done[i] are
  /// inserted already done (by `node`: their work is in the transaction),
  /// the others pending. Element i: the new row's id, 0 for a duplicate.
  /// An event `refuse_unstorable` refuses is stored refused instead, and
  /// `(*refused)[i]` says so (when given); its work must not be done.
  /// An error when an event lacks a field; throws pqxx exceptions.
  static caf::expected<std::vector<std::int64_t>>
  insert_all_in(pqxx::transaction_base& tx,
                const std::vector<inbox_event>& events,
                const std::vector<bool>& done, const std::string& node,
                std::vector<bool>* refused = nullptr);

  /// JSON may hold U+0000 in a string; jsonb cannot (nor can the ERP's
  /// XML), so such an event can be neither queued nor sent; nor can one
  /// whose text is not UTF-8 (it cannot be decoded). When `event` is one,
  /// it is refused in `tx`: an inbox row `failed` with the reason (so a
  /// redelivery is a duplicate) and a dead letter with its exact text (bad
  /// bytes replaced by U+FFFD) and the field named, logged once; returns
  /// the inbox row's id (0 for a duplicate). nullopt when the event is
  /// storable. Throws pqxx exceptions.
  static std::optional<std::int64_t>
  refuse_unstorable(pqxx::transaction_base& tx, const inbox_event& event);

  /// Claims up to `limit` events for `node` for `lease`, oldest first:
  /// pending ones and those whose lease expired. `topic` restricts the
  /// claim to one topic.
  caf::expected<std::vector<claimed_event>>
  claim(const std::string& node, std::size_t limit, std::chrono::seconds lease,
        const std::optional<std::string>& topic = std::nullopt);

  /// Locks up to `limit` open events of `topic` for the caller's
  /// transaction, oldest first (pending ones and those whose claim lease
  /// expired), skipping events another transaction holds. Nothing is
  /// written: no claim is committed before the work, so the work, the
  /// completion (`finish_taken`) and the lock end with one commit, and a
  /// node that dies meanwhile leaves the events pending. For handling that
  /// is database-only and quick; `attempts` counts this one. Throws pqxx
  /// exceptions.
  static std::vector<claimed_event>
  take(pqxx::transaction_base& tx, const std::string& topic, std::size_t limit);

  /// Marks events locked by `take` done (or failed with `error`, kept
  /// masked) for `node`, inside the caller's transaction. Throws pqxx
  /// exceptions.
  static void finish_taken(pqxx::transaction_base& tx,
                           const std::vector<std::int64_t>& ids,
                           const std::string& node);
  static void fail_taken(pqxx::transaction_base& tx, std::int64_t id,
                         const std::string& node, const std::string& error);

  /// Marks a claimed event done. False when `node` no longer holds the claim
  /// (its lease expired and another node took it).
  caf::expected<bool> complete(std::int64_t id, const std::string& node);

  /// The same inside a caller's transaction (for work committed together
  /// with the event's completion). Throws pqxx exceptions.
  static bool complete(pqxx::transaction_base& tx, std::int64_t id,
                       const std::string& node);

  /// Gives up a claim after a failure for good (`failed`). `error` is
  /// stored, masked. False when `node` no longer holds the claim.
  caf::expected<bool> fail(std::int64_t id, const std::string& node,
                           const std::string& error);

  /// Gives up a claim after a failure worth another attempt: the event is
  /// pending again, and no claim takes it before `delay` has passed (its
  /// `lease_until` says when), so that a failing event is not tried again
  /// in a tight loop. `error` is stored, masked. False when `node` no
  /// longer holds the claim.
  caf::expected<bool> retry(std::int64_t id, const std::string& node,
                            const std::string& error,
                            std::chrono::milliseconds delay = {});

  /// Events not finished yet (pending or processing): the inbox backlog.
  caf::expected<std::int64_t> open_count();

private:
  pg_pool& pool_;
};

} // namespace ferry::persistence
