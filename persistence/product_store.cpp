#include "persistence/product_store.hpp"

#include <pqxx/pqxx>

namespace ferry::persistence {

product_store::product_store(pg_pool& pool) : pool_(pool) {}

caf::expected<std::string> product_store::cursor(const std::string& name) {
  return pool_.with_connection(
      "sync cursor " + name, [&](pqxx::connection& conn) {
        pqxx::read_transaction tx(conn);
        auto rows = tx.exec_params("SELECT cursor_at FROM sync_cursor"
                                   " WHERE name = $1",
                                   name);
        return rows.empty() ? std::string{} : rows[0][0].as<std::string>();
      });
}

caf::expected<void> product_store::save_cursor(const std::string& name,
                                               const std::string& value) {
  auto done =
      pool_.with_connection("sync cursor " + name, [&](pqxx::connection& conn) {
        pqxx::work tx(conn);
        tx.exec_params("INSERT INTO sync_cursor (name, cursor_at)"
                       " VALUES ($1, $2) ON CONFLICT (name) DO UPDATE"
                       " SET cursor_at = EXCLUDED.cursor_at,"
                       " updated_at = now()",
                       name, value);
        tx.commit();
      });
  if (!done)
    return done.error();
  return caf::unit;
}

caf::expected<std::optional<product_erp_state>>
product_store::erp_state(const std::string& sku) {
  return pool_.with_connection(
      "product state " + sku, [&](pqxx::connection& conn) {
        pqxx::read_transaction tx(conn);
        auto rows = tx.exec_params("SELECT erp_fields::text, erp_modified"
                                   " FROM product_state WHERE sku = $1",
                                   sku);
        std::optional<product_erp_state> out;
        if (!rows.empty())
          out = product_erp_state{
              sku, nlohmann::json::parse(rows[0][0].as<std::string>()),
              rows[0][1].as<std::string>()};
        return out;
      });
}

void product_store::save_erp_states(
    pqxx::transaction_base& tx, const std::vector<product_erp_state>& states) {
  for (const auto& s : states)
    tx.exec_params("INSERT INTO product_state (sku, erp_fields, erp_modified)"
                   " VALUES ($1, $2::jsonb, $3) ON CONFLICT (sku) DO UPDATE"
                   " SET erp_fields = EXCLUDED.erp_fields,"
                   " erp_modified = EXCLUDED.erp_modified, updated_at = now()",
                   s.sku, s.fields.dump(), s.modified_at);
}

caf::expected<void>
product_store::save_erp_states(const std::vector<product_erp_state>& states) {
  if (states.empty())
    return caf::unit;
  auto done = pool_.with_connection(
      "product state of " + std::to_string(states.size()) + " products",
      [&](pqxx::connection& conn) {
        pqxx::work tx(conn);
        save_erp_states(tx, states);
        tx.commit();
      });
  if (!done)
    return done.error();
  return caf::unit;
}

} // namespace ferry::persistence
