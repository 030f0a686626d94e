#pragma once

// Messages, atoms and errors of the supervised runtime (supervisor.hpp,
// backlog.hpp, shutdown.hpp). Type IDs 200.. (block ferry_runtime); the
// whole protocol is described in docs/DEVELOPING.md, "Supervision and
// throttling".

#include <caf/atom.hpp>
#include <caf/error.hpp>
#include <caf/meta/type_name.hpp>
#include <caf/type_id.hpp>
#include <cstdint>
#include <string>
#include <vector>

namespace ferry {

/// Why the runtime failed; category atom "ferry_rt".
enum class runtime_errc : std::uint8_t {
  /// A supervisor saw more than `intensity` restarts within `period`.
  restart_intensity_exceeded = 1,
  /// drain() ran out of time; the remaining actors were killed.
  drain_deadline_exceeded,
  /// A child factory threw or returned an invalid handle.
  child_start_failed,
};

/// The error category atom of runtime_errc.
constexpr caf::atom_value runtime_error_category = caf::atom("ferry_rt");

/// "restart_intensity_exceeded", …
std::string to_string(runtime_errc x);

/// A caf::error of category runtime_error_category.
caf::error make_error(runtime_errc x);

/// A caf::error of category runtime_error_category with a context (the kind
/// of the child involved, or what was left running).
caf::error make_error(runtime_errc x, std::string context);

/// What a drain did to a subtree: the answer to (drain_atom, timespan).
struct drain_report {
  std::uint32_t drained = 0; // workers that finished their queued messages
  std::uint32_t stopped = 0; // children that stopped on user_shutdown
  std::uint32_t killed = 0;  // children killed at the deadline
};

/// Accumulates a child supervisor's report into its parent's.
inline drain_report& operator+=(drain_report& x, const drain_report& y) {
  x.drained += y.drained;
  x.stopped += y.stopped;
  x.killed += y.killed;
  return x;
}

/// 0.17 inspection.
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, drain_report& x) {
  return f(caf::meta::type_name("drain_report"), x.drained, x.stopped,
           x.killed);
}

/// Sent by a supervisor to each subscribed producer whenever the throttle
/// state of `kind` changes, and once on subscription.
struct throttle_signal {
  std::string kind;
  bool paused = false;
  std::int32_t retry_after_s = 1; // what an HTTP producer puts in Retry-After
};

/// 0.17 inspection.
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, throttle_signal& x) {
  return f(caf::meta::type_name("throttle_signal"), x.kind, x.paused,
           x.retry_after_s);
}

/// Sent to a supervisor by a producer actor (the sender) that wants
/// throttle_signal messages for `kind`.
struct throttle_subscription {
  std::string kind;
};

/// 0.17 inspection.
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f,
                                        throttle_subscription& x) {
  return f(caf::meta::type_name("throttle_subscription"), x.kind);
}

/// A supervisor's answer to caf::get_atom: for ops pages and tests.
struct supervisor_status {
  std::string phase;         // running, quiesced, draining, stopping
  std::uint32_t running = 0; // children alive now
  std::uint32_t pending_restarts = 0;
  std::uint64_t restarts = 0; // restarts done since start
  /// Children that failed within the supervisor's period, as
  /// "kind (N restarts, last: reason)"; empty when all are healthy.
  std::vector<std::string> degraded;
};

/// 0.17 inspection.
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, supervisor_status& x) {
  return f(caf::meta::type_name("supervisor_status"), x.phase, x.running,
           x.pending_restarts, x.restarts, x.degraded);
}

} // namespace ferry

CAF_BEGIN_TYPE_ID_BLOCK(ferry_runtime, 200)

CAF_ADD_TYPE_ID(ferry_runtime, (ferry::drain_report))
CAF_ADD_TYPE_ID(ferry_runtime, (ferry::throttle_signal))
CAF_ADD_TYPE_ID(ferry_runtime, (ferry::throttle_subscription))
CAF_ADD_TYPE_ID(ferry_runtime, (ferry::supervisor_status))

/// (quiesce_atom, timespan budget) -> ok_atom: stop producing.
CAF_ADD_ATOM(ferry_runtime, ferry, quiesce_atom, "quiesce")
/// (drain_atom, timespan budget) -> drain_report to a supervisor;
/// (drain_atom) -> ok_atom to a worker that opted into drain_mode::message.
CAF_ADD_ATOM(ferry_runtime, ferry, drain_atom, "drain")
/// (backlog_atom) -> uint64_t: a worker's mailbox size.
CAF_ADD_ATOM(ferry_runtime, ferry, backlog_atom, "backlog")
/// Supervisor-internal timers.
CAF_ADD_ATOM(ferry_runtime, ferry, restart_atom, "fr_restart")
CAF_ADD_ATOM(ferry_runtime, ferry, probe_atom, "fr_probe")
CAF_ADD_ATOM(ferry_runtime, ferry, deadline_atom, "fr_dline")
CAF_ADD_ATOM(ferry_runtime, ferry, health_atom, "fr_health")

CAF_END_TYPE_ID_BLOCK(ferry_runtime)
