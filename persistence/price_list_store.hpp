#pragma once

#include "mapping/erp_types.hpp"
#include "mapping/money.hpp"
#include "persistence/pg_pool.hpp"

#include <caf/expected.hpp>
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace ferry::persistence {

/// The ERP's price lists and base prices as Ferry last polled them
/// (tables `price_list`, `item_base_price`), and the cursors of those polls
/// (`sync_cursor`). PostgreSQL is the truth the pricing actors fall back on
/// when Redis is down.
class price_list_store {
public:
  /// Uses connections of `pool`; the pool must outlive the store.
  explicit price_list_store(pg_pool& pool);

  /// Inserts or replaces the lists, in one transaction; returns how many
  /// rows actually changed (a list polled again unchanged counts 0), so
  /// that the caller invalidates caches only on real changes.
  caf::expected<std::size_t>
  upsert_lists(const std::vector<erp_price_list>& lists);

  /// Inserts or replaces base prices from GetItems; returns how many
  /// changed.
  caf::expected<std::size_t>
  upsert_base_prices(const std::vector<erp_item>& items);

  /// Every list of `customer_no` and every list of `price_group` (with no
  /// CustomerNo), whatever their validity; empty arguments select nothing.
  caf::expected<std::vector<erp_price_list>>
  lists_for(const std::string& customer_no, const std::string& price_group);

  /// The BasePrice of `item_code`; nullopt when the ERP has no such item.
  caf::expected<std::optional<money>> base_price(const std::string& item_code);

  /// The value of cursor `name` ("pricing.price_lists"); empty when none.
  caf::expected<std::string> cursor(const std::string& name);

  /// Sets cursor `name`.
  caf::expected<void> set_cursor(const std::string& name,
                                 const std::string& value);

private:
  pg_pool& pool_;
};

} // namespace ferry::persistence
