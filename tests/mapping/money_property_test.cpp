// Properties of money and decimal: exact text and JSON round trips, and
// rounding half away from zero, over random amounts and quantities.

#include "mapping/money.hpp"
#include "mapping/shop_types.hpp"
#include "tests/support/property.hpp"

#include <gtest/gtest.h>
#include <limits>

namespace ferry {
namespace {

using namespace ferry::test;

constexpr int cases = 2000;

std::int64_t any_int64(rng_t& rng) {
  switch (uniform(rng, 0, 5)) {
    case 0:
      return std::numeric_limits<std::int64_t>::max();
    case 1:
      return std::numeric_limits<std::int64_t>::min();
    case 2:
      return uniform<std::int64_t>(rng, -1000, 1000);
    default:
      return static_cast<std::int64_t>(rng());
  }
}

TEST(money_property, to_string_and_parse_round_trip_exactly) {
  for_cases(cases, [](rng_t& rng) {
    auto m = money::from_minor(any_int64(rng));
    auto text = m.to_string();
    SCOPED_TRACE(text);
    auto dot = text.find('.');
    ASSERT_NE(dot, std::string::npos);
    EXPECT_EQ(text.size() - dot - 1, 2u) << "always two decimals";
    auto back = money::parse(text);
    ASSERT_TRUE(back.has_value());
    EXPECT_EQ(back->minor(), m.minor());
    // parse_rounded reads a decimal first: up to 9,223,372,036,854 whole.
    if (m.minor() > -900'000'000'000'000 && m.minor() < 900'000'000'000'000) {
      auto rounded = money::parse_rounded(text);
      ASSERT_TRUE(rounded.has_value());
      EXPECT_EQ(rounded->minor(), m.minor());
    }
  });
}

TEST(money_property, amounts_with_up_to_two_decimals_parse_exactly) {
  for_cases(cases, [](rng_t& rng) {
    auto m = random_money(rng, 9'999'999'999'999);
    bool negative = chance(rng, 30);
    // The shortest text of the amount: "12", "12.5", "12.05".
    auto whole = std::to_string(m.minor() / 100);
    auto cents = m.minor() % 100;
    std::string text = (negative ? "-" : "") + whole;
    if (cents % 10 != 0)
      text += "." + std::string(cents < 10 ? "0" : "") + std::to_string(cents);
    else if (cents != 0)
      text += "." + std::to_string(cents / 10);
    SCOPED_TRACE(text);
    auto parsed = money::parse(text);
    ASSERT_TRUE(parsed.has_value());
    EXPECT_EQ(parsed->minor(), negative ? -m.minor() : m.minor());
    EXPECT_FALSE(money::parse(text + (cents % 10 != 0 ? "1" : ".001")))
        << "three decimals are not an exact amount";
  });
}

TEST(money_property, decimal_to_string_and_parse_round_trip_exactly) {
  for_cases(cases, [](rng_t& rng) {
    auto d = chance(rng, 50) ? decimal::from_units(any_int64(rng))
                             : random_quantity(rng, 1'000'000);
    auto text = d.to_string();
    SCOPED_TRACE(text);
    EXPECT_NE(text.back(), '.');
    if (text.find('.') != std::string::npos) {
      EXPECT_NE(text.back(), '0') << "no trailing fraction zeros";
    }
    auto back = decimal::parse(text);
    ASSERT_TRUE(back.has_value());
    EXPECT_EQ(back->units(), d.units());
  });
}

TEST(money_property, json_round_trip_keeps_every_amount_and_quantity) {
  for_cases(cases, [](rng_t& rng) {
    auto m = money::from_minor(chance(rng, 50)
                                   ? any_int64(rng)
                                   : random_money(rng, 9'999'999'999).minor());
    auto q = chance(rng, 50) ? decimal::from_units(any_int64(rng))
                             : random_quantity(rng, 100'000);
    nlohmann::json doc = {{"amount", shop::exact_number(m.to_string())},
                          {"qty", shop::exact_number(q.to_string())},
                          {"list", {shop::exact_number(m.to_string())}}};
    auto text = shop::dump_exact(doc);
    SCOPED_TRACE(text);
    auto back = shop::parse_exact(text);
    ASSERT_TRUE(back) << back.error;
    auto amount = shop::number_text((*back)["amount"]);
    auto qty = shop::number_text((*back)["qty"]);
    auto in_list = shop::number_text((*back)["list"][0]);
    ASSERT_TRUE(amount && qty && in_list);
    EXPECT_EQ(*amount, m.to_string());
    EXPECT_EQ(*in_list, m.to_string());
    EXPECT_EQ(money::parse(*amount)->minor(), m.minor());
    ASSERT_TRUE(decimal::parse(*qty).has_value()) << *qty;
    EXPECT_EQ(decimal::parse(*qty)->units(), q.units());
  });
}

TEST(money_property, times_rounds_the_exact_product_half_away_from_zero) {
  for_cases(cases, [](rng_t& rng) {
    auto price = random_money(rng, 9'999'999'999);
    if (chance(rng, 30))
      price = money::from_minor(-price.minor());
    auto qty = random_quantity(rng, 10'000);
    auto result = price.times(qty);
    SCOPED_TRACE(price.to_string() + " x " + qty.to_string());
    // exact = price × qty in units of 10^-8; the result r (cents) must be
    // within half a cent, ties away from zero.
    __int128 exact = static_cast<__int128>(price.minor()) * qty.units();
    __int128 r = static_cast<__int128>(result.minor()) * decimal::one;
    __int128 diff = exact - r;
    __int128 half = decimal::one / 2;
    EXPECT_TRUE(diff <= half && diff >= -half);
    if (diff == half) {
      EXPECT_TRUE(exact < 0) << "a tie rounds away from zero";
    }
    if (diff == -half) {
      EXPECT_TRUE(exact > 0) << "a tie rounds away from zero";
    }
    EXPECT_EQ(price.times(decimal::from_int(1)), price);
  });
}

TEST(money_property, sums_are_exact) {
  for_cases(cases, [](rng_t& rng) {
    money total;
    std::int64_t minor = 0;
    auto n = uniform(rng, 0, 50);
    for (int i = 0; i < n; ++i) {
      auto m = random_money(rng, 9'999'999'999);
      total += m;
      minor += m.minor();
    }
    EXPECT_EQ(total.minor(), minor);
    EXPECT_EQ(money::parse(total.to_string())->minor(), minor);
  });
}

} // namespace
} // namespace ferry
