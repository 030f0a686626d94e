#pragma once

#include "mapping/erp_types.hpp"
#include "persistence/pg_pool.hpp"

#include <caf/expected.hpp>
#include <cstdint>
#include <optional>
#include <pqxx/transaction_base>
#include <string>
#include <vector>

namespace ferry::persistence {

/// The ERP's customers as Ferry last saw them (`erp_customer`, emails
/// normalized) and which shop accounts map to which ERP customer
/// (`customer_link`).
class customer_store {
public:
  /// Uses connections of `pool`; the pool must outlive the store.
  explicit customer_store(pg_pool& pool);

  /// Inserts or replaces the ERP customer; true when something changed.
  caf::expected<bool> upsert(const erp_customer& customer);

  /// The stored customer `customer_no` (email normalized, company and phone
  /// empty); nullopt when unknown.
  caf::expected<std::optional<erp_customer>>
  find(const std::string& customer_no);

  /// Links shop account `shop_customer_id` to `customer_no`; returns true
  /// when another shop account was already linked to that customer (a
  /// second account with the same email), which the link then records as
  /// shared. Linking the same pair again changes nothing.
  caf::expected<bool> link(std::int64_t shop_customer_id,
                           const std::string& customer_no);

  /// The ERP customer of shop account `shop_customer_id`, if linked.
  caf::expected<std::optional<std::string>>
  customer_no_of(std::int64_t shop_customer_id);

  /// Records that Ferry wrote `customer_no` on shop account
  /// `shop_customer_id` (its erp_customer_no attribute) and the shop took
  /// it (`shop_customer_tag`), replacing an older number.
  caf::expected<void> record_shop_tag(std::int64_t shop_customer_id,
                                      const std::string& customer_no);

  /// Forgets what record_shop_tag recorded for `shop_customer_id` unless
  /// it is `held` (what the shop customer's attribute holds now: an edit in
  /// the shop replaced Ferry's number), so that the next order writes it
  /// again.
  caf::expected<void> forget_shop_tag_unless(std::int64_t shop_customer_id,
                                             const std::string& held);

  /// record_shop_tag inside the caller's transaction (throws pqxx
  /// exceptions).
  static void record_shop_tag(pqxx::transaction_base& tx,
                              std::int64_t shop_customer_id,
                              const std::string& customer_no);

  /// Every shop account linked to `customer_no`, ascending.
  caf::expected<std::vector<std::int64_t>>
  shop_accounts_of(const std::string& customer_no);

private:
  pg_pool& pool_;
};

} // namespace ferry::persistence
