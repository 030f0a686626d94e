#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <string>

namespace ferry::sim_shop {

/// Refill rate and bucket size; the contract's default is 20/s, burst 40.
struct rate_settings {
  double rate_per_second = 20;
  double burst = 40;
};

/// The contract's per-client rate limit (a token bucket) and, beside it, a
/// count of requests per client per wall-clock second, so that tests measure
/// the request rate from the shop's side.
class rate_limiter {
public:
  using clock = std::chrono::steady_clock;

  using settings = rate_settings;

  /// The outcome of one request's admission.
  struct decision {
    bool allowed = true;
    /// Whole tokens left, for `X-RateLimit-Remaining`.
    int remaining = 0;
    /// The burst, for `X-RateLimit-Limit`.
    int limit = 0;
    /// For `Retry-After` when refused: whole seconds until one token exists.
    int retry_after_seconds = 0;
  };

  /// Requests seen from one client in one wall-clock second.
  struct second_count {
    std::int64_t epoch_second = 0;
    int count = 0;
  };

  explicit rate_limiter(settings s = settings{});

  /// Counts the request and takes a token from `client`'s bucket; a refused
  /// request costs no token. `refuse` (a 429 storm) refuses it whatever the
  /// bucket holds, with `storm_retry_after` seconds.
  decision take(const std::string& client, clock::time_point now,
                std::int64_t epoch_second, bool refuse = false,
                int storm_retry_after = 1);

  /// Replaces the settings; every bucket starts full again.
  void configure(settings s);
  settings current() const;

  /// The last `max_seconds` per-second counts of `client`, oldest first.
  std::deque<second_count> history(const std::string& client) const;

  /// The highest per-second count of `client` so far.
  int peak(const std::string& client) const;

  /// Forgets every count (tests measure one phase at a time).
  void reset_counts();

private:
  struct bucket {
    double tokens = 0;
    clock::time_point last{};
    bool fresh = true;
  };
  static constexpr std::size_t max_seconds = 3600;
  mutable std::mutex mutex_;
  settings settings_;
  std::map<std::string, bucket> buckets_;
  std::map<std::string, std::deque<second_count>> counts_;
  std::map<std::string, int> peaks_;
};

} // namespace ferry::sim_shop
