#pragma once

#include "actors/backoff.hpp"
#include "actors/retry_budget.hpp"

#include <chrono>
#include <optional>
#include <random>

namespace ferry {

/// When a connector tries a failed call again: within `max_attempts`, after
/// a full-jitter backoff, and only while the retry budget allows. One per
/// connector actor (not thread-safe, like the budget it holds).
class retry_policy {
public:
  using clock = std::chrono::steady_clock;

  retry_policy(int max_attempts, backoff_policy backoff,
               retry_budget::settings budget);

  /// Counts an original call (not a retry) toward the budget.
  void record_call(clock::time_point now);

  /// The delay before attempt `attempt + 1` (attempts counted from 0), or
  /// nullopt when the attempts or the budget are spent: give up then.
  std::optional<std::chrono::milliseconds> next_delay(int attempt,
                                                      clock::time_point now);

private:
  int max_attempts_;
  backoff_policy backoff_;
  retry_budget budget_;
  std::mt19937_64 rng_{std::random_device{}()};
};

} // namespace ferry
