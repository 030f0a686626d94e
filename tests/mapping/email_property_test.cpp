// Properties of e-mail normal forms and checks over random addresses and
// random text: normalising is idempotent, a valid address stays valid, and
// no reason ever quotes the address.

#include "mapping/email.hpp"
#include "tests/support/property.hpp"

#include <gtest/gtest.h>

namespace ferry {
namespace {

using namespace ferry::test;

constexpr int cases = 2000;

TEST(email_property, valid_addresses_stay_valid_in_their_normal_form) {
  for_cases(cases, [](rng_t& rng) {
    auto email = random_email(rng, chance(rng, 50));
    auto padded = std::string(chance(rng, 50) ? " \t" : "") + email +
                  (chance(rng, 50) ? " \n" : "");
    SCOPED_TRACE("email '" + padded + "'");
    EXPECT_FALSE(email_problem(email).has_value()) << *email_problem(email);
    auto normal = normalize_email(padded);
    EXPECT_EQ(normalize_email(normal), normal);
    EXPECT_EQ(normal.size(), email.size());
    EXPECT_FALSE(email_problem(normal).has_value());
  });
}

TEST(email_property, any_text_is_judged_without_being_quoted) {
  for_cases(cases, [](rng_t& rng) {
    text_options o;
    o.controls = true;
    auto text = random_text(rng, 80, o);
    if (chance(rng, 50))
      text.insert(std::min(text.size(), text.find(' ')), "@");
    auto normal = normalize_email(text);
    EXPECT_TRUE(valid_utf8(normal)) << "'" << normal << "'";
    EXPECT_EQ(normalize_email(normal), normal);
    auto problem = email_problem(text);
    if (problem && text.size() > 3) {
      EXPECT_EQ(problem->find(text), std::string::npos) << *problem;
    }
  });
}

} // namespace
} // namespace ferry
