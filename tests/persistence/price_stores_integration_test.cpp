// The pricing stores against the real services: price lists, base prices
// and cursors, ERP customers and shop links in a migrated scratch database
// on the shared PostgreSQL; the versioned price cache and its invalidation
// channel on the shared Redis, under a key prefix of the test's own.
#include "persistence/customer_store.hpp"
#include "persistence/migrations.hpp"
#include "persistence/price_cache.hpp"
#include "persistence/price_list_store.hpp"
#include "persistence/redis_client.hpp"
#include "tests/support/services.hpp"
#include "tests/support/test_env.hpp"

#include <atomic>
#include <gtest/gtest.h>
#include <mutex>
#include <prometheus/registry.h>
#include <thread>
#include <unistd.h>
#include <vector>

using namespace ferry;
using namespace ferry::persistence;
using namespace std::chrono_literals;

namespace {

erp_price_line unit_line(const std::string& item, int min, std::int64_t minor) {
  erp_price_line l;
  l.item_code = item;
  l.min_quantity = decimal::from_int(min);
  l.has_unit_price = true;
  l.unit_price = money::from_minor(minor);
  return l;
}

erp_price_line discount_line(const std::string& item, int min, int percent) {
  erp_price_line l;
  l.item_code = item;
  l.min_quantity = decimal::from_int(min);
  l.has_unit_price = false;
  l.discount_percent = decimal::from_int(percent);
  return l;
}

erp_price_list list(const std::string& code, const std::string& customer,
                    const std::string& group,
                    std::vector<erp_price_line> lines) {
  erp_price_list l;
  l.price_list_code = code;
  l.customer_no = customer;
  l.price_group = group;
  l.currency_code = "USD";
  l.valid_from = "2026-01-01T00:00:00Z";
  l.modified_at = "2026-02-01T00:00:00Z";
  l.lines = std::move(lines);
  return l;
}

class price_stores : public ::testing::Test {
protected:
  void SetUp() override {
    auto report = migrate(pool_);
    ASSERT_TRUE(report) << db_error_text(report.error());
  }

  test::scratch_database db_;
  prometheus::Registry registry_;
  pg_pool pool_{{db_.url(), 4}, registry_};
};

class price_cache_redis : public ::testing::Test {
protected:
  redis_options options() const {
    redis_options o;
    o.host = test::redis_host();
    o.port = test::redis_port();
    o.timeout = 1000ms;
    return o;
  }
  void TearDown() override {
    redis_client cleanup(options());
    auto keys = cleanup.command({"KEYS", prefix_ + "*"});
    if (keys)
      for (const auto& k : keys->elements)
        (void)cleanup.command({"DEL", k.text});
  }

  std::string prefix_ =
    "test:price_stores:" + std::to_string(::getpid()) + ":";
};

} // namespace

TEST_F(price_stores, lists_round_trip_and_only_real_changes_count) {
  price_list_store store(pool_);
  auto own = list("PL-C1", "C000001", "", {unit_line("A", 1, 1800),
                                           unit_line("A", 10, 1500)});
  auto group = list("PL-GOLD", "", "GOLD", {discount_line("A", 5, 10)});
  auto other = list("PL-C2", "C000002", "", {unit_line("A", 1, 100)});
  auto changed = store.upsert_lists({own, group, other});
  ASSERT_TRUE(changed) << db_error_text(changed.error());
  EXPECT_EQ(*changed, 3u);
  // The same lists polled again: nothing changed, nothing to invalidate.
  changed = store.upsert_lists({own, group, other});
  ASSERT_TRUE(changed);
  EXPECT_EQ(*changed, 0u);
  // A new tier price is a change; a new modified_at alone is not.
  own.lines[1].unit_price = money::from_minor(1450);
  group.modified_at = "2026-03-01T00:00:00Z";
  changed = store.upsert_lists({own, group});
  ASSERT_TRUE(changed);
  EXPECT_EQ(*changed, 1u);

  auto found = store.lists_for("C000001", "GOLD");
  ASSERT_TRUE(found) << db_error_text(found.error());
  ASSERT_EQ(found->size(), 2u) << "the customer's and its group's, no other";
  const auto& c1 = found->at(0);
  EXPECT_EQ(c1.price_list_code, "PL-C1");
  EXPECT_EQ(c1.customer_no, "C000001");
  EXPECT_EQ(c1.currency_code, "USD");
  EXPECT_EQ(c1.valid_from, "2026-01-01T00:00:00Z");
  ASSERT_EQ(c1.lines.size(), 2u);
  EXPECT_EQ(c1.lines[1].min_quantity, decimal::from_int(10));
  EXPECT_TRUE(c1.lines[1].has_unit_price);
  EXPECT_EQ(c1.lines[1].unit_price, money::from_minor(1450));
  const auto& gold = found->at(1);
  EXPECT_EQ(gold.price_list_code, "PL-GOLD");
  ASSERT_EQ(gold.lines.size(), 1u);
  EXPECT_FALSE(gold.lines[0].has_unit_price);
  EXPECT_EQ(gold.lines[0].discount_percent, decimal::from_int(10));

  // A group list never matches by customer, a customer list never by group.
  auto only_group = store.lists_for("", "GOLD");
  ASSERT_TRUE(only_group);
  ASSERT_EQ(only_group->size(), 1u);
  EXPECT_EQ(only_group->at(0).price_list_code, "PL-GOLD");
  auto none = store.lists_for("", "");
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty());
}

