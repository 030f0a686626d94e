// pricing_source against the real services: a migrated scratch database on
// the shared PostgreSQL and a Redis of the test's own (killed in one test).
// What is checked is where a miss gets the customer's resolved lists from:
// PostgreSQL once, then Redis under the current version, on any node, until
// a version bump; and that with Redis gone prices stay right.
#include "actors/pricing_source.hpp"
#include "mapping/price_json.hpp"
#include "persistence/migrations.hpp"
#include "tests/support/price_builders.hpp"
#include "tests/support/services.hpp"
#include "tests/support/test_env.hpp"

#include <gtest/gtest.h>
#include <prometheus/registry.h>

using namespace ferry;
using namespace ferry::persistence;
using namespace std::chrono_literals;

using test::discount_line;
using test::list;
using test::unit_line;

namespace {

erp_item item(const std::string& code, std::int64_t base_minor) {
  erp_item i;
  i.item_code = code;
  i.base_price = money::from_minor(base_minor);
  return i;
}

// The value of metric `name` with label `label`=`value` (or without labels
// when `label` is empty); -1 when there is none.
double sample(prometheus::Registry& registry, const std::string& name,
              const std::string& label = {}, const std::string& value = {}) {
  for (const auto& family : registry.Collect()) {
    if (family.name != name)
      continue;
    for (const auto& metric : family.metric) {
      bool match = label.empty() && metric.label.empty();
      for (const auto& l : metric.label)
        match = match || (l.name == label && l.value == value);
      if (match)
        return family.type == prometheus::MetricType::Gauge
                   ? metric.gauge.value
                   : metric.counter.value;
    }
  }
  return -1;
}

// C000001 (group GOLD) has its own list for A and B; GOLD gives 10 % off C.
// Base prices: A 20.00, B 30.00, C 40.00.
class pricing_source_redis : public ::testing::Test {
protected:
  void SetUp() override {
    auto report = migrate(pool_);
    ASSERT_TRUE(report) << db_error_text(report.error());
    erp_customer c;
    c.customer_no = "C000001";
    c.email = "c1@example.com";
    c.first_name = "Ada";
    c.last_name = "Lovelace";
    c.price_group = "GOLD";
    ASSERT_TRUE(customers_.upsert(c));
    ASSERT_TRUE(lists_.upsert_lists({own_, gold_}));
    ASSERT_TRUE(lists_.upsert_base_prices(
        {item("A", 2000), item("B", 3000), item("C", 4000)}));
  }

  static redis_options redis_of(int port) {
    redis_options o;
    o.port = port;
    o.timeout = 500ms;
    return o;
  }

  pricing_source_settings settings() const {
    pricing_source_settings s;
    s.base_currency = "USD";
    s.redis_breaker.cool_down = 300ms;
    s.now_utc = [] { return *parse_utc_datetime("2026-11-29T12:00:00Z"); };
    return s;
  }

  price_answer ask(pricing_source& source, const std::string& sku, int qty) {
    price_load req;
    req.query.customer_id = "C000001";
    req.query.items.push_back({sku, decimal::from_int(qty)});
    auto result = source.load(req);
    EXPECT_EQ(result.reply.answers.size(), 1u);
    if (result.reply.answers.empty())
      return {};
    auto a = result.reply.answers.front();
    EXPECT_EQ(a.status, 200) << sku << ": " << a.message;
    return a;
  }

  double lists_from(const std::string& source) {
    return sample(registry_, "ferry_pricing_lists_loads_total", "source",
                  source);
  }

  // The resolved lists stored under the current version, if Redis answers
  // and has them.
  std::optional<std::vector<erp_price_list>> cached_lists() {
    auto found = cache_.lookup("l:C000001:GOLD");
    if (!found || !found->value)
      return std::nullopt;
    return price_lists_from_json(*found->value);
  }

  test::scratch_database db_;
  prometheus::Registry registry_;
  pg_pool pool_{{db_.url(), 4}, registry_};
  price_list_store lists_{pool_};
  customer_store customers_{pool_};
  test::private_redis redis_server_;
  redis_client redis_{redis_of(redis_server_.port())};
  price_cache cache_{redis_, "test:", 60s};
  erp_price_list own_ = list("PL-C1", "C000001", "",
                             {unit_line("A", 1, 1800), unit_line("A", 10, 1500),
                              unit_line("B", 1, 2500)});
  erp_price_list gold_ =
      list("PL-GOLD", "", "GOLD", {discount_line("C", 1, 10)});
};

} // namespace

