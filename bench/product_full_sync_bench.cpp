// 10,000 products ERP → shop through the product sync actor (mapping, echo
// hashes and ERP state in PostgreSQL, bulk upserts of 500) with both
// simulators at zero latency (the shop in memory: its journal's fsync per
// product would dominate), beside a bare transfer in the same run (the
// same GetItems pages and bulk calls through the same connectors, mapped but
// without any bookkeeping). Goal: subject < 20 s. Extra: the same sync with
// 100 ms added to every ERP call.

#include "actors/message_types.hpp"
#include "actors/product_sync.hpp"
#include "mapping/product_mapping.hpp"
#include "persistence/migrations.hpp"
#include "tests/actors/catalog_sims.hpp"
#include "tests/support/services.hpp"

#include <caf/all.hpp>
#include <chrono>
#include <iostream>
#include <nlohmann/json.hpp>
#include <prometheus/registry.h>

namespace {

using clock_type = std::chrono::steady_clock;
constexpr std::size_t items = 10'000;

double seconds_since(clock_type::time_point start) {
  return std::chrono::duration<double>(clock_type::now() - start).count();
}

/// The same pages and bulk calls with nothing but the mapping.
double bare_transfer(caf::actor_system& sys, prometheus::Registry& registry,
                     const ferry::test::erp_simulator& erp) {
  ferry::test::shop_simulator shop{
      {"--seed-products", "0", "--rate", "100000", "--burst", "100000"}, false};
  auto erp_c = ferry::spawn_erp_connector(
      sys, ferry::test::erp_connector_settings_of(erp), registry);
  auto shop_c =
      ferry::spawn_shop_connector(sys, shop.connector_settings(), registry);
  auto start = clock_type::now();
  caf::scoped_actor self{sys};
  ferry::erp_page_request page{"", 1000, ""};
  std::size_t written = 0;
  for (;;) {
    ferry::erp_page<ferry::erp_item> rows;
    self->request(erp_c, std::chrono::seconds{120}, ferry::erp_get_items{page})
        .receive([&](ferry::erp_page<ferry::erp_item>& p) { rows = p; },
                 [&](caf::error& e) { std::cerr << sys.render(e) << "\n"; });
    ferry::shop_bulk_products bulk;
    for (auto& item : rows.rows)
      if (auto p = ferry::mapping::shop_product_from_erp(item))
        bulk.products.push_back(*p);
    self->request(shop_c, std::chrono::seconds{120}, bulk)
        .receive(
            [&](ferry::shop_bulk_results& r) {
              for (auto& x : r.results)
                written += x.status == "ok";
            },
            [&](caf::error& e) { std::cerr << sys.render(e) << "\n"; });
    if (rows.next_page_token.empty())
      break;
    page.page_token = rows.next_page_token;
  }
  auto took = seconds_since(start);
  if (written != items)
    std::cerr << "bare transfer wrote " << written << " of " << items << "\n";
  caf::anon_send_exit(erp_c, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(shop_c, caf::exit_reason::user_shutdown);
  return took;
}

/// The product sync actor from an empty cursor until every item is
/// written; the seconds it took.
double through_sync(caf::actor_system& sys, prometheus::Registry& registry,
                    const ferry::test::erp_simulator& erp) {
  ferry::test::scratch_database db;
  ferry::persistence::pg_pool pool{{db.url(), 8}, registry};
  if (!ferry::persistence::migrate(pool))
    throw std::runtime_error("migration failed");
  ferry::test::shop_simulator shop{
      {"--seed-products", "0", "--rate", "100000", "--burst", "100000"}, false};
  auto erp_c = ferry::spawn_erp_connector(
      sys, ferry::test::erp_connector_settings_of(erp), registry);
  auto shop_c =
      ferry::spawn_shop_connector(sys, shop.connector_settings(), registry);
  ferry::product_sync_settings settings;
  settings.interval = std::chrono::hours{1};
  auto start = clock_type::now();
  auto sync = ferry::spawn_product_sync(
      sys, pool, [erp_c] { return erp_c; }, [shop_c] { return shop_c; },
      settings);
  ferry::product_sync_report report;
  caf::scoped_actor self{sys};
  // The first walk runs at start; a report asked for during it is
  // answered after it.
  while (report.cycles == 0) {
    self->request(sync, std::chrono::minutes{30}, caf::get_atom::value)
        .receive([&](ferry::product_sync_report& r) { report = r; },
                 [&](caf::error& e) {
                   std::cerr << sys.render(e) << "\n";
                   report.cycles = 1;
                 });
  }
  auto took = seconds_since(start);
  if (report.written != items)
    std::cerr << "sync wrote " << report.written << " of " << items << ": "
              << report.last_error << "\n";
  caf::anon_send_exit(sync, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(erp_c, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(shop_c, caf::exit_reason::user_shutdown);
  return took;
}

} // namespace

int main() {
  ferry::test::erp_simulator erp{{"--seed-items", std::to_string(items),
                                  "--warehouses", "1", "--no-fsync"}};
  prometheus::Registry registry;
  caf::actor_system_config cfg;
  ferry::register_message_types(cfg);
  caf::actor_system sys{cfg};
  auto baseline = bare_transfer(sys, registry, erp);
  auto subject = through_sync(sys, registry, erp);
  erp.faults({{"latency_ms", 100}});
  auto slow = through_sync(sys, registry, erp);
  erp.faults({{"latency_ms", 0}});
  // The same catalogue with every name and description in non-ASCII text
  // (accents, CJK, emoji, right-to-left, combining marks): UTF-8 costs
  // the parsers, the trims and the HTML conversion more than ASCII does.
  ferry::test::erp_simulator non_ascii_erp{
      {"--seed-items", std::to_string(items), "--warehouses", "1", "--no-fsync",
       "--variant", "2"}};
  auto non_ascii = through_sync(sys, registry, non_ascii_erp);
  nlohmann::json out = {
      {"name", "product_full_sync"},
      {"subject",
       {{"label", "10,000 products ERP → shop via product_sync"},
        {"value", subject},
        {"unit", "s"}}},
      {"baseline",
       {{"label", "bare GetItems pages + bulk upserts, no bookkeeping"},
        {"value", baseline},
        {"unit", "s"}}},
      {"ratio", baseline > 0 ? subject / baseline : 0},
      {"goal", "subject < 20 s"},
      {"extra",
       {{"items", items},
        {"with_100ms_erp_latency_s", slow},
        {"non_ascii_text_s", non_ascii},
        {"non_ascii_over_ascii", subject > 0 ? non_ascii / subject : 0},
        {"products_per_s", subject > 0 ? items / subject : 0}}}};
  std::cout << out.dump() << std::endl;
  return 0;
}
