#include "mapping/money.hpp"

#include <gtest/gtest.h>

namespace ferry {
namespace {

struct parse_case {
  const char* text;
  std::optional<std::int64_t> minor;
};

TEST(money_parse, accepts_at_most_two_fraction_digits) {
  const parse_case cases[] = {
      {"12", 1200},   {"12.5", 1250}, {"12.50", 1250},
      {"-0.99", -99}, {"+3.01", 301}, {"0", 0},
      {"12.345", {}}, {"", {}},       {"12.", {}},
      {".5", {}},     {"1e3", {}},    {"12,50", {}},
      {" 12", {}},    {"-", {}},      {"9999999999999999999", {}},
  };
  for (const auto& c : cases) {
    auto parsed = money::parse(c.text);
    if (c.minor) {
      ASSERT_TRUE(parsed.has_value()) << c.text;
      EXPECT_EQ(parsed->minor(), *c.minor) << c.text;
    } else {
      EXPECT_FALSE(parsed.has_value()) << c.text;
    }
  }
}

TEST(money_parse_rounded, rounds_half_away_from_zero) {
  const parse_case cases[] = {
      {"2.345", 235},    {"-2.345", -235},    {"2.344", 234},
      {"2.3449999", {}}, {"0.005", 1},        {"-0.005", -1},
      {"0.004", 0},      {"1800.00", 180000}, {"12.999999", 1300},
  };
  for (const auto& c : cases) {
    auto parsed = money::parse_rounded(c.text);
    if (c.minor) {
      ASSERT_TRUE(parsed.has_value()) << c.text;
      EXPECT_EQ(parsed->minor(), *c.minor) << c.text;
    } else {
      EXPECT_FALSE(parsed.has_value()) << c.text;
    }
  }
}

TEST(money_format, always_two_fraction_digits) {
  EXPECT_EQ(money::from_minor(1250).to_string(), "12.50");
  EXPECT_EQ(money::from_minor(-5).to_string(), "-0.05");
  EXPECT_EQ(money::from_minor(0).to_string(), "0.00");
  EXPECT_EQ(money::from_minor(541240).to_string(), "5412.40");
}

TEST(money_arithmetic, times_quantity_rounds_half_away) {
  auto price = *money::parse("12.50");
  EXPECT_EQ(price.times(decimal::from_int(3)).to_string(), "37.50");
  EXPECT_EQ(money::parse("0.15")->times(*decimal::parse("0.5")).to_string(),
            "0.08");
  EXPECT_EQ(money::parse("-0.15")->times(*decimal::parse("0.5")).to_string(),
            "-0.08");
  EXPECT_EQ((price + *money::parse("0.05")).to_string(), "12.55");
  EXPECT_EQ((price - *money::parse("20")).to_string(), "-7.50");
}

TEST(money_arithmetic, less_percent) {
  EXPECT_EQ(
      money::parse("100")->less_percent(*decimal::parse("15")).to_string(),
      "85.00");
  EXPECT_EQ(
      money::parse("9.99")->less_percent(*decimal::parse("12.5")).to_string(),
      "8.74"); // 8.74125
  EXPECT_EQ(
      money::parse("0.05")->less_percent(*decimal::parse("50")).to_string(),
      "0.03"); // 0.025 rounds away from zero
}

TEST(decimal_text, round_trips_and_trims) {
  EXPECT_EQ(decimal::parse("3")->to_string(), "3");
  EXPECT_EQ(decimal::parse("0.500")->to_string(), "0.5");
  EXPECT_EQ(decimal::parse("-1.000001")->to_string(), "-1.000001");
  EXPECT_FALSE(decimal::parse("1.0000001").has_value());
  EXPECT_LT(*decimal::parse("2.5"), *decimal::parse("10"));
  EXPECT_EQ(money::parse("12.34")->to_decimal().to_string(), "12.34");
}

} // namespace
} // namespace ferry
