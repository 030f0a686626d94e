// Unit tests of ferry-sim-shop's parts, without sockets: the domain rules,
// durability through the journal, the rate limiter, the token endpoint, the
// webhook schedule with its faults and the traffic generator.
#include "simulators/shop/journal.hpp"
#include "simulators/shop/rate_limiter.hpp"
#include "simulators/shop/shop_state.hpp"
#include "simulators/shop/token_store.hpp"
#include "simulators/shop/traffic_generator.hpp"
#include "simulators/shop/webhook_queue.hpp"
#include "tests/support/test_env.hpp"

#include <chrono>
#include <gtest/gtest.h>

using namespace ferry;
using namespace ferry::sim_shop;
using namespace std::chrono_literals;
using json = nlohmann::json;

namespace {

json j(std::string_view text) {
  auto r = shop::parse_exact(text);
  EXPECT_TRUE(r) << r.error;
  return r ? *r : json{};
}

struct fixed_clock {
  std::string now = "2026-05-01 12:00:00";
  shop_state::clock_fn fn() {
    return [this] { return now; };
  }
};

} // namespace

TEST(shop_state, order_state_machine_follows_the_contract) {
  fixed_clock clock;
  shop_state s{clock.fn(), nullptr};
  s.seed_if_empty(7, 3, 2, 2);
  std::vector<change_event> events;
  s.set_event_sink([&](const change_event& e) { events.push_back(e); });
  auto o = s.place_order(1, "", {{"SKU-00001", 2}}, 1240);
  ASSERT_TRUE(o) << o.error.message;
  auto id = o.value->entity_id;
  EXPECT_EQ(o.value->status, "pending");
  EXPECT_EQ(o.value->grand_total, o.value->subtotal + money::from_minor(1240));
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].topic, "orders/create");

  // Cancel is not allowed from holded; unhold restores the status before.
  EXPECT_TRUE(s.add_comment(id, j(R"({"statusHistory":{"comment":"to ERP",
    "status":"processing","is_customer_notified":0}})")));
  EXPECT_TRUE(s.hold(id));
  auto c = s.cancel(id);
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error.status, 409);
  EXPECT_EQ(s.hold(id).error.status, 409);
  EXPECT_TRUE(s.unhold(id));
  EXPECT_EQ(s.get_order(id).value->status, "processing");
  EXPECT_EQ(s.unhold(id).error.status, 409);

  // A comment moves forward only.
  auto back = s.add_comment(id, j(R"({"statusHistory":{"comment":"x",
    "status":"pending"}})"));
  ASSERT_FALSE(back);
  EXPECT_EQ(back.error.status, 400);
  EXPECT_TRUE(s.add_comment(id, j(R"({"statusHistory":{"comment":"keep"}})")));
  EXPECT_TRUE(s.cancel(id));
  EXPECT_EQ(s.get_order(id).value->state, "canceled");
  EXPECT_EQ(s.get_order(id).value->status_histories.size(), 2u);
  EXPECT_EQ(s.cancel(id).error.status, 409);
  EXPECT_EQ(s.get_order(999).error.status, 404);
  EXPECT_EQ(events.back().topic, "orders/updated");
}

TEST(shop_state, emails_are_unique_ignoring_case_and_cannot_change) {
  fixed_clock clock;
  shop_state s{clock.fn(), nullptr};
  auto ann = s.register_customer("Ann@Example.com", "Ann", "Lee");
  ASSERT_TRUE(ann);
  EXPECT_EQ(s.register_customer("ann@example.COM", "A", "L").error.status, 409);
  EXPECT_EQ(s.search_customers("ANN@example.com").total_count, 1);
  auto id = ann.value->id;
  auto bad = s.update_customer(id, j(R"({"email":"other@example.com"})"));
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error.status, 400);
  clock.now = "2026-05-01 12:00:05";
  auto up = s.update_customer(id, j(R"({"lastname":"Ng","custom_attributes":[
    {"attribute_code":"erp_customer_no","value":"C1"}]})"));
  ASSERT_TRUE(up) << up.error.message;
  EXPECT_TRUE(s.update_customer(id, j(R"({"custom_attributes":[
    {"attribute_code":"erp_customer_no","value":"C2"}]})")));
  auto c = s.get_customer(id);
  EXPECT_EQ(c.value->lastname, "Ng");
  EXPECT_EQ(c.value->attribute("erp_customer_no"), "C2");
  EXPECT_EQ(c.value->custom_attributes.size(), 1u);
  EXPECT_EQ(s.list_customers("2026-05-01 12:00:05", 20, 1).total_count, 1);
  EXPECT_EQ(s.list_customers("2026-05-01 12:00:06", 20, 1).total_count, 0);
}

