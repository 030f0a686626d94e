#include "actors/retry_budget.hpp"

#include <gtest/gtest.h>

using namespace std::chrono_literals;
using ferry::retry_budget;

namespace {

const retry_budget::clock::time_point t0{};

int spend_all(retry_budget& b, retry_budget::clock::time_point now) {
  int n = 0;
  while (b.try_spend(now) && n < 100000)
    ++n;
  return n;
}

TEST(retry_budget, min_retries_are_available_without_calls) {
  retry_budget b{{0.2, 3, 10s}};
  EXPECT_TRUE(b.try_spend(t0));
  EXPECT_TRUE(b.try_spend(t0));
  EXPECT_TRUE(b.try_spend(t0));
  EXPECT_FALSE(b.try_spend(t0));
}

TEST(retry_budget, calls_add_their_ratio) {
  retry_budget b{{0.2, 0, 10s}};
  for (int i = 0; i < 50; ++i)
    b.record_call(t0);
  EXPECT_EQ(spend_all(b, t0), 10); // 0.2 * 50
}

TEST(retry_budget, min_and_ratio_add_up) {
  retry_budget b{{0.1, 5, 10s}};
  for (int i = 0; i < 100; ++i)
    b.record_call(t0);
  EXPECT_EQ(spend_all(b, t0), 15);
}

TEST(retry_budget, spent_retries_come_back_after_the_window) {
  retry_budget b{{0.0, 2, 10s}};
  EXPECT_EQ(spend_all(b, t0), 2);
  EXPECT_FALSE(b.try_spend(t0 + 9999ms));
  EXPECT_EQ(spend_all(b, t0 + 10s), 2);
}

TEST(retry_budget, calls_stop_counting_after_the_window) {
  retry_budget b{{0.5, 0, 10s}};
  for (int i = 0; i < 10; ++i)
    b.record_call(t0);
  b.record_call(t0 + 5s);
  b.record_call(t0 + 5s);
  // At 10 s the ten calls of t0 are gone; two calls remain: one retry.
  EXPECT_EQ(spend_all(b, t0 + 10s), 1);
}

TEST(retry_budget, sliding_window_not_fixed_buckets) {
  retry_budget b{{1.0, 0, 10s}};
  b.record_call(t0);
  b.record_call(t0 + 8s);
  EXPECT_TRUE(b.try_spend(t0 + 9s));  // 1 of 2
  EXPECT_TRUE(b.try_spend(t0 + 9s));  // 2 of 2
  EXPECT_FALSE(b.try_spend(t0 + 9s)); // 3 > 2
  // At 10 s the t0 call has left; the two retries of 9 s still count.
  b.record_call(t0 + 10s);
  EXPECT_FALSE(b.try_spend(t0 + 10s));
  // At 19 s the retries and the 8 s call have left; the 10 s call remains.
  EXPECT_EQ(spend_all(b, t0 + 19s), 1);
}

TEST(retry_budget, default_settings) {
  retry_budget b;
  for (int i = 0; i < 100; ++i)
    b.record_call(t0);
  EXPECT_EQ(spend_all(b, t0 + 1s), 30); // 10 + 0.2 * 100
}

} // namespace
