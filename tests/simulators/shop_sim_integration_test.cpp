// ferry-sim-shop as a process over TLS, driven with a plain HTTPS client:
// the contract's calls and error classes, OAuth, the rate limit, webhooks
// with their signature and fault knobs, and durability across a restart.
#include "mapping/shop_types.hpp"
#include "protocols/http/client.hpp"
#include "protocols/http/codec.hpp"
#include "protocols/http/server.hpp"
#include "protocols/webhook_signature.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/test_env.hpp"

#include <atomic>
#include <fstream>
#include <gtest/gtest.h>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>

using namespace ferry;
using namespace std::chrono_literals;
using json = nlohmann::json;

namespace {

/// A running simulator and a client that trusts its CA.
class sim_process {
public:
  explicit sim_process(const std::string& data_dir,
                       std::vector<std::string> extra = {}) {
    std::vector<std::string> argv{
        FERRY_SIM_SHOP_BIN, "--data-dir", data_dir,    "--seed", "7",
        "--seed-products",  "30",         "--sources", "2"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    process_ = std::make_unique<test::child_process>(argv);
    EXPECT_TRUE(test::wait_until(
        [&] {
          auto log = process_->log();
          auto at = log.find("{\"admin_port\"");
          if (at == std::string::npos)
            return false;
          auto end = log.find('\n', at);
          if (end == std::string::npos)
            return false;
          auto j = json::parse(log.substr(at, end - at));
          https_port_ = j["https_port"];
          admin_port_ = j["admin_port"];
          ca_file_ = j["ca_file"];
          return true;
        },
        60s))
        << process_->log();
    http::client_settings cs;
    cs.ca_file = ca_file_;
    client_ = std::make_unique<http::client>(cs);
    http::client_settings plain;
    admin_client_ = std::make_unique<http::client>(plain);
  }

  std::string url(const std::string& path) const {
    return "https://localhost:" + std::to_string(https_port_) + path;
  }

  http::client_result call(const std::string& method, const std::string& path,
                           const std::string& body = "",
                           std::optional<std::string> token = std::nullopt) {
    http::client_request r;
    r.method = method;
    r.url = url("/rest/V1" + path);
    r.body = body;
    if (!body.empty())
      r.headers.set("Content-Type", "application/json");
    auto t = token ? *token : token_;
    if (!t.empty())
      r.headers.set("Authorization", "Bearer " + t);
    return client_->send(r);
  }

  http::response token(const std::string& secret = "ferry-secret") {
    http::client_request r;
    r.method = "POST";
    r.url = url("/oauth/token");
    r.headers.set("Content-Type", "application/x-www-form-urlencoded");
    r.body = http::form_encode({{"grant_type", "client_credentials"},
                                {"client_id", "ferry"},
                                {"client_secret", secret}});
    auto res = client_->send(r);
    EXPECT_TRUE(res.response) << res.error_detail;
    return res.response.value_or(http::response{});
  }

  void login() {
    auto r = token();
    ASSERT_EQ(r.status, 200) << r.body;
    token_ = json::parse(r.body)["access_token"];
  }

  json admin(const std::string& method, const std::string& path,
             const json& body = nullptr) {
    http::client_request r;
    r.method = method;
    r.url = "http://127.0.0.1:" + std::to_string(admin_port_) + path;
    if (!body.is_null()) {
      r.body = shop::dump_exact(body);
      r.headers.set("Content-Type", "application/json");
    }
    auto res = admin_client_->send(r);
    EXPECT_TRUE(res.response) << res.error_detail;
    if (!res.response)
      return nullptr;
    EXPECT_EQ(res.response->status, 200) << path << " " << res.response->body;
    return json::parse(res.response->body);
  }

  test::child_process& process() { return *process_; }

private:
  std::unique_ptr<test::child_process> process_;
  std::unique_ptr<http::client> client_;
  std::unique_ptr<http::client> admin_client_;
  int https_port_ = 0;
  int admin_port_ = 0;
  std::string ca_file_;
  std::string token_;
};

json body_of(const http::client_result& r) {
  EXPECT_TRUE(r.response) << r.error_detail;
  if (!r.response)
    return nullptr;
  return json::parse(r.response->body);
}

int status_of(const http::client_result& r) {
  EXPECT_TRUE(r.response) << r.error_detail;
  return r.response ? r.response->status : -1;
}

} // namespace

TEST(shop_sim, oauth_token_endpoint_follows_the_contract) {
  test::temp_dir dir;
  sim_process sim{dir.path()};
  auto bad = sim.token("wrong");
  EXPECT_EQ(bad.status, 401);
  EXPECT_EQ(json::parse(bad.body)["error"], "invalid_client");
  auto ok = sim.token();
  ASSERT_EQ(ok.status, 200);
  EXPECT_EQ(ok.headers.get("Cache-Control"), "no-store");
  auto j = json::parse(ok.body);
  EXPECT_EQ(j["token_type"], "Bearer");
  EXPECT_EQ(j["expires_in"], 3600);

  auto none = sim.call("GET", "/products/SKU-00001", "", std::string{});
  EXPECT_EQ(status_of(none), 401);
  EXPECT_EQ(none.response->headers.get("WWW-Authenticate"),
            "Bearer realm=\"shop\"");
  auto forged = sim.call("GET", "/products/SKU-00001", "", "nope");
  EXPECT_EQ(status_of(forged), 401);
  EXPECT_EQ(forged.response->headers.get("WWW-Authenticate"),
            "Bearer error=\"invalid_token\"");
  auto good = sim.call("GET", "/products/SKU-00001", "",
                       j["access_token"].get<std::string>());
  EXPECT_EQ(status_of(good), 200);
  EXPECT_EQ(good.response->headers.get("X-RateLimit-Limit"), "40");
  sim.admin("POST", "/admin/tokens/expire");
  EXPECT_EQ(status_of(sim.call("GET", "/products/SKU-00001", "",
                               j["access_token"].get<std::string>())),
            401);
  EXPECT_EQ(sim.admin("GET", "/admin/tokens")["issued"]["ferry"], 1);
}

TEST(shop_sim, products_customers_orders_and_stock_over_tls) {
  test::temp_dir dir;
  sim_process sim{dir.path()};
  sim.login();
  // Products: put, get, list since, bulk with a bad item, 404, 400.
  auto put = sim.call("PUT", "/products/NEW-1",
                      R"({"product":{"sku":"NEW-1","name":"New","price":19.90,
                          "weight":1.5,"status":1,"description":"d"}})");
  ASSERT_EQ(status_of(put), 200) << put.response->body;
  auto p = shop::product_from_json(*shop::parse_exact(put.response->body));
  ASSERT_TRUE(p) << p.error;
  EXPECT_EQ(p->price, money::from_minor(1990));
  EXPECT_NE(put.response->body.find("\"price\":19.90"), std::string::npos);
  auto got = sim.call("GET", "/products/NEW-1");
  EXPECT_EQ(body_of(got)["name"], "New");
  auto missing = sim.call("GET", "/products/NOPE");
  EXPECT_EQ(status_of(missing), 404);
  EXPECT_EQ(shop::error_message_from_body(missing.response->body),
            "Product with SKU \"NOPE\" not found");
  auto invalid = sim.call("PUT", "/products/NEW-2",
                          R"({"product":{"name":"x","price":"cheap"}})");
  EXPECT_EQ(status_of(invalid), 400);
  EXPECT_NE(shop::error_message_from_body(invalid.response->body)
                .find("product.price"),
            std::string::npos);
  EXPECT_EQ(status_of(sim.call("PUT", "/products/NEW-2", "{broken")), 400);
  auto bulk = sim.call("POST", "/products/bulk",
                       R"({"products":[{"sku":"B-1","name":"b","price":1},
                                       {"sku":"B-2","price":1}]})");
  auto results = body_of(bulk)["results"];
  EXPECT_EQ(results[0]["status"], "ok");
  EXPECT_EQ(results[1]["status"], "error");
  EXPECT_EQ(results[1]["message"], "product.name: missing");
  auto list = body_of(sim.call("GET", "/products?page_size=500"));
  EXPECT_EQ(list["total_count"], 32); // 30 seeded, NEW-1, B-1
  auto since = body_of(sim.call(
      "GET", "/products?updated_since=2999-01-01%2000:00:00&page_size=5"));
  EXPECT_EQ(since["total_count"], 0);
  EXPECT_EQ(status_of(sim.call("GET", "/products?page_size=501")), 400);
  EXPECT_EQ(status_of(sim.call("GET", "/products?updated_since=yesterday")),
            400);
  EXPECT_EQ(
      body_of(sim.call("PUT", "/products/NEW-1/stock", R"({"backorders":1})")),
      true);

  // Customers: search case-insensitively, partial update, email fixed.
  auto c = sim.admin("POST", "/admin/customers",
                     {{"email", "Zed@Example.com"},
                      {"firstname", "Zed"},
                      {"lastname", "Ray"}});
  auto id = c["id"].get<int>();
  auto found =
      body_of(sim.call("GET", "/customers/search?email=zed%40example.com"));
  EXPECT_EQ(found["total_count"], 1);
  auto upd = sim.call("PUT", "/customers/" + std::to_string(id),
                      R"({"customer":{"lastname":"Roy","custom_attributes":[
                         {"attribute_code":"erp_customer_no","value":"C9"}]}})");
  EXPECT_EQ(body_of(upd)["lastname"], "Roy");
  EXPECT_EQ(status_of(sim.call("PUT", "/customers/" + std::to_string(id),
                               R"({"customer":{"email":"x@y.z"}})")),
            400);
  EXPECT_EQ(status_of(sim.call("GET", "/customers/999999")), 404);
  EXPECT_GE(body_of(sim.call("GET", "/customers?page_size=100"))["total_count"],
            1);

  // Orders: the state machine through the API.
  auto o = sim.admin("POST", "/admin/orders",
                     {{"customer_id", id},
                      {"lines", {{{"sku", "NEW-1"}, {"qty", 3}}}},
                      {"shipping_amount", shop::exact_number("12.40")}});
  auto oid = std::to_string(o["entity_id"].get<int>());
  auto order = sim.call("GET", "/orders/" + oid);
  auto parsed = shop::order_from_json(*shop::parse_exact(order.response->body));
  ASSERT_TRUE(parsed) << parsed.error;
  EXPECT_EQ(parsed->grand_total, money::from_minor(5970 + 1240));
  EXPECT_EQ(status_of(sim.call("POST", "/orders/" + oid + "/comments",
                               R"({"statusHistory":{"comment":"in ERP",
                                  "status":"processing","is_customer_notified":0}})")),
            200);
  EXPECT_EQ(status_of(sim.call("POST", "/orders/" + oid + "/hold")), 200);
  EXPECT_EQ(status_of(sim.call("POST", "/orders/" + oid + "/cancel")), 409);
  EXPECT_EQ(status_of(sim.call("POST", "/orders/" + oid + "/unhold")), 200);
  EXPECT_EQ(body_of(sim.call("GET", "/orders/" + oid))["status"], "processing");
  EXPECT_EQ(status_of(sim.call("POST", "/orders/" + oid + "/cancel")), 200);
  EXPECT_EQ(status_of(sim.call("GET", "/orders/424242")), 404);
  EXPECT_EQ(
      body_of(sim.call(
          "GET", "/orders?created_since=2000-01-01%2000:00:00"))["total_count"],
      1);

  // Inventory.
  EXPECT_EQ(body_of(sim.call("GET", "/inventory/sources"))["total_count"], 2);
  auto set = body_of(sim.call("POST", "/inventory/source-items",
                              R"({"sourceItems":[
    {"sku":"NEW-1","source_code":"us-east","quantity":12,"status":1},
    {"sku":"NEW-1","source_code":"nowhere","quantity":1,"status":1}]})"));
  EXPECT_EQ(set["results"][0]["status"], "ok");
  EXPECT_EQ(set["results"][1]["status"], "error");
  auto items = body_of(sim.call("GET", "/inventory/source-items?sku=NEW-1"));
  ASSERT_EQ(items["total_count"], 1);
  EXPECT_EQ(items["items"][0]["quantity"], 12);
}

