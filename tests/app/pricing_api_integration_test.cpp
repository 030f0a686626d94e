// Customer-specific pricing end to end: `ferry run` as separate processes
// against ferry-sim-erp, a scratch database and a Redis of the test's own,
// asked over HTTPS with OAuth tokens. Covers the API's answers and errors,
// auth, the cache header, invalidation across two Ferry processes sharing
// Redis, and Redis killed mid-run.

#include "persistence/redis_client.hpp"
#include "protocols/http/client.hpp"
#include "protocols/oauth/token_issuer.hpp"
#include "protocols/tls.hpp"
#include "tests/protocols/erp_sim_fixture.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/services.hpp"
#include "tests/support/test_env.hpp"

#include <fstream>
#include <gtest/gtest.h>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

using namespace std::chrono_literals;
using nlohmann::json;

namespace ferry {
namespace {

const std::string reader_secret = "pricing-test-reader-secret";
const std::string other_secret = "pricing-test-orders-secret";

struct answer {
  int status = 0;
  json body;
  std::string cache; // X-Cache
  std::string raw;
};

// One `ferry run` process with its own ports and config.
class ferry_node {
public:
  ferry_node(const std::string& name, const std::string& db_url, int redis_port,
             const test::erp_simulator& erp)
      : api_port_(test::free_port()), ops_port_(test::free_port()) {
    auto path = dir_.path() + "/ferry.yaml";
    std::ofstream(path) << "node:\n  id: " << name
                        << "\n  data_dir: " << dir_.path() << "/data\n"
                        << "ops:\n  listen: 127.0.0.1:" << ops_port_ << "\n"
                        << "api:\n  listen: 127.0.0.1:" << api_port_ << "\n"
                        << "  clients:\n"
                        << "    - id: storefront\n      secret_sha256: "
                        << oauth::sha256_hex(reader_secret)
                        << "\n      scopes: [prices:read]\n"
                        << "    - id: reports\n      secret_sha256: "
                        << oauth::sha256_hex(other_secret)
                        << "\n      scopes: [orders:read]\n"
                        << "database:\n  url: " << db_url
                        << "\n  pool_size: 4\n"
                        << "redis:\n  host: 127.0.0.1\n  port: " << redis_port
                        << "\n  key_prefix: 'pricing-it:'\n"
                        << "smtp:\n  port: " << test::smtp_port() << "\n"
                        << "erp:\n  endpoint: " << erp.endpoint()
                        << "\n  ca_file: " << erp.ca_file() << "\n"
                        << "pricing:\n  poll_interval: 1s\n  cache_ttl: 300s\n";
    process_ = std::make_unique<test::child_process>(
        std::vector<std::string>{FERRY_BIN, "run", "--config", path},
        std::map<std::string, std::string>{
            {"FERRY_ERP_PASSWORD", test::erp_simulator::password()}});
  }

  /// Waits until the API hands out tokens.
  void wait_ready() {
    ASSERT_TRUE(test::wait_until(
        [&] {
          try {
            certs();
          } catch (const std::exception&) {
            return false;
          }
          return !token(reader_secret, "storefront").empty();
        },
        90s, 200ms))
        << process_->log();
  }

  std::string token(const std::string& secret, const std::string& id) {
    http::client_request r;
    r.method = "POST";
    r.url = base() + "/oauth/token";
    r.headers.set("Content-Type", "application/x-www-form-urlencoded");
    r.body = "grant_type=client_credentials&client_id=" + id +
             "&client_secret=" + secret;
    auto res = client().send(r);
    if (!res.response || res.response->status != 200)
      return {};
    return json::parse(res.response->body).value("access_token", "");
  }

  answer get(const std::string& path_and_query, const std::string& bearer) {
    http::client_request r;
    r.method = "GET";
    r.url = base() + path_and_query;
    if (!bearer.empty())
      r.headers.set("Authorization", "Bearer " + bearer);
    return send(r);
  }

  answer post(const std::string& path, const json& body,
              const std::string& bearer) {
    return post_text(path, body.dump(), bearer);
  }