TEST_F(pricing_source_redis, first_miss_stores_the_lists_second_reads_them) {
  pricing_source source(lists_, customers_, &cache_, registry_, settings());
  auto a = ask(source, "A", 10);
  EXPECT_EQ(a.quote.unit_price, money::from_minor(1500));
  EXPECT_EQ(a.quote.price_list_code, "PL-C1");
  EXPECT_FALSE(a.cache_hit);
  EXPECT_EQ(lists_from("postgresql"), 1);
  EXPECT_EQ(lists_from("redis"), 0);

  // The customer's and its group's lists, under the current version, with
  // the cache's TTL.
  auto stored = cached_lists();
  ASSERT_TRUE(stored) << "no readable lists in Redis";
  ASSERT_EQ(stored->size(), 2u);
  EXPECT_EQ(stored->at(0).price_list_code, "PL-C1");
  EXPECT_EQ(stored->at(1).price_list_code, "PL-GOLD");
  auto version = cache_.lookup("x");
  ASSERT_TRUE(version);
  auto ttl = redis_.command(
      {"PTTL", cache_.versioned_key(version->version, "l:C000001:GOLD")});
  ASSERT_TRUE(ttl);
  EXPECT_GT(ttl->integer, 0);
  EXPECT_LE(ttl->integer, 60000);

  // Another SKU of the same customer, even on another node (a second
  // source sharing Redis): the lists come from Redis.
  prometheus::Registry other_registry;
  pricing_source other(lists_, customers_, &cache_, other_registry, settings());
  auto c = ask(other, "C", 1);
  EXPECT_EQ(c.quote.unit_price, money::from_minor(3600));
  EXPECT_EQ(c.quote.price_list_code, "PL-GOLD");
  EXPECT_EQ(sample(other_registry, "ferry_pricing_lists_loads_total", "source",
                   "redis"),
            1);
  EXPECT_EQ(sample(other_registry, "ferry_pricing_lists_loads_total", "source",
                   "postgresql"),
            0);

  // A cached price needs no lists at all.
  auto again = ask(source, "A", 10);
  EXPECT_TRUE(again.cache_hit);
  EXPECT_EQ(again.quote.unit_price, money::from_minor(1500));
  EXPECT_EQ(lists_from("postgresql") + lists_from("redis"), 1);
}

TEST_F(pricing_source_redis, a_changed_list_is_seen_only_after_invalidate) {
  pricing_source source(lists_, customers_, &cache_, registry_, settings());
  EXPECT_EQ(ask(source, "A", 1).quote.unit_price, money::from_minor(1800));

  // The poller stores a change; until it bumps the version, misses of this
  // customer still price from the lists in Redis (and the base price of A
  // cached with them).
  own_.lines[2] = unit_line("B", 1, 2200);
  ASSERT_TRUE(lists_.upsert_lists({own_}));
  ASSERT_TRUE(lists_.upsert_base_prices({item("A", 2100)}));
  auto b = ask(source, "B", 1);
  EXPECT_EQ(b.quote.unit_price, money::from_minor(2500)) << "from Redis";
  auto a5 = ask(source, "A", 5);
  EXPECT_EQ(a5.quote.list_price, money::from_minor(2000)) << "from Redis";
  EXPECT_EQ(lists_from("redis"), 2);
  EXPECT_EQ(lists_from("postgresql"), 1);

  ASSERT_TRUE(cache_.invalidate());
  b = ask(source, "B", 1);
  EXPECT_FALSE(b.cache_hit);
  EXPECT_EQ(b.quote.unit_price, money::from_minor(2200));
  a5 = ask(source, "A", 5);
  EXPECT_EQ(a5.quote.list_price, money::from_minor(2100));
  EXPECT_EQ(lists_from("postgresql"), 2);
  EXPECT_EQ(lists_from("redis"), 3);
  auto stored = cached_lists();
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->at(0).lines[2].unit_price, money::from_minor(2200))
      << "the new lists are stored under the new version";
}

TEST_F(pricing_source_redis, an_unreadable_cached_value_is_replaced) {
  pricing_source source(lists_, customers_, &cache_, registry_, settings());
  auto version = cache_.lookup("x");
  ASSERT_TRUE(version);
  ASSERT_TRUE(cache_.store(version->version, "l:C000001:GOLD",
                           R"([{"code":"PL-C1","lines":[{"item":"A")"));
  ASSERT_TRUE(cache_.store(version->version, "b:A", "twenty"));
  auto a = ask(source, "A", 1);
  EXPECT_EQ(a.quote.unit_price, money::from_minor(1800));
  EXPECT_EQ(a.quote.list_price, money::from_minor(2000));
  EXPECT_EQ(lists_from("postgresql"), 1);
  EXPECT_EQ(lists_from("redis"), 0);
  auto stored = cached_lists();
  ASSERT_TRUE(stored) << "the bad value was not replaced";
  EXPECT_EQ(stored->size(), 2u);
}

