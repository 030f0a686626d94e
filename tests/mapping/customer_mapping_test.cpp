#include "mapping/customer_mapping.hpp"

#include <gtest/gtest.h>

namespace ferry {
namespace {

shop::shop_customer account(const char* email, const char* first,
                            const char* last) {
  shop::shop_customer c;
  c.id = 42;
  c.email = email;
  c.firstname = first;
  c.lastname = last;
  return c;
}

TEST(customer_mapping, validation_names_the_field) {
  EXPECT_FALSE(customer_problem(account(" Ann@Example.COM ", "Ann", "Lee")));
  struct bad_case {
    shop::shop_customer c;
    const char* field;
  };
  const bad_case cases[] = {
      {account("not-an-address", "Ann", "Lee"), "customer.email"},
      {account("ann@example.com", " ", "Lee"), "customer.firstname"},
      {account("ann@example.com", "Ann", ""), "customer.lastname"},
      {account("ann@example.com", std::string(101, 'a').c_str(), "Lee"),
       "customer.firstname"},
  };
  for (const auto& c : cases) {
    auto why = customer_problem(c.c);
    ASSERT_TRUE(why) << c.field;
    EXPECT_EQ(why->rfind(c.field, 0), 0u) << *why;
    EXPECT_EQ(why->find("not-an-address"), std::string::npos)
        << "the address is personal data";
  }
}

TEST(customer_mapping, name_length_counts_characters_not_bytes) {
  // 100 characters of three bytes each: what the ERP takes.
  std::string hundred;
  for (int i = 0; i < 100; ++i)
    hundred += "\u738B";
  EXPECT_FALSE(
      customer_problem(account("ann@example.com", hundred.c_str(), "Lee")));
  EXPECT_EQ(
      erp_customer_from_shop(account("ann@example.com", hundred.c_str(), "Lee"))
          .first_name,
      hundred);
  auto too_long = hundred + "\u738B";
  auto why =
      customer_problem(account("ann@example.com", "Ann", too_long.c_str()));
  ASSERT_TRUE(why);
  EXPECT_EQ(why->rfind("customer.lastname is longer than 100", 0), 0u) << *why;
}

TEST(customer_mapping, erp_customer_from_shop_normalizes) {
  auto e = erp_customer_from_shop(account(" Ann@Example.COM ", " Ann ", "Lee"));
  EXPECT_EQ(e.email, "ann@example.com");
  EXPECT_EQ(e.first_name, "Ann");
  EXPECT_EQ(e.external_customer_id, "42");
  EXPECT_TRUE(e.customer_no.empty());
}

TEST(customer_mapping, shop_changes_from_erp) {
  erp_customer erp;
  erp.first_name = "Ann";
  erp.last_name = "Berg";
  erp.price_group = "WHOLESALE";
  auto shop = account("ann@example.com", "Ann", "Lee");
  shop.group_id = 1;
  auto changes = shop_changes_from_erp(erp, shop, {{"WHOLESALE", 2}});
  EXPECT_TRUE(changes.firstname.empty());
  EXPECT_EQ(changes.lastname, "Berg");
  EXPECT_EQ(changes.group_id, 2);
  erp.price_group = "UNMAPPED";
  erp.last_name = "Lee";
  EXPECT_FALSE(shop_changes_from_erp(erp, shop, {{"WHOLESALE", 2}}).any());
  // The hash follows the synced fields only.
  auto h = erp_customer_hash(erp);
  erp.phone = "555";
  EXPECT_EQ(erp_customer_hash(erp), h);
  erp.last_name = "Other";
  EXPECT_NE(erp_customer_hash(erp), h);
}

} // namespace
} // namespace ferry
