#include "persistence/customer_store.hpp"

#include "mapping/email.hpp"

#include <pqxx/pqxx>

namespace ferry::persistence {

customer_store::customer_store(pg_pool& pool) : pool_(pool) {}

caf::expected<bool> customer_store::upsert(const erp_customer& c) {
  return pool_.with_connection("erp_customer upsert", [&](pqxx::connection&
                                                              cn) {
    pqxx::work tx(cn);
    auto r = tx.exec_params(
        "INSERT INTO erp_customer (customer_no, email_normalized, first_name, "
        "last_name, price_group, is_active, external_customer_id, modified_at) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8) "
        "ON CONFLICT (customer_no) DO UPDATE SET"
        " email_normalized = EXCLUDED.email_normalized,"
        " first_name = EXCLUDED.first_name, last_name = EXCLUDED.last_name,"
        " price_group = EXCLUDED.price_group, is_active = EXCLUDED.is_active,"
        " external_customer_id = EXCLUDED.external_customer_id,"
        " modified_at = EXCLUDED.modified_at, updated_at = now() "
        "WHERE (erp_customer.email_normalized, erp_customer.first_name,"
        " erp_customer.last_name, erp_customer.price_group,"
        " erp_customer.is_active, erp_customer.external_customer_id)"
        " IS DISTINCT FROM (EXCLUDED.email_normalized, EXCLUDED.first_name,"
        " EXCLUDED.last_name, EXCLUDED.price_group, EXCLUDED.is_active,"
        " EXCLUDED.external_customer_id) "
        "RETURNING customer_no",
        c.customer_no, normalize_email(c.email), c.first_name, c.last_name,
        c.price_group, c.is_active, c.external_customer_id, c.modified_at);
    tx.commit();
    return !r.empty();
  });
}

caf::expected<std::optional<erp_customer>>
customer_store::find(const std::string& customer_no) {
  return pool_.with_connection(
      "erp_customer read",
      [&](pqxx::connection& cn) -> std::optional<erp_customer> {
        pqxx::read_transaction tx(cn);
        auto rows = tx.exec_params(
            "SELECT customer_no, email_normalized, first_name, last_name, "
            "price_group, is_active, external_customer_id, modified_at "
            "FROM erp_customer WHERE customer_no = $1",
            customer_no);
        if (rows.empty())
          return std::nullopt;
        const auto& row = rows[0];
        erp_customer c;
        c.customer_no = row[0].as<std::string>();
        c.email = row[1].as<std::string>();
        c.first_name = row[2].as<std::string>();
        c.last_name = row[3].as<std::string>();
        c.price_group = row[4].as<std::string>();
        c.is_active = row[5].as<bool>();
        c.external_customer_id = row[6].as<std::string>();
        c.modified_at = row[7].as<std::string>();
        return c;
      });
}

caf::expected<bool> customer_store::link(std::int64_t shop_customer_id,
                                         const std::string& customer_no) {
  return pool_.with_connection(
      "customer_link write", [&](pqxx::connection& cn) {
        pqxx::work tx(cn);
        // Serialises concurrent links of one ERP customer, so exactly one shop
        // account is the unshared one.
        tx.exec_params("SELECT pg_advisory_xact_lock(hashtext($1))",
                       customer_no);
        auto others =
            tx.exec_params("SELECT 1 FROM customer_link WHERE customer_no = $1 "
                           "AND shop_customer_id <> $2 LIMIT 1",
                           customer_no, shop_customer_id);
        bool shared = !others.empty();
        tx.exec_params(
            "INSERT INTO customer_link (shop_customer_id, customer_no, shared) "
            "VALUES ($1, $2, $3) ON CONFLICT (shop_customer_id) DO UPDATE SET "
            "customer_no = EXCLUDED.customer_no, shared = EXCLUDED.shared "
            "WHERE customer_link.customer_no <> EXCLUDED.customer_no",
            shop_customer_id, customer_no, shared);
        tx.commit();
        return shared;
      });
}

caf::expected<std::optional<std::string>>
customer_store::customer_no_of(std::int64_t shop_customer_id) {
  return pool_.with_connection(
      "customer_link read",
      [&](pqxx::connection& cn) -> std::optional<std::string> {
        pqxx::read_transaction tx(cn);
        auto rows = tx.exec_params(
            "SELECT customer_no FROM customer_link WHERE shop_customer_id = $1",
            shop_customer_id);
        if (rows.empty())
          return std::nullopt;
        return rows[0][0].as<std::string>();
      });
}

void customer_store::record_shop_tag(pqxx::transaction_base& tx,
                                     std::int64_t shop_customer_id,
                                     const std::string& customer_no) {
  tx.exec_params("INSERT INTO shop_customer_tag (shop_customer_id, "
                 "customer_no) VALUES ($1, $2) ON CONFLICT (shop_customer_id) "
                 "DO UPDATE SET customer_no = EXCLUDED.customer_no, "
                 "tagged_at = now()",
                 shop_customer_id, customer_no);
}

caf::expected<void>
customer_store::record_shop_tag(std::int64_t shop_customer_id,
                                const std::string& customer_no) {
  auto r = pool_.with_connection(
      "shop_customer_tag write", [&](pqxx::connection& cn) {
        pqxx::work tx(cn);
        record_shop_tag(tx, shop_customer_id, customer_no);
        tx.commit();
      });
  if (!r)
    return r.error();
  return {};
}

caf::expected<void>
customer_store::forget_shop_tag_unless(std::int64_t shop_customer_id,
                                       const std::string& held) {
  auto r = pool_.with_connection(
      "shop_customer_tag forget", [&](pqxx::connection& cn) {
        pqxx::work tx(cn);
        tx.exec_params("DELETE FROM shop_customer_tag WHERE shop_customer_id "
                       "= $1 AND customer_no <> $2",
                       shop_customer_id, held);
        tx.commit();
      });
  if (!r)
    return r.error();
  return {};
}

caf::expected<std::vector<std::int64_t>>
customer_store::shop_accounts_of(const std::string& customer_no) {
  return pool_.with_connection("customer_link read", [&](pqxx::connection& cn) {
    pqxx::read_transaction tx(cn);
    auto rows = tx.exec_params(
        "SELECT shop_customer_id FROM customer_link WHERE customer_no = $1 "
        "ORDER BY shop_customer_id",
        customer_no);
    std::vector<std::int64_t> out;
    for (const auto& row : rows)
      out.push_back(row[0].as<std::int64_t>());
    return out;
  });
}

} // namespace ferry::persistence
