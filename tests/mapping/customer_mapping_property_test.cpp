// Properties of the customer mapping over random customers: names of every
// script reach the ERP unchanged or are refused with the field named, and
// the ERP's names reach the shop unchanged.

#include "mapping/customer_mapping.hpp"
#include "mapping/email.hpp"
#include "tests/support/property.hpp"

#include <gtest/gtest.h>

namespace ferry {
namespace {

using namespace ferry::test;

constexpr int cases = 2000;

bool is_trimmed_space(char32_t c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/// A name as a customer may type it: any script, sometimes surrounding
/// spaces, sometimes a control character, sometimes blank; about the
/// ERP's 100 characters long or shorter.
std::string random_name(rng_t& rng) {
  text_options o;
  o.ascii_space = chance(rng, 50);
  o.controls = chance(rng, 10);
  if (chance(rng, 3))
    return chance(rng, 50) ? "" : " \t ";
  return random_text(rng, max_customer_name_length, o);
}

/// Why the shop's `value` of `field` is not a name for the ERP, from the
/// rules: required, at most 100 characters, no control characters, once
/// surrounding spaces are gone.
std::optional<std::string> expected_problem(const std::string& value,
                                            const char* field,
                                            std::string& trimmed) {
  auto cps = *decode_utf8(value);
  std::size_t begin = 0, end = cps.size();
  while (begin < end && is_trimmed_space(cps[begin]))
    ++begin;
  while (end > begin && is_trimmed_space(cps[end - 1]))
    --end;
  std::vector<char32_t> kept(cps.begin() + static_cast<long>(begin),
                             cps.begin() + static_cast<long>(end));
  trimmed = encode(kept);
  if (kept.empty() || kept.size() > max_customer_name_length)
    return field;
  for (auto c : kept)
    if (c < 0x20 || c == 0x7F)
      return field;
  return std::nullopt;
}

TEST(customer_mapping_property, names_reach_the_erp_unchanged_or_are_refused) {
  for_cases(cases, [](rng_t& rng) {
    shop::shop_customer c;
    c.id = uniform<std::int64_t>(rng, 1, 1'000'000'000);
    c.email = random_email(rng);
    c.firstname = random_name(rng);
    c.lastname = random_name(rng);
    SCOPED_TRACE("firstname '" + c.firstname + "' (" +
                 std::to_string(code_points(c.firstname)) +
                 " code points) lastname '" + c.lastname + "' (" +
                 std::to_string(code_points(c.lastname)) + ")");
    std::string first, last;
    auto first_problem = expected_problem(c.firstname, "firstname", first);
    auto last_problem = expected_problem(c.lastname, "lastname", last);
    auto problem = customer_problem(c);
    if (first_problem || last_problem) {
      ASSERT_TRUE(problem.has_value()) << "accepted a name the ERP refuses";
      auto field = first_problem ? *first_problem : *last_problem;
      EXPECT_NE(problem->find("customer." + field), std::string::npos)
          << *problem;
      return;
    }
    ASSERT_FALSE(problem.has_value()) << *problem;
    auto e = erp_customer_from_shop(c);
    EXPECT_EQ(e.first_name, first);
    EXPECT_EQ(e.last_name, last);
    EXPECT_EQ(e.email, normalize_email(c.email));
    EXPECT_EQ(e.external_customer_id, std::to_string(c.id));
    EXPECT_TRUE(e.customer_no.empty());
    EXPECT_TRUE(valid_utf8(e.first_name) && valid_utf8(e.last_name));
  });
}

TEST(customer_mapping_property, erp_names_reach_the_shop_unchanged) {
  for_cases(cases, [](rng_t& rng) {
    erp_customer erp;
    erp.customer_no = "C" + std::to_string(uniform(rng, 1, 999999));
    erp.email = random_email(rng);
    erp.first_name = random_text(rng, 100);
    erp.last_name = random_text(rng, 100);
    erp.company = random_text(rng, 100);
    erp.phone = random_text(rng, 30);
    erp.price_group = chance(rng, 50) ? "GOLD" : random_clean_text(rng, 10);
    shop::shop_customer shop;
    shop.id = 42;
    shop.email = erp.email;
    shop.firstname = chance(rng, 30) ? erp.first_name : random_text(rng, 100);
    shop.lastname = chance(rng, 30) ? erp.last_name : random_text(rng, 100);
    shop.group_id = uniform(rng, 1, 3);
    std::map<std::string, int> groups{{"GOLD", 2}};
    SCOPED_TRACE("erp '" + erp.first_name + "' '" + erp.last_name + "' shop '" +
                 shop.firstname + "' '" + shop.lastname + "'");
    auto changes = shop_changes_from_erp(erp, shop, groups);
    // Applying the changes the way the shop's partial update does.
    auto first = changes.firstname.empty() ? shop.firstname : changes.firstname;
    auto last = changes.lastname.empty() ? shop.lastname : changes.lastname;
    if (!erp.first_name.empty()) {
      EXPECT_EQ(first, erp.first_name);
    }
    if (!erp.last_name.empty()) {
      EXPECT_EQ(last, erp.last_name);
    }
    if (erp.price_group == "GOLD" && shop.group_id != 2) {
      EXPECT_EQ(changes.group_id, 2);
    } else {
      EXPECT_EQ(changes.group_id, 0);
    }
    EXPECT_EQ(changes.any(), first != shop.firstname || last != shop.lastname ||
                                 changes.group_id != 0);
    // The echo hash reads the same fields the same way every time.
    auto hash = erp_customer_hash(erp);
    EXPECT_EQ(hash.size(), 64u);
    EXPECT_EQ(hash, erp_customer_hash(erp));
    auto renamed = erp;
    renamed.first_name += "x";
    EXPECT_NE(erp_customer_hash(renamed), hash);
  });
}

} // namespace
} // namespace ferry
