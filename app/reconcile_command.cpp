// `ferry reconcile stock|products [--fix]`: reads both sides in full,
// prints and stores the drift (mapping/drift.hpp), and with --fix repairs
// it through the sync's own paths (the product pipeline, the stock push).

#include "actors/erp_connector.hpp"
#include "actors/inventory_actor.hpp"
#include "actors/product_pipeline.hpp"
#include "actors/shop_connector.hpp"
#include "app/commands.hpp"
#include "app/components.hpp"
#include "mapping/drift.hpp"
#include "mapping/product_mapping.hpp"
#include "persistence/drift_store.hpp"
#include "persistence/errors.hpp"
#include "persistence/job_store.hpp"
#include "persistence/migrations.hpp"
#include "persistence/reservation_store.hpp"

#include <algorithm>
#include <caf/all.hpp>
#include <iomanip>
#include <iostream>
#include <prometheus/registry.h>
#include <set>

namespace ferry::app {

namespace {

constexpr int exit_no_drift = 0;
constexpr int exit_drift = 1;
constexpr int exit_usage = 2;
constexpr int exit_failed = 3;

constexpr auto call_timeout = std::chrono::minutes(2);

const char* usage =
    "usage: ferry reconcile stock|products [--fix] [--config FILE]\n";

/// A side that could not be read, or the database, as one line.
struct failure {
  std::string what;
};

/// Both sides as read, and the drift between them.
struct comparison {
  std::vector<mapping::drift> drift;
  /// One line on what was compared ("12 ERP items, 12 shop products").
  std::string summary;
  /// ERP items per SKU (products) — what --fix pushes.
  std::map<std::string, erp_item> erp_items;
  /// Shop products per SKU — what --fix sends to the ERP.
  std::map<std::string, shop::shop_product> shop_products;
  /// Expected source items per SKU and source (stock).
  std::map<std::string, std::vector<shop::shop_source_item>> expected;
};

/// Everything a reconcile run talks to.
struct sides {
  caf::actor_system& sys;
  persistence::pg_pool& pool;
  erp_connector_actor erp;
  shop_connector_actor shop;
  const config::ferry_config& config;
};

std::vector<erp_item> all_erp_items(sides& s) {
  std::vector<erp_item> out;
  erp_page_request page{"", 1000, ""};
  for (;;) {
    auto items = blocking_request<erp_page<erp_item>>(
        s.sys, s.erp, call_timeout, erp_get_items{page});
    if (!items)
      throw failure{"reading the ERP's items: " +
                    describe_error(s.sys, items.error())};
    for (auto& item : items->rows)
      out.push_back(std::move(item));
    if (items->next_page_token.empty())
      return out;
    page.page_token = items->next_page_token;
  }
}

std::vector<shop::shop_product> all_shop_products(sides& s) {
  std::vector<shop::shop_product> out;
  for (int page = 1;; ++page) {
    auto products = blocking_request<shop_product_page>(
        s.sys, s.shop, call_timeout, shop_list_products{"", 500, page});
    if (!products)
      throw failure{"reading the shop's products: " +
                    describe_error(s.sys, products.error())};
    for (auto& p : products->items)
      out.push_back(std::move(p));
    if (products->items.empty() ||
        static_cast<std::int64_t>(out.size()) >= products->total_count)
      return out;
  }
}

/// The ERP's latest level per SKU of `warehouse`.
std::map<std::string, erp_stock_level>
all_stock_levels(sides& s, const std::string& warehouse) {
  std::map<std::string, erp_stock_level> out;
  erp_page_request page{"", 1000, ""};
  for (;;) {
    auto levels = blocking_request<erp_page<erp_stock_level>>(
        s.sys, s.erp, call_timeout, erp_get_stock_levels{page, warehouse});
    if (!levels)
      throw failure{"reading the ERP's stock of " + warehouse + ": " +
                    describe_error(s.sys, levels.error())};
    for (auto& level : levels->rows) {
      if (level.warehouse_code != warehouse)
        continue;
      auto& slot = out[level.item_code];
      if (slot.item_code.empty() || level.modified_at >= slot.modified_at)
        slot = std::move(level);
    }
    if (levels->next_page_token.empty())
      return out;
    page.page_token = levels->next_page_token;
  }
}

/// The fields the ERP owns by `catalog.field_owner`: price, weight and
/// status always; name and description when set to "erp".
std::vector<std::string> erp_owned_fields(const config::field_owners& o) {
  std::vector<std::string> out{"price", "weight", "status"};
  if (o.name == config::field_owner::erp)
    out.push_back("name");
  if (o.description == config::field_owner::erp)
    out.push_back("description");
  return out;
}

comparison compare_products(sides& s) {
  comparison c;
  std::vector<shop::shop_product> expected;
  std::size_t unmappable = 0;
  for (auto& item : all_erp_items(s)) {
    auto mapped = mapping::shop_product_from_erp(item);
    if (!mapped) {
      // The product sync dead-letters these with their reason; they have
      // no shop form to compare.
      ++unmappable;
      continue;
    }
    expected.push_back(std::move(*mapped));
    c.erp_items[item.item_code] = std::move(item);
  }
  auto shop = all_shop_products(s);
  for (const auto& p : shop)
    c.shop_products[p.sku] = p;
  c.drift = mapping::product_drift(
      expected, shop, erp_owned_fields(s.config.catalog.field_owner));
  c.summary = std::to_string(c.erp_items.size()) + " ERP items, " +
              std::to_string(shop.size()) + " shop products";
  if (unmappable)
    c.summary += " (" + std::to_string(unmappable) +
                 " ERP items do not map to a shop product and were skipped)";
  return c;
}

comparison compare_stock(sides& s) {
  comparison c;
  const auto& warehouses = s.config.inventory.warehouses;
  if (warehouses.empty())
    throw failure{"inventory.warehouses is empty: no warehouse is mapped to "
                  "a shop source, so there is no stock to compare"};
  std::vector<std::string> shop_skus;
  for (const auto& p : all_shop_products(s))
    shop_skus.push_back(p.sku);
  std::set<std::string> sold(shop_skus.begin(), shop_skus.end());

  std::map<std::string, std::map<std::string, erp_stock_level>> levels;
  std::set<std::string> skus;
  for (const auto& [warehouse, source] : warehouses) {
    levels[warehouse] = all_stock_levels(s, warehouse);
    for (const auto& [sku, level] : levels[warehouse])
      skus.insert(sku);
  }
  persistence::reservation_store reservations(s.pool);
  auto open = reservations.open_quantities({skus.begin(), skus.end()});
  if (!open)
    throw failure{describe_error(s.sys, open.error())};

  // What the shop holds per source, for the SKUs it sells: one call per
  // SKU (the contract reads source items by SKU only).
  std::map<std::string, std::map<std::string, shop::shop_source_item>> held;
  for (const auto& sku : skus) {
    if (!sold.count(sku))
      continue;
    auto items = blocking_request<shop_source_item_list>(
        s.sys, s.shop, call_timeout, shop_get_source_items{sku});
    if (!items)
      throw failure{"reading the shop's stock of " + sku + ": " +
                    describe_error(s.sys, items.error())};
    for (auto& item : items->items)
      held[item.source_code][sku] = item;
  }

  std::size_t compared = 0;
  for (const auto& [warehouse, source] : warehouses) {
    std::map<std::string, shop::shop_source_item> expected;
    for (const auto& [sku, level] : levels[warehouse]) {
      auto reserved = open->count(sku) ? open->at(sku) : 0;
      expected[sku] = mapping::expected_source_item(level, reserved, source);
      c.expected[sku].push_back(expected[sku]);
    }
    compared += expected.size();
    for (auto& d : mapping::stock_drift(expected, held[source], shop_skus))
      c.drift.push_back(std::move(d));
  }
  std::stable_sort(c.drift.begin(), c.drift.end(),
                   [](const auto& a, const auto& b) { return a.sku < b.sku; });
  c.summary = std::to_string(compared) + " stock levels of " +
              std::to_string(warehouses.size()) + " warehouses, " +
              std::to_string(sold.size()) + " shop products";
  return c;
}

comparison compare(sides& s, const std::string& what) {
  return what == "stock" ? compare_stock(s) : compare_products(s);
}

/// Products: ERP-side drift goes through the product pipeline as the
/// product sync would send it (forced, so unchanged hashes do not stop
/// it); a product only the shop has goes to the ERP as a shop update
/// would. Returns what could not be sent, per SKU.
std::vector<std::string> fix_products(sides& s, const comparison& c) {
  std::vector<std::string> problems;
  product_pipeline_settings settings;
  settings.owners = s.config.catalog.field_owner;
  settings.call_timeout = call_timeout;
  auto erp = s.erp;
  auto shop = s.shop;
  product_pipeline pipeline(
      s.sys, s.pool, [erp] { return erp; }, [shop] { return shop; }, settings);
  std::vector<erp_item> to_shop;
  std::set<std::string> seen;
  product_sync_report report;
  for (const auto& d : c.drift) {
    if (!seen.insert(d.sku).second)
      continue;
    if (d.kind == "missing_in_erp") {
      auto product = c.shop_products.at(d.sku);
      auto applied = pipeline.apply_shop_update(
          shop::dump_exact(shop::to_json(product)), report);
      if (!applied)
        problems.push_back(d.sku + ": " +
                           describe_error(s.sys, applied.error()));
      continue;
    }
    to_shop.push_back(c.erp_items.at(d.sku));
  }
  if (!to_shop.empty()) {
    auto pushed = pipeline.push_to_shop(to_shop, report, true);
    if (!pushed)
      problems.push_back("shop: " + describe_error(s.sys, pushed.error()));
  }
  if (report.rejected)
    problems.push_back(std::to_string(report.rejected) +
                       " products refused (see the dead-letter table)");
  return problems;
}

/// Stock: the expected source items of the SKUs with drift, through the
/// stock sync's own push. A SKU the shop does not sell needs the product
/// first.
std::vector<std::string> fix_stock(sides& s, const comparison& c) {
  std::vector<std::string> problems;
  std::vector<shop::shop_source_item> items;
  std::set<std::string> seen;
  for (const auto& d : c.drift) {
    if (d.kind == "missing_in_shop") {
      problems.push_back(d.sku + ": not in the shop; `ferry reconcile products "
                                 "--fix` creates it");
      continue;
    }
    if (!seen.insert(d.sku).second)
      continue;
    for (const auto& item : c.expected.at(d.sku))
      items.push_back(item);
  }
  auto pushed = push_stock(s.sys, s.pool, s.shop, call_timeout, items);
  if (!pushed) {
    problems.push_back("shop: " + describe_error(s.sys, pushed.error()));
    return problems;
  }
  if (pushed->rejected)
    problems.push_back(std::to_string(pushed->rejected) +
                       " source items refused (see the dead-letter table)");
  if (!pushed->last_error.empty())
    problems.push_back(pushed->last_error);
  return problems;
}

void print_drift(const std::vector<mapping::drift>& drift) {
  for (const auto& d : drift)
    std::cout << "  " << std::left << std::setw(16) << d.kind << " "
              << std::setw(12) << d.sku << " " << d.detail << "\n";
}

int run_reconcile(sides& s, const std::string& what, bool fix) {
  persistence::job_store jobs(s.pool);
  auto job = jobs.start("reconcile_" + what, std::nullopt);
  if (!job)
    throw failure{describe_error(s.sys, job.error())};
  auto run = job->id;
  auto finish = [&](bool ok, const std::string& message) {
    auto done = jobs.finish(run, ok, message);
    if (!done)
      std::cerr << "ferry reconcile: " << describe_error(s.sys, done.error())
                << "\n";
  };
  try {
    auto found = compare(s, what);
    persistence::drift_store store(s.pool);
    auto recorded = store.record(run, found.drift);
    if (!recorded)
      throw failure{describe_error(s.sys, recorded.error())};
    std::cout << "reconcile " << what << " (run " << run
              << "): " << found.summary << "\n";
    print_drift(found.drift);
    std::cout << found.drift.size() << " difference"
              << (found.drift.size() == 1 ? "" : "s") << " found\n";
    auto message = std::to_string(found.drift.size()) + " found";
    if (fix && !found.drift.empty()) {
      auto problems =
          what == "stock" ? fix_stock(s, found) : fix_products(s, found);
      for (const auto& p : problems)
        std::cerr << "ferry reconcile: not repaired: " << p << "\n";
      // Repaired is what a fresh comparison no longer finds.
      auto after = compare(s, what);
      std::set<std::string> left;
      for (const auto& d : after.drift)
        left.insert(d.sku);
      std::vector<std::string> fixed;
      std::size_t repaired = 0;
      for (const auto& d : found.drift)
        if (!left.count(d.sku)) {
          ++repaired;
          if (fixed.empty() || fixed.back() != d.sku)
            fixed.push_back(d.sku);
        }
      auto marked = store.mark_fixed(run, fixed);
      if (!marked)
        throw failure{describe_error(s.sys, marked.error())};
      std::cout << "--fix: " << repaired << " repaired, " << after.drift.size()
                << " left\n";
      print_drift(after.drift);
      message += ", " + std::to_string(repaired) + " repaired";
    }
    finish(true, message);
    return found.drift.empty() ? exit_no_drift : exit_drift;
  } catch (const failure& f) {
    finish(false, f.what);
    throw;
  }
}

} // namespace

int reconcile_command(const std::vector<std::string>& args) {
  std::string what;
  bool fix = false;
  std::vector<std::string> rest;
  for (const auto& arg : args) {
    if (what.empty() && (arg == "stock" || arg == "products"))
      what = arg;
    else if (arg == "--fix")
      fix = true;
    else
      rest.push_back(arg);
  }
  std::string bad_usage;
  auto path = config_path_argument(rest, bad_usage);
  if (what.empty() && bad_usage.empty())
    bad_usage = "say what to compare: stock or products";
  if (!bad_usage.empty()) {
    std::cerr << "ferry reconcile: " << bad_usage << "\n" << usage;
    return exit_usage;
  }
  auto config = load_or_report(path);
  if (!config)
    return exit_failed;

  prometheus::Registry registry;
  persistence::pg_pool pool(pool_options(*config, 4, "reconcile"), registry);
  auto migrated = persistence::migrate(pool);
  if (!migrated) {
    std::cerr << "ferry reconcile: "
              << persistence::db_error_text(migrated.error()) << "\n";
    return exit_failed;
  }
  return run_with_connectors(
      *config, registry,
      [&](caf::actor_system& sys, const erp_connector_actor& erp,
          const shop_connector_actor& shop) {
        try {
          sides s{sys, pool, erp, shop, *config};
          return run_reconcile(s, what, fix);
        } catch (const failure& f) {
          std::cerr << "ferry reconcile " << what << ": " << f.what << "\n";
        } catch (const std::exception& e) {
          std::cerr << "ferry reconcile " << what << ": " << e.what() << "\n";
        }
        return exit_failed;
      });
}

} // namespace ferry::app
