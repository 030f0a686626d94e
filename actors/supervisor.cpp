#include "actors/supervisor.hpp"

#include <algorithm>
#include <caf/all.hpp>
#include <deque>
#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>
#include <random>
#include <set>
#include <unordered_map>

namespace ferry {

namespace {

using clock_type = caf::actor_clock::clock_type;
using time_point = caf::actor_clock::time_point;

enum class phase {
  running,
  quiescing, // stopping producers; workers still restart
  quiesced,  // producers gone; workers still restart
  draining,
  stopping,
};

const char* to_string(phase p) {
  switch (p) {
    case phase::running:
      return "running";
    case phase::quiescing:
      return "quiescing";
    case phase::quiesced:
      return "quiesced";
    case phase::draining:
      return "draining";
    case phase::stopping:
      return "stopping";
  }
  return "unknown";
}

struct child_slot {
  child_spec spec;
  caf::actor handle; // invalid while the child is down
  bool restart_pending = false;
  std::uint64_t generation = 0;    // matches restart timers to the failure
  std::deque<time_point> restarts; // this child's restarts within period
  std::string last_failure;        // why it last went down, for status
  prometheus::Gauge* degraded = nullptr;
  // Backlog: the last answered probe and the one in flight.
  bool probe_outstanding = false;
  time_point probe_sent{};
  std::uint64_t messages = 0;
  caf::timespan age{0};
};

// What the attach functor needs after the state is gone: the supervisor's
// children, to stop them when the supervisor terminates.
using child_list = std::vector<child_slot>;

// A step of a multi-step operation (quiesce, drain, stop) waits for downs
// and replies; `epoch` invalidates deadline timers of finished steps.
struct step {
  std::set<caf::actor_addr> awaiting_down;
  std::size_t awaiting_replies = 0;
  std::function<void()> done;
  bool active = false;
};

struct supervisor_state {
  supervisor_settings settings;
  std::shared_ptr<child_list> children;
  std::unordered_map<caf::actor_addr, std::size_t> by_addr;
  std::deque<time_point> restarts; // all restarts within period
  std::mt19937_64 rng;
  phase current = phase::running;
  std::uint64_t restarts_done = 0;
  std::unordered_map<std::string, std::vector<caf::actor>> subscribers;
  prometheus::Family<prometheus::Counter>* restart_family = nullptr;
  prometheus::Family<prometheus::Gauge>* messages_family = nullptr;
  prometheus::Family<prometheus::Gauge>* age_family = nullptr;
  prometheus::Family<prometheus::Gauge>* degraded_family = nullptr;
  step current_step;
  std::uint64_t step_epoch = 0;
  time_point deadline{};
  drain_report report;
  bool probing = false;

