#include "persistence/echo_store.hpp"

#include "persistence/sql_array.hpp"

#include <pqxx/pqxx>
#include <stdexcept>

namespace ferry::persistence {

namespace {

/// The argument that is wrong, or empty when all are fine.
std::string invalid_argument_text(const std::string& entity,
                                  const std::string& side,
                                  const std::string& key,
                                  const std::string& hash) {
  if (entity.empty())
    return "echo hash: entity is empty";
  if (side != "shop" && side != "erp")
    return "echo hash: side must be 'shop' or 'erp', got '" + side + "'";
  if (key.empty())
    return "echo hash of " + entity + ": key is empty";
  if (hash.empty())
    return "echo hash of " + entity + " " + key + ": hash is empty";
  return {};
}

} // namespace

echo_store::echo_store(pg_pool& pool) : pool_(pool) {}

void echo_store::record(pqxx::transaction_base& tx, const std::string& entity,
                        const std::string& side, const std::string& key,
                        const std::string& hash) {
  if (auto text = invalid_argument_text(entity, side, key, hash); !text.empty())
    throw std::invalid_argument(text);
  tx.exec_params("INSERT INTO echo_hash (entity, side, key, hash)"
                 " VALUES ($1, $2, $3, $4)"
                 " ON CONFLICT (entity, side, key) DO UPDATE"
                 " SET hash = EXCLUDED.hash, recorded_at = now()",
                 entity, side, key, hash);
}

caf::expected<void> echo_store::record(const std::string& entity,
                                       const std::string& side,
                                       const std::string& key,
                                       const std::string& hash) {
  if (auto text = invalid_argument_text(entity, side, key, hash); !text.empty())
    return make_db_error(db_errc::rejected, text);
  auto done = pool_.with_connection("echo hash of " + entity + " " + key,
                                    [&](pqxx::connection& conn) {
                                      pqxx::work tx(conn);
                                      record(tx, entity, side, key, hash);
                                      tx.commit();
                                    });
  if (!done)
    return done.error();
  return caf::unit;
}

caf::expected<bool> echo_store::replace_if(
    const std::string& entity, const std::string& side, const std::string& key,
    const std::optional<std::string>& expected, const std::string& hash) {
  if (auto text = invalid_argument_text(entity, side, key, hash); !text.empty())
    return make_db_error(db_errc::rejected, text);
  return pool_.with_connection(
      "echo hash of " + entity + " " + key, [&](pqxx::connection& conn) {
        pqxx::work tx(conn);
        auto rows =
            expected
                ? tx.exec_params("UPDATE echo_hash SET hash = $5,"
                                 " recorded_at = now() WHERE entity = $1"
                                 " AND side = $2 AND key = $3 AND hash = $4"
                                 " RETURNING 1",
                                 entity, side, key, *expected, hash)
                : tx.exec_params("INSERT INTO echo_hash (entity, side, key,"
                                 " hash) VALUES ($1, $2, $3, $4)"
                                 " ON CONFLICT (entity, side, key) DO NOTHING"
                                 " RETURNING 1",
                                 entity, side, key, hash);
        tx.commit();
        return rows.size() == 1;
      });
}

caf::expected<bool> echo_store::is_echo(const std::string& entity,
                                        const std::string& side,
                                        const std::string& key,
                                        const std::string& hash) {
  return pool_.with_connection(
      "echo hash of " + entity + " " + key, [&](pqxx::connection& conn) {
        pqxx::read_transaction tx(conn);
        auto rows =
            tx.exec_params("SELECT hash FROM echo_hash"
                           " WHERE entity = $1 AND side = $2 AND key = $3",
                           entity, side, key);
        return !rows.empty() && rows[0][0].as<std::string>() == hash;
      });
}

caf::expected<std::map<std::string, std::string>>
echo_store::hashes(const std::string& entity, const std::string& side,
                   const std::vector<std::string>& keys) {
  std::map<std::string, std::string> none;
  if (keys.empty())
    return none;
  return pool_.with_connection(
      "echo hashes of " + std::to_string(keys.size()) + " " + entity,
      [&](pqxx::connection& conn) {
        std::map<std::string, std::string> out;
        pqxx::read_transaction tx(conn);
        auto rows =
            tx.exec_params("SELECT key, hash FROM echo_hash WHERE entity = $1"
                           " AND side = $2 AND key = ANY($3::text[])",
                           entity, side, text_array_literal(keys));
        for (const auto& row : rows)
          out[row[0].as<std::string>()] = row[1].as<std::string>();
        return out;
      });
}

} // namespace ferry::persistence
