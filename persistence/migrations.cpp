#include "persistence/migrations.hpp"

#include "persistence/errors.hpp"
#include "persistence/pg_pool.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <map>
#include <pqxx/pqxx>
#include <set>

namespace ferry::persistence {

namespace {

// "ferry_mg" as a number: the key of the advisory lock that serialises
// concurrent migration runs across nodes.
constexpr std::int64_t migration_lock_key = 0x6665727279'5f6d67;

constexpr const char* create_table_sql =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " version integer PRIMARY KEY,"
    " name text NOT NULL,"
    " checksum text NOT NULL,"
    " applied_at timestamptz NOT NULL DEFAULT now())";

std::string label(const migration& m) {
  char buf[8];
  std::snprintf(buf, sizeof(buf), "%04d", m.version);
  return std::string(buf) + "_" + m.name;
}

struct recorded {
  std::string name;
  std::string checksum;
};

std::map<int, recorded> read_recorded(pqxx::transaction_base& tx) {
  std::map<int, recorded> out;
  auto exists = tx.exec1("SELECT to_regclass('schema_migrations') IS NOT NULL");
  if (!exists[0].as<bool>())
    return out;
  for (const auto& row :
       tx.exec("SELECT version, name, checksum FROM schema_migrations"))
    out[row[0].as<int>()] =
        recorded{row[1].as<std::string>(), row[2].as<std::string>()};
  return out;
}

caf::error check_list(const std::vector<migration>& migrations) {
  std::set<int> seen;
  for (const auto& m : migrations) {
    if (m.version <= 0)
      return make_db_error(db_errc::schema_mismatch,
                           "migration " + m.name + ": version must be > 0");
    if (!seen.insert(m.version).second)
      return make_db_error(db_errc::schema_mismatch,
                           "migration " + label(m) + ": version used twice");
  }
  return caf::none;
}

caf::error check_checksums(const std::map<int, recorded>& done,
                           const std::vector<migration>& migrations) {
  for (const auto& m : migrations) {
    auto i = done.find(m.version);
    if (i != done.end() && i->second.checksum != migration_checksum(m.sql))
      return make_db_error(db_errc::schema_mismatch,
                           "migration " + label(m) +
                               " was changed after it was applied (checksum "
                               "differs from schema_migrations); add a new "
                               "migration instead");
  }
  return caf::none;
}

std::vector<migration> sorted(std::vector<migration> migrations) {
  std::sort(migrations.begin(), migrations.end(),
            [](const migration& a, const migration& b) {
              return a.version < b.version;
            });
  return migrations;
}

int highest(const std::map<int, recorded>& done) {
  return done.empty() ? 0 : done.rbegin()->first;
}

} // namespace

std::string migration_checksum(const std::string& sql) {
  std::uint64_t hash = 14695981039346656037ull;
  for (unsigned char c : sql) {
    hash ^= c;
    hash *= 1099511628211ull;
  }
  char buf[17];
  std::snprintf(buf, sizeof(buf), "%016llx",
                static_cast<unsigned long long>(hash));
  return buf;
}

caf::expected<migration_report>
migrate(pqxx::connection& conn, const std::vector<migration>& migrations) {
  if (auto err = check_list(migrations))
    return err;
  auto ordered = sorted(migrations);
  migration_report report;
  try {
    // A session lock spans the per-migration transactions below; it is
    // released explicitly, or by the server when the connection drops.
    pqxx::nontransaction session(conn, "migration lock");
    session.exec("SELECT pg_advisory_lock(" +
                 std::to_string(migration_lock_key) + ")");
    session.commit();
  } catch (const std::exception& e) {
    return make_db_error(db_errc::unavailable,
                         "migrations: " + describe_pqxx_failure(e));
  }
  auto unlock = [&conn] {
    try {
      pqxx::nontransaction tx(conn, "migration unlock");
      tx.exec("SELECT pg_advisory_unlock(" +
              std::to_string(migration_lock_key) + ")");
    } catch (const std::exception&) {
      // The connection is gone, and with it the lock.
    }
  };
  try {
    std::map<int, recorded> done;
    {
      pqxx::work tx(conn, "migration bookkeeping");
      tx.exec(create_table_sql);
      done = read_recorded(tx);
      tx.commit();
    }
    if (auto err = check_checksums(done, ordered)) {
      unlock();
      return err;
    }
    for (const auto& m : ordered) {
      if (done.count(m.version) != 0)
        continue;
      try {
        pqxx::work tx(conn, "migration");
        tx.exec(m.sql);
        tx.exec_params("INSERT INTO schema_migrations (version, name, "
                       "checksum) VALUES ($1, $2, $3)",
                       m.version, m.name, migration_checksum(m.sql));
        tx.commit();
      } catch (const pqxx::broken_connection&) {
        throw;
      } catch (const std::exception& e) {
        unlock();
        return make_db_error(db_errc::migration_failed,
                             "migration " + label(m) +
                                 " failed and was "
                                 "rolled back: " +
                                 describe_pqxx_failure(e));
      }
      report.applied.push_back(m.version);
      done[m.version] = recorded{m.name, migration_checksum(m.sql)};
    }
    report.current_version = highest(done);
  } catch (const std::exception& e) {
    unlock();
    return make_db_error(db_errc::unavailable,
                         "migrations: " + describe_pqxx_failure(e));
  }
  unlock();
  return report;
}

caf::expected<migration_report> migrate(pg_pool& pool) {
  auto conn = pool.acquire(std::chrono::seconds(30));
  if (!conn)
    return std::move(conn.error());
  try {
    auto result = migrate(**conn, embedded_migrations());
    if (!result && db_error_code(result.error()) == db_errc::unavailable)
      conn->mark_broken();
    return result;
  } catch (const std::exception& e) {
    conn->mark_broken();
    return make_db_error(db_errc::unavailable,
                         "migrations: " + describe_pqxx_failure(e));
  }
}

caf::expected<migration_status>
check_migrations(pqxx::connection& conn,
                 const std::vector<migration>& migrations) {
  try {
    pqxx::read_transaction tx(conn, "migration status");
    auto done = read_recorded(tx);
    tx.commit();
    if (auto err = check_checksums(done, migrations))
      return err;
    migration_status status;
    status.current_version = highest(done);
    for (const auto& m : sorted(migrations))
      if (done.count(m.version) == 0)
        status.pending.push_back(m.version);
    return status;
  } catch (const std::exception& e) {
    return make_db_error(db_errc::unavailable,
                         "migration status: " + describe_pqxx_failure(e));
  }
}

caf::expected<migration_status> check_migrations(pg_pool& pool) {
  auto conn = pool.acquire(std::chrono::seconds(5));
  if (!conn)
    return std::move(conn.error());
  auto status = check_migrations(**conn, embedded_migrations());
  if (!status && db_error_code(status.error()) == db_errc::unavailable)
    conn->mark_broken();
  return status;
}

} // namespace ferry::persistence
