// Orders per second from the shop's webhook to the ERP sales order through a
// shop at its default per-client limit (ferry-sim-shop's 20 requests/s,
// Ferry's `shop.rate_limit` the same), and the shop calls Ferry makes per
// order, for registered customers who order again and again: the shop's
// limit, not CPU, bounds the order flow when Ferry calls the shop more
// than once per order. The baseline is the shop's limit itself; the ratio
// is orders/s over it.
#include "bench/process_cpu.hpp"
#include "tests/actors/order_sim_env.hpp"

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <pqxx/pqxx>

using namespace std::chrono_literals;
using ferry::test::json;
using ferry::test::order_sim_env;

namespace {

int env_int(const char* name, int fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? std::atoi(v) : fallback;
}

/// The shop customer's erp_customer_no attribute ("" if none).
std::string erp_customer_no_of(const json& customer) {
  for (const auto& a : customer.value("custom_attributes", json::array()))
    if (a.value("attribute_code", "") == "erp_customer_no")
      return a.value("value", "");
  return "";
}

} // namespace

int main() {
  const int burst = env_int("FERRY_BENCH_ORDERS", 600);
  const int customers = env_int("FERRY_BENCH_CUSTOMERS", 50);
  ferry::test::order_sim_options options;
  // Both at their defaults: the simulator's 20 requests/s (burst 40) and
  // Ferry's shop.rate_limit, which is the same.
  options.shop_rate = 0;
  options.shop_burst = 0;
  // The lost-webhook poller at its default interval: with the test
  // setting (2 s) it would find the burst's orders while their webhooks
  // are held.
  options.shop_poll_interval = "60s";
  order_sim_env env{options};
  if (!env.wait_ready()) {
    std::cerr << "ferry never ready:\n" << env.ferry().log() << "\n";
    return 1;
  }
  auto rate_settings = env.shop_admin("GET", "/admin/rate");
  const double shop_limit = rate_settings.value("rate_per_second", 0.0);
  env.add_product("IT-00001", "12.50");

  pqxx::connection db{env.database_url()};
  auto wait_all = [&](std::size_t n) {
    return env.wait_sagas_settled(n, 600s, 200ms);
  };

  // Registered customers; the customer sync gives each its ERP customer
  // and writes the number back to the shop.
  std::vector<std::int64_t> ids;
  for (int i = 0; i < customers; ++i) {
    auto c = env.shop_admin(
        "POST", "/admin/customers",
        {{"email", "regular" + std::to_string(i) + "@example.com"},
         {"firstname", "Regular"},
         {"lastname", "Customer" + std::to_string(i)}});
    ids.push_back(c.value("id", std::int64_t{0}));
  }
  bool synced = ferry::test::wait_until(
      [&] {
        auto all = env.shop_admin("GET", "/admin/customers");
        std::size_t tagged = 0;
        for (const auto& c : all.value("items", json::array()))
          if (!erp_customer_no_of(c).empty())
            ++tagged;
        return tagged >= ids.size();
      },
      300s, 500ms);
  if (!synced) {
    std::cerr << "the customer sync did not tag the customers\n";
    return 1;
  }
  // One order each first: the steady state is that of returning customers.
  std::size_t placed = 0;
  auto place = [&](std::size_t i) {
    env.place_order({{"customer_id", ids[i % ids.size()]},
                     {"lines", {{{"sku", "IT-00001"}, {"qty", 1}}}}});
    ++placed;
  };
  for (std::size_t i = 0; i < ids.size(); ++i)
    place(i);
  if (!wait_all(placed)) {
    std::cerr << "the warm-up orders did not finish\n";
    return 1;
  }

  int postmaster = 0;
  {
    pqxx::read_transaction tx{db};
    postmaster = ferry::bench::parent_pid(
        tx.exec1("SELECT pg_backend_pid()")[0].as<int>());
  }
  // The burst: placed while the shop holds its webhooks, then sent at once.
  env.shop_admin("POST", "/admin/webhooks", {{"paused", true}});
  std::string since;
  {
    pqxx::read_transaction tx{db};
    since = tx.exec1("SELECT now()::text")[0].as<std::string>();
  }
  for (int i = 0; i < burst; ++i)
    place(static_cast<std::size_t>(i));
  env.shop_admin("POST", "/admin/rate", {{"reset_counts", true}});
  auto ferry_before = ferry::bench::tree_cpu_seconds(env.ferry().pid());
  auto db_before = ferry::bench::tree_cpu_seconds(postmaster);
  env.shop_admin("POST", "/admin/webhooks", {{"paused", false}});
  if (!wait_all(placed)) {
    std::cerr << "the burst did not finish\n";
    return 1;
  }
  auto ferry_ms =
      (ferry::bench::tree_cpu_seconds(env.ferry().pid()) - ferry_before) *
      1000 / burst;
  auto db_ms =
      (ferry::bench::tree_cpu_seconds(postmaster) - db_before) * 1000 / burst;
  auto calls = env.shop_admin("GET", "/admin/calls");
  auto rate_seen = env.shop_admin("GET", "/admin/rate");

  double burst_seconds = 0;
  // To the last order's ERP number commented on the shop order: its
  // shop call comes after the ERP order, so the rate above may pass the
  // shop's limit by its burst.
  double commented_seconds = 0;
  {
    pqxx::read_transaction tx{db};
    commented_seconds =
        tx.exec_params(
              "SELECT extract(epoch FROM (SELECT max(at) FROM sync_log "
              "WHERE entity = 'order' AND message = 'ERP number commented on "
              "the shop order' AND at >= $1::timestamptz) - (SELECT "
              "min(received_at) FROM inbox WHERE topic = 'orders/create' AND "
              "received_at >= $1::timestamptz))",
              since)[0][0]
            .as<double>();
    burst_seconds =
        tx.exec_params(
              "SELECT extract(epoch FROM (SELECT max(at) FROM sync_log "
              "WHERE entity = 'order' AND message LIKE '% -> submitted:%' "
              "AND at >= $1::timestamptz) - (SELECT min(received_at) FROM "
              "inbox WHERE topic = 'orders/create' AND received_at >= "
              "$1::timestamptz))",
              since)[0][0]
            .as<double>();
  }
  int duplicates = 0;
  auto in_erp = env.erp_orders(&duplicates).size();
  if (in_erp != placed || duplicates != 0) {
    std::cerr << in_erp << " ERP orders (" << duplicates << " duplicated) for "
              << placed << " shop orders\n";
    return 1;
  }
  // Every customer still holds its ERP number.
  for (const auto& c :
       env.shop_admin("GET", "/admin/customers").value("items", json::array()))
    if (erp_customer_no_of(c).empty()) {
      std::cerr << "shop customer " << c.value("id", 0)
                << " lost its erp_customer_no\n";
      return 1;
    }

  double rate = burst / std::max(burst_seconds, 1e-3);
  auto total = calls.value("total", std::int64_t{0});
  json per_order = json::object();
  auto routes = calls.value("routes", json::object());
  for (const auto& [route, n] : routes.items())
    per_order[route] = n.get<double>() / burst;
  json result = {
      {"name", "order_shop_calls"},
      {"subject",
       {{"label", "orders/s webhook to ERP sales order, returning customers, "
                  "shop at its default limit"},
        {"value", rate},
        {"unit", "orders/s"}}},
      {"baseline",
       {{"label", "the shop's limit per client (ferry-sim-shop default)"},
        {"value", shop_limit},
        {"unit", "requests/s"}}},
      {"ratio", shop_limit > 0 ? rate / shop_limit : 0},
      {"goal", ">= 0.95 (19 orders/s through 20 requests/s), <= 1.05 shop "
               "calls per order"},
      {"extra",
       {{"burst_orders", burst},
        {"customers", customers},
        {"burst_seconds", burst_seconds},
        {"commented_seconds", commented_seconds},
        {"orders_per_second_commented",
         burst / std::max(commented_seconds, 1e-3)},
        {"shop_calls_per_order", static_cast<double>(total) / burst},
        {"shop_calls", total},
        {"shop_calls_per_order_by_route", per_order},
        {"shop_calls_rate_limited",
         calls.value("rate_limited", json::object())},
        {"shop_peak_requests_per_second",
         rate_seen.value("peak_per_second", 0)},
        {"cpu_ms_per_order", {{"ferry", ferry_ms}, {"postgresql", db_ms}}}}}};
  std::cout << result.dump() << std::endl;
  return 0;
}
