#pragma once

#include "persistence/pg_pool.hpp"

#include <caf/expected.hpp>
#include <cstdint>
#include <optional>
#include <pqxx/transaction_base>
#include <string>
#include <vector>

namespace ferry::persistence {

/// A piece of work that could not be processed, with the reason.
struct dead_letter {
  /// Row id, used to mark it replayed.
  std::int64_t id = 0;
  /// When it was put, ISO-8601 UTC.
  std::string at;
  /// Who produced the work: "shop", "erp", "order_saga", ...
  std::string source;
  /// The kind of thing: "order", "customer", "product", ...
  std::string entity;
  /// The thing's id in the source's terms.
  std::string entity_id;
  /// Why it was rejected, naming the field where there is one.
  std::string reason;
  /// The rejected work as JSON text (unmasked: it must stay replayable);
  /// "null" when there was none.
  std::string payload;
  /// When it was last replayed, ISO-8601 UTC; empty while never replayed.
  std::string replayed_at;
  /// How many times it was replayed.
  int replay_count = 0;
};

/// The `dead_letter` table: nothing is dropped; what cannot be processed is
/// kept here, visible and replayable.
class dead_letter_store {
public:
  /// Uses connections of `pool`; the pool must outlive the store.
  explicit dead_letter_store(pg_pool& pool);

  /// Stores rejected work; returns its id. `payload` is JSON text (empty for
  /// none); text that is not JSON is stored as a JSON string, and JSON that
  /// jsonb cannot hold (a string with U+0000) as its exact text, so that
  /// nothing is lost. The same refusal again (same source, entity, id,
  /// reason and payload, not replayed since) returns the open dead letter's
  /// id instead of adding a second one.
  caf::expected<std::int64_t> put(const std::string& source,
                                  const std::string& entity,
                                  const std::string& entity_id,
                                  const std::string& reason,
                                  const std::string& payload);

  /// The same inside a caller's transaction. Throws pqxx exceptions.
  static std::int64_t put(pqxx::transaction_base& tx, const std::string& source,
                          const std::string& entity,
                          const std::string& entity_id,
                          const std::string& reason,
                          const std::string& payload);

  /// Newest first, at most `limit`; only those never replayed unless
  /// `include_replayed`; only of `entity` when given.
  caf::expected<std::vector<dead_letter>>
  list(std::size_t limit, bool include_replayed = false,
       const std::optional<std::string>& entity = std::nullopt);

  /// One entry by id; `db_errc::rejected` naming the id when there is none.
  caf::expected<dead_letter> get(std::int64_t id);

  /// Records a replay (replayed_at = now, replay_count + 1); false when no
  /// entry has that id.
  caf::expected<bool> mark_replayed(std::int64_t id);

private:
  pg_pool& pool_;
};

} // namespace ferry::persistence
