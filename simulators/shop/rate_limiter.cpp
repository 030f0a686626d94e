#include "simulators/shop/rate_limiter.hpp"

#include <algorithm>
#include <cmath>

namespace ferry::sim_shop {

rate_limiter::rate_limiter(settings s) : settings_(s) {}

rate_limiter::decision rate_limiter::take(const std::string& client,
                                          clock::time_point now,
                                          std::int64_t epoch_second,
                                          bool refuse, int storm_retry_after) {
  std::lock_guard<std::mutex> guard{mutex_};
  auto& seconds = counts_[client];
  if (seconds.empty() || seconds.back().epoch_second != epoch_second) {
    seconds.push_back({epoch_second, 0});
    if (seconds.size() > max_seconds)
      seconds.pop_front();
  }
  auto& peak = peaks_[client];
  peak = std::max(peak, ++seconds.back().count);

  auto& b = buckets_[client];
  if (b.fresh) {
    b.tokens = settings_.burst;
    b.last = now;
    b.fresh = false;
  }
  auto elapsed = std::chrono::duration<double>(now - b.last).count();
  if (elapsed > 0) {
    b.tokens = std::min(settings_.burst,
                        b.tokens + elapsed * settings_.rate_per_second);
    b.last = now;
  }
  decision d;
  d.limit = static_cast<int>(settings_.burst);
  if (refuse) {
    d.allowed = false;
    d.retry_after_seconds = std::max(1, storm_retry_after);
  } else if (b.tokens >= 1.0) {
    b.tokens -= 1.0;
    d.allowed = true;
  } else {
    d.allowed = false;
    auto missing = 1.0 - b.tokens;
    d.retry_after_seconds = std::max(
        1, static_cast<int>(std::ceil(missing / settings_.rate_per_second)));
  }
  d.remaining = static_cast<int>(std::floor(b.tokens));
  return d;
}

void rate_limiter::configure(settings s) {
  std::lock_guard<std::mutex> guard{mutex_};
  settings_ = s;
  // A new limit starts every client with a full bucket.
  for (auto& [name, b] : buckets_)
    b.tokens = s.burst;
}

rate_limiter::settings rate_limiter::current() const {
  std::lock_guard<std::mutex> guard{mutex_};
  return settings_;
}

std::deque<rate_limiter::second_count>
rate_limiter::history(const std::string& client) const {
  std::lock_guard<std::mutex> guard{mutex_};
  auto i = counts_.find(client);
  return i == counts_.end() ? std::deque<second_count>{} : i->second;
}

int rate_limiter::peak(const std::string& client) const {
  std::lock_guard<std::mutex> guard{mutex_};
  auto i = peaks_.find(client);
  return i == peaks_.end() ? 0 : i->second;
}

void rate_limiter::reset_counts() {
  std::lock_guard<std::mutex> guard{mutex_};
  counts_.clear();
  peaks_.clear();
}

} // namespace ferry::sim_shop