TEST(shop_sim, rate_limit_storm_and_error_knobs) {
  test::temp_dir dir;
  sim_process sim{dir.path(), {"--rate", "5", "--burst", "3"}};
  sim.login();
  int ok = 0, limited = 0;
  std::optional<std::string> retry_after;
  for (int i = 0; i < 8; ++i) {
    auto r = sim.call("GET", "/inventory/sources");
    auto s = status_of(r);
    ok += s == 200;
    if (s == 429) {
      ++limited;
      retry_after = r.response->headers.get("Retry-After");
    }
  }
  EXPECT_GE(ok, 3);
  EXPECT_GE(limited, 1);
  EXPECT_EQ(retry_after, "1");
  auto rate = sim.admin("GET", "/admin/rate?client=ferry");
  EXPECT_GE(rate["peak_per_second"].get<int>(), 1);

  sim.admin("POST", "/admin/rate", {{"rate_per_second", 100}, {"burst", 100}});
  sim.admin("POST", "/admin/faults",
            {{"storm_seconds", 30}, {"storm_retry_after", 2}});
  auto storm = sim.call("GET", "/inventory/sources");
  EXPECT_EQ(status_of(storm), 429);
  EXPECT_EQ(storm.response->headers.get("Retry-After"), "2");
  sim.admin("POST", "/admin/faults", {{"storm_seconds", 0}, {"error_rate", 1}});
  EXPECT_EQ(status_of(sim.call("GET", "/inventory/sources")), 500);
  sim.admin("POST", "/admin/faults", {{"error_rate", 0}, {"latency_ms", 300}});
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(status_of(sim.call("GET", "/inventory/sources")), 200);
  EXPECT_GE(std::chrono::steady_clock::now() - start, 300ms);
}