TEST(shop_state, bulk_upsert_reports_each_item) {
  fixed_clock clock;
  shop_state s{clock.fn(), nullptr};
  auto results = s.bulk_products(j(R"([
    {"sku":"A-1","name":"One","price":12.5},
    {"sku":"B-2","name":"Two","price":"x"},
    {"name":"no sku","price":1}])"));
  ASSERT_EQ(results.size(), 3u);
  EXPECT_EQ(results[0].status, "ok");
  EXPECT_EQ(results[1].status, "error");
  EXPECT_EQ(results[1].message,
            "product.price: not an amount with at most two decimals: x");
  EXPECT_EQ(results[2].status, "error");
  EXPECT_EQ(s.get_product("A-1").value->price, money::from_minor(1250));
  EXPECT_EQ(s.get_product("B-2").error.status, 404);
}

TEST(shop_state, stock_per_source_and_salable_quantity) {
  fixed_clock clock;
  shop_state s{clock.fn(), nullptr};
  s.seed_if_empty(1, 1, 0, 2);
  auto r = s.set_source_items(j(R"([
    {"sku":"SKU-00001","source_code":"us-east","quantity":5,"status":1},
    {"sku":"SKU-00001","source_code":"us-west","quantity":7,"status":1},
    {"sku":"SKU-00001","source_code":"mars","quantity":1,"status":1},
    {"sku":"NOPE","source_code":"us-east","quantity":1,"status":1}])"));
  EXPECT_EQ(r[0].status, "ok");
  EXPECT_EQ(r[2].message, "Source with code \"mars\" not found");
  EXPECT_EQ(r[3].message, "Product with SKU \"NOPE\" not found");
  EXPECT_EQ(s.salable_quantity("SKU-00001"), decimal::from_int(12));
  EXPECT_TRUE(s.set_source_enabled("us-west", false));
  EXPECT_EQ(s.salable_quantity("SKU-00001"), decimal::from_int(5));
  EXPECT_EQ(s.set_backorders("SKU-00001", 2).error.status, 400);
  EXPECT_TRUE(s.set_backorders("SKU-00001", 1));
  EXPECT_EQ(s.backorders("SKU-00001"), 1);
}

TEST(shop_state, survives_a_restart_through_the_journal) {
  test::temp_dir dir;
  auto path = dir.path() + "/shop.journal";
  fixed_clock clock;
  std::int64_t order_id = 0;
  {
    shop_state s{clock.fn(), std::make_unique<journal>(path)};
    s.load();
    s.seed_if_empty(3, 2, 1, 1);
    auto o =
        s.place_order(std::nullopt, "g@example.org", {{"SKU-00002", 1}}, 0);
    order_id = o.value->entity_id;
    EXPECT_TRUE(s.hold(order_id));
    EXPECT_TRUE(s.set_backorders("SKU-00001", 1));
  }
  {
    // A crash mid-append leaves a torn line; it is cut off.
    std::FILE* f = std::fopen(path.c_str(), "a");
    std::fputs("{\"t\":\"product\",\"v\":{", f);
    std::fclose(f);
  }
  shop_state s{clock.fn(), std::make_unique<journal>(path)};
  EXPECT_GT(s.load(), 0u);
  s.seed_if_empty(99, 5, 5, 5);
  EXPECT_EQ(s.skus().size(), 2u);
  EXPECT_EQ(s.get_order(order_id).value->status, "holded");
  EXPECT_TRUE(s.unhold(order_id));
  EXPECT_EQ(s.get_order(order_id).value->status, "pending");
  EXPECT_EQ(s.backorders("SKU-00001"), 1);
  auto next =
      s.place_order(std::nullopt, "h@example.org", {{"SKU-00001", 1}}, 0);
  EXPECT_EQ(next.value->entity_id, order_id + 1);
}

