#pragma once

// Messages of the catalog area (issue 6): the product sync actors
// (actors/product_sync.hpp, actors/product_update.hpp) and the inventory
// actors (actors/inventory_actor.hpp). Type IDs 600..
// (block ferry_catalog).

#include <caf/atom.hpp>
#include <caf/meta/type_name.hpp>
#include <caf/type_id.hpp>
#include <cstdint>
#include <string>
#include <vector>

namespace ferry {

/// What a product sync actor did so far (answer to caf::get_atom).
struct product_sync_report {
  /// Finished cycles (an ERP walk, or an inbox batch).
  std::uint64_t cycles = 0;
  /// Products read (ERP items, or shop updates).
  std::uint64_t read = 0;
  /// Products written to the other side.
  std::uint64_t written = 0;
  /// Changes recognised as Ferry's own writes coming back.
  std::uint64_t echoes = 0;
  /// Products whose synced fields were already what the other side has.
  std::uint64_t unchanged = 0;
  /// Products put into the dead-letter table.
  std::uint64_t rejected = 0;
  /// Failed calls or database writes (the cycle is retried).
  std::uint64_t errors = 0;
  std::string last_error;
};

/// 0.17 inspection.
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, product_sync_report& x) {
  return f(caf::meta::type_name("product_sync_report"), x.cycles, x.read,
           x.written, x.echoes, x.unchanged, x.rejected, x.errors,
           x.last_error);
}

/// What an inventory actor did so far (answer to caf::get_atom).
struct inventory_report {
  /// Finished cycles.
  std::uint64_t cycles = 0;
  /// Stock levels read from the ERP.
  std::uint64_t levels_read = 0;
  /// Source items pushed to the shop (after coalescing).
  std::uint64_t pushed = 0;
  /// `POST /inventory/source-items` calls made.
  std::uint64_t push_calls = 0;
  /// Backorder settings changed in the shop.
  std::uint64_t backorder_changes = 0;
  /// Source items put into the dead-letter table.
  std::uint64_t rejected = 0;
  /// Failed calls or database work (the cycle is retried).
  std::uint64_t errors = 0;
  std::string last_error;
  /// Active ERP warehouses with no shop source in `inventory.warehouses`.
  std::vector<std::string> unmapped;
};

/// 0.17 inspection.
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, inventory_report& x) {
  return f(caf::meta::type_name("inventory_report"), x.cycles, x.levels_read,
           x.pushed, x.push_calls, x.backorder_changes, x.rejected, x.errors,
           x.last_error, x.unmapped);
}

} // namespace ferry

CAF_BEGIN_TYPE_ID_BLOCK(ferry_catalog, 600)

CAF_ADD_TYPE_ID(ferry_catalog, (ferry::product_sync_report))
CAF_ADD_TYPE_ID(ferry_catalog, (ferry::inventory_report))

/// Self-message of the product sync actors: run a cycle now.
CAF_ADD_ATOM(ferry_catalog, ferry, product_cycle_atom, "prod_cycle")

CAF_END_TYPE_ID_BLOCK(ferry_catalog)