  answer post_text(const std::string& path, std::string body,
                   const std::string& bearer) {
    http::client_request r;
    r.method = "POST";
    r.url = base() + path;
    r.headers.set("Authorization", "Bearer " + bearer);
    r.headers.set("Content-Type", "application/json");
    r.body = std::move(body);
    return send(r);
  }

  /// /metrics text.
  std::string metrics() {
    http::client_request r;
    r.method = "GET";
    r.url = "http://127.0.0.1:" + std::to_string(ops_port_) + "/metrics";
    auto res = client().send(r);
    return res.response ? res.response->body : std::string{};
  }

  std::string log() const { return process_->log(); }

private:
  answer send(http::client_request& r) {
    answer a;
    auto res = client().send(r);
    if (!res.response) {
      a.raw = res.error_detail;
      return a;
    }
    a.status = res.response->status;
    a.raw = res.response->body;
    a.body = json::parse(res.response->body, nullptr, false);
    a.cache = res.response->headers.get("X-Cache").value_or("");
    return a;
  }

  std::string base() const {
    return "https://127.0.0.1:" + std::to_string(api_port_);
  }

  const tls::certificate_files& certs() {
    if (!certs_)
      certs_ = tls::ensure_self_signed_certificate(dir_.path() + "/data/certs");
    return *certs_;
  }

  http::client& client() {
    if (!client_) {
      http::client_settings s;
      s.ca_file = certs().ca_file;
      client_ = std::make_unique<http::client>(s);
    }
    return *client_;
  }

  test::temp_dir dir_;
  int api_port_;
  int ops_port_;
  std::optional<tls::certificate_files> certs_;
  std::unique_ptr<http::client> client_;
  std::unique_ptr<test::child_process> process_;
};

std::string price_path(const std::string& customer, const std::string& sku,
                       const std::string& qty) {
  return "/api/v1/prices?customer_id=" + customer + "&sku=" + sku +
         "&qty=" + qty;
}

void set_customer_list(const test::erp_simulator& erp, const char* tier10) {
  long status = 0;
  auto res = erp.admin("POST", "/admin/price-lists",
                       {{"PriceListCode", "PL-C000001"},
                        {"CustomerNo", "C000001"},
                        {"CurrencyCode", "USD"},
                        {"ValidFrom", "2026-01-01T00:00:00Z"},
                        {"PriceLine",
                         {{{"ItemCode", "IT-00002"},
                           {"MinQuantity", "1"},
                           {"UnitPrice", "45.00"}},
                          {{"ItemCode", "IT-00002"},
                           {"MinQuantity", "10"},
                           {"UnitPrice", tier10}}}}},
                       &status);
  ASSERT_EQ(status, 200) << res.dump();
}

class pricing_api : public ::testing::Test {
protected:
  static void SetUpTestSuite() {
    redis_ = new test::private_redis();
    db_ = new test::scratch_database();
    erp_ = new test::erp_simulator();
    long status = 0;
    erp_->admin("POST", "/admin/items/IT-00001", {{"BasePrice", "20.00"}},
                &status);
    ASSERT_EQ(status, 200);
    erp_->admin("POST", "/admin/items/IT-00002", {{"BasePrice", "50.00"}},
                &status);
    ASSERT_EQ(status, 200);
    set_customer_list(*erp_, "40.00");
    node_ = new ferry_node("pricing-a", db_->url(), redis_->port(), *erp_);
    node_->wait_ready();
    token_ = new std::string(node_->token(reader_secret, "storefront"));
    // The first poll has landed once the customer's list answers.
    ASSERT_TRUE(test::wait_until(
        [] {
          auto a = node_->get(price_path("C000001", "IT-00002", "10"), *token_);
          return a.status == 200 && a.body.value("unit_price", "") == "40.00";
        },
        90s, 200ms))
        << node_->log();
  }

  static void TearDownTestSuite() {
    delete token_;
    delete node_;
    delete erp_;
    delete db_;
    delete redis_;
  }

