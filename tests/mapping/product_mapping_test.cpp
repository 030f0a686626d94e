// The product rules of the requirements' mapping table, table-driven.
#include "mapping/product_mapping.hpp"
#include "mapping/utf8.hpp"

#include <gtest/gtest.h>

using namespace ferry;
using namespace ferry::mapping;

namespace {

std::string repeat(std::string_view unit, std::size_t n) {
  std::string out;
  for (std::size_t i = 0; i < n; ++i)
    out += unit;
  return out;
}

std::size_t code_points(std::string_view text) {
  std::size_t n = 0;
  for (char c : text)
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80)
      ++n;
  return n;
}

decimal dec(const char* text) {
  return *decimal::parse(text);
}

erp_item sample_item() {
  erp_item item;
  item.item_code = "AB-1";
  item.item_name = "Mug";
  item.description = "<p>A <b>sturdy</b> mug</p>";
  item.base_price = *money::parse("12.50");
  item.weight = dec("250");
  item.weight_unit = erp_weight_unit::g;
  item.is_active = true;
  return item;
}

} // namespace

// -- name: trim to 255 code points
// ---------------------------------------------

struct trim_case {
  const char* name;
  std::string input;
  std::string expected;
};

class trim_table : public ::testing::TestWithParam<trim_case> {};

TEST_P(trim_table, keeps_whole_code_points) {
  const auto& c = GetParam();
  auto out = trim_code_points(c.input, shop_name_max);
  ASSERT_TRUE(out) << c.name << ": " << out.error;
  EXPECT_EQ(*out, c.expected) << c.name;
  EXPECT_LE(code_points(*out), shop_name_max);
}

INSTANTIATE_TEST_SUITE_P(
    cases, trim_table,
    ::testing::Values(
        trim_case{"short", "Mug", "Mug"},
        trim_case{"surrounding whitespace", "  Mug \t\n", "Mug"},
        trim_case{"ascii exactly 255", repeat("a", 255), repeat("a", 255)},
        trim_case{"ascii 256 cut", repeat("a", 256), repeat("a", 255)},
        // 4-byte emoji: 300 of them are 1200 bytes; 255 kept whole.
        trim_case{"emoji", repeat("😀", 300), repeat("😀", 255)},
        // 3-byte CJK.
        trim_case{"cjk", repeat("日", 256), repeat("日", 255)},
        // A cut that would split a sequence at byte 255 must not.
        trim_case{"mixed bytes", "a" + repeat("😀", 300),
                  "a" + repeat("😀", 254)},
        trim_case{"trailing space after cut",
                  repeat("a", 250) + "     " + "tail", repeat("a", 250)},
        // e + U+0301 is one character of two code points: the cut at 255
        // would leave a bare "e"; it keeps 127 whole ones instead.
        trim_case{"combining marks stay with their base",
                  repeat("e\xCC\x81", 200), repeat("e\xCC\x81", 127)},
        trim_case{"a cut before a combining mark moves back",
                  repeat("a", 254) + "e\xCC\x81\xCC\x88" + "zz",
                  repeat("a", 254)},
        // A zero-width joiner keeps its emoji sequence together.
        trim_case{"joined emoji stay whole",
                  repeat("a", 253) + "\xF0\x9F\x91\xA9\xE2\x80\x8D"
                                     "\xF0\x9F\x94\xAC",
                  repeat("a", 253)}),
    [](const auto& info) {
      std::string name = info.param.name;
      for (auto& c : name)
        if (!std::isalnum(static_cast<unsigned char>(c)))
          c = '_';
      return name;
    });

TEST(trim_code_points, rejects_invalid_utf8_naming_the_byte) {
  for (std::string bad : {std::string("ab\xC3"), std::string("\xFF"),
                          std::string("a\xC0\xAF"),           // overlong '/'
                          std::string("\xED\xA0\x80"),        // surrogate
                          std::string("\xF4\x90\x80\x80")}) { // > U+10FFFF
    auto out = trim_code_points(bad, shop_name_max);
    ASSERT_FALSE(out) << bad;
    EXPECT_NE(out.error.find("UTF-8"), std::string::npos) << out.error;
  }
}

