#include "actors/backlog.hpp"

#include <atomic>
#include <gtest/gtest.h>
#include <thread>

using namespace std::chrono_literals;
using ferry::backlog_watermarks;
using ferry::throttle_gate;

namespace {

backlog_watermarks marks() {
  backlog_watermarks w;
  w.high_messages = 100;
  w.low_messages = 10;
  w.high_age = 5000ms;
  w.low_age = 1000ms;
  w.retry_after = 7s;
  return w;
}

TEST(throttle_gate, starts_open) {
  throttle_gate gate{marks()};
  EXPECT_FALSE(gate.paused());
  EXPECT_FALSE(gate.closed());
  EXPECT_EQ(gate.retry_after(), 7s);
}

TEST(throttle_gate, pauses_at_the_high_message_mark) {
  throttle_gate gate{marks()};
  EXPECT_FALSE(gate.update(99, 0ms));
  EXPECT_FALSE(gate.paused());
  EXPECT_TRUE(gate.update(100, 0ms));
  EXPECT_TRUE(gate.paused());
}

TEST(throttle_gate, pauses_at_the_high_age_mark) {
  throttle_gate gate{marks()};
  EXPECT_FALSE(gate.update(0, 4999ms));
  EXPECT_TRUE(gate.update(0, 5000ms));
  EXPECT_TRUE(gate.paused());
}

TEST(throttle_gate, stays_paused_between_the_marks) {
  throttle_gate gate{marks()};
  gate.update(150, 0ms);
  EXPECT_FALSE(gate.update(50, 0ms));
  EXPECT_FALSE(gate.update(11, 0ms));
  EXPECT_TRUE(gate.paused());
}

TEST(throttle_gate, resumes_only_when_both_measures_are_low) {
  throttle_gate gate{marks()};
  gate.update(150, 6000ms);
  EXPECT_FALSE(gate.update(10, 2000ms)); // count low, age still high-ish
  EXPECT_TRUE(gate.paused());
  EXPECT_TRUE(gate.update(10, 1000ms));
  EXPECT_FALSE(gate.paused());
}

TEST(throttle_gate, stays_open_between_the_marks_when_open) {
  throttle_gate gate{marks()};
  EXPECT_FALSE(gate.update(50, 3000ms));
  EXPECT_FALSE(gate.paused());
}

TEST(throttle_gate, zero_high_mark_disables_that_measure) {
  auto w = marks();
  w.high_messages = 0;
  throttle_gate gate{w};
  EXPECT_FALSE(gate.update(1000000, 0ms));
  EXPECT_TRUE(gate.update(1000000, 6000ms));
  EXPECT_TRUE(gate.update(1000000, 0ms)) << "count ignored on resume too";
}

TEST(throttle_gate, close_pauses_for_good) {
  throttle_gate gate{marks()};
  gate.close();
  EXPECT_TRUE(gate.paused());
  EXPECT_TRUE(gate.closed());
  EXPECT_FALSE(gate.update(0, 0ms));
  EXPECT_TRUE(gate.paused());
}

TEST(throttle_gate, readers_on_other_threads_see_the_change) {
  throttle_gate gate{marks()};
  std::atomic<bool> seen{false};
  std::thread reader([&] {
    while (!gate.paused()) {
      std::this_thread::yield();
    }
    seen = true;
  });
  gate.update(1000, 0ms);
  reader.join();
  EXPECT_TRUE(seen);
}

} // namespace
