#pragma once

#include <chrono>
#include <deque>

namespace ferry {

/// The share of retries, the floor that lets a quiet caller still retry,
/// and how long a call or retry counts. Outside the class for the same g++
/// reason as circuit_breaker_settings.
struct retry_budget_settings {
  double ratio = 0.2;
  int min_retries = 10;
  std::chrono::seconds window{10};
};

/// Keeps retries a bounded share of calls (as Finagle's RetryBudget): over a
/// sliding window, retries <= min_retries + ratio * calls.
/// Pure: the caller passes the time in and serialises access. Record each
/// original call with record_call(); a retry is counted by try_spend() only.
class retry_budget {
public:
  using clock = std::chrono::steady_clock;
  /// The share of retries, the floor and the window.
  using settings = retry_budget_settings;

  /// An empty budget: min_retries retries are available at once.
  explicit retry_budget(settings s = {});

  /// Counts one original call at `now`; it counts for `window`.
  void record_call(clock::time_point now);

  /// Spends one retry if the budget allows; false means: give up now.
  bool try_spend(clock::time_point now);

private:
  void expire(clock::time_point now);

  settings settings_;
  // Times of the calls and spent retries still inside the window. Retries
  // are bounded by the budget; calls by the caller's rate times the window.
  std::deque<clock::time_point> calls_;
  std::deque<clock::time_point> retries_;
};

} // namespace ferry
