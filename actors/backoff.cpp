#include "actors/backoff.hpp"

#include <algorithm>
#include <cmath>

namespace ferry {

std::chrono::milliseconds capped_delay(const backoff_policy& p, int attempt) {
  const auto initial =
      std::max<std::chrono::milliseconds::rep>(0, p.initial.count());
  const auto cap = std::max<std::chrono::milliseconds::rep>(0, p.max.count());
  if (attempt <= 0 || initial == 0)
    return std::chrono::milliseconds{std::min(initial, cap)};
  // Computed in floating point so that a large attempt saturates at the cap
  // instead of overflowing the integer representation.
  const double factor = std::pow(std::max(1.0, p.multiplier), attempt);
  const double delay = static_cast<double>(initial) * factor;
  if (!std::isfinite(delay) || delay >= static_cast<double>(cap))
    return std::chrono::milliseconds{cap};
  return std::chrono::milliseconds{
      static_cast<std::chrono::milliseconds::rep>(delay)};
}

std::chrono::milliseconds full_jitter_delay(const backoff_policy& p,
                                            int attempt, std::mt19937_64& rng) {
  const auto upper = capped_delay(p, attempt).count();
  if (upper <= 0)
    return std::chrono::milliseconds{0};
  std::uniform_int_distribution<std::chrono::milliseconds::rep> dist{0, upper};
  return std::chrono::milliseconds{dist(rng)};
}

} // namespace ferry
