// Graceful shutdown on the real work-stealing scheduler: drain() blocks the
// test thread exactly as it blocks main() after SIGTERM.

#include "actors/message_types.hpp"
#include "actors/shutdown.hpp"
#include "actors/supervisor.hpp"
#include "tests/support/test_env.hpp"

#include <atomic>
#include <caf/all.hpp>
#include <csignal>
#include <gtest/gtest.h>
#include <mutex>
#include <prometheus/registry.h>
#include <thread>
#include <unistd.h>
#include <vector>

using namespace std::chrono_literals;

namespace {

struct record {
  std::mutex mtx;
  std::vector<int> processed;
  std::atomic<bool> down{false};
  caf::actor current;
};

caf::behavior counting_worker(caf::event_based_actor* self,
                              std::shared_ptr<record> rec) {
  self->attach_functor([rec](const caf::error&) { rec->down = true; });
  return {
      [rec](int x) {
        std::lock_guard<std::mutex> guard{rec->mtx};
        rec->processed.push_back(x);
      },
  };
}

caf::behavior stuck_worker(caf::event_based_actor* self) {
  self->set_exit_handler([](caf::exit_msg&) {});
  return {
      [=](ferry::drain_atom) {
        return self->make_response_promise<caf::ok_atom>(); // never delivered
      },
  };
}

class shutdown_test : public testing::Test {
protected:
  shutdown_test() {
    ferry::register_message_types(cfg_);
    sys_ = std::make_unique<caf::actor_system>(cfg_);
  }

  caf::actor_system_config cfg_;
  // Before the system: supervisors write their metrics until they stop.
  prometheus::Registry registry_;
  std::unique_ptr<caf::actor_system> sys_;
};

TEST_F(shutdown_test, drain_processes_everything_queued_then_stops) {
  auto rec = std::make_shared<record>();
  ferry::child_spec spec;
  spec.kind = "orders";
  spec.start = [rec](caf::actor_system& sys) {
    rec->current = sys.spawn(counting_worker, rec);
    return rec->current;
  };
  auto gate = std::make_shared<ferry::throttle_gate>();
  spec.gate = gate;
  auto root = ferry::spawn_supervisor(*sys_, registry_, {}, {spec});
  ASSERT_TRUE(ferry::test::wait_until([&] { return rec->current != nullptr; }));
  // A backlog that a plain user_shutdown (an urgent message) would cut off.
  constexpr int queued = 20000;
  for (int i = 0; i < queued; ++i)
    caf::anon_send(rec->current, i);

  auto report = ferry::drain(*sys_, root, 10s);
  ASSERT_TRUE(report) << sys_->render(report.error());
  EXPECT_EQ(report->drained, 1u);
  EXPECT_EQ(report->stopped, 1u);
  EXPECT_EQ(report->killed, 0u);
  EXPECT_TRUE(rec->down);
  EXPECT_TRUE(gate->closed());
  std::lock_guard<std::mutex> guard{rec->mtx};
  ASSERT_EQ(rec->processed.size(), static_cast<std::size_t>(queued));
  for (int i = 0; i < queued; ++i)
    ASSERT_EQ(rec->processed[i], i) << "out of order at " << i;
}

TEST_F(shutdown_test, drain_kills_a_stuck_worker_within_the_deadline) {
  ferry::child_spec spec;
  spec.kind = "stuck";
  spec.drain = ferry::drain_mode::message;
  spec.probe = ferry::backlog_probe::none;
  auto stuck = std::make_shared<caf::actor>();
  spec.start = [stuck](caf::actor_system& sys) {
    *stuck = sys.spawn(stuck_worker);
    return *stuck;
  };
  auto root = ferry::spawn_supervisor(*sys_, registry_, {}, {spec});
  // The drain returns although the worker never stops: the report says
  // the deadline killed it (no clock is read; a hang fails the run).
  auto report = ferry::drain(*sys_, root, 2s);
  ASSERT_TRUE(report) << sys_->render(report.error());
  EXPECT_EQ(report->killed, 1u);
  EXPECT_EQ(report->drained, 0u);
}

TEST_F(shutdown_test, drain_of_a_stopped_root_is_an_error) {
  auto root = ferry::spawn_supervisor(*sys_, registry_, {}, {});
  caf::anon_send_exit(root, caf::exit_reason::user_shutdown);
  auto report = ferry::drain(*sys_, root, 2s);
  ASSERT_FALSE(report);
  EXPECT_NE(sys_->render(report.error()), "");
}

TEST(termination_signal, sigterm_is_received_by_the_waiting_thread) {
  ferry::block_termination_signals();
  std::thread sender([] { ferry::request_termination(); });
  const int sig = ferry::wait_for_termination_signal(30s);
  sender.join();
  EXPECT_EQ(sig, SIGTERM);
}

TEST(termination_signal, times_out_without_a_signal) {
  ferry::block_termination_signals();
  EXPECT_EQ(ferry::wait_for_termination_signal(10ms), 0);
}

} // namespace
