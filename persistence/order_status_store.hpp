#pragma once

#include "persistence/pg_pool.hpp"

#include <caf/expected.hpp>
#include <optional>
#include <string>

namespace ferry::persistence {

/// Where the ERP status-back poller resumes (table `order_status_cursor`):
/// the `Since` of its next GetSalesOrderStatusChanges, kept across restarts
/// and shared by the nodes of a cluster.
class order_status_store {
public:
  /// Uses connections of `pool`; the pool must outlive the store.
  explicit order_status_store(pg_pool& pool);

  /// The cursor of poller `name`; nothing before its first save.
  caf::expected<std::optional<std::string>> cursor(const std::string& name);

  /// Stores the cursor of poller `name` (only forward: an older value than
  /// the stored one is ignored).
  caf::expected<void> save_cursor(const std::string& name,
                                  const std::string& since);

private:
  pg_pool& pool_;
};

} // namespace ferry::persistence