TEST(shop_sim, calls_are_counted_per_route_and_client) {
  test::temp_dir dir;
  sim_process sim{dir.path(), {"--rate", "100", "--burst", "3"}};
  sim.login();
  EXPECT_EQ(status_of(sim.call("GET", "/customers/1")), 200);
  EXPECT_EQ(status_of(sim.call("GET", "/customers/2")), 200);
  EXPECT_EQ(status_of(sim.call("PUT", "/customers/1",
                               R"({"customer":{"custom_attributes":[{)"
                               R"("attribute_code":"erp_customer_no",)"
                               R"("value":"C1"}]}})")),
            200);
  // The bucket (burst 3) is empty: this one is refused with 429.
  EXPECT_EQ(status_of(sim.call("GET", "/products/SKU-00001")), 429);
  auto calls = sim.admin("GET", "/admin/calls?client=ferry");
  EXPECT_EQ(calls["total"], 3);
  EXPECT_EQ(calls["routes"],
            (json{{"GET /customers/{id}", 2}, {"PUT /customers/{id}", 1}}));
  EXPECT_EQ(calls["rate_limited"], (json{{"GET /products/{sku}", 1}}));
  sim.admin("POST", "/admin/rate", {{"reset_counts", true}});
  EXPECT_EQ(sim.admin("GET", "/admin/calls")["total"], 0);
}

