#include "persistence/order_status_store.hpp"

#include <pqxx/pqxx>

namespace ferry::persistence {

order_status_store::order_status_store(pg_pool& pool) : pool_(pool) {}

caf::expected<std::optional<std::string>>
order_status_store::cursor(const std::string& name) {
  return pool_.with_connection(
      "order status cursor " + name,
      [&](pqxx::connection& conn) -> std::optional<std::string> {
        pqxx::read_transaction tx(conn);
        auto rows = tx.exec_params(
            "SELECT since FROM order_status_cursor WHERE name = $1", name);
        if (rows.empty())
          return std::nullopt;
        return rows[0][0].as<std::string>();
      });
}

caf::expected<void> order_status_store::save_cursor(const std::string& name,
                                                    const std::string& since) {
  auto r = pool_.with_connection(
      "order status cursor " + name + ": save", [&](pqxx::connection& conn) {
        pqxx::work tx(conn);
        // The ERP's UTC timestamps have one fixed form, so text order is time
        // order.
        tx.exec_params(
            "INSERT INTO order_status_cursor (name, since) VALUES ($1, $2) "
            "ON CONFLICT (name) DO UPDATE SET since = excluded.since,"
            " updated_at = now() WHERE order_status_cursor.since < "
            "excluded.since",
            name, since);
        tx.commit();
      });
  if (!r)
    return r.error();
  return {};
}

} // namespace ferry::persistence