  static test::private_redis* redis_;
  static test::scratch_database* db_;
  static test::erp_simulator* erp_;
  static ferry_node* node_;
  static std::string* token_;
};

test::private_redis* pricing_api::redis_ = nullptr;
test::scratch_database* pricing_api::db_ = nullptr;
test::erp_simulator* pricing_api::erp_ = nullptr;
ferry_node* pricing_api::node_ = nullptr;
std::string* pricing_api::token_ = nullptr;

TEST_F(pricing_api, missing_token_is_401_and_wrong_scope_403) {
  auto none = node_->get(price_path("C000001", "IT-00002", "1"), "");
  EXPECT_EQ(none.status, 401) << none.raw;
  auto orders = node_->token(other_secret, "reports");
  ASSERT_FALSE(orders.empty());
  auto wrong = node_->get(price_path("C000001", "IT-00002", "1"), orders);
  EXPECT_EQ(wrong.status, 403) << wrong.raw;
  auto forged =
      node_->get(price_path("C000001", "IT-00002", "1"), *token_ + "x");
  EXPECT_EQ(forged.status, 401) << forged.raw;
  auto batch =
      node_->post("/api/v1/prices/batch", {{"items", json::array()}}, orders);
  EXPECT_EQ(batch.status, 403) << batch.raw;
}

TEST_F(pricing_api, answers_by_precedence_with_rule_and_tier) {
  auto tier10 = node_->get(price_path("C000001", "IT-00002", "12"), *token_);
  ASSERT_EQ(tier10.status, 200) << tier10.raw;
  EXPECT_EQ(tier10.body["unit_price"], "40.00");
  EXPECT_EQ(tier10.body["list_price"], "50.00");
  EXPECT_EQ(tier10.body["rule"], "customer");
  EXPECT_EQ(tier10.body["price_list"], "PL-C000001");
  EXPECT_EQ(tier10.body["tier_min_quantity"], "10");
  EXPECT_EQ(tier10.body["currency"], "USD");

  auto tier1 = node_->get(price_path("C000001", "IT-00002", "9"), *token_);
  EXPECT_EQ(tier1.body["unit_price"], "45.00") << tier1.raw;
  EXPECT_EQ(tier1.body["tier_min_quantity"], "1");

  // No line for IT-00001 in the customer's list: base price.
  auto base = node_->get(price_path("C000001", "IT-00001", "3"), *token_);
  EXPECT_EQ(base.body["unit_price"], "20.00") << base.raw;
  EXPECT_EQ(base.body["rule"], "base");

  // An unknown customer gets the base price with rule base.
  auto stranger = node_->get(price_path("C999999", "IT-00002", "12"), *token_);
  ASSERT_EQ(stranger.status, 200) << stranger.raw;
  EXPECT_EQ(stranger.body["unit_price"], "50.00");
  EXPECT_EQ(stranger.body["rule"], "base");
  auto anonymous = node_->get("/api/v1/prices?sku=IT-00002&qty=1", *token_);
  EXPECT_EQ(anonymous.body["rule"], "base") << anonymous.raw;
}

TEST_F(pricing_api, x_cache_is_miss_then_hit) {
  auto first = node_->get(price_path("C000001", "IT-00002", "7"), *token_);
  ASSERT_EQ(first.status, 200) << first.raw;
  EXPECT_EQ(first.cache, "miss");
  auto second = node_->get(price_path("C000001", "IT-00002", "7"), *token_);
  EXPECT_EQ(second.cache, "hit");
  EXPECT_EQ(second.body["unit_price"], first.body["unit_price"]);
}

TEST_F(pricing_api, bad_requests_name_what_was_wrong) {
  auto unknown = node_->get(price_path("C000001", "NO-SUCH-SKU", "1"), *token_);
  EXPECT_EQ(unknown.status, 404) << unknown.raw;
  EXPECT_NE(unknown.raw.find("NO-SUCH-SKU"), std::string::npos);
  for (const char* qty : {"abc", "0", "-2", "1e3"}) {
    auto bad = node_->get(price_path("C000001", "IT-00002", qty), *token_);
    EXPECT_EQ(bad.status, 400) << qty << ": " << bad.raw;
    EXPECT_NE(bad.raw.find("qty"), std::string::npos) << bad.raw;
  }
  auto no_sku = node_->get("/api/v1/prices?customer_id=C000001&qty=1", *token_);
  EXPECT_EQ(no_sku.status, 400);
  EXPECT_NE(no_sku.raw.find("sku"), std::string::npos) << no_sku.raw;
}

TEST_F(pricing_api, batch_answers_each_item_and_caps_at_100) {
  auto batch = node_->post("/api/v1/prices/batch",
                           {{"customer_id", "C000001"},
                            {"items",
                             {{{"sku", "IT-00002"}, {"qty", "10"}},
                              {{"sku", "IT-00001"}, {"qty", 2}},
                              {{"sku", "NOPE"}, {"qty", "1"}}}}},
                           *token_);
  ASSERT_EQ(batch.status, 200) << batch.raw;
  auto& items = batch.body["items"];
  ASSERT_EQ(items.size(), 3u);
  EXPECT_EQ(items[0]["unit_price"], "40.00");
  EXPECT_EQ(items[1]["unit_price"], "20.00");
  EXPECT_EQ(items[2]["status"], 404);
  json many = json::array();
  for (int i = 0; i < 101; ++i)
    many.push_back({{"sku", "IT-00001"}, {"qty", "1"}});
  auto too_many =
      node_->post("/api/v1/prices/batch",
                  {{"customer_id", "C000001"}, {"items", many}}, *token_);
  EXPECT_EQ(too_many.status, 400) << too_many.raw;
  EXPECT_NE(too_many.raw.find("100"), std::string::npos);
}

// Found by a client of the API: one request with a deeply nested body took
// the whole node down (the body was printed recursively on an io thread).
TEST_F(pricing_api, a_deeply_nested_body_is_a_400_and_the_node_stays_up) {
  std::string deep(200000, '[');
  deep += std::string(200000, ']');
  auto bomb = node_->post_text("/api/v1/prices/batch",
                               R"({"customer_id":)" + deep +
                                   R"(,"items":[{"sku":"IT-00001"}]})",
                               *token_);
  EXPECT_EQ(bomb.status, 400) << bomb.raw;
  EXPECT_NE(bomb.raw.find("deeper than 32 levels"), std::string::npos)
      << bomb.raw;
  auto after = node_->get(price_path("C000001", "IT-00002", "10"), *token_);
  EXPECT_EQ(after.status, 200) << after.raw << node_->log();
}

TEST_F(pricing_api, a_value_of_the_wrong_type_is_a_400_naming_the_field) {
  struct row {
    json body;
    const char* field;
  };
  const row rows[] = {
      {{{"customer_id", {{"id", 1}}}, {"items", {{{"sku", "IT-00001"}}}}},
       "customer_id must be a string or a number"},
      {{{"customer_id", json::array({1, 2})},
        {"items", {{{"sku", "IT-00001"}}}}},
       "customer_id must be a string or a number"},
      {{{"customer_id", "C000001"},
        {"currency", 840},
        {"items", {{{"sku", "IT-00001"}}}}},
       "currency must be a string"},
      {{{"customer_id", "C000001"}, {"items", {{{"sku", {{"a", 1}}}}}}},
       "items[0].sku must be a string"},
      {{{"customer_id", "C000001"},
        {"items", {{{"sku", "IT-00001"}, {"qty", json::array()}}}}},
       "items[0].qty must be a string or a number"},
  };
  for (const auto& r : rows) {
    auto a = node_->post("/api/v1/prices/batch", r.body, *token_);
    EXPECT_EQ(a.status, 400) << r.body.dump() << ": " << a.raw;
    EXPECT_NE(a.raw.find(r.field), std::string::npos) << a.raw;
  }
}

// Found against another ERP: ValidFrom/ValidTo as xs:date made every
// negotiated price the base price, silently.
TEST_F(pricing_api, a_list_with_date_only_validity_gives_the_negotiated_price) {
  long status = 0;
  auto res = erp_->admin("POST", "/admin/price-lists",
                         {{"PriceListCode", "PL-C000002"},
                          {"CustomerNo", "C000002"},
                          {"CurrencyCode", "USD"},
                          {"ValidFrom", "2026-01-01"},
                          {"ValidTo", "2099-12-31"},
                          {"PriceLine",
                           {{{"ItemCode", "IT-00001"},
                             {"MinQuantity", "10"},
                             {"UnitPrice", "17.81"}}}}},
                         &status);
  ASSERT_EQ(status, 200) << res.dump();
  EXPECT_TRUE(test::wait_until(
      [] {
        auto a = node_->get(price_path("C000002", "IT-00001", "10"), *token_);
        return a.status == 200 && a.body.value("unit_price", "") == "17.81";
      },
      90s, 200ms))
      << node_->get(price_path("C000002", "IT-00001", "10"), *token_).raw;
}

TEST_F(pricing_api, a_list_change_reaches_two_nodes_sharing_redis) {
  ferry_node second("pricing-b", db_->url(), redis_->port(), *erp_);
  second.wait_ready();
  auto token_b = second.token(reader_secret, "storefront");
  // Both nodes hold the old price in memory.
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(node_->get(price_path("C000001", "IT-00002", "20"), *token_)
                  .body["unit_price"],
              "40.00");
    EXPECT_EQ(second.get(price_path("C000001", "IT-00002", "20"), token_b)
                  .body["unit_price"],
              "40.00")
        << second.log();
  }
  set_customer_list(*erp_, "37.50");
  // Within a poll interval (1 s) plus slack for a loaded machine.
  EXPECT_TRUE(test::wait_until(
      [&] {
        return node_->get(price_path("C000001", "IT-00002", "20"), *token_)
                   .body.value("unit_price", "") == "37.50";
      },
      30s, 100ms));
  EXPECT_TRUE(test::wait_until(
      [&] {
        return second.get(price_path("C000001", "IT-00002", "20"), token_b)
                   .body.value("unit_price", "") == "37.50";
      },
      30s, 100ms))
      << second.log();
  set_customer_list(*erp_, "40.00");
  EXPECT_TRUE(test::wait_until(
      [&] {
        return second.get(price_path("C000001", "IT-00002", "20"), token_b)
                   .body.value("unit_price", "") == "40.00";
      },
      30s, 100ms));
}

TEST_F(pricing_api, redis_killed_mid_run_prices_stay_correct) {
  persistence::redis_options options;
  options.port = redis_->port();
  persistence::redis_client probe(options);
  ASSERT_EQ(node_->get(price_path("C000001", "IT-00002", "30"), *token_)
                .body["unit_price"],
            "40.00");
  redis_->kill();
  // Quantities never asked before: each is computed from PostgreSQL.
  for (int qty = 31; qty < 41; ++qty) {
    auto a = node_->get(price_path("C000001", "IT-00002", std::to_string(qty)),
                        *token_);
    ASSERT_EQ(a.status, 200) << qty << ": " << a.raw;
    EXPECT_EQ(a.body["unit_price"], "40.00");
    EXPECT_EQ(a.cache, "miss");
  }
  auto tier1 = node_->get(price_path("C000001", "IT-00002", "2"), *token_);
  EXPECT_EQ(tier1.body["unit_price"], "45.00") << tier1.raw;
  auto metrics = node_->metrics();
  EXPECT_NE(metrics.find("ferry_pricing_redis_available 0"), std::string::npos)
      << metrics.substr(0, 2000);

  redis_->start();
  // Once the breaker lets a probe through, new prices land in Redis again.
  int qty = 100;
  EXPECT_TRUE(test::wait_until(
      [&] {
        auto a = node_->get(
            price_path("C000001", "IT-00002", std::to_string(++qty)), *token_);
        if (a.status != 200)
          return false;
        auto keys = probe.command({"KEYS", "pricing-it:price:v*"});
        return keys && !keys->elements.empty();
      },
      60s, 200ms));
  EXPECT_TRUE(test::wait_until(
      [&] {
        return node_->metrics().find("ferry_pricing_redis_available 1") !=
               std::string::npos;
      },
      30s, 200ms));
}

} // namespace
} // namespace ferry
