#pragma once

#include <chrono>
#include <cstddef>
#include <vector>

namespace ferry {

/// Opening threshold and cool-down of a circuit_breaker. Declared outside the
/// class because g++ 12 rejects `settings s = {}` as a default argument when
/// a nested struct has default member initializers.
struct circuit_breaker_settings {
  std::size_t window = 20; // last N call outcomes considered
  std::size_t min_calls =
      10; // no opening before this many outcomes in the window
  double failure_ratio = 0.5; // opens at or above this share of failures
  std::chrono::milliseconds cool_down{5000};
};

/// A count-based circuit breaker over the last `window` call outcomes.
/// Pure: no clock of its own, no threads; the caller passes the time in and
/// serialises access (it lives inside one actor).
class circuit_breaker {
public:
  using clock = std::chrono::steady_clock;
  /// closed: calls flow; open: calls refused; half_open: one probe allowed.
  enum class state { closed, open, half_open };
  /// Opening threshold and cool-down.
  using settings = circuit_breaker_settings;

  /// A closed breaker with an empty window.
  explicit circuit_breaker(settings s = {});

  /// Whether a call may go out now. Open: false until cool_down passed, then
  /// half-open and exactly one probe is allowed until its outcome is recorded.
  bool allow(clock::time_point now);

  /// Half-open probe success closes and clears the window.
  void record_success(clock::time_point now);

  /// Half-open probe failure re-opens for another cool_down.
  void record_failure(clock::time_point now);

  /// The state as of the last call; an open breaker whose cool-down passed
  /// reports open until allow() is asked.
  state current() const;

private:
  void record(bool failed, clock::time_point now);
  void open(clock::time_point now);

  settings settings_;
  state state_ = state::closed;
  // Ring buffer of the last outcomes; true means failed.
  std::vector<bool> outcomes_;
  std::size_t next_ = 0;
  std::size_t count_ = 0;
  std::size_t failures_ = 0;
  clock::time_point opened_at_{};
  bool probe_in_flight_ = false;
};

/// "closed" / "open" / "half_open".
const char* to_string(circuit_breaker::state s);

/// The state as the ferry_*_breaker_state gauges show it: 0 closed, 1 open,
/// 2 half-open.
double gauge_value(circuit_breaker::state s);

} // namespace ferry
