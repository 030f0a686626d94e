#pragma once

#include "persistence/pg_pool.hpp"

#include <caf/expected.hpp>
#include <nlohmann/json.hpp>
#include <optional>
#include <pqxx/transaction_base>
#include <string>
#include <vector>

namespace ferry::persistence {

/// The ERP's last known version of one product.
struct product_erp_state {
  std::string sku;
  /// The synced fields in shop terms (mapping::product_fields).
  nlohmann::json fields;
  /// The item's `ModifiedAt` as the ERP sent it.
  std::string modified_at;
};

/// Cursors of the catalog's ERP walks (`sync_cursor`) and the ERP's last
/// known product versions (`product_state`).
class product_store {
public:
  /// Uses connections of `pool`; the pool must outlive the store.
  explicit product_store(pg_pool& pool);

  /// The saved cursor `name` ("erp_items", "erp_stock:WH1"); empty when
  /// none was saved yet.
  caf::expected<std::string> cursor(const std::string& name);

  /// Saves cursor `name`.
  caf::expected<void> save_cursor(const std::string& name,
                                  const std::string& value);

  /// The ERP's last known version of `sku`, if any.
  caf::expected<std::optional<product_erp_state>>
  erp_state(const std::string& sku);

  /// Saves the versions of `states` in one transaction (replacing older
  /// ones).
  caf::expected<void>
  save_erp_states(const std::vector<product_erp_state>& states);

  /// The same inside the caller's transaction; throws pqxx exceptions.
  static void save_erp_states(pqxx::transaction_base& tx,
                              const std::vector<product_erp_state>& states);

private:
  pg_pool& pool_;
};

} // namespace ferry::persistence
