#pragma once

// Backlog measurement and the throttle protocol (docs/DEVELOPING.md,
// "Supervision and throttling").
//
// Measurement. A supervisor probes each worker child every
// `backlog_interval` with one request at a time and measures the request's
// round trip. The probe waits behind every message queued before it, so its
// sojourn is the age the oldest queued message had when it reached the head
// of the mailbox (an upper bound on the oldest message's age from then on).
// While a probe is unanswered its own age counts, so a stuck worker's
// backlog age keeps growing instead of freezing at the last sample.
// - backlog_probe::mailbox: the worker answers (backlog_atom) with
//   mailbox_backlog(self); the supervisor gets the message count too.
// - backlog_probe::age: CAF's built-in ("sys", "get", "info") request,
//   answered by every scheduled actor without code of its own; age only.
//
// Throttle. Per kind, the supervisor sums the workers' message counts and
// takes the largest age, publishes both as gauges and feeds a throttle_gate.
// The gate pauses at a high watermark and resumes only below the low one
// (hysteresis, so it does not flap). Producers obey by reading the gate
// (atomic, any thread: the webhook endpoint answers 503 + Retry-After while
// paused) or, for actors, by subscribing to throttle_signal messages.

#include <atomic>
#include <chrono>
#include <cstdint>

namespace caf {
class scheduled_actor;
} // namespace caf

namespace ferry {

/// When a throttle_gate pauses and resumes. A zero high mark disables that
/// measure.
struct backlog_watermarks {
  std::uint64_t high_messages = 1000; // pause at or above
  std::uint64_t low_messages = 100;   // resume at or below (with low_age)
  std::chrono::milliseconds high_age{5000};
  std::chrono::milliseconds low_age{1000};
  std::chrono::seconds retry_after{1}; // suggested to throttled clients
};

/// A pause flag with hysteresis, written by one supervisor and read by any
/// number of producers on any thread.
class throttle_gate {
public:
  /// An open gate.
  explicit throttle_gate(backlog_watermarks w = {});

  /// Feeds one aggregated measurement (supervisor only); returns whether
  /// paused() changed. Pauses when either measure reaches its high mark,
  /// resumes when both are at or below their low marks.
  bool update(std::uint64_t messages, std::chrono::milliseconds oldest);

  /// Whether producers must hold back now. Any thread.
  bool paused() const noexcept;

  /// Pauses for good (graceful shutdown); later updates change nothing.
  void close() noexcept;

  /// Whether close() was called.
  bool closed() const noexcept;

  /// How long a throttled client should wait, for Retry-After.
  std::chrono::seconds retry_after() const noexcept;

  /// The watermarks this gate was built with.
  const backlog_watermarks& watermarks() const noexcept { return marks_; }

private:
  backlog_watermarks marks_;
  std::atomic<bool> paused_{false};
  std::atomic<bool> closed_{false};
};

/// Messages waiting in `self`'s mailbox, not counting the one being handled.
/// Only from inside one of `self`'s own handlers: CAF lets only the owner
/// read its mailbox.
std::uint64_t mailbox_backlog(caf::scheduled_actor* self);

} // namespace ferry