TEST(is_utf8, tells_valid_text_from_bytes_of_other_encodings) {
  EXPECT_TRUE(is_valid_utf8(""));
  EXPECT_TRUE(
      is_valid_utf8("Caf\xC3\xA9 \xE6\x9D\xB1 \xF0\x9F\x8D\xB0 e\xCC\x81"));
  EXPECT_FALSE(is_valid_utf8("Caf\xE9"));      // Latin-1 é
  EXPECT_FALSE(is_valid_utf8("\xED\xA0\x80")); // surrogate
  EXPECT_EQ(utf8_code_points("Caf\xC3\xA9 \xF0\x9F\x8D\xB0 e\xCC\x81"), 9u);
}

// -- weight: unit → kg
// -----------------------------------------------------------

struct weight_case {
  const char* weight;
  erp_weight_unit unit;
  const char* kg;
};

class weight_table : public ::testing::TestWithParam<weight_case> {};

TEST_P(weight_table, converts_to_kg_rounding_half_up_to_mg) {
  const auto& c = GetParam();
  auto out = weight_to_kg(dec(c.weight), c.unit);
  ASSERT_TRUE(out) << out.error;
  EXPECT_EQ(out->to_string(), c.kg) << c.weight << " " << to_string(c.unit);
}

INSTANTIATE_TEST_SUITE_P(
    units, weight_table,
    ::testing::Values(
        weight_case{"1.5", erp_weight_unit::kg, "1.5"},
        weight_case{"0", erp_weight_unit::kg, "0"},
        weight_case{"250", erp_weight_unit::g, "0.25"},
        weight_case{"1", erp_weight_unit::g, "0.001"},
        // 0.0004 g = 0.0000004 kg → rounds down to 0; 0.0005 g → up to 1 mg.
        weight_case{"0.0004", erp_weight_unit::g, "0"},
        weight_case{"0.0005", erp_weight_unit::g, "0.000001"},
        weight_case{"1", erp_weight_unit::lb, "0.453592"}, // 0.45359237
        weight_case{"2", erp_weight_unit::lb, "0.907185"}, // 0.90718474
        weight_case{"100", erp_weight_unit::lb, "45.359237"},
        weight_case{"1", erp_weight_unit::oz, "0.02835"}, // 0.028349523125
        weight_case{"16", erp_weight_unit::oz, "0.453592"},
        weight_case{"1000000", erp_weight_unit::oz, "28349.523125"}));

TEST(weight_to_kg, rejects_negative_weight) {
  auto out = weight_to_kg(dec("-1"), erp_weight_unit::kg);
  ASSERT_FALSE(out);
  EXPECT_NE(out.error.find("negative"), std::string::npos) << out.error;
}

// -- price: decimal(10,2)
// --------------------------------------------------------

struct price_case {
  const char* price;
  bool fits;
};

class price_table : public ::testing::TestWithParam<price_case> {};

TEST_P(price_table, fits_decimal_10_2_or_is_rejected_with_a_reason) {
  const auto& c = GetParam();
  auto out = shop_price(*money::parse(c.price));
  EXPECT_EQ(static_cast<bool>(out), c.fits) << c.price << " " << out.error;
  if (out)
    EXPECT_EQ(out->to_string(), money::parse(c.price)->to_string());
  else
    EXPECT_FALSE(out.error.empty());
}

INSTANTIATE_TEST_SUITE_P(
    prices, price_table,
    ::testing::Values(price_case{"0", true}, price_case{"12.5", true},
                      price_case{"99999999.99", true},
                      price_case{"100000000.00", false},
                      price_case{"92233720368547758.07", false},
                      price_case{"-0.01", false}));

// -- status
// -------------------------------------------------------------------------

TEST(shop_status, active_is_enabled_and_inactive_is_disabled) {
  EXPECT_EQ(shop_status(true), 1);
  EXPECT_EQ(shop_status(false), 2);
}

// -- whole item both ways
// -------------------------------------------------------------