TEST_F(price_stores, base_prices_and_cursors) {
  price_list_store store(pool_);
  erp_item a;
  a.item_code = "A";
  a.base_price = money::from_minor(2000);
  erp_item b;
  b.item_code = "B";
  b.base_price = money::from_minor(999);
  auto changed = store.upsert_base_prices({a, b});
  ASSERT_TRUE(changed) << db_error_text(changed.error());
  EXPECT_EQ(*changed, 2u);
  a.modified_at = "later";
  changed = store.upsert_base_prices({a, b});
  ASSERT_TRUE(changed);
  EXPECT_EQ(*changed, 0u) << "an unchanged price is not a change";
  a.base_price = money::from_minor(2100);
  changed = store.upsert_base_prices({a});
  ASSERT_TRUE(changed);
  EXPECT_EQ(*changed, 1u);

  auto price = store.base_price("A");
  ASSERT_TRUE(price) << db_error_text(price.error());
  ASSERT_TRUE(*price);
  EXPECT_EQ(**price, money::from_minor(2100));
  auto unknown = store.base_price("NOPE");
  ASSERT_TRUE(unknown);
  EXPECT_FALSE(*unknown);

  auto cursor = store.cursor("pricing.price_lists");
  ASSERT_TRUE(cursor);
  EXPECT_EQ(*cursor, "");
  ASSERT_TRUE(store.set_cursor("pricing.price_lists", "2026-02-01T00:00:00Z"));
  ASSERT_TRUE(store.set_cursor("pricing.price_lists", "2026-03-01T00:00:00Z"));
  cursor = store.cursor("pricing.price_lists");
  ASSERT_TRUE(cursor);
  EXPECT_EQ(*cursor, "2026-03-01T00:00:00Z");
}

TEST_F(price_stores, customers_normalize_email_and_report_changes) {
  customer_store store(pool_);
  erp_customer c;
  c.customer_no = "C000001";
  c.email = "  Ada.Lovelace@Example.COM ";
  c.first_name = "Ada";
  c.last_name = "Lovelace";
  c.price_group = "GOLD";
  c.external_customer_id = "42";
  auto changed = store.upsert(c);
  ASSERT_TRUE(changed) << db_error_text(changed.error());
  EXPECT_TRUE(*changed);
  changed = store.upsert(c);
  ASSERT_TRUE(changed);
  EXPECT_FALSE(*changed) << "the same customer again is no change";
  c.price_group = "SILVER";
  c.is_active = false;
  changed = store.upsert(c);
  ASSERT_TRUE(changed);
  EXPECT_TRUE(*changed);

  auto found = store.find("C000001");
  ASSERT_TRUE(found) << db_error_text(found.error());
  ASSERT_TRUE(*found);
  EXPECT_EQ((*found)->email, "ada.lovelace@example.com");
  EXPECT_EQ((*found)->first_name, "Ada");
  EXPECT_EQ((*found)->price_group, "SILVER");
  EXPECT_FALSE((*found)->is_active);
  EXPECT_EQ((*found)->external_customer_id, "42");
  auto missing = store.find("C999999");
  ASSERT_TRUE(missing);
  EXPECT_FALSE(*missing);
}

