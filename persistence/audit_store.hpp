#pragma once

#include "persistence/pg_pool.hpp"

#include <caf/expected.hpp>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <pqxx/transaction_base>
#include <string>
#include <vector>

namespace ferry::persistence {

/// Who did what to which entity.
struct audit_entry {
  /// The person or component: "sales.manager@example.com", "reconciler".
  std::string actor;
  /// What was done: "approve", "reject", "replay", ...
  std::string action;
  /// The kind of thing: "order", "dead_letter", ...
  std::string entity;
  /// Its id (may be empty).
  std::string entity_id;
  /// Anything else worth keeping (null for nothing).
  nlohmann::json detail;
};

/// A stored audit row as read back (masked).
struct audit_record {
  /// Row id.
  std::int64_t id = 0;
  /// When, ISO-8601 UTC.
  std::string at;
  /// The entry as stored, masked.
  audit_entry entry;
};

/// The `audit` table. Every write masks personal data (e-mail addresses in
/// the actor and id, personal fields of `detail` by key).
class audit_store {
public:
  /// Uses connections of `pool`; the pool must outlive the store.
  explicit audit_store(pg_pool& pool);

  /// Appends a masked copy of `entry`; returns its id.
  caf::expected<std::int64_t> record(const audit_entry& entry);

  /// The same inside a caller's transaction. Throws pqxx exceptions.
  static std::int64_t record(pqxx::transaction_base& tx,
                             const audit_entry& entry);

  /// The history of one entity, oldest first, at most `limit`.
  caf::expected<std::vector<audit_record>> history(const std::string& entity,
                                                   const std::string& entity_id,
                                                   std::size_t limit = 100);

private:
  pg_pool& pool_;
};

} // namespace ferry::persistence
