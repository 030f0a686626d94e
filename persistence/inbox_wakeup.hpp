#pragma once

#include <cstdint>
#include <functional>
#include <map>
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
  using listener = std::function<void()>;

  /// The process's one instance.
  static inbox_wakeup& instance();

  /// Called after a commit that inserted events: runs every listener on
  /// the calling thread.
  void notify();

  /// Adds `l`, which must return at once (it sends a message, say); returns
  /// the id to remove it with.
  std::uint64_t subscribe(listener l);

  void unsubscribe(std::uint64_t id);

private:
  std::mutex mutex_;
  std::uint64_t next_id_ = 1;
  std::map<std::uint64_t, listener> listeners_;
};

} // namespace ferry::persistence