TEST(shop_sim, webhooks_are_signed_retried_and_faulted_by_share) {
  // A receiver of the test's own: fails its first request, then accepts.
  std::mutex m;
  std::vector<http::request> received;
  std::atomic<int> calls{0};
  http::router r;
  r.add("POST", "/hooks", [&](http::request&& req, http::respond_fn respond) {
    if (calls++ == 0) {
      respond(http::response::text(500, "not yet"));
      return;
    }
    std::lock_guard<std::mutex> guard{m};
    received.push_back(req);
    respond(http::response::text(200, "ok"));
  });
  http::server_settings ss;
  ss.tls = false;
  http::server receiver{ss, std::move(r)};
  auto port = receiver.start();

  test::temp_dir dir;
  sim_process sim{
      dir.path(),
      {"--webhook-url", "http://127.0.0.1:" + std::to_string(port) + "/hooks",
       "--webhook-secret", "s3cret", "--webhook-time-scale", "0.01"}};
  sim.login();
  ASSERT_EQ(status_of(sim.call("PUT", "/products/H-1",
                               R"({"product":{"name":"h","price":1}})")),
            200);
  // The first delivery fails; the retry 0.6 s later (60 s × 0.01) succeeds.
  ASSERT_TRUE(test::wait_until([&] {
    std::lock_guard<std::mutex> guard{m};
    return !received.empty();
  }));
  {
    std::lock_guard<std::mutex> guard{m};
    auto& w = received.front();
    EXPECT_EQ(w.headers.get("X-Shop-Topic"), "products/update");
    EXPECT_TRUE(webhook::verify(w.body, *w.headers.get("X-Shop-Hmac-Sha256"),
                                {"s3cret"}));
    EXPECT_EQ(json::parse(w.body)["sku"], "H-1");
    EXPECT_TRUE(w.headers.get("X-Shop-Event-Id"));
  }
  auto events = sim.admin("GET", "/admin/webhooks");
  EXPECT_EQ(events["events"][0]["fate"], "delivered");
  EXPECT_EQ(events["events"][0]["attempts"], 2);

  // Loss and duplication by share: lost events never arrive, duplicates
  // arrive twice with one event id.
  sim.admin("POST", "/admin/faults",
            {{"webhook_loss", 0.2}, {"webhook_duplicate", 0.2}});
  for (int i = 0; i < 40; ++i)
    sim.admin("POST", "/admin/customers",
              {{"email", "w" + std::to_string(i) + "@example.com"},
               {"firstname", "W"},
               {"lastname", "H"}});
  std::set<std::string> lost, dup, sent;
  auto all_events = sim.admin("GET", "/admin/webhooks");
  for (auto& e : all_events["events"]) {
    if (e["topic"] != "customers/create")
      continue;
    if (e["fate"] == "lost")
      lost.insert(e["event_id"].get<std::string>());
    else
      sent.insert(e["event_id"].get<std::string>());
    if (e["copies"] == 2 && e["fate"] != "lost")
      dup.insert(e["event_id"].get<std::string>());
  }
  EXPECT_FALSE(lost.empty());
  EXPECT_FALSE(dup.empty());
  auto expected = sent.size() + dup.size();
  ASSERT_TRUE(test::wait_until([&] {
    std::lock_guard<std::mutex> guard{m};
    std::size_t n = 0;
    for (auto& w : received)
      n += w.headers.get("X-Shop-Topic") == "customers/create";
    return n >= expected;
  }));
  std::lock_guard<std::mutex> guard{m};
  std::map<std::string, int> seen;
  for (auto& w : received)
    if (w.headers.get("X-Shop-Topic") == "customers/create")
      ++seen[*w.headers.get("X-Shop-Event-Id")];
  for (auto& id : lost)
    EXPECT_EQ(seen.count(id), 0u);
  for (auto& id : dup)
    EXPECT_EQ(seen[id], 2);
  EXPECT_EQ(seen.size(), sent.size());
  receiver.stop();
}

