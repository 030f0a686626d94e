#pragma once

// Graceful shutdown (docs/DEVELOPING.md, "Supervision and throttling").
// main() blocks SIGTERM/SIGINT before it starts any thread, waits for one
// with wait_for_termination_signal() and then calls drain() on the root
// supervisor with a deadline below the orchestrator's grace period.

#include "actors/runtime_messages.hpp"

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/expected.hpp>
#include <chrono>
#include <optional>

namespace ferry {

/// Drains the tree under the supervisor `root` (see supervisor.hpp): stops
/// producers, lets workers finish what is queued, stops every child with
/// user_shutdown, and returns once `root` is gone. Past `deadline` what is
/// left is killed and the result is runtime_errc::drain_deadline_exceeded.
/// Blocks the calling thread; never call it from inside an actor.
caf::expected<drain_report> drain(caf::actor_system& sys,
                                  const caf::actor& root,
                                  std::chrono::milliseconds deadline);

/// Blocks SIGTERM and SIGINT in the calling thread and in every thread it
/// starts afterwards, so that only wait_for_termination_signal() sees them.
/// Call first thing in main(), before the actor system exists.
void block_termination_signals();

/// Sends SIGTERM to this process, waking wait_for_termination_signal();
/// for the root supervisor's on_escalation (raise() would target only the
/// calling thread, which has the signal blocked).
void request_termination();

/// Waits for SIGTERM or SIGINT (blocked beforehand); returns the signal
/// number, or 0 when `timeout` passed first.
int wait_for_termination_signal(
    std::optional<std::chrono::milliseconds> timeout = std::nullopt);

/// Call after the tree is stopped, before the actor system goes away. A
/// pending delayed message (a poller's next cycle, a retry's backoff) holds
/// a strong reference to the actor it will wake, and ~actor_system waits
/// until every detached actor is destroyed: one poller idling through a
/// 60 s interval would hold the process that long. Cancels every pending
/// timer, again each time an actor still stopping may have set one, until
/// no actor is running or `timeout` passed; true when none is running.
bool release_timers(caf::actor_system& sys, std::chrono::milliseconds timeout);

} // namespace ferry
