// Field ownership (merge_product), table-driven: which side's value a
// product field takes for each owner setting.
#include "actors/product_pipeline.hpp"

#include <gtest/gtest.h>

using namespace ferry;
using config::field_owner;

namespace {

shop::shop_product erp_side() {
  shop::shop_product p;
  p.sku = "AB-1";
  p.name = "ERP name";
  p.description = "ERP text";
  p.price = *money::parse("10.00");
  p.weight = *decimal::parse("1.5");
  p.status = 1;
  return p;
}

shop::shop_product shop_side(const std::string& updated_at) {
  shop::shop_product p;
  p.id = 17;
  p.sku = "AB-1";
  p.name = "Shop name";
  p.description = "Shop text";
  p.price = *money::parse("8.00");
  p.weight = *decimal::parse("2");
  p.status = 2;
  p.updated_at = updated_at;
  return p;
}

struct owner_case {
  const char* name;
  field_owner name_owner;
  field_owner description_owner;
  const char* shop_updated_at;
  const char* expected_name;
  const char* expected_description;
};

class merge_table : public ::testing::TestWithParam<owner_case> {};

} // namespace

TEST_P(merge_table, takes_each_field_from_its_owner) {
  const auto& c = GetParam();
  config::field_owners owners;
  owners.name = c.name_owner;
  owners.description = c.description_owner;
  auto merged = merge_product(erp_side(), shop_side(c.shop_updated_at),
                              "2026-05-01T10:00:00Z", owners);
  EXPECT_EQ(merged.name, c.expected_name) << c.name;
  EXPECT_EQ(merged.description, c.expected_description) << c.name;
  // Price, weight and status always belong to the ERP.
  EXPECT_EQ(merged.price.to_string(), "10.00");
  EXPECT_EQ(merged.weight.to_string(), "1.5");
  EXPECT_EQ(merged.status, 1);
  EXPECT_EQ(merged.id, 17) << "the shop's id is kept";
}

INSTANTIATE_TEST_SUITE_P(
    owners, merge_table,
    ::testing::Values(
        owner_case{"erp owns both", field_owner::erp, field_owner::erp,
                   "2026-05-01 11:00:00", "ERP name", "ERP text"},
        owner_case{"shop owns name", field_owner::shop, field_owner::erp,
                   "2026-05-01 09:00:00", "Shop name", "ERP text"},
        owner_case{"shop owns description", field_owner::erp, field_owner::shop,
                   "2026-05-01 09:00:00", "ERP name", "Shop text"},
        owner_case{"newest: shop changed later", field_owner::newest,
                   field_owner::newest, "2026-05-01 10:00:01", "Shop name",
                   "Shop text"},
        owner_case{"newest: ERP changed later", field_owner::newest,
                   field_owner::newest, "2026-05-01 09:59:59", "ERP name",
                   "ERP text"},
        owner_case{"newest: same second, ERP wins", field_owner::newest,
                   field_owner::erp, "2026-05-01 10:00:00", "ERP name",
                   "ERP text"}),
    [](const auto& info) {
      std::string name = info.param.name;
      for (auto& ch : name)
        if (!std::isalnum(static_cast<unsigned char>(ch)))
          ch = '_';
      return name;
    });

TEST(merge_product, without_a_shop_product_the_erp_values_stand) {
  config::field_owners owners;
  owners.name = field_owner::shop;
  auto merged = merge_product(erp_side(), std::nullopt, "", owners);
  EXPECT_EQ(merged.name, "ERP name");
  EXPECT_EQ(merged.id, 0);
}
