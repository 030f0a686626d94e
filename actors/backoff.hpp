#pragma once

#include <chrono>
#include <random>

namespace ferry {

/// Exponential backoff settings.
struct backoff_policy {
  std::chrono::milliseconds initial{100};
  std::chrono::milliseconds max{30000};
  double multiplier = 2.0;
};

/// min(max, initial * multiplier^attempt), attempt counted from 0.
std::chrono::milliseconds capped_delay(const backoff_policy& p, int attempt);

/// "Full jitter" (AWS architecture blog): uniform in [0, capped_delay].
std::chrono::milliseconds full_jitter_delay(const backoff_policy& p,
                                            int attempt, std::mt19937_64& rng);

} // namespace ferry
