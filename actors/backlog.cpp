#include "actors/backlog.hpp"

#include <caf/scheduled_actor.hpp>

namespace ferry {

throttle_gate::throttle_gate(backlog_watermarks w) : marks_(w) {}

bool throttle_gate::update(std::uint64_t messages,
                           std::chrono::milliseconds oldest) {
  if (closed_.load(std::memory_order_acquire))
    return false;
  const bool was = paused_.load(std::memory_order_relaxed);
  const bool over_messages =
      marks_.high_messages > 0 && messages >= marks_.high_messages;
  const bool over_age =
      marks_.high_age.count() > 0 && oldest >= marks_.high_age;
  const bool under_messages =
      marks_.high_messages == 0 || messages <= marks_.low_messages;
  const bool under_age =
      marks_.high_age.count() == 0 || oldest <= marks_.low_age;
  bool now = was;
  if (!was && (over_messages || over_age))
    now = true;
  else if (was && under_messages && under_age)
    now = false;
  paused_.store(now, std::memory_order_release);
  // close() may run on another thread between the check above and the
  // store; a closed gate must stay paused.
  if (closed_.load(std::memory_order_acquire)) {
    paused_.store(true, std::memory_order_release);
    return !was;
  }
  return now != was;
}

bool throttle_gate::paused() const noexcept {
  return paused_.load(std::memory_order_acquire);
}

void throttle_gate::close() noexcept {
  closed_.store(true, std::memory_order_release);
  paused_.store(true, std::memory_order_release);
}

bool throttle_gate::closed() const noexcept {
  return closed_.load(std::memory_order_acquire);
}

std::chrono::seconds throttle_gate::retry_after() const noexcept {
  return marks_.retry_after;
}

std::uint64_t mailbox_backlog(caf::scheduled_actor* self) {
  return self->mailbox().size();
}

} // namespace ferry
