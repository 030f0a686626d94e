#pragma once

#include "actors/catalog_messages.hpp"
#include "actors/product_pipeline.hpp"
#include "monitoring/flow_health.hpp"

#include <caf/actor_system.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace prometheus {
class Registry;
} // namespace prometheus

namespace ferry {

/// One warehouse's stock sync.
struct inventory_settings {
  /// The ERP's WarehouseCode this actor polls.
  std::string warehouse_code;
  /// The shop's source_code it pushes to (from `inventory.warehouses`).
  std::string source_code;
  /// Time between the end of one cycle and the start of the next.
  std::chrono::milliseconds interval{10'000};
  /// Stock levels per GetStockLevels page (1–1000).
  int page_size = 1000;
  /// How long one connector call may take, retries included.
  std::chrono::milliseconds call_timeout{120'000};
  /// When not empty (give it to one actor only): the whole
  /// `inventory.warehouses` mapping; each cycle then reads GetWarehouses and
  /// reports every active ERP warehouse missing from it (in the report and
  /// as a warning log line once per warehouse), never guessing a source.
  std::map<std::string, std::string> report_unmapped_of;
  /// Every mapped ERP warehouse (this one included): a product allows
  /// backorders in the shop when any of them allows them for the item.
  /// Empty: this warehouse alone decides.
  std::vector<std::string> backorder_warehouses;
  /// Times a shop call failed for one item is tried again, in the next
  /// cycles, before the item is dead-lettered.
  int max_item_attempts = 5;
  /// Where failures and completed cycles are reported (flow "stock",
  /// cycles as "stock_<warehouse>"); null: a private one on the registry
  /// given to spawn_inventory_actor.
  std::shared_ptr<monitoring::flow_health> flows;
};

/// Stock of one ERP warehouse to its shop source. Each cycle walks
/// `GetStockLevels` of the warehouse from its persisted cursor
/// ("erp_stock:<code>"), keeps only the latest level per SKU (many changes
/// to one SKU become one push), and pushes them with one bulk
/// `POST /inventory/source-items` (split by the connector at 1000):
/// quantity = Available − open reservations (persistence/
/// reservation_store.hpp), never below 0; status 1 when that is above 0,
/// else 0 unless the item allows backorders, then status 1. The product's
/// `backorders` follows the ERP both ways: 1 while any warehouse of
/// `backorder_warehouses` allows backorders for the item, else 0; it is
/// put only when it differs from what Ferry last put (no repeated PUT, no
/// echo storm), and any 2xx answer of that call is success.
///
/// One item's failure never abandons the cycle: it is logged (once per
/// kind per minute), counted in
/// `ferry_flow_failures_total{flow="stock",reason}`, tried again in the next
/// cycles while it may pass (up to `max_item_attempts`), else
/// dead-lettered with its payload and reason; the other items and the
/// cursor move on. SKUs whose reservations changed are pushed again in the
/// next cycle from the last level seen. The first cycle after a start
/// walks from the beginning, so that the levels of every SKU are known, and
/// pushes only those that differ from what Ferry last pushed there (the
/// echo hashes of push_stock). Runs detached.
using inventory_actor =
    caf::typed_actor<caf::reacts_to<product_cycle_atom>,
                     caf::reacts_to<product_cycle_atom, std::uint64_t>,
                     caf::replies_to<caf::get_atom>::with<inventory_report>>;

/// Spawns the actor; its failure counter goes to `registry`, which must
/// outlive it.
inventory_actor spawn_inventory_actor(caf::actor_system& sys,
                                      persistence::pg_pool& pool,
                                      erp_resolver erp, shop_resolver shop,
                                      inventory_settings settings,
                                      prometheus::Registry& registry);

/// The echo-store entity of the source items Ferry pushed to one shop
/// source ("stock:<source_code>"; key: the SKU, hash:
/// mapping::source_item_hash).
std::string stock_entity(const std::string& source_code);

/// What one bulk stock push did.
struct stock_push_result {
  /// The items the shop took, in request order.
  std::vector<shop::shop_source_item> pushed;
  /// Items the shop refused (in the dead-letter table unless the caller
  /// holds them for another attempt: see `refused`).
  std::size_t rejected = 0;
  /// Each refused item with the shop's reason, in request order.
  std::vector<std::pair<shop::shop_source_item, std::string>> refused;
  /// A dead letter or echo hash that could not be stored (the push itself
  /// succeeded); empty when none.
  std::string last_error;
};

/// The stock sync's push, shared by the inventory actors and `ferry
/// reconcile stock --fix`: one bulk `POST /inventory/source-items` (split by
/// the connector at 1000); each item the shop took gets its echo hash
/// recorded, so that a restarted actor does not push it again; each it
/// refused goes to the dead-letter table with the shop's reason, except
/// those for which `hold` (when given) says they are tried again later
/// (a product the shop does not have yet: the product sync creates it). An
/// error when the call failed as a whole. Blocking.
caf::expected<stock_push_result>
push_stock(caf::actor_system& sys, persistence::pg_pool& pool,
           const shop_connector_actor& shop, std::chrono::milliseconds timeout,
           const std::vector<shop::shop_source_item>& items,
           const std::function<bool(const std::string& sku)>& hold = {});

} // namespace ferry
