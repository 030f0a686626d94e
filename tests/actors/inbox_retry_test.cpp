#include "actors/erp_messages.hpp"
#include "actors/inbox_retry.hpp"
#include "actors/shop_messages.hpp"

#include <caf/sec.hpp>
#include <gtest/gtest.h>

using namespace std::chrono_literals;

namespace ferry {
namespace {

caf::error erp(erp_error_kind kind) {
  erp_error e;
  e.kind = kind;
  e.message = "CreateCustomer";
  return make_erp_caf_error(e);
}

caf::error shop(shop_error_kind kind) {
  shop_error e;
  e.kind = kind;
  e.message = "PUT /customers/7";
  return make_shop_caf_error(e);
}

TEST(inbox_retry, a_refusal_will_not_pass) {
  EXPECT_FALSE(may_pass(erp(erp_error_kind::client_fault)));
  EXPECT_FALSE(may_pass(erp(erp_error_kind::invalid_request)));
  EXPECT_FALSE(may_pass(shop(shop_error_kind::validation)));
  EXPECT_FALSE(may_pass(shop(shop_error_kind::not_found)));
  EXPECT_FALSE(may_pass(shop(shop_error_kind::conflict)));
}

TEST(inbox_retry, an_outage_may_pass) {
  EXPECT_TRUE(may_pass(erp(erp_error_kind::server_fault)));
  EXPECT_TRUE(may_pass(erp(erp_error_kind::connection_failed)));
  EXPECT_TRUE(may_pass(erp(erp_error_kind::outcome_unknown)));
  EXPECT_TRUE(may_pass(erp(erp_error_kind::circuit_open)))
      << "an open breaker means the ERP is down, not that it refused";
  EXPECT_TRUE(may_pass(erp(erp_error_kind::overloaded)));
  EXPECT_TRUE(may_pass(shop(shop_error_kind::unavailable)));
  EXPECT_TRUE(may_pass(shop(shop_error_kind::server_error)));
  EXPECT_TRUE(may_pass(shop(shop_error_kind::rate_limited)));
  EXPECT_TRUE(may_pass(caf::make_error(caf::sec::request_timeout)));
  EXPECT_TRUE(may_pass(caf::error{})) << "Ferry's own step (no connector)";
}

TEST(inbox_retry, the_wait_doubles_up_to_its_cap) {
  inbox_retry_policy p;
  p.max_attempts = 20;
  p.backoff = {1s, 5s, 2.0};
  auto down = erp(erp_error_kind::connection_failed);
  EXPECT_EQ(next_attempt_in(p, 1, down), 1s);
  EXPECT_EQ(next_attempt_in(p, 2, down), 2s);
  EXPECT_EQ(next_attempt_in(p, 3, down), 4s);
  EXPECT_EQ(next_attempt_in(p, 4, down), 5s);
  EXPECT_EQ(next_attempt_in(p, 19, down), 5s);
}

TEST(inbox_retry, the_last_attempt_and_a_refusal_get_no_other) {
  inbox_retry_policy p;
  p.max_attempts = 3;
  auto down = shop(shop_error_kind::unavailable);
  EXPECT_TRUE(next_attempt_in(p, 2, down).has_value());
  EXPECT_FALSE(next_attempt_in(p, 3, down).has_value());
  EXPECT_FALSE(
      next_attempt_in(p, 1, shop(shop_error_kind::validation)).has_value());
}

TEST(inbox_retry, the_dead_letter_says_why_there_was_no_other_attempt) {
  EXPECT_EQ(dead_letter_reason(14, erp(erp_error_kind::connection_failed),
                               "FindCustomer: down"),
            "given up after 14 attempts: FindCustomer: down");
  EXPECT_EQ(
      dead_letter_reason(1, shop(shop_error_kind::validation), "PUT: bad sku"),
      "refused: PUT: bad sku");
}

TEST(inbox_retry, defaults_wait_out_a_half_hour_outage) {
  inbox_retry_policy p;
  auto down = erp(erp_error_kind::connection_failed);
  std::chrono::milliseconds total{0};
  for (int attempt = 1; attempt < p.max_attempts; ++attempt)
    total += *next_attempt_in(p, attempt, down);
  EXPECT_GE(total, 20min);
  EXPECT_LE(total, 60min);
}

} // namespace
} // namespace ferry
