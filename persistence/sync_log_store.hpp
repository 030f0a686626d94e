#pragma once

#include "persistence/pg_pool.hpp"

#include <caf/expected.hpp>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <pqxx/transaction_base>
#include <string>
#include <vector>

namespace ferry::persistence {

/// Which way a sync went.
enum class sync_direction { shop_to_erp, erp_to_shop, internal };

/// How a sync attempt ended.
enum class sync_outcome { ok, retry, failed, skipped };

/// The text stored for a direction ("shop_to_erp", ...).
const char* to_string(sync_direction direction);

/// The text stored for an outcome ("ok", "retry", "failed", "skipped").
const char* to_string(sync_outcome outcome);

/// One sync attempt (US-5: logs of sync activities and errors).
struct sync_log_entry {
  /// "order", "customer", "product", "stock", "price", ...
  std::string entity;
  /// Which way.
  sync_direction direction = sync_direction::shop_to_erp;
  /// The entity's id on the side it came from.
  std::string entity_id;
  /// Its id on the other side, when known.
  std::string external_id;
  /// 1 for the first try.
  int attempt = 1;
  /// How long the attempt took, when measured.
  std::optional<std::int64_t> latency_ms;
  /// How it ended.
  sync_outcome outcome = sync_outcome::ok;
  /// What happened, for people; errors name the entity and the field.
  std::string message;
  /// What was sent or received (null for nothing).
  nlohmann::json payload;
};

/// A stored sync log row as read back (masked).
struct sync_log_record {
  /// Row id.
  std::int64_t id = 0;
  /// When, ISO-8601 UTC.
  std::string at;
  /// The entry as stored, masked.
  sync_log_entry entry;
};

/// A sync_log entry as the columns it is written to, masked.
struct sync_log_columns {
  /// The column names, in the order of the fields below.
  static constexpr const char* names =
      "entity, direction, entity_id, external_id, attempt, latency_ms,"
      " outcome, message, payload";
  std::string entity;
  std::string direction;
  std::string entity_id;
  std::optional<std::string> external_id;
  int attempt = 1;
  std::optional<std::int64_t> latency_ms;
  std::string outcome;
  std::optional<std::string> message;
  std::optional<std::string> payload;
};

/// Many sync_log entries as one text array per column, masked, for a
/// statement that writes them all from `unnest` (`""` stands for NULL in
/// the nullable columns, as `write` stores an empty id or message).
struct sync_log_arrays {
  /// The aliases to give the arrays' columns in `unnest(...) AS u(...)`,
  /// in the order of `params`.
  static constexpr const char* aliases = "e, d, i, x, a, l, o, m, p";
  /// The values of sync_log_columns::names from those aliases.
  static constexpr const char* select_list =
      "e, d, i, nullif(x, ''), a::int, nullif(l, '')::bigint, o,"
      " nullif(m, ''), nullif(p, '')::jsonb";
  std::vector<std::string> entity, direction, entity_id, external_id, attempt,
      latency, outcome, message, payload;

  void add(const sync_log_entry& entry);
  /// The nine arrays as text array literals (bind each as `$n::text[]`).
  std::vector<std::string> params() const;
};

/// The `sync_log` table. Every write masks personal data: e-mail addresses
/// in ids and the message, and personal fields of the payload by key
/// (mapping/masking.hpp), so the log can be shown to operators.
class sync_log_store {
public:
  /// Uses connections of `pool`; the pool must outlive the store.
  explicit sync_log_store(pg_pool& pool);

  /// Appends a masked copy of `entry`; returns its id.
  caf::expected<std::int64_t> write(const sync_log_entry& entry);

  /// The same inside a caller's transaction. Throws pqxx exceptions.
  static std::int64_t write(pqxx::transaction_base& tx,
                            const sync_log_entry& entry);

  /// `write` of each of `entries` inside a caller's transaction, in one
  /// statement. Throws pqxx exceptions.
  static void write_all(pqxx::transaction_base& tx,
                        const std::vector<sync_log_entry>& entries);

  /// The masked column values of `entry`, for a statement that writes it
  /// together with something else.
  static sync_log_columns columns_of(const sync_log_entry& entry);

  /// Newest first, at most `limit`, only of `entity` when given.
  caf::expected<std::vector<sync_log_record>>
  recent(std::size_t limit,
         const std::optional<std::string>& entity = std::nullopt);

  /// The entries of one entity (`"order"`, `"1001"`), oldest first, at
  /// most `limit`; payloads were masked when written.
  caf::expected<std::vector<sync_log_record>>
  history(const std::string& entity, const std::string& entity_id,
          std::size_t limit);

private:
  pg_pool& pool_;
};

} // namespace ferry::persistence
