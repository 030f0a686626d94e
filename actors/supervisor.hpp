#pragma once

// The supervision tree (docs/DEVELOPING.md, "Supervision and throttling").
//
// A supervisor starts its children in order, monitors them and restarts a
// failed one after an exponential backoff with full jitter. More than
// `intensity` restarts within `period` (OTP's intensity/period) make it stop
// all its children and fail with runtime_errc::restart_intensity_exceeded,
// which its own supervisor sees as a failed child: escalation. The root's
// escalation calls `on_escalation` (the application ends).
//
// Children are monitored, not linked: in CAF 0.17 a linked child that is
// killed (exit_reason::kill) kills its supervisor too, and with it the whole
// tree. Instead the supervisor attaches a functor that stops every child
// (user_shutdown) whenever the supervisor itself terminates, for whatever
// reason, so no child outlives it and ~actor_system() cannot hang on one.
//
// Protocol (dynamically typed, because children are heterogeneous and a
// child supervisor is itself a caf::actor):
//   (quiesce_atom, timespan budget) -> ok_atom
//       close the gates, tell subscribers, stop producer children, recurse
//       into child supervisors.
//   (drain_atom, timespan budget) -> drain_report
//       quiesce, then drain workers in reverse start order (each answers
//       after every message queued before it was handled), then stop all
//       children with user_shutdown, killing what is left at the deadline;
//       the supervisor then quits with user_shutdown.
//   throttle_subscription{kind}        sender gets throttle_signal updates
//   (caf::get_atom) -> supervisor_status (with the children that failed
//       within `period`, each with its restart count and last reason)

#include "actors/backlog.hpp"
#include "actors/backoff.hpp"
#include "actors/runtime_messages.hpp"

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/error.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace prometheus {
class Registry;
} // namespace prometheus

namespace ferry {

/// When a stopped child is started again (OTP's restart types).
enum class restart_policy {
  permanent, // always
  transient, // only after an abnormal exit (not normal, not user_shutdown)
  temporary, // never
};

/// What a child is to the shutdown and throttle protocols.
enum class child_role {
  worker,     // drained before it is stopped; its backlog is measured
  producer,   // stopped first on quiesce, never drained
  supervisor, // a spawn_supervisor() child: receives quiesce/drain itself
};

/// How a worker's backlog is measured (see backlog.hpp).
enum class backlog_probe {
  none,
  age,     // CAF's built-in info request: oldest-message age only
  mailbox, // the worker answers (backlog_atom) with mailbox_backlog(self)
};

/// How a worker is drained.
enum class drain_mode {
  fence,   // a built-in request: answered once earlier messages are handled
  message, // the worker answers (drain_atom) -> ok_atom once its in-flight
           // work (e.g. awaited responses) is committed
};

/// One child of a supervisor.
struct child_spec {
  std::string kind; // the metric label; unique within the tree
  std::function<caf::actor(caf::actor_system&)> start;
  restart_policy restart = restart_policy::permanent;
  child_role role = child_role::worker;
  backlog_probe probe = backlog_probe::age;
  drain_mode drain = drain_mode::fence;
  std::shared_ptr<throttle_gate> gate; // fed with this kind's backlog
};

/// How a supervisor restarts, escalates and measures.
struct supervisor_settings {
  std::string name = "root"; // for logs and errors
  backoff_policy backoff{};
  bool jitter = true;                // full jitter; off gives capped_delay
  std::optional<std::uint64_t> seed; // jitter RNG seed; unset: random
  int intensity = 5;                 // restarts allowed within period
  std::chrono::milliseconds period{30000};
  std::chrono::milliseconds backlog_interval{1000};
  std::chrono::milliseconds stop_timeout{5000}; // on escalation or exit
  /// Called once when this supervisor escalates (give it to the root only:
  /// it ends the application). Runs on the supervisor's thread.
  std::function<void(const caf::error&)> on_escalation;
  /// False for the root over areas: past its intensity it does not
  /// escalate (which would end the node for one area's crash loop) but goes
  /// on restarting the failing child at the longest backoff, and reports it
  /// degraded (`supervisor_status::degraded`, ferry_actor_degraded{kind}).
  bool escalate = true;
};

/// Starts a supervisor over `children` (started in order). Metrics
/// ferry_actor_restarts_total{kind}, ferry_actor_backlog_messages{kind},
/// ferry_actor_backlog_oldest_seconds{kind} and ferry_actor_degraded{kind}
/// (1 while a child has failed within `period`) go to `registry`, which
/// must outlive the actor system.
caf::actor spawn_supervisor(caf::actor_system& sys,
                            prometheus::Registry& registry,
                            supervisor_settings settings,
                            std::vector<child_spec> children);

/// A child_spec that runs a nested supervisor (role supervisor, probe none).
child_spec supervisor_child(std::string kind, prometheus::Registry& registry,
                            supervisor_settings settings,
                            std::vector<child_spec> children);

} // namespace ferry
