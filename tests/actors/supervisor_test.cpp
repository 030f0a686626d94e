// The supervision tree driven deterministically: CAF's test_coordinator runs
// every actor on the test thread and its clock only moves when the test
// advances it, so backoff delays and intensity periods are exact.

#include "actors/message_types.hpp"
#include "actors/supervisor.hpp"

#include <caf/all.hpp>
#include <caf/scheduler/test_coordinator.hpp>
#include <gtest/gtest.h>
#include <memory>
#include <optional>
#include <prometheus/registry.h>
#include <stdexcept>
#include <string>
#include <vector>

using namespace std::chrono_literals;

namespace {

// What the test workers did, shared with the test body.
struct journal {
  int spawns = 0;
  caf::actor current;
  std::vector<std::string> events;
  std::vector<int> processed;
};

// A worker: handles ints (a negative one throws), answers backlog probes.
caf::behavior test_worker(caf::event_based_actor* self,
                          std::shared_ptr<journal> log, std::string name) {
  self->attach_functor([log, name](const caf::error&) {
    log->events.push_back(name + " down");
  });
  return {
      [=](int x) {
        if (x < 0)
          throw std::runtime_error("worker failed on purpose");
        log->processed.push_back(x);
        log->events.push_back(name + " work " + std::to_string(x));
      },
      [=](ferry::backlog_atom) { return ferry::mailbox_backlog(self); },
  };
}

// A worker that never finishes draining and ignores user_shutdown.
caf::behavior stuck_worker(caf::event_based_actor* self) {
  self->set_exit_handler([](caf::exit_msg&) {});
  return {
      [=](ferry::drain_atom) {
        return self->make_response_promise<caf::ok_atom>(); // never delivered
      },
  };
}

// Records throttle signals it receives.
caf::behavior
subscriber(caf::event_based_actor* self, caf::actor sup, std::string kind,
           std::shared_ptr<std::vector<ferry::throttle_signal>> seen) {
  self->send(sup, ferry::throttle_subscription{kind});
  return {
      [=](const ferry::throttle_signal& sig) { seen->push_back(sig); },
  };
}

ferry::child_spec worker_spec(std::shared_ptr<journal> log,
                              std::string kind = "orders",
                              std::string name = "worker") {
  ferry::child_spec spec;
  spec.kind = std::move(kind);
  spec.start = [log, name](caf::actor_system& sys) {
    auto a = sys.spawn(test_worker, log, name);
    ++log->spawns;
    log->current = a;
    return a;
  };
  spec.probe = ferry::backlog_probe::mailbox;
  return spec;
}

class supervisor_test : public testing::Test {
protected:
  supervisor_test() {
    ferry::register_message_types(cfg_);
    cfg_.set("scheduler.policy", caf::atom("testing"));
    sys_ = std::make_unique<caf::actor_system>(cfg_);
    sched_ =
        &dynamic_cast<caf::scheduler::test_coordinator&>(sys_->scheduler());
  }

  ~supervisor_test() override {
    for (auto& a : cleanup_)
      caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
    sched_->run();
  }

  ferry::supervisor_settings exact(int intensity = 5) {
    ferry::supervisor_settings s;
    s.name = "test";
    s.backoff = {100ms, 400ms, 2.0};
    s.jitter = false;
    s.intensity = intensity;
    s.period = 10s;
    s.backlog_interval = 1s;
    return s;
  }

  caf::actor supervise(ferry::supervisor_settings s,
                       std::vector<ferry::child_spec> children) {
    auto sup = ferry::spawn_supervisor(*sys_, registry_, std::move(s),
                                       std::move(children));
    cleanup_.push_back(sup);
    sched_->run();
    return sup;
  }

  // Sends a request from a helper actor and runs the system until the reply.
  template <class R, class... Ts>
  std::optional<R> ask(const caf::actor& dest, Ts... xs) {
    auto result = std::make_shared<std::optional<R>>();
    sys_->spawn([=](caf::event_based_actor* self) {
      self->request(dest, caf::infinite, xs...)
          .then([=](R& r) { *result = std::move(r); }, [=](caf::error&) {});
    });
    sched_->run();
    return *result;
  }

  ferry::supervisor_status status(const caf::actor& sup) {
    auto s = ask<ferry::supervisor_status>(sup, caf::get_atom::value);
    EXPECT_TRUE(s.has_value());
    return s.value_or(ferry::supervisor_status{});
  }

