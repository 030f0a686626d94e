// The shop connector against ferry-sim-shop as a process over TLS: every
// call of the contract, every error class, token expiry mid-batch and a
// 429 storm under the Redis budget, measured from the simulator's side.
#include "actors/message_types.hpp"
#include "actors/shop_connector.hpp"
#include "protocols/http/client.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/test_env.hpp"

#include <atomic>
#include <caf/all.hpp>
#include <gtest/gtest.h>
#include <mutex>
#include <prometheus/registry.h>
#include <random>
#include <thread>

using namespace ferry;
using namespace std::chrono_literals;
using json = nlohmann::json;

namespace {

/// ferry-sim-shop in a process of its own, with its admin API.
class shop_sim {
public:
  explicit shop_sim(std::vector<std::string> extra = {}) {
    std::vector<std::string> argv{FERRY_SIM_SHOP_BIN,
                                  "--data-dir",
                                  dir_.path(),
                                  "--seed-products",
                                  "20",
                                  "--sources",
                                  "2",
                                  "--client-secret",
                                  "right-secret"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    process_ = std::make_unique<test::child_process>(argv);
    EXPECT_TRUE(test::wait_until(
        [&] {
          auto log = process_->log();
          auto at = log.find("{\"admin_port\"");
          auto end = at == std::string::npos ? at : log.find('\n', at);
          if (end == std::string::npos)
            return false;
          auto j = json::parse(log.substr(at, end - at));
          https_port = j["https_port"];
          admin_port = j["admin_port"];
          ca_file = j["ca_file"];
          return true;
        },
        60s))
        << process_->log();
  }

  json admin(const std::string& method, const std::string& path,
             const json& body = nullptr) {
    http::client_request r;
    r.method = method;
    r.url = "http://127.0.0.1:" + std::to_string(admin_port) + path;
    if (!body.is_null())
      r.body = body.dump();
    auto res = admin_client_.send(r);
    EXPECT_TRUE(res.response) << res.error_detail;
    return res.response ? json::parse(res.response->body) : json{};
  }

  shop_connector_settings settings(const std::string& secret = "right-secret") {
    shop_connector_settings s;
    s.base_url = "https://localhost:" + std::to_string(https_port);
    s.client_id = "ferry";
    s.client_secret = secret;
    s.ca_file = ca_file;
    s.call_timeout = 3000ms;
    s.backoff.initial = 20ms;
    s.backoff.max = 200ms;
    s.max_attempts = 3;
    return s;
  }

  int https_port = 0;
  int admin_port = 0;
  std::string ca_file;

private:
  test::temp_dir dir_;
  std::unique_ptr<test::child_process> process_;
  http::client admin_client_{http::client_settings{}};
};

struct actor_env {
  caf::actor_system_config cfg;
  // Before the system: connectors write their gauges until they stop, so
  // the registry must outlive the actor system.
  prometheus::Registry registry;
  std::unique_ptr<caf::actor_system> sys;

