// The memory shared by the pricing actors and the API: fresh answers only,
// errors never, an invalidation drops everything and keeps a load that was
// in flight from putting a stale price back. Time is passed explicitly.

#include "actors/pricing_memory.hpp"

#include <gtest/gtest.h>
#include <thread>
#include <vector>

using namespace std::chrono_literals;

namespace ferry {
namespace {

price_item item(const std::string& sku, int qty = 1) {
  return {sku, decimal::from_int(qty)};
}

price_answer quoted(const std::string& sku, std::int64_t minor) {
  price_answer a;
  a.sku = sku;
  a.quantity = decimal::from_int(1);
  a.quote.unit_price = money::from_minor(minor);
  a.quote.currency = "USD";
  return a;
}

const auto t0 = pricing_memory::clock::time_point{} + 1h;

TEST(pricing_memory, recalls_a_remembered_answer_marked_as_hit) {
  pricing_memory m{1000ms};
  m.remember(m.generation(), "C1", "", item("A"), quoted("A", 1250), t0);
  auto a = m.recall("C1", "", item("A"), t0 + 10ms);
  ASSERT_TRUE(a);
  EXPECT_TRUE(a->cache_hit);
  EXPECT_EQ(a->quote.unit_price, money::from_minor(1250));
  // Another customer, currency, SKU or quantity is another entry.
  EXPECT_FALSE(m.recall("C2", "", item("A"), t0));
  EXPECT_FALSE(m.recall("C1", "EUR", item("A"), t0));
  EXPECT_FALSE(m.recall("C1", "", item("B"), t0));
  EXPECT_FALSE(m.recall("C1", "", item("A", 2), t0));
}

TEST(pricing_memory, answers_nothing_at_or_past_the_ttl) {
  pricing_memory m{1000ms};
  m.remember(m.generation(), "C1", "", item("A"), quoted("A", 1), t0);
  EXPECT_TRUE(m.recall("C1", "", item("A"), t0 + 999ms));
  EXPECT_FALSE(m.recall("C1", "", item("A"), t0 + 1000ms));
}

TEST(pricing_memory, never_remembers_errors) {
  pricing_memory m{1000ms};
  auto a = quoted("NOPE", 0);
  a.status = 404;
  a.error = "unknown_sku";
  m.remember(m.generation(), "C1", "", item("NOPE"), a, t0);
  EXPECT_FALSE(m.recall("C1", "", item("NOPE"), t0));
  EXPECT_EQ(m.size(), 0u);
}

TEST(pricing_memory, forget_all_drops_everything_and_refuses_older_loads) {
  pricing_memory m{1000ms};
  m.remember(m.generation(), "C1", "", item("A"), quoted("A", 1), t0);
  auto before = m.generation();
  m.forget_all();
  EXPECT_FALSE(m.recall("C1", "", item("A"), t0));
  EXPECT_NE(m.generation(), before);
  // A load started before the invalidation answers after it: not kept.
  m.remember(before, "C1", "", item("A"), quoted("A", 1), t0);
  EXPECT_FALSE(m.recall("C1", "", item("A"), t0));
  m.remember(m.generation(), "C1", "", item("A"), quoted("A", 2), t0);
  EXPECT_EQ(m.recall("C1", "", item("A"), t0)->quote.unit_price,
            money::from_minor(2));
}

TEST(pricing_memory, recall_all_needs_every_item) {
  pricing_memory m{1000ms};
  m.remember(m.generation(), "C1", "USD", item("A"), quoted("A", 1), t0);
  price_query q;
  q.customer_id = "C1";
  q.currency = "USD";
  q.items = {item("A"), item("B")};
  EXPECT_FALSE(m.recall_all(q, t0));
  m.remember(m.generation(), "C1", "USD", item("B"), quoted("B", 2), t0);
  auto r = m.recall_all(q, t0);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->answers.size(), 2u);
  EXPECT_EQ(r->answers[0].sku, "A");
  EXPECT_EQ(r->answers[1].sku, "B");
  q.items.clear();
  EXPECT_FALSE(m.recall_all(q, t0)) << "nothing asked is not a hit";
}

std::string render_price(const std::string& customer, const price_answer& a) {
  return customer + ":" + a.sku + "=" + a.quote.unit_price.to_string() +
         (a.cache_hit ? " hit" : " miss");
}

std::string render_other(const std::string& customer, const price_answer& a) {
  return "other " + customer + ":" + a.sku;
}

// The rendered form of a hot answer is kept beside it: made once, the same
// until the answer is replaced, gone with it at the TTL or an invalidation.
TEST(pricing_memory, keeps_the_rendered_answer_until_it_changes) {
  pricing_memory m{1000ms};
  EXPECT_FALSE(m.recall_rendered("C1", "", item("A"), &render_price, t0));
  m.remember(m.generation(), "C1", "", item("A"), quoted("A", 1250), t0);
  auto first = m.recall_rendered("C1", "", item("A"), &render_price, t0);
  ASSERT_TRUE(first);
  EXPECT_EQ(*first, "C1:A=12.50 hit");
  auto again = m.recall_rendered("C1", "", item("A"), &render_price, t0);
  EXPECT_EQ(again.get(), first.get()) << "rendered once";
  // Another renderer gets its own rendering, not the first one's.
  EXPECT_EQ(*m.recall_rendered("C1", "", item("A"), &render_other, t0),
            "other C1:A");
  EXPECT_FALSE(m.recall_rendered("C2", "", item("A"), &render_price, t0));
  // A new answer for the same item replaces the rendering.
  m.remember(m.generation(), "C1", "", item("A"), quoted("A", 990), t0);
  EXPECT_EQ(*m.recall_rendered("C1", "", item("A"), &render_price, t0),
            "C1:A=9.90 hit");
  EXPECT_EQ(*first, "C1:A=12.50 hit") << "a reader's copy stays intact";
  EXPECT_FALSE(
      m.recall_rendered("C1", "", item("A"), &render_price, t0 + 1000ms));
  m.forget_all();
  EXPECT_FALSE(m.recall_rendered("C1", "", item("A"), &render_price, t0));
}

TEST(pricing_memory, stays_within_its_bound) {
  pricing_memory m{1000ms, 160};
  for (int i = 0; i < 2000; ++i)
    m.remember(m.generation(), "C1", "", item("S" + std::to_string(i)),
               quoted("S", i), t0);
  EXPECT_LE(m.size(), 160u);
  EXPECT_GT(m.size(), 0u);
}

TEST(pricing_memory, readers_and_writers_on_many_threads) {
  pricing_memory m{60s};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&m, t] {
      for (int i = 0; i < 2000; ++i) {
        auto sku = "S" + std::to_string(i % 50);
        m.remember(m.generation(), "C" + std::to_string(t), "", item(sku),
                   quoted(sku, i), pricing_memory::clock::now());
        m.recall("C" + std::to_string((t + 1) % 4), "", item(sku));
        m.recall_rendered("C" + std::to_string((t + 2) % 4), "", item(sku),
                          &render_price);
        if (i % 500 == 0)
          m.forget_all();
      }
    });
  for (auto& th : threads)
    th.join();
  m.forget_all();
  EXPECT_EQ(m.size(), 0u);
}

} // namespace
} // namespace ferry
