#include "persistence/reservation_store.hpp"

#include "persistence/prepared.hpp"
#include "persistence/sql_array.hpp"

#include <pqxx/pqxx>
#include <stdexcept>

namespace ferry::persistence {

reservation_store::reservation_store(pg_pool& pool) : pool_(pool) {}

void reservation_store::reserve(pqxx::transaction_base& tx,
                                const std::string& order_key,
                                const std::vector<reserved_line>& lines) {
  reserve_all(tx, {{order_key, lines}});
}

void reservation_store::reserve_all(
    pqxx::transaction_base& tx,
    const std::vector<std::pair<std::string, std::vector<reserved_line>>>&
        orders) {
  // One array element per (order, SKU), lines of one SKU added up.
  std::vector<std::string> keys, skus, quantities;
  for (const auto& [order_key, lines] : orders) {
    if (order_key.empty())
      throw std::invalid_argument("reservation: order key is empty");
    std::map<std::string, std::int64_t> per_sku;
    for (const auto& line : lines) {
      if (line.sku.empty())
        throw std::invalid_argument("reservation of order " + order_key +
                                    ": a line has an empty sku");
      if (line.quantity < 1)
        throw std::invalid_argument("reservation of order " + order_key +
                                    ": quantity of sku " + line.sku +
                                    " must be at least 1, got " +
                                    std::to_string(line.quantity));
      per_sku[line.sku] += line.quantity;
    }
    for (const auto& [sku, quantity] : per_sku) {
      keys.push_back(order_key);
      skus.push_back(sku);
      quantities.push_back(std::to_string(quantity));
    }
  }
  if (keys.empty())
    return;
  // The order row is the idempotency guard: a concurrent second attempt
  // waits on its unique key and then inserts nothing. One statement for
  // the orders' rows and their lines.
  static const prepared_sql sql{
      "reservation_reserve_all",
      "WITH o AS (INSERT INTO stock_reservation_order (order_key)"
      " SELECT DISTINCT k FROM unnest($1::text[]) AS k"
      " ON CONFLICT (order_key) DO NOTHING RETURNING order_key) "
      "INSERT INTO stock_reservation (order_key, sku, quantity)"
      " SELECT o.order_key, l.sku, l.quantity FROM unnest($1::text[],"
      " $2::text[], $3::text[]::bigint[]) AS l(k, sku, quantity)"
      " JOIN o ON o.order_key = l.k"};
  exec_prepared_sql(tx, sql, text_array_literal(keys), text_array_literal(skus),
                    text_array_literal(quantities));
}

void reservation_store::release(pqxx::transaction_base& tx,
                                const std::string& order_key) {
  static const prepared_sql sql{"reservation_release",
                                "WITH " + release_ctes("$1", "true") +
                                    " SELECT 1"};
  exec_prepared_sql(tx, sql, order_key);
}

std::string reservation_store::release_ctes(const std::string& key_param,
                                            const std::string& condition) {
  return "released_order AS (UPDATE stock_reservation_order"
         " SET released_at = now() WHERE order_key = " +
         key_param + " AND released_at IS NULL AND " + condition +
         "), released_lines AS (UPDATE stock_reservation"
         " SET released = true WHERE order_key = " +
         key_param + " AND NOT released AND " + condition + ")";
}

caf::expected<std::map<std::string, std::int64_t>>
reservation_store::open_quantities(const std::vector<std::string>& skus) {
  std::map<std::string, std::int64_t> out;
  if (skus.empty())
    return out;
  return pool_.with_connection(
      "reservations: open quantities", [&](pqxx::connection& conn) {
        std::map<std::string, std::int64_t> result;
        pqxx::read_transaction tx(conn);
        auto rows = tx.exec_params(
            "SELECT sku, sum(quantity)::bigint FROM stock_reservation"
            " WHERE NOT released AND sku = ANY($1::text[]) GROUP BY sku",
            text_array_literal(skus));
        for (const auto& row : rows)
          result[row[0].as<std::string>()] = row[1].as<std::int64_t>();
        return result;
      });
}

caf::expected<std::pair<std::vector<std::string>, std::string>>
reservation_store::changed_since(const std::string& since) {
  return pool_.with_connection(
      "reservations: changed SKUs", [&](pqxx::connection& conn) {
        std::pair<std::vector<std::string>, std::string> out;
        pqxx::read_transaction tx(conn);
        out.second = tx.exec1("SELECT now()::text")[0].as<std::string>();
        if (since.empty())
          return out;
        auto rows = tx.exec_params(
            "SELECT DISTINCT r.sku FROM stock_reservation r"
            " JOIN stock_reservation_order o USING (order_key)"
            " WHERE o.reserved_at > $1::timestamptz - interval '5 seconds'"
            " OR o.released_at > $1::timestamptz - interval '5 seconds'",
            since);
        for (const auto& row : rows)
          out.first.push_back(row[0].as<std::string>());
        return out;
      });
}

} // namespace ferry::persistence
