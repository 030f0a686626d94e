#pragma once

#include "actors/backoff.hpp"

#include <caf/error.hpp>
#include <chrono>
#include <optional>
#include <string>

namespace ferry {

/// How a consumer of inbox events (product updates, customer creations)
/// treats an event whose processing failed.
struct inbox_retry_policy {
  /// Claims of one event, the first included, before it is dead-lettered.
  int max_attempts = 14;
  /// The wait before the next claim, growing with each failed attempt
  /// (1 s, 2 s, 4 s, … 5 min): about half an hour from the first failure
  /// to the dead letter, so that an outage of a connector is waited out
  /// without a tight loop.
  backoff_policy backoff{std::chrono::seconds{1}, std::chrono::minutes{5}, 2.0};
};

/// Whether `e` may pass on its own (a connector or the database down, an
/// answer that did not come, an open circuit breaker): not when the ERP or
/// the shop refused the request itself (an ERP client fault or a request
/// Ferry's own checks refused, a shop 400, 404 or 409).
bool may_pass(const caf::error& e);

/// The wait after an event's `attempts`th claim failed.
std::chrono::milliseconds retry_delay(const inbox_retry_policy& policy,
                                      int attempts);

/// The wait before an event that failed with `e` on its `attempts`th claim
/// is claimed again; nothing when it is to be dead-lettered instead (`e`
/// will not pass, or the attempts are used up).
std::optional<std::chrono::milliseconds>
next_attempt_in(const inbox_retry_policy& policy, int attempts,
                const caf::error& e);

/// The dead letter's reason for an event that `next_attempt_in` gave no
/// other attempt: "refused: " or "given up after N attempts: " + `what`.
std::string dead_letter_reason(int attempts, const caf::error& e,
                               const std::string& what);

} // namespace ferry