TEST_F(price_stores, links_flag_a_second_shop_account_as_shared) {
  customer_store store(pool_);
  auto first = store.link(42, "C000001");
  ASSERT_TRUE(first) << db_error_text(first.error());
  EXPECT_FALSE(*first);
  auto again = store.link(42, "C000001");
  ASSERT_TRUE(again);
  EXPECT_FALSE(*again) << "linking the same pair again is not a second one";
  auto second = store.link(43, "C000001");
  ASSERT_TRUE(second);
  EXPECT_TRUE(*second);
  auto of = store.customer_no_of(43);
  ASSERT_TRUE(of);
  ASSERT_TRUE(*of);
  EXPECT_EQ(**of, "C000001");
  auto unlinked = store.customer_no_of(44);
  ASSERT_TRUE(unlinked);
  EXPECT_FALSE(*unlinked);
  auto accounts = store.shop_accounts_of("C000001");
  ASSERT_TRUE(accounts);
  EXPECT_EQ(*accounts, (std::vector<std::int64_t>{42, 43}));
}

TEST_F(price_stores, concurrent_links_of_one_customer_share_exactly_once) {
  customer_store store(pool_);
  std::atomic<int> shared{0};
  std::atomic<int> failed{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i)
    threads.emplace_back([&, i] {
      auto r = store.link(100 + i, "C000007");
      if (!r)
        ++failed;
      else if (*r)
        ++shared;
    });
  for (auto& t : threads)
    t.join();
  EXPECT_EQ(failed, 0);
  EXPECT_EQ(shared, 3) << "one account is the first, the others are shared";
}

TEST_F(price_cache_redis, versioned_entries_and_invalidation) {
  redis_client redis(options());
  price_cache cache(redis, prefix_, 60s);
  auto first = cache.lookup("q:C1:A:1:USD");
  ASSERT_TRUE(first) << "redis lookup failed";
  EXPECT_FALSE(first->value);
  auto version = first->version;
  ASSERT_TRUE(cache.store(version, "q:C1:A:1:USD", "{\"unit\":\"18.00\"}"));
  auto hit = cache.lookup("q:C1:A:1:USD");
  ASSERT_TRUE(hit);
  EXPECT_EQ(hit->version, version);
  ASSERT_TRUE(hit->value);
  EXPECT_EQ(*hit->value, "{\"unit\":\"18.00\"}");

  // A new version makes every older entry unreachable at once.
  auto bumped = cache.invalidate();
  ASSERT_TRUE(bumped);
  EXPECT_EQ(*bumped, version + 1);
  auto after = cache.lookup("q:C1:A:1:USD");
  ASSERT_TRUE(after);
  EXPECT_EQ(after->version, version + 1);
  EXPECT_FALSE(after->value);
  // A value computed under the old version and stored late stays unseen.
  ASSERT_TRUE(cache.store(version, "q:C1:A:1:USD", "{\"unit\":\"old\"}"));
  after = cache.lookup("q:C1:A:1:USD");
  ASSERT_TRUE(after);
  EXPECT_FALSE(after->value);
}

TEST_F(price_cache_redis, entries_expire_after_the_ttl) {
  redis_client redis(options());
  price_cache cache(redis, prefix_, 300ms);
  auto v = cache.lookup("k");
  ASSERT_TRUE(v);
  ASSERT_TRUE(cache.store(v->version, "k", "x"));
  auto ttl = redis.command({"PTTL", cache.versioned_key(v->version, "k")});
  ASSERT_TRUE(ttl);
  EXPECT_GT(ttl->integer, 0);
  EXPECT_LE(ttl->integer, 300);
  EXPECT_TRUE(test::wait_until(
    [&] {
      auto r = cache.lookup("k");
      return r && !r->value;
    },
    10s, 50ms));
}

TEST_F(price_cache_redis, listener_hears_every_published_version) {
  redis_client redis(options());
  price_cache cache(redis, prefix_, 60s);
  std::mutex mtx;
  std::vector<std::optional<std::int64_t>> heard;
  price_invalidation_listener listener(
    options(), cache.channel(), [&](std::optional<std::int64_t> v) {
      std::lock_guard<std::mutex> guard(mtx);
      heard.push_back(v);
    });
  ASSERT_TRUE(test::wait_until([&] { return listener.subscribed(); }));
  {
    // After subscribing it drops everything once: it may have missed some.
    std::lock_guard<std::mutex> guard(mtx);
    ASSERT_FALSE(heard.empty());
    EXPECT_FALSE(heard.front());
  }
  auto v1 = cache.invalidate();
  auto v2 = cache.invalidate();
  ASSERT_TRUE(v1 && v2);
  EXPECT_TRUE(test::wait_until([&] {
    std::lock_guard<std::mutex> guard(mtx);
    return heard.size() >= 3;
  }));
  std::lock_guard<std::mutex> guard(mtx);
  ASSERT_EQ(heard.size(), 3u);
  EXPECT_EQ(heard[1], *v1);
  EXPECT_EQ(heard[2], *v2);
  listener.stop();
  EXPECT_FALSE(listener.subscribed());
}
