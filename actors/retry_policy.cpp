#include "actors/retry_policy.hpp"

namespace ferry {

retry_policy::retry_policy(int max_attempts, backoff_policy backoff,
                           retry_budget::settings budget)
    : max_attempts_(max_attempts), backoff_(backoff), budget_(budget) {}

void retry_policy::record_call(clock::time_point now) {
  budget_.record_call(now);
}

std::optional<std::chrono::milliseconds>
retry_policy::next_delay(int attempt, clock::time_point now) {
  if (attempt + 1 >= max_attempts_ || !budget_.try_spend(now))
    return std::nullopt;
  return full_jitter_delay(backoff_, attempt, rng_);
}

} // namespace ferry
