#include "actors/circuit_breaker.hpp"

#include <gtest/gtest.h>
#include <string>

using namespace std::chrono_literals;
using ferry::circuit_breaker;
using state = circuit_breaker::state;

namespace {

circuit_breaker::settings small() {
  circuit_breaker::settings s;
  s.window = 10;
  s.min_calls = 4;
  s.failure_ratio = 0.5;
  s.cool_down = 1000ms;
  return s;
}

const circuit_breaker::clock::time_point t0{};

TEST(circuit_breaker, starts_closed_and_allows_calls) {
  circuit_breaker cb{small()};
  EXPECT_EQ(cb.current(), state::closed);
  EXPECT_TRUE(cb.allow(t0));
}

TEST(circuit_breaker, does_not_open_before_min_calls) {
  circuit_breaker cb{small()};
  for (int i = 0; i < 3; ++i)
    cb.record_failure(t0);
  EXPECT_EQ(cb.current(), state::closed);
  EXPECT_TRUE(cb.allow(t0));
}

TEST(circuit_breaker, opens_at_the_failure_ratio) {
  circuit_breaker cb{small()};
  cb.record_success(t0);
  cb.record_success(t0);
  cb.record_failure(t0);
  EXPECT_EQ(cb.current(), state::closed); // 3 calls < min_calls
  cb.record_failure(t0);                  // 2 of 4 = 0.5
  EXPECT_EQ(cb.current(), state::open);
  EXPECT_FALSE(cb.allow(t0 + 10ms));
}

TEST(circuit_breaker, stays_closed_below_the_ratio) {
  circuit_breaker cb{small()};
  for (int i = 0; i < 6; ++i)
    cb.record_success(t0);
  for (int i = 0; i < 4; ++i)
    cb.record_failure(t0); // 4 of 10
  EXPECT_EQ(cb.current(), state::closed);
}

TEST(circuit_breaker, old_outcomes_leave_the_window) {
  circuit_breaker cb{small()};
  for (int i = 0; i < 10; ++i)
    cb.record_success(t0);
  for (int i = 0; i < 4; ++i)
    cb.record_failure(t0); // window: 6 successes, 4 failures
  EXPECT_EQ(cb.current(), state::closed);
  cb.record_failure(t0); // window: 5 successes, 5 failures
  EXPECT_EQ(cb.current(), state::open);
}

TEST(circuit_breaker, half_open_after_cool_down_allows_exactly_one_probe) {
  circuit_breaker cb{small()};
  for (int i = 0; i < 4; ++i)
    cb.record_failure(t0);
  EXPECT_FALSE(cb.allow(t0 + 999ms));
  EXPECT_EQ(cb.current(), state::open);
  EXPECT_TRUE(cb.allow(t0 + 1000ms));
  EXPECT_EQ(cb.current(), state::half_open);
  EXPECT_FALSE(cb.allow(t0 + 1001ms));
  EXPECT_FALSE(cb.allow(t0 + 5000ms));
}

TEST(circuit_breaker, probe_success_closes_and_clears_the_window) {
  circuit_breaker cb{small()};
  for (int i = 0; i < 4; ++i)
    cb.record_failure(t0);
  ASSERT_TRUE(cb.allow(t0 + 1s));
  cb.record_success(t0 + 1100ms);
  EXPECT_EQ(cb.current(), state::closed);
  EXPECT_TRUE(cb.allow(t0 + 1100ms));
  // Cleared: three new failures stay below min_calls.
  for (int i = 0; i < 3; ++i)
    cb.record_failure(t0 + 1200ms);
  EXPECT_EQ(cb.current(), state::closed);
}

TEST(circuit_breaker, probe_failure_reopens_for_another_cool_down) {
  circuit_breaker cb{small()};
  for (int i = 0; i < 4; ++i)
    cb.record_failure(t0);
  ASSERT_TRUE(cb.allow(t0 + 1s));
  cb.record_failure(t0 + 1500ms);
  EXPECT_EQ(cb.current(), state::open);
  EXPECT_FALSE(cb.allow(t0 + 2400ms));
  EXPECT_TRUE(cb.allow(t0 + 2500ms));
  EXPECT_EQ(cb.current(), state::half_open);
}

TEST(circuit_breaker, late_outcomes_while_open_are_ignored) {
  circuit_breaker cb{small()};
  for (int i = 0; i < 4; ++i)
    cb.record_failure(t0);
  cb.record_success(t0 + 10ms);
  cb.record_failure(t0 + 20ms);
  EXPECT_EQ(cb.current(), state::open);
  // The cool-down still counts from the moment it opened.
  EXPECT_TRUE(cb.allow(t0 + 1000ms));
}

TEST(circuit_breaker, default_settings_open_after_ten_failures) {
  circuit_breaker cb;
  for (int i = 0; i < 9; ++i)
    cb.record_failure(t0);
  EXPECT_EQ(cb.current(), state::closed);
  cb.record_failure(t0);
  EXPECT_EQ(cb.current(), state::open);
  EXPECT_FALSE(cb.allow(t0 + 4999ms));
  EXPECT_TRUE(cb.allow(t0 + 5000ms));
}

TEST(circuit_breaker, state_names) {
  EXPECT_EQ(std::string{ferry::to_string(state::closed)}, "closed");
  EXPECT_EQ(std::string{ferry::to_string(state::open)}, "open");
  EXPECT_EQ(std::string{ferry::to_string(state::half_open)}, "half_open");
}

TEST(circuit_breaker, gauge_values) {
  EXPECT_EQ(ferry::gauge_value(state::closed), 0);
  EXPECT_EQ(ferry::gauge_value(state::open), 1);
  EXPECT_EQ(ferry::gauge_value(state::half_open), 2);
}

} // namespace