TEST(shop_rate_limiter, bucket_refills_and_429_costs_no_token) {
  rate_limiter l{{10, 2}};
  auto t0 = rate_limiter::clock::now();
  EXPECT_TRUE(l.take("c", t0, 100).allowed);
  auto second = l.take("c", t0, 100);
  EXPECT_TRUE(second.allowed);
  EXPECT_EQ(second.remaining, 0);
  EXPECT_EQ(second.limit, 2);
  auto refused = l.take("c", t0, 100);
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.retry_after_seconds, 1);
  EXPECT_TRUE(l.take("c", t0 + 100ms, 100).allowed);
  EXPECT_FALSE(l.take("c", t0 + 100ms, 100).allowed);
  EXPECT_TRUE(l.take("other", t0, 100).allowed);
  EXPECT_EQ(l.peak("c"), 5);
  EXPECT_TRUE(l.take("c", t0 + 1s, 101).allowed);
  EXPECT_EQ(l.history("c").size(), 2u);
  EXPECT_FALSE(l.take("c", t0 + 2s, 102, true, 3).allowed);
  EXPECT_EQ(l.take("c", t0 + 2s, 102, true, 3).retry_after_seconds, 3);
}

TEST(shop_token_store, issues_checks_and_expires_tokens) {
  token_store ts{{{"ferry", "s3cret"}}, 60s, 1};
  auto now = token_store::clock::now();
  http::request r;
  r.headers.set("Content-Type", "application/x-www-form-urlencoded");
  r.body = "grant_type=client_credentials&client_id=ferry&client_secret=bad";
  EXPECT_EQ(ts.issue(r, now).status, 401);
  r.body = "grant_type=password&client_id=ferry&client_secret=s3cret";
  EXPECT_EQ(ts.issue(r, now).body, R"({"error":"unsupported_grant_type"})");
  r.body = "client_id=ferry";
  EXPECT_EQ(ts.issue(r, now).status, 400);
  r.body = "grant_type=client_credentials&client_id=ferry&client_secret=s3cret";
  auto ok = ts.issue(r, now);
  ASSERT_EQ(ok.status, 200);
  EXPECT_EQ(ok.headers.get("Cache-Control"), "no-store");
  auto body = json::parse(ok.body);
  EXPECT_EQ(body["expires_in"], 60);
  EXPECT_EQ(ts.issued("ferry"), 1);

  http::request call;
  http::response challenge;
  EXPECT_FALSE(ts.authenticate(call, now, challenge));
  EXPECT_EQ(challenge.headers.get("WWW-Authenticate"), "Bearer realm=\"shop\"");
  call.headers.set("Authorization",
                   "Bearer " + body["access_token"].get<std::string>());
  EXPECT_EQ(ts.authenticate(call, now, challenge), "ferry");
  EXPECT_FALSE(ts.authenticate(call, now + 61s, challenge));
  EXPECT_EQ(challenge.headers.get("WWW-Authenticate"),
            "Bearer error=\"invalid_token\"");
  ts.expire_all();
  EXPECT_FALSE(ts.authenticate(call, now, challenge));
}

TEST(shop_webhook_queue, retries_eight_times_over_about_four_hours) {
  webhook_schedule s;
  std::chrono::milliseconds total{0};
  for (int i = 1; i <= s.max_retries; ++i)
    total += retry_delay(s, i);
  EXPECT_EQ(retry_delay(s, 1), 60s);
  EXPECT_EQ(retry_delay(s, 8), 7680s);
  EXPECT_GT(total, 4h);
  EXPECT_LT(total, 4h + 30min);
  s.time_scale = 0.001;
  EXPECT_EQ(retry_delay(s, 1), 60ms);

  webhook_queue q{webhook_schedule{}, 5};
  auto t = webhook_queue::clock::now();
  auto id =
      q.enqueue("orders/create", "1001", "{}", "2026-05-01 12:00:00", t, {});
  auto due = q.take_due(t);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].event_id, id);
  for (int attempt = 0; attempt <= 8; ++attempt) {
    ASSERT_EQ(due.size(), 1u) << attempt;
    q.on_result(due[0], false, t);
    if (attempt < 8) {
      auto next = *q.next_due();
      EXPECT_EQ(next - t, retry_delay(webhook_schedule{}, attempt + 1));
      t = next;
      due = q.take_due(t);
    }
  }
  EXPECT_FALSE(q.next_due());
  EXPECT_EQ(q.records().at(0).fate, "dropped");
  EXPECT_EQ(q.records().at(0).attempts, 9);
}

