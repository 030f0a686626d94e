#include "actors/backoff.hpp"

#include <gtest/gtest.h>

using namespace std::chrono_literals;

namespace {

TEST(capped_delay, starts_at_initial_and_doubles) {
  ferry::backoff_policy p{100ms, 30000ms, 2.0};
  EXPECT_EQ(ferry::capped_delay(p, 0), 100ms);
  EXPECT_EQ(ferry::capped_delay(p, 1), 200ms);
  EXPECT_EQ(ferry::capped_delay(p, 2), 400ms);
  EXPECT_EQ(ferry::capped_delay(p, 5), 3200ms);
}

TEST(capped_delay, is_capped_at_max) {
  ferry::backoff_policy p{100ms, 1000ms, 2.0};
  EXPECT_EQ(ferry::capped_delay(p, 3), 800ms);
  EXPECT_EQ(ferry::capped_delay(p, 4), 1000ms);
  EXPECT_EQ(ferry::capped_delay(p, 10), 1000ms);
}

TEST(capped_delay, huge_attempt_saturates_instead_of_overflowing) {
  ferry::backoff_policy p{100ms, 30000ms, 2.0};
  EXPECT_EQ(ferry::capped_delay(p, 5000), 30000ms);
  EXPECT_EQ(ferry::capped_delay(p, 2147483647), 30000ms);
}

TEST(capped_delay, honours_a_non_integer_multiplier) {
  ferry::backoff_policy p{1000ms, 60000ms, 1.5};
  EXPECT_EQ(ferry::capped_delay(p, 1), 1500ms);
  EXPECT_EQ(ferry::capped_delay(p, 2), 2250ms);
}

TEST(capped_delay, negative_attempt_counts_as_first) {
  ferry::backoff_policy p{100ms, 1000ms, 2.0};
  EXPECT_EQ(ferry::capped_delay(p, -3), 100ms);
}

TEST(capped_delay, initial_above_max_is_capped) {
  ferry::backoff_policy p{5000ms, 1000ms, 2.0};
  EXPECT_EQ(ferry::capped_delay(p, 0), 1000ms);
}

TEST(full_jitter_delay, stays_within_zero_and_the_capped_delay) {
  ferry::backoff_policy p{100ms, 1000ms, 2.0};
  std::mt19937_64 rng{42};
  for (int attempt = 0; attempt < 8; ++attempt) {
    const auto cap = ferry::capped_delay(p, attempt);
    for (int i = 0; i < 200; ++i) {
      const auto d = ferry::full_jitter_delay(p, attempt, rng);
      EXPECT_GE(d, 0ms);
      EXPECT_LE(d, cap);
    }
  }
}

TEST(full_jitter_delay, spreads_over_the_whole_range) {
  ferry::backoff_policy p{1000ms, 1000ms, 2.0};
  std::mt19937_64 rng{7};
  int low = 0;
  int high = 0;
  for (int i = 0; i < 1000; ++i) {
    const auto d = ferry::full_jitter_delay(p, 0, rng);
    if (d < 250ms)
      ++low;
    if (d > 750ms)
      ++high;
  }
  // Uniform: about 250 in each quarter; a fixed seed makes this exact.
  EXPECT_GT(low, 150);
  EXPECT_GT(high, 150);
}

TEST(full_jitter_delay, same_seed_gives_same_sequence) {
  ferry::backoff_policy p{};
  std::mt19937_64 a{123};
  std::mt19937_64 b{123};
  for (int attempt = 0; attempt < 10; ++attempt)
    EXPECT_EQ(ferry::full_jitter_delay(p, attempt, a),
              ferry::full_jitter_delay(p, attempt, b));
}

TEST(full_jitter_delay, zero_initial_gives_zero) {
  ferry::backoff_policy p{0ms, 1000ms, 2.0};
  std::mt19937_64 rng{1};
  EXPECT_EQ(ferry::full_jitter_delay(p, 3, rng), 0ms);
}

} // namespace
