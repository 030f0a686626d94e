#include "actors/retry_budget.hpp"

namespace ferry {

retry_budget::retry_budget(settings s) : settings_(s) {}

void retry_budget::record_call(clock::time_point now) {
  expire(now);
  calls_.push_back(now);
}

bool retry_budget::try_spend(clock::time_point now) {
  expire(now);
  const double allowed = static_cast<double>(settings_.min_retries) +
                         settings_.ratio * static_cast<double>(calls_.size());
  if (static_cast<double>(retries_.size()) + 1.0 > allowed)
    return false;
  retries_.push_back(now);
  return true;
}

void retry_budget::expire(clock::time_point now) {
  const auto horizon = now - settings_.window;
  while (!calls_.empty() && calls_.front() <= horizon)
    calls_.pop_front();
  while (!retries_.empty() && retries_.front() <= horizon)
    retries_.pop_front();
}

} // namespace ferry
