#pragma once

#include "mapping/drift.hpp"
#include "persistence/pg_pool.hpp"

#include <caf/expected.hpp>
#include <cstdint>
#include <string>
#include <vector>

namespace ferry::persistence {

/// One stored difference of a reconcile run.
struct drift_row {
  std::int64_t id = 0;
  std::string kind;
  std::string sku;
  std::string detail;
  /// Repaired by `--fix` in the same run.
  bool fixed = false;
};

/// The drift each run of `ferry reconcile` found (`reconcile_drift`); a run
/// is a `job` row (persistence/job_store.hpp) of kind "reconcile_stock" or
/// "reconcile_products".
class drift_store {
public:
  /// Uses connections of `pool`; the pool must outlive the store.
  explicit drift_store(pg_pool& pool);

  /// Stores the drift `run` found, in one transaction.
  caf::expected<void> record(std::int64_t run,
                             const std::vector<mapping::drift>& found);

  /// Marks the drift of `run` for `skus` repaired.
  caf::expected<void> mark_fixed(std::int64_t run,
                                 const std::vector<std::string>& skus);

  /// The drift stored for `run`, in the order found.
  caf::expected<std::vector<drift_row>> drift_of(std::int64_t run);

private:
  pg_pool& pool_;
};

} // namespace ferry::persistence
