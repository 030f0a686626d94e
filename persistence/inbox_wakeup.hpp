#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>

namespace ferry::persistence {

/// In-process news of inbox commits, so that the order intake starts on a
/// new order as soon as the webhook path has committed it instead of at its
/// next poll. Process-wide, because the webhook endpoint and the order
/// intake are built apart and share nothing but the database; the events
/// other nodes commit are found by the intake's poll, which stays as the
/// safety net.
class inbox_wakeup {
public:
  /// The process's one instance.
  static inbox_wakeup& instance();

  /// Called after a commit that inserted events.
  void notify();

  /// How many notifications there were so far.
  std::uint64_t generation() const;

  /// Blocks until there was a notification after `seen` (a `generation()`)
  /// or `timeout` passed; returns the generation then.
  std::uint64_t wait(std::uint64_t seen, std::chrono::milliseconds timeout);

private:
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::uint64_t generation_ = 0;
};

} // namespace ferry::persistence
