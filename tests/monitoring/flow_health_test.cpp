#include "monitoring/flow_health.hpp"

#include <gtest/gtest.h>
#include <prometheus/registry.h>
#include <string>
#include <vector>

namespace ferry::monitoring {
namespace {

using namespace std::chrono_literals;

class flow_health_test : public ::testing::Test {
protected:
  flow_health_test() : health_(registry_, 60s, [this] { return now_; }) {
    set_log_sink([this](const std::string& line) { lines_.push_back(line); });
  }
  ~flow_health_test() override { set_log_sink(nullptr); }

  double counter(const std::string& flow, const std::string& reason) {
    for (auto& family : registry_.Collect()) {
      if (family.name != "ferry_flow_failures_total")
        continue;
      for (auto& m : family.metric) {
        std::string f, r;
        for (auto& l : m.label)
          (l.name == "flow" ? f : r) = l.value;
        if (f == flow && r == reason)
          return m.counter.value;
      }
    }
    return 0;
  }

  prometheus::Registry registry_;
  std::chrono::steady_clock::time_point now_{};
  flow_health health_;
  std::vector<std::string> lines_;
};

TEST_F(flow_health_test, every_failure_is_counted_and_logged_once_a_minute) {
  for (int i = 0; i < 40; ++i)
    health_.failed("prices", "bad_validity",
                   "price list PL-1: ValidFrom 'x' is not a date");
  EXPECT_EQ(counter("prices", "bad_validity"), 40);
  ASSERT_EQ(lines_.size(), 1u);
  EXPECT_NE(lines_[0].find("PL-1"), std::string::npos) << lines_[0];
  // Another reason of the same flow is not held back by the first.
  health_.failed("prices", "cycle_abandoned", "GetPriceLists: timeout");
  EXPECT_EQ(lines_.size(), 2u);
  now_ += 61s;
  health_.failed("prices", "bad_validity", "again");
  ASSERT_EQ(lines_.size(), 4u);
  EXPECT_NE(lines_[3].find("\"suppressed\":39"), std::string::npos)
      << lines_[3];
}

TEST_F(flow_health_test, a_flow_without_a_cycle_for_three_intervals_is_stale) {
  health_.expect_cycles("stock", 30s);
  health_.expect_cycles("prices", 10s);
  auto probe = flow_health::probe(
      std::shared_ptr<const flow_health>(&health_, [](const flow_health*) {}));
  now_ += 29s;
  health_.cycle_completed("prices");
  EXPECT_EQ(health_.stale_flows(), "");
  now_ += 62s; // stock: 91 s > 3 × 30 s; prices: 62 s > 3 × 10 s
  EXPECT_EQ(health_.stale_flows(),
            "prices (no cycle for 62 s, expected every 10 s), "
            "stock (no cycle for 91 s, expected every 30 s)");
  auto result = probe.check();
  EXPECT_TRUE(result.ok) << "a stale flow must not take the node out";
  EXPECT_NE(result.detail.find("stale: prices"), std::string::npos);
  health_.cycle_completed("stock");
  health_.cycle_completed("prices");
  EXPECT_EQ(health_.stale_flows(), "");
  EXPECT_TRUE(probe.check().ok);
}

} // namespace
} // namespace ferry::monitoring
