#include "persistence/errors.hpp"
#include "persistence/shop_rate_budget.hpp"
#include "tests/support/test_env.hpp"

#include <chrono>
#include <gtest/gtest.h>
#include <random>
#include <thread>

using namespace ferry;
using namespace ferry::persistence;
using namespace std::chrono_literals;

namespace {

shop_rate_budget_settings settings_for(const std::string& key) {
  shop_rate_budget_settings s;
  s.host = test::redis_host();
  s.port = test::redis_port();
  s.key = key;
  s.rate_per_second = 20;
  s.burst = 5;
  return s;
}

std::string unique_key() {
  std::random_device rd;
  return "test:shop_rate_budget:" + std::to_string(rd()) + std::to_string(rd());
}

} // namespace

TEST(shop_rate_budget, two_nodes_share_one_bucket) {
  auto key = unique_key();
  shop_rate_budget a{settings_for(key)}, b{settings_for(key)};
  // The burst is shared: five grants in all, then both must wait.
  int granted = 0;
  for (int i = 0; i < 10; ++i) {
    auto& node = i % 2 == 0 ? a : b;
    auto wait = node.try_take();
    ASSERT_TRUE(wait) << db_error_text(wait.error());
    granted += *wait == 0us;
  }
  EXPECT_EQ(granted, 5);
  auto wait = a.try_take();
  ASSERT_TRUE(wait);
  EXPECT_GT(wait->count(), 0);
  EXPECT_LE(wait->count(), 50'000); // one token at 20/s
}

TEST(shop_rate_budget, grants_stay_under_the_rate_across_threads) {
  auto key = unique_key();
  shop_rate_budget a{settings_for(key)}, b{settings_for(key)};
  std::atomic<int> granted{0};
  auto start = std::chrono::steady_clock::now();
  auto run = [&](shop_rate_budget& node) {
    while (std::chrono::steady_clock::now() - start < 1500ms) {
      auto wait = node.try_take();
      if (!wait)
        return;
      if (*wait == 0us)
        ++granted;
      else
        std::this_thread::sleep_for(*wait);
    }
  };
  std::thread t1{[&] { run(a); }}, t2{[&] { run(b); }};
  t1.join();
  t2.join();
  auto seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  // burst + rate × elapsed is the most a correct bucket can grant.
  EXPECT_LE(granted.load(), 5 + static_cast<int>(20 * seconds) + 1);
  EXPECT_GE(granted.load(), 20);
}

TEST(shop_rate_budget, unreachable_redis_is_an_unavailable_error) {
  auto s = settings_for(unique_key());
  s.port = test::free_port();
  shop_rate_budget budget{s};
  auto r = budget.try_take();
  ASSERT_FALSE(r);
  EXPECT_EQ(db_error_code(r.error()), db_errc::unavailable);
  EXPECT_NE(db_error_text(r.error()).find("cannot reach Redis"),
            std::string::npos);
}
