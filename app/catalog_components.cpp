#include "actors/inventory_actor.hpp"
#include "actors/product_sync.hpp"
#include "actors/product_update.hpp"
#include "app/components.hpp"

#include <caf/actor_cast.hpp>

namespace ferry::app {

void add_catalog_children(component_context& c, std::vector<child_spec>& out) {
  auto directory = c.connectors;
  auto& pool = c.pool;
  erp_resolver erp = [directory] { return directory->erp(); };
  shop_resolver shop = [directory] { return directory->shop(); };
  product_pipeline_settings pipeline;
  pipeline.owners = c.config.catalog.field_owner;

  child_spec products;
  products.kind = "product_sync";
  products.role = child_role::producer;
  products.probe = backlog_probe::none;
  product_sync_settings sync;
  sync.pipeline = pipeline;
  sync.interval = c.config.catalog.poll_interval;
  sync.flows = c.flows;
  products.start = [&pool, erp, shop, sync](caf::actor_system& sys) {
    return caf::actor_cast<caf::actor>(
        spawn_product_sync(sys, pool, erp, shop, sync));
  };
  out.push_back(std::move(products));

  child_spec updates;
  updates.kind = "product_update";
  // It pulls its work from the inbox (leased claims), so it is stopped
  // like a producer: unfinished claims are taken up after their lease.
  updates.role = child_role::producer;
  updates.probe = backlog_probe::none;
  product_update_settings update;
  update.node = c.config.node.id.empty() ? "ferry" : c.config.node.id;
  update.pipeline = pipeline;
  update.retry = inbox_retry_of(c.config.catalog.retry);
  updates.start = [&pool, erp, shop, update](caf::actor_system& sys) {
    return caf::actor_cast<caf::actor>(
        spawn_product_update(sys, pool, erp, shop, update));
  };
  out.push_back(std::move(updates));

  // One actor per mapped warehouse; the first also reports the ERP's
  // warehouses that have no shop source.
  const auto& warehouses = c.config.inventory.warehouses;
  bool first = true;
  for (const auto& [warehouse, source] : warehouses) {
    inventory_settings s;
    s.warehouse_code = warehouse;
    s.source_code = source;
    s.interval = c.config.inventory.poll_interval;
    s.flows = c.flows;
    if (first)
      s.report_unmapped_of = warehouses;
    for (const auto& mapped : warehouses)
      s.backorder_warehouses.push_back(mapped.first);
    first = false;
    child_spec stock;
    stock.kind = "inventory_" + warehouse;
    stock.role = child_role::producer;
    stock.probe = backlog_probe::none;
    stock.start = [&pool, erp, shop, s,
                   &registry = c.registry](caf::actor_system& sys) {
      return caf::actor_cast<caf::actor>(
          spawn_inventory_actor(sys, pool, erp, shop, s, registry));
    };
    out.push_back(std::move(stock));
  }
}

void add_catalog_routes(api_context& c, http::router& router) {
  add_job_routes(c, router);
}

} // namespace ferry::app
