// The pricing stores against the real services: price lists, base prices
// and cursors, ERP customers and shop links in a migrated scratch database
// on the shared PostgreSQL; the versioned price cache and its invalidation
// channel on the shared Redis, under a key prefix of the test's own.
#include "persistence/customer_store.hpp"
#include "persistence/migrations.hpp"
#include "persistence/price_cache.hpp"
#include "persistence/price_list_store.hpp"
#include "persistence/redis_client.hpp"
#include "tests/support/price_builders.hpp"
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

using test::discount_line;
using test::list;
using test::unit_line;

namespace {

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

  std::string prefix_ = "test:price_stores:" + std::to_string(::getpid()) + ":";
};

} // namespace

TEST_F(price_stores, lists_round_trip_and_only_real_changes_count) {
  price_list_store store(pool_);
  auto own = list("PL-C1", "C000001", "",
                  {unit_line("A", 1, 1800), unit_line("A", 10, 1500)});
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

TEST_F(price_cache_redis, lookup_all_reads_several_keys_under_one_version) {
  redis_client redis(options());
  price_cache cache(redis, prefix_, 60s);
  auto empty = cache.lookup_all({"q:C1:A:1:USD", "l:C1:GOLD"});
  ASSERT_TRUE(empty) << "redis lookup failed";
  ASSERT_EQ(empty->entries.size(), 2u);
  EXPECT_FALSE(empty->entries[0]);
  EXPECT_FALSE(empty->entries[1]);
  auto v = empty->version;
  ASSERT_TRUE(cache.store(v, "l:C1:GOLD", "[lists]"));
  ASSERT_TRUE(cache.store(v, "b:A", "20.00"));

  // Missing keys between present ones keep their places.
  auto found =
      cache.lookup_all({"q:C1:A:1:USD", "b:A", "q:C1:B:1:USD", "l:C1:GOLD"});
  ASSERT_TRUE(found);
  EXPECT_EQ(found->version, v);
  ASSERT_EQ(found->entries.size(), 4u);
  EXPECT_FALSE(found->entries[0]);
  ASSERT_TRUE(found->entries[1]);
  EXPECT_EQ(found->entries[1]->value, "20.00");
  EXPECT_FALSE(found->entries[2]);
  ASSERT_TRUE(found->entries[3]);
  EXPECT_EQ(found->entries[3]->value, "[lists]");
  EXPECT_GT(found->entries[3]->ttl_left, 50s);
  EXPECT_LE(found->entries[3]->ttl_left, 60s);

  // The version bump hides every key at once, lists as well as prices.
  auto bumped = cache.invalidate();
  ASSERT_TRUE(bumped);
  auto after = cache.lookup_all({"b:A", "l:C1:GOLD"});
  ASSERT_TRUE(after);
  EXPECT_EQ(after->version, *bumped);
  EXPECT_FALSE(after->entries[0]);
  EXPECT_FALSE(after->entries[1]);
  // No keys: just the version.
  auto none = cache.lookup_all({});
  ASSERT_TRUE(none);
  EXPECT_EQ(none->version, *bumped);
  EXPECT_TRUE(none->entries.empty());
}

TEST_F(price_cache_redis, a_derived_value_expires_no_later_than_its_source) {
  redis_client redis(options());
  price_cache cache(redis, prefix_, 60s);
  auto v = cache.lookup("k");
  ASSERT_TRUE(v);
  ASSERT_TRUE(cache.store(v->version, "short", "x", 5s));
  ASSERT_TRUE(cache.store(v->version, "capped", "x", 600s));
  auto pttl = [&](const std::string& key) {
    auto r = redis.command({"PTTL", cache.versioned_key(v->version, key)});
    EXPECT_TRUE(r);
    return r ? r->integer : -3;
  };
  EXPECT_GT(pttl("short"), 0);
  EXPECT_LE(pttl("short"), 5000);
  EXPECT_GT(pttl("capped"), 5000);
  EXPECT_LE(pttl("capped"), 60000) << "never longer than the cache's TTL";
  // A source about to expire leaves nothing to store.
  ASSERT_TRUE(cache.store(v->version, "gone", "x", 0ms));
  EXPECT_EQ(pttl("gone"), -2);
}

TEST_F(price_cache_redis, store_all_writes_every_value_in_one_call) {
  redis_client redis(options());
  price_cache cache(redis, prefix_, 60s);
  auto v = cache.lookup("k");
  ASSERT_TRUE(v);
  ASSERT_TRUE(cache.store_all(v->version, {{"b:A", "20.00", std::nullopt},
                                           {"l:C1:GOLD", "[]", std::nullopt},
                                           {"q:C1:A:1:USD", "{}", 5s},
                                           {"q:C1:A:2:USD", "{}", 0ms}}));
  auto found =
      cache.lookup_all({"b:A", "l:C1:GOLD", "q:C1:A:1:USD", "q:C1:A:2:USD"});
  ASSERT_TRUE(found);
  ASSERT_EQ(found->entries.size(), 4u);
  ASSERT_TRUE(found->entries[0]);
  EXPECT_EQ(found->entries[0]->value, "20.00");
  EXPECT_GT(found->entries[0]->ttl_left, 5s);
  ASSERT_TRUE(found->entries[1]);
  EXPECT_EQ(found->entries[1]->value, "[]");
  ASSERT_TRUE(found->entries[2]);
  EXPECT_LE(found->entries[2]->ttl_left, 5s);
  EXPECT_FALSE(found->entries[3]) << "expired before it was stored";
  EXPECT_TRUE(cache.store_all(v->version, {})) << "nothing to do";
}

TEST_F(price_cache_redis, listener_hears_every_published_version) {
  redis_client redis(options());
  price_cache cache(redis, prefix_, 60s);
  std::mutex mtx;
  std::vector<std::optional<std::int64_t>> heard;
  price_invalidation_listener listener(options(), cache.channel(),
                                       [&](std::optional<std::int64_t> v) {
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
