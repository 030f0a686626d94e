#pragma once

#include <caf/error.hpp>
#include <cstdint>
#include <string>

/// Errors that leave the persistence layer. Inside the layer libpqxx and
/// hiredis failures are exceptions; every public function turns them into a
/// `caf::error` of category `ferry_db` whose context is one string naming
/// what failed (table, entity, field) without personal data or secrets.
namespace ferry::persistence {

/// The kind of a persistence failure; callers decide on retries by it.
enum class db_errc : std::uint8_t {
  /// PostgreSQL or Redis could not be reached (or the connection broke).
  unavailable = 1,
  /// No pooled connection became free within the caller's time-out, or a
  /// command exceeded its time-out.
  timeout,
  /// The database rejected the statement (constraint, bad JSON, bad value).
  rejected,
  /// A migration failed; the schema is as it was before that migration.
  migration_failed,
  /// The schema in the database is not the one this binary expects.
  schema_mismatch,
};

/// The category atom of every persistence error.
constexpr caf::atom_value db_error_category = caf::atom("ferry_db");

/// Builds a persistence error with a human-readable `detail`.
caf::error make_db_error(db_errc code, std::string detail);

/// The code of a persistence error; 0 for an error of another category.
db_errc db_error_code(const caf::error& err);

/// The human-readable text of an error made by `make_db_error` (the
/// category's rendering otherwise).
std::string db_error_text(const caf::error& err);

} // namespace ferry::persistence