  actor_env() {
    register_message_types(cfg);
    sys = std::make_unique<caf::actor_system>(cfg);
  }
};

/// Sends `msg` and waits for the answer: the value or the shop error.
template <class R, class M>
std::pair<std::optional<R>, std::optional<shop_error>>
ask(caf::actor_system& sys, const shop_connector_actor& c, M msg) {
  caf::scoped_actor self{sys};
  std::pair<std::optional<R>, std::optional<shop_error>> out;
  self->request(c, caf::infinite, std::move(msg))
      .receive([&](R& r) { out.first = std::move(r); },
               [&](caf::error& e) {
                 out.second = shop_error_of(e);
                 if (!out.second)
                   out.second =
                       shop_error{shop_error_kind::transport, 0, sys.render(e)};
               });
  return out;
}

std::string kind_of(const std::optional<shop_error>& e) {
  return e ? to_string(e->kind) : "none";
}

} // namespace

TEST(shop_connector, every_call_and_every_error_class) {
  shop_sim sim{{"--rate", "1000", "--burst", "1000"}};
  actor_env env;
  auto c = spawn_shop_connector(*env.sys, sim.settings(), env.registry);

  auto got =
      ask<shop::shop_product>(*env.sys, c, shop_get_product{"SKU-00001"});
  ASSERT_TRUE(got.first) << kind_of(got.second);
  EXPECT_EQ(got.first->sku, "SKU-00001");

  shop::shop_product p;
  p.sku = "CON-1";
  p.name = "Connector product";
  p.price = money::from_minor(1999);
  p.weight = decimal::parse("0.5").value();
  auto put = ask<shop::shop_product>(*env.sys, c, shop_put_product{p});
  ASSERT_TRUE(put.first) << kind_of(put.second);
  EXPECT_EQ(put.first->price, money::from_minor(1999));

  auto missing = ask<shop::shop_product>(*env.sys, c, shop_get_product{"NOPE"});
  ASSERT_TRUE(missing.second);
  EXPECT_EQ(missing.second->kind, shop_error_kind::not_found);
  EXPECT_EQ(missing.second->message, "Product with SKU \"NOPE\" not found");

  auto nameless = p;
  nameless.name.clear();
  auto invalid =
      ask<shop::shop_product>(*env.sys, c, shop_put_product{nameless});
  ASSERT_TRUE(invalid.second);
  EXPECT_EQ(invalid.second->kind, shop_error_kind::validation);
  EXPECT_EQ(invalid.second->status, 400);

  // Bulk: 1100 products go out as 500 + 500 + 100, one bad item reported.
  shop_bulk_products bulk;
  for (int i = 0; i < 1100; ++i) {
    auto x = p;
    x.sku = "BULK-" + std::to_string(i);
    if (i == 700)
      x.name.clear();
    bulk.products.push_back(x);
  }
  auto bulk_r = ask<shop_bulk_results>(*env.sys, c, bulk);
  ASSERT_TRUE(bulk_r.first) << kind_of(bulk_r.second);
  ASSERT_EQ(bulk_r.first->results.size(), 1100u);
  EXPECT_EQ(bulk_r.first->results[0].status, "ok");
  EXPECT_EQ(bulk_r.first->results[700].sku, "BULK-700");
  EXPECT_EQ(bulk_r.first->results[700].status, "error");
  EXPECT_EQ(bulk_r.first->results[1099].status, "ok");

  auto page = ask<shop_product_page>(
      *env.sys, c, shop_list_products{"2000-01-01 00:00:00", 500, 1});
  ASSERT_TRUE(page.first) << kind_of(page.second);
  EXPECT_EQ(page.first->total_count, 20 + 1 + 1099);
  EXPECT_EQ(page.first->items.size(), 500u);

  // Customers.
  auto created = sim.admin("POST", "/admin/customers",
                           {{"email", "Con@Example.com"},
                            {"firstname", "Con"},
                            {"lastname", "Nector"}});
  std::int64_t cid = created["id"];
  auto found = ask<shop_customer_page>(
      *env.sys, c, shop_search_customers{"con@example.com"});
  ASSERT_TRUE(found.first);
  EXPECT_EQ(found.first->total_count, 1);
  shop_update_customer upd;
  upd.id = cid;
  upd.lastname = "Updated";
  upd.custom_attributes = {{"erp_customer_no", "C000123"}};
  auto updated = ask<shop::shop_customer>(*env.sys, c, upd);
  ASSERT_TRUE(updated.first) << kind_of(updated.second);
  EXPECT_EQ(updated.first->attribute("erp_customer_no"), "C000123");
  auto one = ask<shop::shop_customer>(*env.sys, c, shop_get_customer{cid});
  ASSERT_TRUE(one.first);
  EXPECT_EQ(one.first->lastname, "Updated");
  auto customers =
      ask<shop_customer_page>(*env.sys, c, shop_list_customers{"", 10, 1});
  ASSERT_TRUE(customers.first);
  EXPECT_GE(customers.first->total_count, 1);

  // Orders and their state machine.
  auto o = sim.admin(
      "POST", "/admin/orders",
      {{"customer_id", cid}, {"lines", {{{"sku", "CON-1"}, {"qty", 2}}}}});
  std::int64_t oid = o["entity_id"];
  auto order = ask<shop::shop_order>(*env.sys, c, shop_get_order{oid});
  ASSERT_TRUE(order.first) << kind_of(order.second);
  EXPECT_EQ(order.first->grand_total, money::from_minor(3998));
  auto orders = ask<shop_order_page>(*env.sys, c, shop_list_orders{"", 20, 1});
  ASSERT_TRUE(orders.first);
  EXPECT_EQ(orders.first->total_count, 1);
  EXPECT_TRUE(ask<bool>(*env.sys, c,
                        shop_comment_order{oid, "in ERP", "processing", false})
                  .first);
  EXPECT_TRUE(ask<bool>(*env.sys, c, shop_order_action{oid, "hold"}).first);
  auto conflict = ask<bool>(*env.sys, c, shop_order_action{oid, "cancel"});
  ASSERT_TRUE(conflict.second);
  EXPECT_EQ(conflict.second->kind, shop_error_kind::conflict);
  EXPECT_TRUE(ask<bool>(*env.sys, c, shop_order_action{oid, "unhold"}).first);
  EXPECT_TRUE(ask<bool>(*env.sys, c, shop_order_action{oid, "cancel"}).first);
  EXPECT_EQ(
      kind_of(ask<bool>(*env.sys, c, shop_order_action{oid, "ship"}).second),
      "validation");

  // Inventory.
  auto sources = ask<shop_source_list>(*env.sys, c, shop_get_sources{});
  ASSERT_TRUE(sources.first);
  EXPECT_EQ(sources.first->sources.size(), 2u);
  shop_set_source_items stock;
  stock.items.push_back({"CON-1", "us-east", decimal::from_int(12), 1});
  stock.items.push_back({"CON-1", "nowhere", decimal::from_int(1), 1});
  auto set = ask<shop_bulk_results>(*env.sys, c, stock);
  ASSERT_TRUE(set.first);
  EXPECT_EQ(set.first->results[0].status, "ok");
  EXPECT_EQ(set.first->results[1].status, "error");
  auto items =
      ask<shop_source_item_list>(*env.sys, c, shop_get_source_items{"CON-1"});
  ASSERT_TRUE(items.first);
  ASSERT_EQ(items.first->items.size(), 1u);
  EXPECT_EQ(items.first->items[0].quantity, decimal::from_int(12));
  EXPECT_TRUE(ask<bool>(*env.sys, c, shop_set_backorders{"CON-1", 1}).first);

  // 5xx: retried, then server_error.
  sim.admin("POST", "/admin/faults", {{"error_rate", 1}});
  auto broken =
      ask<shop::shop_product>(*env.sys, c, shop_get_product{"SKU-00001"});
  EXPECT_EQ(kind_of(broken.second), "server_error");
  sim.admin("POST", "/admin/faults", {{"error_rate", 0}});

  // A comment whose answer is lost is not repeated: outcome_unknown.
  auto slow_settings = sim.settings();
  slow_settings.call_timeout = 500ms;
  auto slow = spawn_shop_connector(*env.sys, slow_settings, env.registry);
  ASSERT_TRUE(
      ask<shop::shop_product>(*env.sys, slow, shop_get_product{"SKU-00001"})
          .first);
  sim.admin("POST", "/admin/faults", {{"latency_ms", 1500}});
  auto lost =
      ask<bool>(*env.sys, slow, shop_comment_order{oid, "late", "", false});
  EXPECT_EQ(kind_of(lost.second), "outcome_unknown");
  sim.admin("POST", "/admin/faults", {{"latency_ms", 0}});

  // Bad credentials: unauthorized; nothing listens: transport.
  auto wrong =
      spawn_shop_connector(*env.sys, sim.settings("wrong"), env.registry);
  EXPECT_EQ(kind_of(ask<shop::shop_product>(*env.sys, wrong,
                                            shop_get_product{"SKU-00001"})
                        .second),
            "unauthorized");
  auto nowhere_settings = sim.settings();
  nowhere_settings.base_url =
      "https://localhost:" + std::to_string(test::free_port());
  auto nowhere = spawn_shop_connector(*env.sys, nowhere_settings, env.registry);
  auto refused =
      ask<shop::shop_product>(*env.sys, nowhere, shop_get_product{"SKU-00001"});
  ASSERT_TRUE(refused.second);
  EXPECT_TRUE(refused.second->kind == shop_error_kind::transport ||
              refused.second->kind == shop_error_kind::unavailable)
      << kind_of(refused.second) << " " << refused.second->message;
  for (auto* a : {&c, &slow, &wrong, &nowhere})
    caf::anon_send_exit(*a, caf::exit_reason::user_shutdown);
}

/// Runs `calls` gets spread over `threads` threads, each waiting for its
/// answers; returns {answered, failed} and collects the failures' text.
std::pair<int, int> parallel_gets(caf::actor_system& sys,
                                  std::vector<shop_connector_actor> targets,
                                  int threads, int calls, std::string& errors) {
  std::atomic<int> ok{0}, failed{0};
  std::mutex m;
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([&, t] {
      caf::scoped_actor self{sys};
      for (int i = t; i < calls; i += threads) {
        auto& target = targets[static_cast<std::size_t>(i) % targets.size()];
        self->request(target, caf::infinite,
                      shop_get_product{"SKU-0000" + std::to_string(1 + i % 9)})
            .receive([&](shop::shop_product&) { ++ok; },
                     [&](caf::error& e) {
                       ++failed;
                       std::lock_guard<std::mutex> guard{m};
                       errors += sys.render(e) + "\n";
                     });
      }
    });
  for (auto& th : pool)
    th.join();
  return {ok.load(), failed.load()};
}

TEST(shop_connector, token_expiry_mid_batch_costs_one_fetch_and_no_call) {
  shop_sim sim{{"--rate", "1000", "--burst", "1000"}};
  actor_env env;
  auto c = spawn_shop_connector(*env.sys, sim.settings(), env.registry);
  std::string errors;
  EXPECT_EQ(parallel_gets(*env.sys, {c}, 6, 30, errors), std::make_pair(30, 0))
      << errors;
  EXPECT_EQ(sim.admin("GET", "/admin/tokens")["issued"]["ferry"], 1);
  // The token ends while a batch is under way: calls in flight meet the
  // 401 at once, exactly one new token is fetched, and no call fails.
  auto requests_seen = [&] {
    int total = 0;
    auto rate = sim.admin("GET", "/admin/rate?client=ferry");
    for (auto& x : rate["seconds"])
      total += x["count"].get<int>();
    return total;
  };
  auto before = requests_seen();
  std::thread expire{[&] {
    EXPECT_TRUE(test::wait_until([&] { return requests_seen() >= before + 20; },
                                 60s, 5ms));
    sim.admin("POST", "/admin/tokens/expire");
  }};
  auto result = parallel_gets(*env.sys, {c}, 8, 200, errors);
  expire.join();
  EXPECT_EQ(result, std::make_pair(200, 0)) << errors;
  // A second token exists only if calls met the expired one mid-batch.
  EXPECT_EQ(sim.admin("GET", "/admin/tokens")["issued"]["ferry"], 2);
  caf::anon_send_exit(c, caf::exit_reason::user_shutdown);
}

TEST(shop_connector, storm_of_429_completes_under_the_shared_budget) {
  shop_sim sim;
  actor_env env;
  auto settings = sim.settings();
  settings.redis_host = test::redis_host();
  settings.redis_port = test::redis_port();
  std::random_device rd;
  settings.rate_key = "test:shop_connector:" + std::to_string(rd());
  // Any wall-clock second then sees at most 1 + 15 grants, whatever the
  // phase of the seconds; in-flight jitter stays well under the shop's 20.
  settings.rate_per_second = 15;
  settings.rate_burst = 1;
  // Two connectors: two nodes of a cluster sharing one budget.
  auto a = spawn_shop_connector(*env.sys, settings, env.registry);
  auto b = spawn_shop_connector(*env.sys, settings, env.registry);
  sim.admin("POST", "/admin/rate", {{"reset_counts", true}});
  sim.admin(
      "POST", "/admin/faults",
      {{"storm_seconds", 2}, {"storm_share", 0.7}, {"storm_retry_after", 1}});
  std::string errors;
  auto result = parallel_gets(*env.sys, {a, b}, 10, 100, errors);
  EXPECT_EQ(result, std::make_pair(100, 0)) << errors;
  auto rate = sim.admin("GET", "/admin/rate?client=ferry");
  // The shop's limit is 20 requests per second (burst 40).
  EXPECT_LE(rate["peak_per_second"].get<int>(), 20) << rate.dump();
  int total = 0;
  for (auto& s : rate["seconds"])
    total += s["count"].get<int>();
  EXPECT_GT(total, 100); // the storm's 429s were really met and retried
  for (auto* x : {&a, &b})
    caf::anon_send_exit(*x, caf::exit_reason::user_shutdown);
}

namespace {

/// ferry-sim-shop --variant N: the readings of what the contract leaves
/// open (README.md of the simulator, docs/contract-readings-shop.md).
class shop_connector_variant : public ::testing::TestWithParam<int> {};

bool has_non_ascii(const std::string& s) {
  for (unsigned char ch : s)
    if (ch >= 0x80)
      return true;
  return false;
}

} // namespace

// Whatever the variant, every call works: extra fields are ignored,
// non-ASCII text arrives byte for byte, and the stock call's answer (true,
// the stock object, {}, an empty 200 or 204) is success.
TEST_P(shop_connector_variant, every_reading_of_the_contract_is_understood) {
  auto variant = GetParam();
  shop_sim sim{{"--rate", "1000", "--burst", "1000", "--seed-customers", "6",
                "--variant", std::to_string(variant)}};
  actor_env env;
  auto c = spawn_shop_connector(*env.sys, sim.settings(), env.registry);

  auto products =
      ask<shop_product_page>(*env.sys, c, shop_list_products{"", 500, 1});
  ASSERT_TRUE(products.first)
      << kind_of(products.second) << " "
      << (products.second ? products.second->message : "");
  ASSERT_EQ(products.first->items.size(), 20u);
  for (const auto& p : products.first->items) {
    auto as_admin = sim.admin("GET", "/admin/products/" + p.sku);
    EXPECT_EQ(p.name, as_admin["name"].get<std::string>());
    EXPECT_EQ(p.description, as_admin["description"].get<std::string>());
    EXPECT_EQ(has_non_ascii(p.name), variant != 0) << p.name;
  }
  auto one =
      ask<shop::shop_product>(*env.sys, c, shop_get_product{"SKU-00001"});
  ASSERT_TRUE(one.first) << kind_of(one.second);

  auto customers =
      ask<shop_customer_page>(*env.sys, c, shop_list_customers{"", 10, 1});
  ASSERT_TRUE(customers.first) << kind_of(customers.second);
  ASSERT_EQ(customers.first->items.size(), 6u);
  bool any_non_ascii = false;
  for (const auto& x : customers.first->items) {
    auto got = ask<shop::shop_customer>(*env.sys, c, shop_get_customer{x.id});
    ASSERT_TRUE(got.first) << kind_of(got.second);
    EXPECT_EQ(got.first->firstname, x.firstname);
    EXPECT_EQ(got.first->lastname, x.lastname);
    any_non_ascii = any_non_ascii || has_non_ascii(x.firstname + x.lastname);
    auto found =
        ask<shop_customer_page>(*env.sys, c, shop_search_customers{x.email});
    ASSERT_TRUE(found.first) << kind_of(found.second);
    EXPECT_EQ(found.first->total_count, 1);
  }
  EXPECT_EQ(any_non_ascii, variant != 0);
  shop_update_customer upd;
  upd.id = customers.first->items[0].id;
  upd.lastname = "Ødegård-李";
  auto updated = ask<shop::shop_customer>(*env.sys, c, upd);
  ASSERT_TRUE(updated.first) << kind_of(updated.second);
  EXPECT_EQ(updated.first->lastname, "Ødegård-李");

  auto o = sim.admin("POST", "/admin/orders",
                     {{"customer_id", customers.first->items[0].id},
                      {"lines", {{{"sku", "SKU-00001"}, {"qty", 2}}}}});
  ASSERT_TRUE(o.contains("entity_id")) << o.dump();
  auto order = ask<shop::shop_order>(
      *env.sys, c, shop_get_order{o["entity_id"].get<std::int64_t>()});
  ASSERT_TRUE(order.first) << kind_of(order.second);
  ASSERT_EQ(order.first->items.size(), 1u);
  EXPECT_EQ(order.first->items[0].name, one.first->name);
  auto orders = ask<shop_order_page>(*env.sys, c, shop_list_orders{"", 10, 1});
  ASSERT_TRUE(orders.first) << kind_of(orders.second);
  EXPECT_EQ(orders.first->items.size(), 1u);

  for (int value : {1, 0, 1}) {
    auto set = ask<bool>(*env.sys, c, shop_set_backorders{"SKU-00002", value});
    ASSERT_TRUE(set.first) << kind_of(set.second) << " "
                           << (set.second ? set.second->message : "");
    EXPECT_EQ(sim.admin("GET", "/admin/products/SKU-00002")["backorders"],
              value);
  }
  auto refused = ask<bool>(*env.sys, c, shop_set_backorders{"NOPE", 1});
  ASSERT_TRUE(refused.second);
  EXPECT_EQ(refused.second->kind, shop_error_kind::not_found);
}

INSTANTIATE_TEST_SUITE_P(shop_variants, shop_connector_variant,
                         ::testing::Values(0, 1, 2, 3, 4),
                         [](const ::testing::TestParamInfo<int>& info) {
                           return "variant_" + std::to_string(info.param);
                         });
