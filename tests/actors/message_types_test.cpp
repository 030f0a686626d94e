// Registration is what lets a message cross between actor systems (or be
// stored): an unregistered type fails only at run time, so round-trip each
// runtime message through the system's binary serialization.

#include "actors/message_types.hpp"
#include "actors/runtime_messages.hpp"

#include <caf/all.hpp>
#include <gtest/gtest.h>

namespace {

template <class T>
T round_trip(caf::actor_system& sys, const T& x) {
  std::vector<char> buf;
  caf::binary_serializer sink{sys, buf};
  auto msg = caf::make_message(x);
  if (auto err = sink(msg))
    ADD_FAILURE() << "serializing: " << sys.render(err);
  caf::binary_deserializer source{sys, buf};
  caf::message copy;
  if (auto err = source(copy))
    ADD_FAILURE() << "deserializing: " << sys.render(err);
  if (!copy.match_elements<T>()) {
    ADD_FAILURE() << "came back as " << caf::to_string(copy);
    return T{};
  }
  return copy.get_as<T>(0);
}

class message_types_test : public testing::Test {
protected:
  message_types_test() {
    ferry::register_message_types(cfg_);
    sys_ = std::make_unique<caf::actor_system>(cfg_);
  }
  caf::actor_system_config cfg_;
  std::unique_ptr<caf::actor_system> sys_;
};

TEST_F(message_types_test, runtime_block_starts_at_200) {
  EXPECT_EQ(caf::id_block::ferry_runtime::begin, 200);
  EXPECT_EQ(caf::id_block::ferry_runtime::end, 204);
}

TEST_F(message_types_test, throttle_signal_round_trips) {
  auto back = round_trip(*sys_, ferry::throttle_signal{"orders", true, 3});
  EXPECT_EQ(back.kind, "orders");
  EXPECT_TRUE(back.paused);
  EXPECT_EQ(back.retry_after_s, 3);
}

TEST_F(message_types_test, drain_report_round_trips) {
  auto back = round_trip(*sys_, ferry::drain_report{4, 5, 1});
  EXPECT_EQ(back.drained, 4u);
  EXPECT_EQ(back.stopped, 5u);
  EXPECT_EQ(back.killed, 1u);
}

TEST_F(message_types_test, status_and_subscription_round_trip) {
  auto status = round_trip(
      *sys_,
      ferry::supervisor_status{"running", 3, 1, 9, {"catalog (2 restarts)"}});
  EXPECT_EQ(status.phase, "running");
  EXPECT_EQ(status.restarts, 9u);
  EXPECT_EQ(status.degraded, std::vector<std::string>{"catalog (2 restarts)"});
  auto sub = round_trip(*sys_, ferry::throttle_subscription{"prices"});
  EXPECT_EQ(sub.kind, "prices");
}

TEST_F(message_types_test, runtime_errors_render_with_their_context) {
  auto err = ferry::make_error(ferry::runtime_errc::drain_deadline_exceeded,
                               "root/orders");
  EXPECT_EQ(sys_->render(err),
            "ferry_rt: drain_deadline_exceeded (root/orders)");
}

TEST_F(message_types_test, unregistered_system_cannot_read_them) {
  // The control: without register_message_types the same bytes fail.
  std::vector<char> buf;
  {
    caf::binary_serializer sink{*sys_, buf};
    auto msg = caf::make_message(ferry::throttle_signal{"orders", false, 1});
    ASSERT_FALSE(sink(msg));
  }
  caf::actor_system_config bare_cfg;
  caf::actor_system bare{bare_cfg};
  caf::binary_deserializer source{bare, buf};
  caf::message copy;
  auto err = source(copy);
  EXPECT_TRUE(err || !copy.match_elements<ferry::throttle_signal>())
      << "read " << caf::to_string(copy) << " without registration";
}

} // namespace
