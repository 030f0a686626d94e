#include "persistence/drift_store.hpp"

#include "persistence/sql_array.hpp"

#include <pqxx/pqxx>

namespace ferry::persistence {

drift_store::drift_store(pg_pool& pool) : pool_(pool) {}

caf::expected<void>
drift_store::record(std::int64_t run,
                    const std::vector<mapping::drift>& found) {
  auto done = pool_.with_connection(
      "drift of reconcile run " + std::to_string(run),
      [&](pqxx::connection& conn) {
        pqxx::work tx(conn);
        for (const auto& d : found)
          tx.exec_params("INSERT INTO reconcile_drift (run_id, kind, sku,"
                         " detail) VALUES ($1, $2, $3, $4)",
                         run, d.kind, d.sku, d.detail);
        tx.commit();
      });
  if (!done)
    return done.error();
  return caf::unit;
}

caf::expected<void>
drift_store::mark_fixed(std::int64_t run,
                        const std::vector<std::string>& skus) {
  if (skus.empty())
    return caf::unit;
  auto done = pool_.with_connection(
      "repaired drift of reconcile run " + std::to_string(run),
      [&](pqxx::connection& conn) {
        pqxx::work tx(conn);
        tx.exec_params("UPDATE reconcile_drift SET fixed = true"
                       " WHERE run_id = $1 AND sku = ANY($2::text[])",
                       run, text_array_literal(skus));
        tx.commit();
      });
  if (!done)
    return done.error();
  return caf::unit;
}

caf::expected<std::vector<drift_row>> drift_store::drift_of(std::int64_t run) {
  return pool_.with_connection(
      "drift of reconcile run " + std::to_string(run),
      [&](pqxx::connection& conn) {
        pqxx::read_transaction tx(conn);
        std::vector<drift_row> out;
        for (const auto& row : tx.exec_params(
                 "SELECT id, kind, sku, detail, fixed FROM reconcile_drift"
                 " WHERE run_id = $1 ORDER BY id",
                 run))
          out.push_back({row[0].as<std::int64_t>(), row[1].as<std::string>(),
                         row[2].as<std::string>(), row[3].as<std::string>(),
                         row[4].as<bool>()});
        return out;
      });
}

} // namespace ferry::persistence