TEST(shop_sim, paused_webhooks_wait_and_then_all_go_out) {
  std::atomic<int> received{0};
  http::router r;
  r.add("POST", "/hooks", [&](http::request&&, http::respond_fn respond) {
    ++received;
    respond(http::response::text(200, "ok"));
  });
  http::server_settings ss;
  ss.tls = false;
  http::server receiver{ss, std::move(r)};
  auto port = receiver.start();
  test::temp_dir dir;
  sim_process sim{
      dir.path(),
      {"--webhook-url", "http://127.0.0.1:" + std::to_string(port) + "/hooks"}};
  sim.admin("POST", "/admin/webhooks", {{"paused", true}});
  EXPECT_EQ(sim.admin("GET", "/admin/webhooks")["paused"], true);
  for (int i = 0; i < 3; ++i)
    sim.admin("POST", "/admin/customers",
              {{"email", "p" + std::to_string(i) + "@example.com"},
               {"firstname", "P"},
               {"lastname", "W"}});
  // Held: none arrives while paused (a bounded look, not a sleep).
  EXPECT_FALSE(test::wait_until([&] { return received > 0; },
                                std::chrono::milliseconds(500)));
  for (auto& e : sim.admin("GET", "/admin/webhooks")["events"])
    EXPECT_EQ(e["fate"], "pending");
  sim.admin("POST", "/admin/webhooks", {{"paused", false}});
  EXPECT_TRUE(test::wait_until([&] { return received == 3; }));
  receiver.stop();
}

