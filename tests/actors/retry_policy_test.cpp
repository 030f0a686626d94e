#include "actors/retry_policy.hpp"

#include <gtest/gtest.h>

using namespace std::chrono_literals;
using ferry::retry_policy;

namespace {

const retry_policy::clock::time_point t0{};

TEST(retry_policy, gives_up_after_max_attempts) {
  retry_policy p{3, {100ms, 1s, 2.0}, {0.2, 100, 10s}};
  EXPECT_TRUE(p.next_delay(0, t0)); // before the 2nd attempt
  EXPECT_TRUE(p.next_delay(1, t0)); // before the 3rd
  EXPECT_FALSE(p.next_delay(2, t0)) << "three attempts were allowed";
}

TEST(retry_policy, delay_is_full_jitter_below_the_capped_backoff) {
  retry_policy p{10, {100ms, 1s, 2.0}, {0.2, 1000, 10s}};
  for (int i = 0; i < 200; ++i) {
    auto d = p.next_delay(3, t0);
    ASSERT_TRUE(d);
    EXPECT_GE(d->count(), 0);
    EXPECT_LE(*d, 800ms); // 100 ms * 2^3
  }
  for (int i = 0; i < 200; ++i)
    EXPECT_LE(*p.next_delay(8, t0), 1s) << "capped at the maximum";
}

TEST(retry_policy, stops_retrying_when_the_budget_is_spent) {
  // No floor: only 20 % of the recorded calls may be retried.
  retry_policy p{5, {1ms, 1ms, 2.0}, {0.2, 0, 10s}};
  for (int i = 0; i < 10; ++i)
    p.record_call(t0);
  EXPECT_TRUE(p.next_delay(0, t0));
  EXPECT_TRUE(p.next_delay(0, t0));
  EXPECT_FALSE(p.next_delay(0, t0)) << "2 retries for 10 calls at 20 %";
  // The window moves on: the old calls and retries no longer count.
  p.record_call(t0 + 11s);
  p.record_call(t0 + 11s);
  p.record_call(t0 + 11s);
  p.record_call(t0 + 11s);
  p.record_call(t0 + 11s);
  EXPECT_TRUE(p.next_delay(0, t0 + 11s));
}

} // namespace