TEST(shop_webhook_queue, faults_lose_duplicate_and_reorder_by_share) {
  webhook_queue q{webhook_schedule{}, 11};
  webhook_faults f;
  f.loss = 0.05;
  f.duplicate = 0.1;
  f.reorder = 0.1;
  auto t = webhook_queue::clock::now();
  for (int i = 0; i < 2000; ++i)
    q.enqueue("products/update", std::to_string(i), "{}", "", t, f);
  auto stats = q.stats();
  EXPECT_NEAR(stats["lost"].get<double>(), 100, 40);
  EXPECT_NEAR(stats["duplicated"].get<double>(), 200, 60);
  EXPECT_NEAR(stats["reordered"].get<double>(), 200, 60);
  auto now = q.take_due(t);
  auto rest = q.take_due(t + 10s);
  EXPECT_FALSE(rest.empty());
  std::size_t copies = 0, on_time = 0;
  for (auto& r : q.records())
    if (r.fate != "lost") {
      copies += static_cast<std::size_t>(r.copies);
      on_time += r.reordered ? 0 : 1;
    }
  EXPECT_EQ(now.size(), on_time);
  EXPECT_EQ(now.size() + rest.size(), copies);
}

TEST(shop_traffic, same_seed_same_orders_and_share_above_threshold) {
  std::vector<std::pair<std::string, money>> catalog{
      {"A", money::from_minor(1999)},
      {"B", money::from_minor(25000)},
      {"C", money::from_minor(990000)}};
  traffic_settings s;
  s.high_value_share = 0.25;
  s.threshold = money::from_minor(500000);
  traffic_generator g1{42}, g2{42};
  int high = 0;
  for (int i = 0; i < 400; ++i) {
    auto a = g1.next_order(catalog, {1, 2, 3}, s);
    auto b = g2.next_order(catalog, {1, 2, 3}, s);
    ASSERT_TRUE(a && b);
    ASSERT_EQ(a->lines.size(), b->lines.size());
    EXPECT_EQ(a->lines[0].sku, b->lines[0].sku);
    EXPECT_EQ(a->customer_id, b->customer_id);
    std::int64_t total = a->shipping_minor;
    for (auto& l : a->lines) {
      auto p = std::find_if(catalog.begin(), catalog.end(),
                            [&](auto& c) { return c.first == l.sku; });
      total += p->second.minor() * l.qty;
    }
    EXPECT_EQ(total > s.threshold.minor(), a->high_value) << i;
    high += a->high_value;
  }
  EXPECT_NEAR(high, 100, 30);
  EXPECT_EQ(g1.next_customer().email, g2.next_customer().email);
}

// A restarted simulator keeps its seed; if event ids repeated, Ferry would
// drop the new events as duplicates of the old ones.
TEST(shop_webhook_queue, event_ids_differ_between_processes_with_one_seed) {
  using ferry::sim_shop::webhook_queue;
  using ferry::sim_shop::webhook_schedule;
  auto t = webhook_queue::clock::now();
  webhook_queue first{webhook_schedule{}, 42};
  webhook_queue again{webhook_schedule{}, 42};
  auto a = first.enqueue("orders/create", "1001", "{}", "2026-05-01 12:00:00",
                         t, {});
  auto b = again.enqueue("orders/create", "1001", "{}", "2026-05-01 12:00:00",
                         t, {});
  EXPECT_EQ(a.size(), 36u);
  EXPECT_NE(a, b);
}