TEST_F(pricing_source_redis, a_price_from_cached_lists_expires_with_them) {
  pricing_source source(lists_, customers_, &cache_, registry_, settings());
  ask(source, "A", 1);
  auto version = cache_.lookup("x");
  ASSERT_TRUE(version);
  // The lists have 20 s left: a price computed from them now must not be
  // answered from Redis after they are gone.
  ASSERT_TRUE(redis_.command(
      {"PEXPIRE", cache_.versioned_key(version->version, "l:C000001:GOLD"),
       "20000"}));
  ask(source, "B", 1);
  EXPECT_EQ(lists_from("redis"), 1);
  auto ttl =
      redis_.command({"PTTL", cache_.versioned_key(version->version,
                                                   "q:C000001:GOLD:B:1:USD")});
  ASSERT_TRUE(ttl);
  EXPECT_GT(ttl->integer, 0);
  EXPECT_LE(ttl->integer, 20000) << "not the cache's 60 s";
}

TEST_F(pricing_source_redis, redis_stopped_prices_come_from_postgresql) {
  pricing_source source(lists_, customers_, &cache_, registry_, settings());
  ask(source, "A", 1);
  ASSERT_TRUE(source.redis_available());
  EXPECT_EQ(sample(registry_, "ferry_pricing_redis_available"), 1);
  redis_server_.kill();

  // Correct answers all along, while the breaker opens.
  for (int qty = 2; qty < 8; ++qty) {
    auto a = ask(source, "A", qty);
    EXPECT_EQ(a.quote.unit_price, money::from_minor(1800));
    EXPECT_FALSE(a.cache_hit);
  }
  auto c = ask(source, "C", 1);
  EXPECT_EQ(c.quote.unit_price, money::from_minor(3600));
  EXPECT_FALSE(source.redis_available());
  EXPECT_EQ(sample(registry_, "ferry_pricing_redis_available"), 0);
  EXPECT_GE(lists_from("postgresql"), 7);
  EXPECT_EQ(lists_from("redis"), 0);

  // Redis back: once the breaker lets a probe through, lists are stored
  // and read from Redis again.
  redis_server_.start();
  EXPECT_TRUE(test::wait_until(
      [&] {
        ask(source, "B", 1);
        return source.redis_available() && cached_lists().has_value();
      },
      30s, 100ms));
  auto before = lists_from("redis");
  ask(source, "A", 50);
  EXPECT_EQ(lists_from("redis"), before + 1);
}

TEST_F(pricing_source_redis, a_batch_costs_one_lookup_and_one_store) {
  pricing_source source(lists_, customers_, &cache_, registry_, settings());
  ask(source, "A", 10); // loads both scripts into Redis
  auto script_calls = [&] {
    auto info = redis_.command({"INFO", "commandstats"});
    EXPECT_TRUE(info);
    auto text = info ? info->text : std::string{};
    auto at = text.find("cmdstat_evalsha:calls=");
    if (at == std::string::npos)
      return -1L;
    return std::stol(text.substr(at + 22));
  };
  auto before = script_calls();
  ASSERT_GT(before, 0);

  price_load req;
  req.query.customer_id = "C000001";
  req.query.items = {{"A", decimal::from_int(10)},
                     {"NOPE", decimal::from_int(1)},
                     {"C", decimal::from_int(1)},
                     {"B", decimal::from_int(0)},
                     {"B", decimal::from_int(3)}};
  auto result = source.load(req);
  const auto& answers = result.reply.answers;
  ASSERT_EQ(answers.size(), 5u);
  EXPECT_EQ(answers[0].status, 200);
  EXPECT_TRUE(answers[0].cache_hit);
  EXPECT_EQ(answers[0].quote.unit_price, money::from_minor(1500));
  EXPECT_EQ(answers[1].status, 404);
  EXPECT_EQ(answers[1].message, "unknown SKU NOPE");
  EXPECT_EQ(answers[2].status, 200);
  EXPECT_EQ(answers[2].quote.unit_price, money::from_minor(3600));
  EXPECT_EQ(answers[3].status, 400);
  EXPECT_EQ(answers[3].sku, "B");
  EXPECT_EQ(answers[4].status, 200);
  EXPECT_EQ(answers[4].quote.unit_price, money::from_minor(2500));
  EXPECT_EQ(lists_from("redis"), 1) << "the lists once for the batch";
  EXPECT_EQ(script_calls(), before + 2)
      << "one lookup of everything, one store of what was computed";
}
