// The comparison behind `ferry reconcile`: expected stock per source, and
// product and stock drift, table-driven.
#include "mapping/drift.hpp"

#include <gtest/gtest.h>

using namespace ferry;
using namespace ferry::mapping;

namespace {

decimal dec(const char* text) {
  return *decimal::parse(text);
}

erp_stock_level level(const char* sku, const char* available,
                      bool backorder = false) {
  erp_stock_level l;
  l.item_code = sku;
  l.warehouse_code = "WH1";
  l.available = dec(available);
  l.on_hand = dec(available);
  l.allow_backorder = backorder;
  return l;
}

shop::shop_source_item item(const char* sku, const char* quantity, int status) {
  shop::shop_source_item i;
  i.sku = sku;
  i.source_code = "us-east";
  i.quantity = dec(quantity);
  i.status = status;
  return i;
}

shop::shop_product product(const char* sku, const char* price = "10.00") {
  shop::shop_product p;
  p.sku = sku;
  p.name = "Mug " + std::string(sku);
  p.description = "A mug";
  p.price = *money::parse(price);
  p.weight = dec("0.25");
  p.status = 1;
  return p;
}

const std::vector<std::string> erp_owned{"price", "weight", "status"};

} // namespace

TEST(expected_source_item, available_minus_reservations_never_below_zero) {
  struct row {
    const char* available;
    std::int64_t reserved;
    bool backorder;
    const char* quantity;
    int status;
  };
  const std::vector<row> rows{
      {"7", 2, false, "5", 1},     // Available − open reservations
      {"7", 0, false, "7", 1},     // nothing reserved
      {"3", 3, false, "0", 0},     // all reserved: out of stock
      {"3", 10, false, "0", 0},    // more reserved than available: 0, not −7
      {"-4", 0, false, "0", 0},    // the ERP oversold already
      {"0", 0, true, "0", 1},      // backorders keep it salable
      {"2.5", 1, false, "1.5", 1}, // fractional units stay exact
  };
  for (const auto& r : rows) {
    auto got = expected_source_item(level("S", r.available, r.backorder),
                                    r.reserved, "us-east");
    EXPECT_EQ(got.quantity, dec(r.quantity))
        << r.available << " − " << r.reserved;
    EXPECT_EQ(got.status, r.status) << r.available << " − " << r.reserved;
    EXPECT_EQ(got.source_code, "us-east");
    EXPECT_EQ(got.sku, "S");
  }
}

TEST(source_item_hash, differs_by_quantity_and_status_only) {
  auto a = item("S", "5", 1);
  auto b = a;
  b.sku = "T"; // the key is stored beside the hash, not in it
  EXPECT_EQ(source_item_hash(a), source_item_hash(b));
  auto c = a;
  c.quantity = dec("6");
  EXPECT_NE(source_item_hash(a), source_item_hash(c));
  auto d = a;
  d.status = 0;
  EXPECT_NE(source_item_hash(a), source_item_hash(d));
}

TEST(product_drift, none_when_both_sides_agree) {
  EXPECT_TRUE(product_drift({product("A"), product("B")},
                            {product("B"), product("A")}, erp_owned)
                  .empty());
}

TEST(product_drift, missing_on_either_side_and_owned_field_differences) {
  auto shop_a = product("A", "12.00"); // a shop edit of the ERP's price
  shop_a.status = 2;
  auto shop_b = product("B");
  shop_b.name = "Renamed in the shop"; // name not compared: shop-owned here
  auto drift = product_drift({product("A"), product("B"), product("C")},
                             {shop_a, shop_b, product("D")}, erp_owned);
  ASSERT_EQ(drift.size(), 4U);
  EXPECT_EQ(drift[0].kind, "field");
  EXPECT_EQ(drift[0].sku, "A");
  EXPECT_EQ(drift[0].detail, "price: shop \"12.00\", ERP \"10.00\"");
  EXPECT_EQ(drift[1].kind, "field");
  EXPECT_EQ(drift[1].detail, "status: shop \"2\", ERP \"1\"");
  EXPECT_EQ(drift[2].kind, "missing_in_shop");
  EXPECT_EQ(drift[2].sku, "C");
  EXPECT_EQ(drift[3].kind, "missing_in_erp");
  EXPECT_EQ(drift[3].sku, "D");
}

TEST(product_drift, name_compared_when_the_erp_owns_it_and_long_text_cut) {
  auto shop_b = product("B");
  shop_b.name = std::string(70, 'x') + "é";
  auto drift = product_drift({product("B")}, {shop_b},
                             {"name", "price", "weight", "status"});
  ASSERT_EQ(drift.size(), 1U);
  EXPECT_EQ(drift[0].detail,
            "name: shop \"" + std::string(60, 'x') + "…\", ERP \"Mug B\"");
}

TEST(stock_drift, compares_quantity_and_status_per_sku) {
  std::map<std::string, shop::shop_source_item> expected{
      {"A", item("A", "5", 1)}, // agrees
      {"B", item("B", "5", 1)}, // shop shows more than is free
      {"C", item("C", "0", 1)}, // backorder status differs
      {"D", item("D", "2", 1)}, // the shop has no item at this source
      {"E", item("E", "0", 0)}, // none at the source and none expected
      {"F", item("F", "1", 1)}, // the shop does not sell it
  };
  std::map<std::string, shop::shop_source_item> shop{
      {"A", item("A", "5", 1)},
      {"B", item("B", "8", 1)},
      {"C", item("C", "0", 0)},
  };
  auto drift = stock_drift(expected, shop, {"A", "B", "C", "D", "E"});
  ASSERT_EQ(drift.size(), 4U);
  EXPECT_EQ(drift[0].kind, "stock");
  EXPECT_EQ(drift[0].sku, "B");
  EXPECT_EQ(drift[0].detail,
            "source us-east: shop 8 (status 1), expected 5 (status 1)");
  EXPECT_EQ(drift[1].sku, "C");
  EXPECT_EQ(drift[1].detail,
            "source us-east: shop 0 (status 0), expected 0 (status 1)");
  EXPECT_EQ(drift[2].sku, "D");
  EXPECT_EQ(drift[2].detail,
            "source us-east: shop none, expected 2 (status 1)");
  EXPECT_EQ(drift[3].kind, "missing_in_shop");
  EXPECT_EQ(drift[3].sku, "F");
}