TEST(shop_product_from_erp, maps_every_field) {
  auto item = sample_item();
  item.item_name = "  " + repeat("名", 300) + "  ";
  item.is_active = false;
  auto out = shop_product_from_erp(item);
  ASSERT_TRUE(out) << out.error;
  EXPECT_EQ(out->sku, "AB-1");
  EXPECT_EQ(out->name, repeat("名", 255));
  EXPECT_EQ(out->description, "A sturdy mug");
  EXPECT_EQ(out->price.to_string(), "12.50");
  EXPECT_EQ(out->weight.to_string(), "0.25");
  EXPECT_EQ(out->status, 2) << "an inactive item is disabled in the shop";
}

TEST(shop_product_from_erp, rejections_name_the_item_and_field) {
  auto overflow = sample_item();
  overflow.base_price = *money::parse("123456789.00");
  auto out = shop_product_from_erp(overflow);
  ASSERT_FALSE(out);
  EXPECT_NE(out.error.find("AB-1"), std::string::npos) << out.error;
  EXPECT_NE(out.error.find("BasePrice"), std::string::npos) << out.error;

  auto empty_name = sample_item();
  empty_name.item_name = "   ";
  out = shop_product_from_erp(empty_name);
  ASSERT_FALSE(out);
  EXPECT_NE(out.error.find("ItemName"), std::string::npos) << out.error;

  auto heavy = sample_item();
  heavy.weight = dec("-2");
  out = shop_product_from_erp(heavy);
  ASSERT_FALSE(out);
  EXPECT_NE(out.error.find("Weight"), std::string::npos) << out.error;
}

TEST(shop_product_from_erp, refuses_an_item_code_that_is_not_utf8) {
  // It would become the shop's sku: JSON cannot carry it, and hashing the
  // product's fields threw.
  auto broken = sample_item();
  broken.item_code = "AB-\xF0\x9F\x98";
  auto out = shop_product_from_erp(broken);
  ASSERT_FALSE(out);
  EXPECT_NE(out.error.find("ItemCode: not valid UTF-8"), std::string::npos)
      << out.error;
  EXPECT_NE(out.error.find("AB-\uFFFD"), std::string::npos) << out.error;
  EXPECT_FALSE(product_fields(broken).has_value());
}

TEST(erp_item_from_shop, maps_back_and_round_trips_the_synced_fields) {
  shop::shop_product product;
  product.sku = "AB-1";
  product.name = "Mug & saucer";
  product.description = "Line <one>\nLine & two";
  product.price = *money::parse("9.99");
  product.weight = dec("0.3");
  product.status = 2;
  auto item = erp_item_from_shop(product);
  ASSERT_TRUE(item) << item.error;
  EXPECT_EQ(item->item_code, "AB-1");
  EXPECT_EQ(item->weight_unit, erp_weight_unit::kg);
  EXPECT_FALSE(item->is_active);
  auto back = shop_product_from_erp(*item);
  ASSERT_TRUE(back) << back.error;
  EXPECT_EQ(product_fields(*back), product_fields(product))
      << "a product Ferry wrote to the ERP must hash the same when it comes "
         "back, or the echo is not recognised";
}

TEST(erp_item_from_shop, rejects_what_the_erp_cannot_take) {
  shop::shop_product product;
  product.sku = repeat("X", 21);
  product.name = "n";
  auto out = erp_item_from_shop(product);
  ASSERT_FALSE(out);
  EXPECT_NE(out.error.find("sku"), std::string::npos) << out.error;
  product.sku = "OK";
  product.status = 7;
  out = erp_item_from_shop(product);
  ASSERT_FALSE(out);
  EXPECT_NE(out.error.find("status"), std::string::npos) << out.error;
}

TEST(comparable_timestamp, puts_both_sides_in_one_form) {
  EXPECT_EQ(comparable_timestamp("2026-05-01T10:00:00Z"),
            "2026-05-01 10:00:00");
  EXPECT_EQ(comparable_timestamp("2026-05-01T10:00:00.123Z"),
            "2026-05-01 10:00:00");
  EXPECT_EQ(comparable_timestamp("2026-05-01 10:00:01"), "2026-05-01 10:00:01");
  EXPECT_EQ(comparable_timestamp("yesterday"), "");
  EXPECT_EQ(comparable_timestamp(""), "");
}
