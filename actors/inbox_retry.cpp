#include "actors/inbox_retry.hpp"

#include "actors/erp_messages.hpp"
#include "actors/shop_messages.hpp"

#include <algorithm>

namespace ferry {

bool may_pass(const caf::error& e) {
  if (auto erp = erp_error_of(e))
    return erp->kind != erp_error_kind::client_fault &&
           erp->kind != erp_error_kind::invalid_request;
  if (auto shop = shop_error_of(e)) {
    switch (shop->kind) {
      case shop_error_kind::validation:
      case shop_error_kind::not_found:
      case shop_error_kind::conflict:
        return false;
      default:
        return true;
    }
  }
  return true;
}

std::chrono::milliseconds retry_delay(const inbox_retry_policy& policy,
                                      int attempts) {
  return capped_delay(policy.backoff, std::max(attempts - 1, 0));
}

std::optional<std::chrono::milliseconds>
next_attempt_in(const inbox_retry_policy& policy, int attempts,
                const caf::error& e) {
  if (!may_pass(e) || attempts >= policy.max_attempts)
    return std::nullopt;
  return retry_delay(policy, attempts);
}

std::string dead_letter_reason(int attempts, const caf::error& e,
                               const std::string& what) {
  if (!may_pass(e))
    return "refused: " + what;
  return "given up after " + std::to_string(attempts) + " attempts: " + what;
}

} // namespace ferry