  // Watches `who` and returns where its exit reason will be written.
  std::shared_ptr<std::optional<caf::error>> watch(const caf::actor& who) {
    auto reason = std::make_shared<std::optional<caf::error>>();
    // Held here: CAF ends an actor nothing refers to.
    cleanup_.push_back(sys_->spawn([=](caf::event_based_actor* self) {
      self->monitor(who);
      self->set_down_handler([=](caf::down_msg& dm) { *reason = dm.reason; });
      return caf::behavior{[](int) {}};
    }));
    sched_->run();
    return reason;
  }

  double metric(const std::string& name, const std::string& kind) {
    for (auto& family : registry_.Collect()) {
      if (family.name != name)
        continue;
      for (auto& m : family.metric)
        for (auto& label : m.label)
          if (label.name == "kind" && label.value == kind)
            return family.type == prometheus::MetricType::Counter
                       ? m.counter.value
                       : m.gauge.value;
    }
    return -1;
  }

  // Lets a delay pass in two parts: nothing may happen before its end.
  void advance(caf::timespan d) {
    sched_->advance_time(d);
    sched_->run();
  }

  caf::actor_system_config cfg_;
  // Before the system: supervisors write their metrics until they stop.
  prometheus::Registry registry_;
  std::unique_ptr<caf::actor_system> sys_;
  caf::scheduler::test_coordinator* sched_ = nullptr;
  std::vector<caf::actor> cleanup_;
};

TEST_F(supervisor_test, a_child_that_throws_is_restarted_after_the_backoff) {
  auto log = std::make_shared<journal>();
  auto sup = supervise(exact(), {worker_spec(log)});
  ASSERT_EQ(log->spawns, 1);
  auto first = log->current;

  caf::anon_send(first, -1);
  sched_->run();
  EXPECT_EQ(status(sup).running, 0u);
  EXPECT_EQ(status(sup).pending_restarts, 1u);

  advance(99ms);
  EXPECT_EQ(log->spawns, 1) << "restarted before the 100 ms backoff";
  advance(1ms);
  EXPECT_EQ(log->spawns, 2);
  EXPECT_NE(log->current, first);
  EXPECT_EQ(metric("ferry_actor_restarts_total", "orders"), 1.0);

  caf::anon_send(log->current, 7);
  sched_->run();
  EXPECT_EQ(log->processed, std::vector<int>{7});
  EXPECT_EQ(status(sup).running, 1u);
  EXPECT_EQ(status(sup).restarts, 1u);
}

TEST_F(supervisor_test, backoff_grows_and_is_capped) {
  auto log = std::make_shared<journal>();
  supervise(exact(10), {worker_spec(log)});
  // 100, 200, 400, then capped at 400.
  const std::vector<caf::timespan> expected{100ms, 200ms, 400ms, 400ms, 400ms};
  for (std::size_t i = 0; i < expected.size(); ++i) {
    const int spawns = log->spawns;
    caf::anon_send(log->current, -1);
    sched_->run();
    advance(expected[i] - 1ms);
    EXPECT_EQ(log->spawns, spawns) << "restart " << i << " came early";
    advance(1ms);
    EXPECT_EQ(log->spawns, spawns + 1) << "restart " << i << " missing";
  }
  EXPECT_EQ(metric("ferry_actor_restarts_total", "orders"), 5.0);
}

TEST_F(supervisor_test, jittered_backoff_stays_within_the_capped_delay) {
  auto log = std::make_shared<journal>();
  auto s = exact(10);
  s.jitter = true;
  s.seed = 42;
  supervise(s, {worker_spec(log)});
  const std::vector<caf::timespan> caps{100ms, 200ms, 400ms, 400ms};
  for (std::size_t i = 0; i < caps.size(); ++i) {
    const int spawns = log->spawns;
    caf::anon_send(log->current, -1);
    sched_->run();
    advance(caps[i]);
    EXPECT_EQ(log->spawns, spawns + 1) << "restart " << i << " too late";
  }
}

TEST_F(supervisor_test, the_failure_past_intensity_within_period_escalates) {
  auto log = std::make_shared<journal>();
  auto escalated = std::make_shared<std::optional<caf::error>>();
  auto s = exact(3);
  s.on_escalation = [escalated](const caf::error& e) { *escalated = e; };
  auto sup = supervise(s, {worker_spec(log)});
  auto sup_down = watch(sup);

  for (int i = 0; i < 3; ++i) {
    caf::anon_send(log->current, -1);
    sched_->run();
    advance(400ms);
    ASSERT_EQ(log->spawns, i + 2) << "failure " << i + 1 << " not restarted";
  }
  EXPECT_FALSE(escalated->has_value());

  caf::anon_send(log->current, -1); // the 4th failure within 10 s
  sched_->run();
  ASSERT_TRUE(escalated->has_value());
  EXPECT_EQ(**escalated,
            ferry::make_error(ferry::runtime_errc::restart_intensity_exceeded));
  ASSERT_TRUE(sup_down->has_value());
  EXPECT_EQ(**sup_down,
            ferry::make_error(ferry::runtime_errc::restart_intensity_exceeded));
  EXPECT_EQ(sys_->render(**sup_down),
            "ferry_rt: restart_intensity_exceeded (test/orders)");
  EXPECT_EQ(log->spawns, 4) << "no restart after escalation";
}

TEST_F(supervisor_test, failures_spread_beyond_the_period_do_not_escalate) {
  auto log = std::make_shared<journal>();
  auto sup = supervise(exact(2), {worker_spec(log)});
  auto sup_down = watch(sup);
  for (int i = 0; i < 6; ++i) {
    caf::anon_send(log->current, -1);
    sched_->run();
    advance(6s); // two failures never fall within one 10 s period
  }
  EXPECT_FALSE(sup_down->has_value());
  EXPECT_EQ(log->spawns, 7);
}

TEST_F(supervisor_test, escalation_restarts_the_subtree_in_the_parent) {
  auto log = std::make_shared<journal>();
  auto inner = exact(1);
  inner.name = "inner";
  auto outer = exact(3);
  outer.name = "outer";
  auto sup =
      supervise(outer, {ferry::supervisor_child("sub", registry_, inner,
                                                {worker_spec(log, "orders")})});
  auto sup_down = watch(sup);
  ASSERT_EQ(log->spawns, 1);

  caf::anon_send(log->current, -1); // restart 1 of 1 in the inner one
  sched_->run();
  advance(100ms);
  ASSERT_EQ(log->spawns, 2);
  caf::anon_send(log->current, -1); // inner escalates
  sched_->run();
  EXPECT_EQ(log->spawns, 2);
  advance(100ms); // the outer one restarts the inner subtree after its backoff
  EXPECT_EQ(log->spawns, 3);
  EXPECT_EQ(metric("ferry_actor_restarts_total", "sub"), 1.0);
  EXPECT_FALSE(sup_down->has_value());
  caf::anon_send(log->current, 5);
  sched_->run();
  EXPECT_EQ(log->processed, std::vector<int>{5});
}

// `ferry run`'s root over its areas: a crash loop in one area spends that
// area's intensity, never the node's life.
TEST_F(supervisor_test,
       a_root_that_does_not_escalate_keeps_an_area_and_says_so) {
  auto crashing = std::make_shared<journal>();
  auto healthy = std::make_shared<journal>();
  auto area = exact(1);
  area.name = "catalog";
  auto root = exact(2);
  root.name = "root";
  root.escalate = false;
  bool root_escalated = false;
  root.on_escalation = [&](const caf::error&) { root_escalated = true; };
  auto sup = supervise(
      root, {ferry::supervisor_child("catalog", registry_, area,
                                     {worker_spec(crashing, "product_sync")}),
             ferry::supervisor_child("pricing", registry_, exact(1),
                                     {worker_spec(healthy, "pricing")})});
  auto sup_down = watch(sup);
  for (int round = 0; round < 12; ++round) {
    caf::anon_send(crashing->current, -1);
    sched_->run();
    advance(400ms); // the longest backoff: every restart is due by then
  }
  EXPECT_FALSE(sup_down->has_value()) << "the root ended";
  EXPECT_FALSE(root_escalated);
  EXPECT_GE(crashing->spawns, 12) << "the area was given up";
  auto st = status(sup);
  ASSERT_EQ(st.degraded.size(), 1u);
  EXPECT_EQ(st.degraded[0].rfind("catalog (", 0), 0u) << st.degraded[0];
  EXPECT_NE(st.degraded[0].find("restart_intensity_exceeded"),
            std::string::npos)
      << st.degraded[0];
  EXPECT_EQ(metric("ferry_actor_degraded", "catalog"), 1.0);
  EXPECT_EQ(metric("ferry_actor_degraded", "pricing"), 0.0);
  // The other area never noticed.
  EXPECT_EQ(healthy->spawns, 1);
  caf::anon_send(healthy->current, 7);
  sched_->run();
  EXPECT_EQ(healthy->processed, std::vector<int>{7});
  // A period without failures and the area is healthy again.
  advance(11s);
  EXPECT_TRUE(status(sup).degraded.empty());
  EXPECT_EQ(metric("ferry_actor_degraded", "catalog"), 0.0);
}

TEST_F(supervisor_test, a_killed_child_is_restarted_and_the_supervisor_lives) {
  auto log = std::make_shared<journal>();
  auto sup = supervise(exact(), {worker_spec(log)});
  auto sup_down = watch(sup);
  caf::anon_send_exit(log->current, caf::exit_reason::kill);
  sched_->run();
  advance(100ms);
  EXPECT_EQ(log->spawns, 2);
  EXPECT_FALSE(sup_down->has_value());
}

TEST_F(supervisor_test, transient_and_temporary_children_follow_their_policy) {
  auto transient_log = std::make_shared<journal>();
  auto temporary_log = std::make_shared<journal>();
  auto transient = worker_spec(transient_log, "t1");
  transient.restart = ferry::restart_policy::transient;
  auto temporary = worker_spec(temporary_log, "t2");
  temporary.restart = ferry::restart_policy::temporary;
  supervise(exact(), {transient, temporary});

  caf::anon_send_exit(transient_log->current, caf::exit_reason::user_shutdown);
  caf::anon_send(temporary_log->current, -1);
  sched_->run();
  advance(1s);
  EXPECT_EQ(transient_log->spawns, 1) << "a normal stop is not restarted";
  EXPECT_EQ(temporary_log->spawns, 1) << "temporary is never restarted";
}

TEST_F(supervisor_test, a_dying_supervisor_stops_its_children) {
  auto log = std::make_shared<journal>();
  auto sup = supervise(exact(), {worker_spec(log)});
  auto child_down = watch(log->current);
  caf::anon_send_exit(sup, caf::exit_reason::kill);
  sched_->run();
  ASSERT_TRUE(child_down->has_value());
  EXPECT_EQ(**child_down, caf::exit_reason::user_shutdown);
}

TEST_F(supervisor_test, throttle_fires_at_the_high_watermark_and_clears_low) {
  auto log = std::make_shared<journal>();
  ferry::backlog_watermarks marks;
  marks.high_messages = 5;
  marks.low_messages = 2;
  marks.high_age = 0ms; // messages only
  marks.retry_after = 3s;
  auto gate = std::make_shared<ferry::throttle_gate>(marks);
  auto spec = worker_spec(log);
  spec.gate = gate;
  auto sup = supervise(exact(), {spec});
  auto seen = std::make_shared<std::vector<ferry::throttle_signal>>();
  sys_->spawn(subscriber, sup, "orders", seen);
  sched_->run();
  ASSERT_EQ(seen->size(), 1u) << "the current state on subscription";
  EXPECT_FALSE(seen->back().paused);

  // The probe reaches the worker's mailbox first, then a burst arrives
  // behind it: the worker reports 6 waiting messages.
  sched_->advance_time(1s);
  sched_->prioritize(sup);
  sched_->run_once();
  for (int i = 0; i < 6; ++i)
    caf::anon_send(log->current, i);
  sched_->run();
  EXPECT_TRUE(gate->paused());
  ASSERT_EQ(seen->size(), 2u);
  EXPECT_TRUE(seen->back().paused);
  EXPECT_EQ(seen->back().retry_after_s, 3);
  EXPECT_EQ(metric("ferry_actor_backlog_messages", "orders"), 6.0);

  // Between the watermarks nothing changes (hysteresis).
  sched_->advance_time(1s);
  sched_->prioritize(sup);
  sched_->run_once();
  for (int i = 0; i < 3; ++i)
    caf::anon_send(log->current, i);
  sched_->run();
  EXPECT_EQ(metric("ferry_actor_backlog_messages", "orders"), 3.0);
  EXPECT_TRUE(gate->paused());
  EXPECT_EQ(seen->size(), 2u);

  // At or below the low watermark it clears.
  advance(1s);
  EXPECT_EQ(metric("ferry_actor_backlog_messages", "orders"), 0.0);
  EXPECT_FALSE(gate->paused());
  ASSERT_EQ(seen->size(), 3u);
  EXPECT_FALSE(seen->back().paused);
}

TEST_F(supervisor_test, a_stuck_worker_pauses_the_gate_by_age) {
  auto log = std::make_shared<journal>();
  ferry::backlog_watermarks marks;
  marks.high_messages = 0; // age only
  marks.high_age = 5s;
  marks.low_age = 1s;
  auto gate = std::make_shared<ferry::throttle_gate>(marks);
  auto spec = worker_spec(log);
  spec.gate = gate;
  auto sup = supervise(exact(), {spec});
  auto worker = log->current;
  auto is_sup = [&](caf::resumable* job) {
    return job == dynamic_cast<caf::resumable*>(
                      caf::actor_cast<caf::abstract_actor*>(sup));
  };
  // Only the supervisor runs: the worker never answers its probe.
  for (int i = 0; i < 6; ++i) {
    sched_->advance_time(1s);
    sched_->run_jobs_filtered(is_sup);
  }
  EXPECT_GE(metric("ferry_actor_backlog_oldest_seconds", "orders"), 5.0);
  EXPECT_TRUE(gate->paused());
  // Once it answers, the age falls back and the gate opens.
  sched_->run();
  advance(1s);
  EXPECT_LT(metric("ferry_actor_backlog_oldest_seconds", "orders"), 1.0);
  EXPECT_FALSE(gate->paused());
}

TEST_F(supervisor_test, drain_stops_producers_first_then_finishes_queued_work) {
  auto log = std::make_shared<journal>();
  auto gate = std::make_shared<ferry::throttle_gate>();
  auto producer = worker_spec(log, "webhooks", "producer");
  producer.role = ferry::child_role::producer;
  producer.gate = gate;
  auto worker = worker_spec(log, "orders", "worker");
  supervise(exact(), {worker, producer});
  auto sup = cleanup_.back();
  auto sup_down = watch(sup);
  log->events.clear();

  auto result = std::make_shared<std::optional<ferry::drain_report>>();
  sys_->spawn([=](caf::event_based_actor* self) {
    self->request(sup, caf::infinite, ferry::drain_atom::value,
                  caf::timespan{8s})
        .then([=](const ferry::drain_report& r) { *result = r; },
              [](caf::error&) {});
  });
  sched_->run();
  ASSERT_TRUE(result->has_value());
  EXPECT_TRUE(gate->closed());
  EXPECT_TRUE(gate->paused());
  ASSERT_TRUE(sup_down->has_value());
  EXPECT_EQ(**sup_down, caf::exit_reason::user_shutdown);
  ASSERT_GE(log->events.size(), 2u);
  EXPECT_EQ(log->events.front(), "producer down");
  EXPECT_EQ(log->events.back(), "worker down");
  EXPECT_EQ((*result)->drained, 1u);
  EXPECT_EQ((*result)->stopped, 1u);
  EXPECT_EQ((*result)->killed, 0u);
}

TEST_F(supervisor_test, drain_finishes_every_message_queued_before_it) {
  auto log = std::make_shared<journal>();
  auto sup = supervise(exact(), {worker_spec(log)});
  auto worker = log->current;
  auto result = std::make_shared<std::optional<ferry::drain_report>>();
  // The work is queued first; the drain arrives behind it.
  for (int i = 1; i <= 5; ++i)
    caf::anon_send(worker, i);
  sys_->spawn([=](caf::event_based_actor* self) {
    self->request(sup, caf::infinite, ferry::drain_atom::value,
                  caf::timespan{8s})
        .then([=](const ferry::drain_report& r) { *result = r; },
              [](caf::error&) {});
  });
  sched_->run();
  ASSERT_TRUE(result->has_value());
  EXPECT_EQ(log->processed, (std::vector<int>{1, 2, 3, 4, 5}));
  EXPECT_EQ(log->events.back(), "worker down");
  EXPECT_EQ((*result)->drained, 1u);
}

TEST_F(supervisor_test, drain_kills_what_outlives_the_deadline) {
  ferry::child_spec stuck;
  stuck.kind = "stuck";
  stuck.drain = ferry::drain_mode::message;
  stuck.probe = ferry::backlog_probe::none;
  auto handle = std::make_shared<caf::actor>();
  stuck.start = [handle](caf::actor_system& sys) {
    *handle = sys.spawn(stuck_worker);
    return *handle;
  };
  auto sup = supervise(exact(), {stuck});
  auto stuck_down = watch(*handle);
  auto result = std::make_shared<std::optional<ferry::drain_report>>();
  sys_->spawn([=](caf::event_based_actor* self) {
    self->request(sup, caf::infinite, ferry::drain_atom::value,
                  caf::timespan{2s})
        .then([=](const ferry::drain_report& r) { *result = r; },
              [](caf::error&) {});
  });
  sched_->run();
  EXPECT_FALSE(result->has_value()) << "must wait for the worker";
  advance(2s); // the drain request to the worker times out
  advance(1ms);
  ASSERT_TRUE(result->has_value());
  EXPECT_EQ((*result)->drained, 0u);
  EXPECT_EQ((*result)->killed, 1u);
  ASSERT_TRUE(stuck_down->has_value());
  EXPECT_EQ(**stuck_down, caf::exit_reason::kill);
}

} // namespace
