#include "persistence/price_list_store.hpp"

#include "mapping/price_json.hpp"

#include <pqxx/pqxx>

namespace ferry::persistence {

price_list_store::price_list_store(pg_pool& pool) : pool_(pool) {}

caf::expected<std::size_t>
price_list_store::upsert_lists(const std::vector<erp_price_list>& lists) {
  return pool_.with_connection("price_list upsert", [&](pqxx::connection& c) {
    pqxx::work tx(c);
    std::size_t changed = 0;
    for (const auto& l : lists) {
      // The WHERE makes an unchanged list a no-op, so RETURNING tells real
      // changes apart from a list polled again.
      auto r = tx.exec_params(
          "INSERT INTO price_list (code, customer_no, price_group, currency, "
          "valid_from, valid_to, modified_at, lines) "
          "VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb) "
          "ON CONFLICT (code) DO UPDATE SET customer_no = EXCLUDED.customer_no,"
          " price_group = EXCLUDED.price_group, currency = EXCLUDED.currency,"
          " valid_from = EXCLUDED.valid_from, valid_to = EXCLUDED.valid_to,"
          " modified_at = EXCLUDED.modified_at, lines = EXCLUDED.lines,"
          " updated_at = now() "
          "WHERE (price_list.customer_no, price_list.price_group,"
          " price_list.currency, price_list.valid_from, price_list.valid_to,"
          " price_list.lines) IS DISTINCT FROM (EXCLUDED.customer_no,"
          " EXCLUDED.price_group, EXCLUDED.currency, EXCLUDED.valid_from,"
          " EXCLUDED.valid_to, EXCLUDED.lines) "
          "RETURNING code",
          l.price_list_code, l.customer_no, l.price_group, l.currency_code,
          l.valid_from, l.valid_to, l.modified_at,
          price_lines_to_json(l.lines));
      changed += r.size();
    }
    tx.commit();
    return changed;
  });
}

caf::expected<std::size_t>
price_list_store::upsert_base_prices(const std::vector<erp_item>& items) {
  return pool_.with_connection(
      "item_base_price upsert", [&](pqxx::connection& c) {
        pqxx::work tx(c);
        std::size_t changed = 0;
        for (const auto& item : items) {
          auto r = tx.exec_params(
              "INSERT INTO item_base_price (item_code, price_minor, is_active, "
              "modified_at) VALUES ($1, $2, $3, $4) "
              "ON CONFLICT (item_code) DO UPDATE SET"
              " price_minor = EXCLUDED.price_minor,"
              " is_active = EXCLUDED.is_active,"
              " modified_at = EXCLUDED.modified_at, updated_at = now() "
              "WHERE (item_base_price.price_minor, item_base_price.is_active)"
              " IS DISTINCT FROM (EXCLUDED.price_minor, EXCLUDED.is_active) "
              "RETURNING item_code",
              item.item_code, item.base_price.minor(), item.is_active,
              item.modified_at);
          changed += r.size();
        }
        tx.commit();
        return changed;
      });
}

caf::expected<std::vector<erp_price_list>>
price_list_store::lists_for(const std::string& customer_no,
                            const std::string& price_group) {
  return pool_.with_connection("price_list read", [&](pqxx::connection& c) {
    pqxx::read_transaction tx(c);
    auto rows = tx.exec_params(
        "SELECT code, customer_no, price_group, currency, valid_from, "
        "valid_to, modified_at, lines::text FROM price_list "
        "WHERE ($1 <> '' AND customer_no = $1) "
        "OR ($2 <> '' AND customer_no = '' AND price_group = $2) "
        "ORDER BY code",
        customer_no, price_group);
    std::vector<erp_price_list> out;
    out.reserve(rows.size());
    for (const auto& row : rows) {
      erp_price_list l;
      l.price_list_code = row[0].as<std::string>();
      l.customer_no = row[1].as<std::string>();
      l.price_group = row[2].as<std::string>();
      l.currency_code = row[3].as<std::string>();
      l.valid_from = row[4].as<std::string>();
      l.valid_to = row[5].as<std::string>();
      l.modified_at = row[6].as<std::string>();
      auto lines = price_lines_from_json(row[7].as<std::string>());
      // Only this store writes the column, so a bad value is a bug or a
      // hand edit: better no list than a wrong price.
      if (!lines)
        throw pqxx::data_exception("price_list " + l.price_list_code +
                                   ": lines are not price lines");
      l.lines = std::move(*lines);
      out.push_back(std::move(l));
    }
    return out;
  });
}

caf::expected<std::optional<money>>
price_list_store::base_price(const std::string& item_code) {
  return pool_.with_connection(
      "item_base_price read", [&](pqxx::connection& c) -> std::optional<money> {
        pqxx::read_transaction tx(c);
        auto rows = tx.exec_params(
            "SELECT price_minor FROM item_base_price WHERE item_code = $1",
            item_code);
        if (rows.empty())
          return std::nullopt;
        return money::from_minor(rows[0][0].as<std::int64_t>());
      });
}

caf::expected<std::string> price_list_store::cursor(const std::string& name) {
  return pool_.with_connection("sync_cursor read", [&](pqxx::connection& c) {
    pqxx::read_transaction tx(c);
    auto rows = tx.exec_params(
        "SELECT cursor_at FROM sync_cursor WHERE name = $1", name);
    return rows.empty() ? std::string{} : rows[0][0].as<std::string>();
  });
}

caf::expected<void> price_list_store::set_cursor(const std::string& name,
                                                 const std::string& value) {
  return pool_.with_connection("sync_cursor write", [&](pqxx::connection& c) {
    pqxx::work tx(c);
    tx.exec_params("INSERT INTO sync_cursor (name, cursor_at) VALUES ($1, $2) "
                   "ON CONFLICT (name) DO UPDATE SET cursor_at = $2, "
                   "updated_at = now()",
                   name, value);
    tx.commit();
  });
}

} // namespace ferry::persistence