/// Writes a product, an order, a hold and a comment, kills the simulator
/// with SIGKILL and checks that a restart on the same folder has them all.
void survives_a_kill(const std::vector<std::string>& flags) {
  test::temp_dir dir;
  std::string oid;
  {
    sim_process sim{dir.path(), flags};
    sim.login();
    ASSERT_EQ(status_of(sim.call("PUT", "/products/KEEP-1",
                                 R"({"product":{"name":"k","price":2.50}})")),
              200);
    auto o = sim.admin("POST", "/admin/orders",
                       {{"guest_email", "g@example.org"},
                        {"lines", {{{"sku", "KEEP-1"}, {"qty", 2}}}}});
    oid = std::to_string(o["entity_id"].get<int>());
    ASSERT_EQ(status_of(sim.call("POST", "/orders/" + oid + "/hold")), 200);
    ASSERT_EQ(status_of(sim.call("POST", "/orders/" + oid + "/comments",
                                 R"({"statusHistory":{"comment":"kept"}})")),
              200);
    sim.process().signal(SIGKILL);
    sim.process().wait(10);
  }
  sim_process again{dir.path(), flags};
  again.login();
  EXPECT_EQ(body_of(again.call("GET", "/products/KEEP-1"))["price"], 2.5);
  auto order = body_of(again.call("GET", "/orders/" + oid));
  EXPECT_EQ(order["status"], "holded");
  EXPECT_EQ(order["customer_id"], nullptr);
  ASSERT_FALSE(order["status_histories"].empty());
  EXPECT_EQ(order["status_histories"].back()["comment"], "kept");
  EXPECT_EQ(body_of(again.call("GET", "/products?page_size=1"))["total_count"],
            31);
}

TEST(shop_sim, state_survives_a_restart) {
  survives_a_kill({});
}

// Without fdatasync the journal is still written before the answer: only a
// crash of the machine, not of the process, could lose a change.
TEST(shop_sim, without_fsync_a_killed_process_loses_nothing) {
  survives_a_kill({"--no-fsync"});
}

TEST(shop_sim, traffic_generator_places_orders_from_what_it_holds) {
  test::temp_dir dir;
  sim_process sim{dir.path(),
                  {"--traffic", "on", "--orders-per-second", "20",
                   "--customers-per-second", "5", "--high-value-share", "0.5",
                   "--approval-threshold", "1000.00"}};
  ASSERT_TRUE(test::wait_until(
      [&] { return sim.admin("GET", "/admin/traffic")["orders"] >= 20; }));
  sim.admin("POST", "/admin/traffic", {{"enabled", false}});
  auto orders = sim.admin("GET", "/admin/orders")["items"];
  int high = 0;
  for (auto& o : orders) {
    auto parsed = shop::order_from_json(*shop::parse_exact(o.dump()));
    ASSERT_TRUE(parsed) << parsed.error;
    high += parsed->grand_total > money::from_minor(100000);
    for (auto& item : parsed->items)
      EXPECT_EQ(item.sku.rfind("SKU-", 0), 0u);
  }
  EXPECT_GT(high, 0);
  EXPECT_LT(high, static_cast<int>(orders.size()));
}
