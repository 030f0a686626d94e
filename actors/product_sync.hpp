#pragma once

#include "actors/catalog_messages.hpp"
#include "actors/product_pipeline.hpp"
#include "monitoring/flow_health.hpp"

#include <caf/actor_system.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>
#include <chrono>
#include <cstdint>

namespace ferry {

/// How the ERP → shop product sync polls.
struct product_sync_settings {
  /// Time between the end of one walk and the start of the next.
  std::chrono::milliseconds interval{30'000};
  /// Items per GetItems page (the contract allows 1–1000).
  int page_size = 1000;
  product_pipeline_settings pipeline;
  /// Where abandoned walks, refused items and completed walks are reported
  /// (flow "products"); may be null.
  std::shared_ptr<monitoring::flow_health> flows;
};

/// ERP → shop product sync: every `interval` it walks `GetItems` from the
/// cursor persisted as "erp_items" (the newest ModifiedAt seen, inclusive)
/// and pushes each page through the product pipeline. The cursor moves only
/// after a walk without errors, so a failed walk is repeated (harmless:
/// unchanged products are not written again). The first walk starts at
/// once; `product_cycle_atom` starts one now. Runs detached (it blocks on
/// its calls and the database).
using product_sync_actor =
    caf::typed_actor<caf::reacts_to<product_cycle_atom>,
                     caf::reacts_to<product_cycle_atom, std::uint64_t>,
                     caf::replies_to<caf::get_atom>::with<product_sync_report>>;

product_sync_actor spawn_product_sync(caf::actor_system& sys,
                                      persistence::pg_pool& pool,
                                      erp_resolver erp, shop_resolver shop,
                                      product_sync_settings settings);

} // namespace ferry