  static inline const char* name = "ferry_supervisor";
};

using supervisor_actor = caf::stateful_actor<supervisor_state>;

bool abnormal(const caf::error& reason) {
  return reason && reason != caf::exit_reason::normal &&
         reason != caf::exit_reason::user_shutdown;
}

caf::timespan remaining(supervisor_actor* self) {
  auto left = self->state.deadline - self->clock().now();
  return std::max(caf::timespan{0},
                  std::chrono::duration_cast<caf::timespan>(left));
}

// -- steps --------------------------------------------------------------------

void finish_step_if_done(supervisor_actor* self) {
  auto& st = self->state.current_step;
  if (!st.active || !st.awaiting_down.empty() || st.awaiting_replies > 0)
    return;
  st.active = false;
  ++self->state.step_epoch;
  auto done = std::move(st.done);
  st.done = nullptr;
  if (done)
    done();
}

void begin_step(supervisor_actor* self, caf::timespan budget,
                std::function<void()> done) {
  auto& st = self->state.current_step;
  st.awaiting_down.clear();
  st.awaiting_replies = 0;
  st.done = std::move(done);
  st.active = true;
  ++self->state.step_epoch;
  self->delayed_send(self, budget, deadline_atom::value,
                     self->state.step_epoch);
}

// The deadline of a step passed: kill what has not stopped and move on.
// The supervisor is not linked to its children, so killing one does not
// kill it back.
void step_deadline(supervisor_actor* self, std::uint64_t epoch) {
  auto& st = self->state.current_step;
  if (!st.active || epoch != self->state.step_epoch)
    return;
  for (auto& slot : *self->state.children) {
    if (slot.handle && st.awaiting_down.count(slot.handle.address()) > 0) {
      self->send_exit(slot.handle, caf::exit_reason::kill);
      ++self->state.report.killed;
    }
  }
  st.awaiting_down.clear();
  st.awaiting_replies = 0;
  finish_step_if_done(self);
}

// -- metrics and throttle -----------------------------------------------------

void publish_kind(supervisor_actor* self, const std::string& kind) {
  auto& s = self->state;
  const auto now = self->clock().now();
  std::uint64_t messages = 0;
  caf::timespan oldest{0};
  bool any = false;
  std::shared_ptr<throttle_gate> gate;
  for (auto& slot : *s.children) {
    if (slot.spec.kind != kind)
      continue;
    if (slot.spec.gate)
      gate = slot.spec.gate;
    if (slot.spec.probe == backlog_probe::none || !slot.handle)
      continue;
    any = true;
    messages += slot.messages;
    auto age = slot.age;
    if (slot.probe_outstanding)
      age = std::max(age, std::chrono::duration_cast<caf::timespan>(
                              now - slot.probe_sent));
    oldest = std::max(oldest, age);
  }
  if (!any && !gate)
    return;
  const double seconds = std::chrono::duration<double>(oldest).count();
  s.messages_family->Add({{"kind", kind}}).Set(static_cast<double>(messages));
  s.age_family->Add({{"kind", kind}}).Set(seconds);
  if (gate &&
      gate->update(
          messages,
          std::chrono::duration_cast<std::chrono::milliseconds>(oldest))) {
    throttle_signal sig{kind, gate->paused(),
                        static_cast<std::int32_t>(gate->retry_after().count())};
    for (auto& sub : s.subscribers[kind])
      self->send(sub, sig);
  }
}

void record_probe(supervisor_actor* self, std::size_t i,
                  const caf::actor_addr& who, time_point sent,
                  std::optional<std::uint64_t> messages) {
  auto& slot = (*self->state.children)[i];
  if (!slot.handle || slot.handle.address() != who)
    return;
  slot.probe_outstanding = false;
  slot.age =
      std::chrono::duration_cast<caf::timespan>(self->clock().now() - sent);
  if (messages)
    slot.messages = *messages;
  publish_kind(self, slot.spec.kind);
}

void probe_children(supervisor_actor* self) {
  auto& s = self->state;
  std::set<std::string> kinds;
  for (std::size_t i = 0; i < s.children->size(); ++i) {
    auto& slot = (*s.children)[i];
    if (slot.spec.probe == backlog_probe::none || !slot.handle)
      continue;
    kinds.insert(slot.spec.kind);
    if (slot.probe_outstanding)
      continue;
    slot.probe_outstanding = true;
    slot.probe_sent = self->clock().now();
    auto who = slot.handle.address();
    auto sent = slot.probe_sent;
    auto failed = [=](caf::error&) {
      auto& sl = (*self->state.children)[i];
      if (sl.handle && sl.handle.address() == who)
        sl.probe_outstanding = false;
    };
    if (slot.spec.probe == backlog_probe::mailbox) {
      self->request(slot.handle, caf::infinite, backlog_atom::value)
          .then([=](std::uint64_t n) { record_probe(self, i, who, sent, n); },
                failed);
    } else {
      self->request(slot.handle, caf::infinite, caf::sys_atom::value,
                    caf::get_atom::value, std::string{"info"})
          .then(
              [=](caf::ok_atom, const std::string&,
                  const caf::strong_actor_ptr&, const std::string&) {
                record_probe(self, i, who, sent, std::nullopt);
              },
              failed);
    }
  }
  // Unanswered probes age in the gauges even when no answer comes.
  for (auto& kind : kinds)
    publish_kind(self, kind);
}

// -- children -----------------------------------------------------------------

void escalate(supervisor_actor* self, const std::string& kind);

void start_child(supervisor_actor* self, std::size_t i);

// Forgets restarts older than the period; a child none of whose restarts
// is left is healthy again.
void expire_restarts(supervisor_actor* self) {
  auto& s = self->state;
  const auto now = self->clock().now();
  auto expired = [&](time_point t) { return now - t >= s.settings.period; };
  while (!s.restarts.empty() && expired(s.restarts.front()))
    s.restarts.pop_front();
  for (auto& slot : *s.children) {
    while (!slot.restarts.empty() && expired(slot.restarts.front()))
      slot.restarts.pop_front();
    slot.degraded->Set(slot.restarts.empty() ? 0 : 1);
  }
}

void child_failed(supervisor_actor* self, std::size_t i) {
  auto& s = self->state;
  auto& slot = (*s.children)[i];
  const auto now = self->clock().now();
  expire_restarts(self);
  const int attempt = static_cast<int>(slot.restarts.size());
  const bool over_intensity =
      s.restarts.size() >=
      static_cast<std::size_t>(std::max(0, s.settings.intensity));
  if (over_intensity && s.settings.escalate) {
    escalate(self, slot.spec.kind);
    return;
  }
  s.restarts.push_back(now);
  slot.restarts.push_back(now);
  slot.degraded->Set(1);
  // Healthy again once a period passes without another failure.
  self->delayed_send(self, s.settings.period, health_atom::value);
  // Past the intensity (a root that does not escalate), one area's crash
  // loop must not end the node: it is restarted at the longest backoff for
  // as long as it fails, and reported degraded.
  const auto delay = over_intensity ? s.settings.backoff.max
                     : s.settings.jitter
                         ? full_jitter_delay(s.settings.backoff, attempt, s.rng)
                         : capped_delay(s.settings.backoff, attempt);
  slot.restart_pending = true;
  ++slot.generation;
  if (delay.count() == 0)
    self->send(self, restart_atom::value, static_cast<std::uint64_t>(i),
               slot.generation);
  else
    self->delayed_send(self, delay, restart_atom::value,
                       static_cast<std::uint64_t>(i), slot.generation);
}

bool may_restart(supervisor_actor* self, const child_slot& slot) {
  switch (self->state.current) {
    case phase::running:
      return true;
    case phase::quiescing:
    case phase::quiesced:
      return slot.spec.role != child_role::producer;
    case phase::draining:
    case phase::stopping:
      return false;
  }
  return false;
}

void start_child(supervisor_actor* self, std::size_t i) {
  auto& slot = (*self->state.children)[i];
  caf::actor child;
  try {
    child = slot.spec.start(self->system());
  } catch (const std::exception&) {
    // Counted as a failure below; the factory's own layer logs details.
    child = nullptr;
  }
  if (!child) {
    child_failed(self, i);
    return;
  }
  slot.handle = child;
  slot.probe_outstanding = false;
  slot.messages = 0;
  slot.age = caf::timespan{0};
  self->state.by_addr[child.address()] = i;
  self->monitor(child);
}

void on_restart(supervisor_actor* self, std::uint64_t i, std::uint64_t gen) {
  auto& s = self->state;
  if (i >= s.children->size())
    return;
  auto& slot = (*s.children)[i];
  if (!slot.restart_pending || slot.generation != gen)
    return;
  slot.restart_pending = false;
  if (!may_restart(self, slot))
    return;
  ++s.restarts_done;
  s.restart_family->Add({{"kind", slot.spec.kind}}).Increment();
  start_child(self, static_cast<std::size_t>(i));
}

void on_down(supervisor_actor* self, caf::down_msg& dm) {
  auto& s = self->state;
  auto it = s.by_addr.find(dm.source);
  if (it == s.by_addr.end()) {
    for (auto& [kind, subs] : s.subscribers)
      subs.erase(std::remove_if(subs.begin(), subs.end(),
                                [&](const caf::actor& a) {
                                  return a.address() == dm.source;
                                }),
                 subs.end());
    return;
  }
  const auto i = it->second;
  s.by_addr.erase(it);
  auto& slot = (*s.children)[i];
  slot.handle = nullptr;
  slot.probe_outstanding = false;
  if (dm.reason)
    slot.last_failure = self->system().render(dm.reason);
  if (s.current_step.active) {
    if (s.current_step.awaiting_down.erase(dm.source) > 0 &&
        s.current == phase::stopping)
      ++s.report.stopped;
  }
  publish_kind(self, slot.spec.kind);
  bool restart = false;
  switch (slot.spec.restart) {
    case restart_policy::permanent:
      restart = true;
      break;
    case restart_policy::transient:
      restart = abnormal(dm.reason);
      break;
    case restart_policy::temporary:
      restart = false;
      break;
  }
  if (restart && may_restart(self, slot))
    child_failed(self, i);
  finish_step_if_done(self);
}

// Stops every live child with user_shutdown (reverse start order), then
// calls `done`; kills the rest when `budget` passes.
void stop_children(supervisor_actor* self, caf::timespan budget,
                   std::function<void()> done) {
  auto& s = self->state;
  s.current = phase::stopping;
  for (auto& slot : *s.children)
    slot.restart_pending = false;
  begin_step(self, budget, std::move(done));
  for (auto it = s.children->rbegin(); it != s.children->rend(); ++it) {
    if (!it->handle)
      continue;
    s.current_step.awaiting_down.insert(it->handle.address());
    self->send_exit(it->handle, caf::exit_reason::user_shutdown);
  }
  finish_step_if_done(self);
}

void escalate(supervisor_actor* self, const std::string& kind) {
  auto& s = self->state;
  if (s.current == phase::stopping)
    return;
  auto reason = make_error(runtime_errc::restart_intensity_exceeded,
                           s.settings.name + "/" + kind);
  stop_children(self, s.settings.stop_timeout, [self, reason] {
    if (self->state.settings.on_escalation)
      self->state.settings.on_escalation(reason);
    self->quit(reason);
  });
}

// -- quiesce and drain --------------------------------------------------------

void quiesce(supervisor_actor* self, std::function<void()> done) {
  auto& s = self->state;
  if (s.current != phase::running) {
    done();
    return;
  }
  s.current = phase::quiescing;
  for (auto& slot : *s.children) {
    if (!slot.spec.gate || slot.spec.gate->closed())
      continue;
    slot.spec.gate->close();
    throttle_signal sig{
        slot.spec.kind, true,
        static_cast<std::int32_t>(slot.spec.gate->retry_after().count())};
    for (auto& sub : s.subscribers[slot.spec.kind])
      self->send(sub, sig);
  }
  begin_step(self, remaining(self), [self, done] {
    self->state.current = phase::quiesced;
    done();
  });
  auto epoch = s.step_epoch;
  for (auto& slot : *s.children) {
    if (slot.spec.role == child_role::producer) {
      slot.restart_pending = false;
      if (slot.handle) {
        s.current_step.awaiting_down.insert(slot.handle.address());
        self->send_exit(slot.handle, caf::exit_reason::user_shutdown);
      }
    } else if (slot.spec.role == child_role::supervisor && slot.handle) {
      ++s.current_step.awaiting_replies;
      auto reply = [self, epoch] {
        auto& st = self->state.current_step;
        if (!st.active || self->state.step_epoch != epoch)
          return;
        --st.awaiting_replies;
        finish_step_if_done(self);
      };
      self->request(slot.handle, remaining(self), quiesce_atom::value,
                    remaining(self))
          .then([reply](caf::ok_atom) { reply(); },
                [reply](caf::error&) { reply(); });
    }
  }
  finish_step_if_done(self);
}

// Drains child `i` and those started before it, last first, then `done`.
void drain_from(supervisor_actor* self, std::size_t i,
                std::function<void()> done) {
  auto& s = self->state;
  while (i > 0) {
    auto& slot = (*s.children)[i - 1];
    if (slot.handle && slot.spec.role != child_role::producer)
      break;
    --i;
  }
  const auto budget = remaining(self);
  if (i == 0 || budget.count() == 0) {
    done();
    return;
  }
  auto& slot = (*s.children)[i - 1];
  auto next = [self, i, done] { drain_from(self, i - 1, done); };
  if (slot.spec.role == child_role::supervisor) {
    self->request(slot.handle, budget, drain_atom::value, budget)
        .then(
            [self, next](const drain_report& r) {
              self->state.report += r;
              next();
            },
            [next](caf::error&) { next(); });
  } else if (slot.spec.drain == drain_mode::message) {
    self->request(slot.handle, budget, drain_atom::value)
        .then(
            [self, next](caf::ok_atom) {
              ++self->state.report.drained;
              next();
            },
            [next](caf::error&) { next(); });
  } else {
    self->request(slot.handle, budget, caf::sys_atom::value,
                  caf::get_atom::value, std::string{"info"})
        .then(
            [self, next](caf::ok_atom, const std::string&,
                         const caf::strong_actor_ptr&, const std::string&) {
              ++self->state.report.drained;
              next();
            },
            [next](caf::error&) { next(); });
  }
}

void drain(supervisor_actor* self, caf::response_promise rp) {
  quiesce(self, [self, rp]() mutable {
    self->state.current = phase::draining;
    for (auto& slot : *self->state.children)
      slot.restart_pending = false;
    drain_from(self, self->state.children->size(), [self, rp]() mutable {
      stop_children(self, remaining(self), [self, rp]() mutable {
        rp.deliver(self->state.report);
        self->quit(caf::exit_reason::user_shutdown);
      });
    });
  });
}

caf::behavior supervisor_fun(supervisor_actor* self,
                             prometheus::Registry* registry,
                             supervisor_settings settings,
                             std::vector<child_spec> specs) {
  auto& s = self->state;
  s.settings = std::move(settings);
  s.rng.seed(s.settings.seed ? *s.settings.seed : std::random_device{}());
  s.restart_family = &prometheus::BuildCounter()
                          .Name("ferry_actor_restarts_total")
                          .Help("Restarts of supervised actors, by kind")
                          .Register(*registry);
  s.messages_family =
      &prometheus::BuildGauge()
           .Name("ferry_actor_backlog_messages")
           .Help("Messages waiting in the mailboxes of a kind's "
                 "workers")
           .Register(*registry);
  s.age_family = &prometheus::BuildGauge()
                      .Name("ferry_actor_backlog_oldest_seconds")
                      .Help("Age of the oldest message waiting in a kind's "
                            "workers")
                      .Register(*registry);
  s.degraded_family = &prometheus::BuildGauge()
                           .Name("ferry_actor_degraded")
                           .Help("1 while a supervised actor kind has failed "
                                 "within its supervisor's period")
                           .Register(*registry);
  s.children = std::make_shared<child_list>();
  for (auto& spec : specs) {
    child_slot slot;
    slot.spec = std::move(spec);
    slot.degraded = &s.degraded_family->Add({{"kind", slot.spec.kind}});
    if (slot.spec.role != child_role::worker)
      slot.spec.probe = backlog_probe::none;
    s.children->push_back(std::move(slot));
  }
  // Runs after the state is destroyed, whatever ended the supervisor
  // (including kill or an exception): no child may outlive it.
  self->attach_functor([children = s.children](const caf::error&) {
    for (auto& slot : *children)
      if (slot.handle)
        caf::anon_send_exit(slot.handle, caf::exit_reason::user_shutdown);
  });
  self->set_down_handler([self](caf::down_msg& dm) { on_down(self, dm); });
  self->set_exit_handler([self](caf::exit_msg& em) {
    // Children are not linked; an exit comes from whoever linked to this
    // supervisor and asks it to stop: stop the children first.
    if (self->state.current == phase::stopping)
      return;
    auto reason = em.reason;
    stop_children(self, self->state.settings.stop_timeout,
                  [self, reason] { self->quit(reason); });
  });
  for (std::size_t i = 0; i < s.children->size(); ++i)
    start_child(self, i);
  for (auto& slot : *s.children)
    if (slot.spec.probe != backlog_probe::none)
      s.probing = true;
  if (s.probing)
    self->delayed_send(self, s.settings.backlog_interval, probe_atom::value);
  return {
      [self](restart_atom, std::uint64_t i, std::uint64_t gen) {
        on_restart(self, i, gen);
      },
      [self](probe_atom) {
        auto& st = self->state;
        if (st.current == phase::draining || st.current == phase::stopping)
          return;
        probe_children(self);
        self->delayed_send(self, st.settings.backlog_interval,
                           probe_atom::value);
      },
      [self](deadline_atom, std::uint64_t epoch) {
        step_deadline(self, epoch);
      },
      [self](const throttle_subscription& sub) {
        auto sender = caf::actor_cast<caf::actor>(self->current_sender());
        if (!sender)
          return;
        self->monitor(sender);
        auto& st = self->state;
        st.subscribers[sub.kind].push_back(sender);
        bool paused = false;
        std::int32_t retry_after = 1;
        for (auto& slot : *st.children)
          if (slot.spec.kind == sub.kind && slot.spec.gate) {
            paused = slot.spec.gate->paused();
            retry_after = static_cast<std::int32_t>(
                slot.spec.gate->retry_after().count());
          }
        self->send(sender, throttle_signal{sub.kind, paused, retry_after});
      },
      [self](caf::get_atom) {
        auto& st = self->state;
        supervisor_status status;
        status.phase = to_string(st.current);
        for (auto& slot : *st.children) {
          if (slot.handle)
            ++status.running;
          if (slot.restart_pending)
            ++status.pending_restarts;
        }
        status.restarts = st.restarts_done;
        expire_restarts(self);
        for (auto& slot : *st.children)
          if (!slot.restarts.empty())
            status.degraded.push_back(
                slot.spec.kind + " (" + std::to_string(slot.restarts.size()) +
                " restarts within " +
                std::to_string(std::chrono::duration_cast<std::chrono::seconds>(
                                   st.settings.period)
                                   .count()) +
                " s, last: " +
                (slot.last_failure.empty() ? "failed to start"
                                           : slot.last_failure) +
                ")");
        return status;
      },
      [self](health_atom) { expire_restarts(self); },
      [self](quiesce_atom, caf::timespan budget) {
        auto rp = self->make_response_promise<caf::ok_atom>();
        self->state.deadline = self->clock().now() + budget;
        quiesce(self, [rp]() mutable { rp.deliver(caf::ok_atom::value); });
        return rp;
      },
      [self](drain_atom, caf::timespan budget) -> caf::result<drain_report> {
        auto& st = self->state;
        if (st.current == phase::draining || st.current == phase::stopping)
          return make_error(runtime_errc::drain_deadline_exceeded,
                            st.settings.name + " is already stopping");
        st.deadline = self->clock().now() + budget;
        drain(self, self->make_response_promise());
        return caf::delegated<drain_report>{};
      },
  };
}

} // namespace

std::string to_string(runtime_errc x) {
  switch (x) {
    case runtime_errc::restart_intensity_exceeded:
      return "restart_intensity_exceeded";
    case runtime_errc::drain_deadline_exceeded:
      return "drain_deadline_exceeded";
    case runtime_errc::child_start_failed:
      return "child_start_failed";
  }
  return "unknown_runtime_error";
}

caf::error make_error(runtime_errc x) {
  return caf::error{static_cast<std::uint8_t>(x), runtime_error_category};
}

caf::error make_error(runtime_errc x, std::string context) {
  return caf::error{static_cast<std::uint8_t>(x), runtime_error_category,
                    caf::make_message(std::move(context))};
}

caf::actor spawn_supervisor(caf::actor_system& sys,
                            prometheus::Registry& registry,
                            supervisor_settings settings,
                            std::vector<child_spec> children) {
  return sys.spawn(supervisor_fun, &registry, std::move(settings),
                   std::move(children));
}

child_spec supervisor_child(std::string kind, prometheus::Registry& registry,
                            supervisor_settings settings,
                            std::vector<child_spec> children) {
  child_spec spec;
  spec.kind = std::move(kind);
  spec.role = child_role::supervisor;
  spec.probe = backlog_probe::none;
  spec.start = [reg = &registry, settings = std::move(settings),
                children = std::move(children)](caf::actor_system& sys) {
    return spawn_supervisor(sys, *reg, settings, children);
  };
  return spec;
}

} // namespace ferry
