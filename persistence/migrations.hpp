#pragma once

#include <caf/expected.hpp>
#include <pqxx/connection>
#include <string>
#include <vector>

namespace ferry::persistence {

class pg_pool;

/// One versioned schema change, from persistence/migrations/NNNN_name.sql.
struct migration {
  /// NNNN of the file name; migrations run in ascending order.
  int version;
  /// The part of the file name after NNNN_.
  std::string name;
  /// The SQL text; it runs in one transaction together with its record in
  /// `schema_migrations`.
  std::string sql;
};

/// The migrations compiled into this binary, ascending by version.
const std::vector<migration>& embedded_migrations();

/// What a run of `migrate` did.
struct migration_report {
  /// Versions applied by this run, ascending (empty on a re-run).
  std::vector<int> applied;
  /// The highest version recorded in the database after the run.
  int current_version = 0;
};

/// Where a database stands against a list of migrations.
struct migration_status {
  /// Versions of the list not yet recorded in `schema_migrations`.
  std::vector<int> pending;
  /// The highest recorded version (0 when none).
  int current_version = 0;
  /// Whether nothing is pending.
  bool current() const { return pending.empty(); }
};

/// Applies the pending `migrations` to the database of `conn`, each in its
/// own transaction recorded in `schema_migrations`; a re-run is a no-op.
/// Concurrent runs (several nodes starting) serialise on an advisory lock.
/// On the first failure it stops: that migration is rolled back, so the
/// schema is as after the previous one, and the error
/// (`db_errc::migration_failed`) names the migration and PostgreSQL's
/// message. A recorded migration whose SQL changed since is refused
/// (`db_errc::schema_mismatch`), before anything is applied.
caf::expected<migration_report>
migrate(pqxx::connection& conn, const std::vector<migration>& migrations);

/// `migrate` with the embedded migrations on a pooled connection.
caf::expected<migration_report> migrate(pg_pool& pool);

/// Which of `migrations` are pending (read-only; no lock taken).
caf::expected<migration_status>
check_migrations(pqxx::connection& conn,
                 const std::vector<migration>& migrations);

/// `check_migrations` with the embedded migrations on a pooled connection.
caf::expected<migration_status> check_migrations(pg_pool& pool);

/// A stable checksum of a migration's SQL (hex FNV-1a 64), as recorded in
/// `schema_migrations.checksum`.
std::string migration_checksum(const std::string& sql);

} // namespace ferry::persistence
