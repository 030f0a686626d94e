#include "mapping/price_json.hpp"

#include <gtest/gtest.h>

namespace ferry {
namespace {

// A customer's resolved lists as the Redis cache holds them: its own list
// with unit prices (one of them with a fractional tier) and its group's
// discount list with an end date.
std::vector<erp_price_list> resolved_lists() {
  erp_price_line tier1;
  tier1.item_code = "AB-1";
  tier1.min_quantity = decimal::from_int(1);
  tier1.unit_price = *money::parse("19.99");
  erp_price_line tier2;
  tier2.item_code = "AB-1";
  tier2.min_quantity = *decimal::parse("2.5");
  tier2.unit_price = *money::parse("0.05");
  erp_price_list own;
  own.price_list_code = "PL-C1";
  own.customer_no = "C000001";
  own.currency_code = "USD";
  own.valid_from = "2026-01-01T00:00:00Z";
  own.modified_at = "2026-02-01T10:00:00Z";
  own.lines = {tier1, tier2};

  erp_price_line discount;
  discount.item_code = "CD-2";
  discount.min_quantity = decimal::from_int(5);
  discount.has_unit_price = false;
  discount.discount_percent = *decimal::parse("12.5");
  erp_price_list group;
  group.price_list_code = "PL-GOLD";
  group.price_group = "GOLD";
  group.currency_code = "EUR";
  group.valid_from = "2026-01-01T00:00:00Z";
  group.valid_to = "2026-12-31T23:59:59Z";
  group.modified_at = "2026-03-01T00:00:00Z";
  group.lines = {discount};
  return {own, group};
}

void expect_same(const std::vector<erp_price_list>& a,
                 const std::vector<erp_price_list>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    SCOPED_TRACE(a[i].price_list_code);
    EXPECT_EQ(a[i].price_list_code, b[i].price_list_code);
    EXPECT_EQ(a[i].customer_no, b[i].customer_no);
    EXPECT_EQ(a[i].price_group, b[i].price_group);
    EXPECT_EQ(a[i].currency_code, b[i].currency_code);
    EXPECT_EQ(a[i].valid_from, b[i].valid_from);
    EXPECT_EQ(a[i].valid_to, b[i].valid_to);
    EXPECT_EQ(a[i].modified_at, b[i].modified_at);
    ASSERT_EQ(a[i].lines.size(), b[i].lines.size());
    for (std::size_t j = 0; j < a[i].lines.size(); ++j) {
      const auto& x = a[i].lines[j];
      const auto& y = b[i].lines[j];
      EXPECT_EQ(x.item_code, y.item_code);
      EXPECT_EQ(x.min_quantity, y.min_quantity);
      EXPECT_EQ(x.has_unit_price, y.has_unit_price);
      if (x.has_unit_price)
        EXPECT_EQ(x.unit_price, y.unit_price);
      else
        EXPECT_EQ(x.discount_percent, y.discount_percent);
    }
  }
}

TEST(price_lists_json, round_trip_keeps_every_field_exactly) {
  auto lists = resolved_lists();
  auto text = price_lists_to_json(lists);
  auto back = price_lists_from_json(text);
  ASSERT_TRUE(back) << text;
  expect_same(*back, lists);
  EXPECT_EQ(price_lists_to_json(*back), text);
}

TEST(price_lists_json, amounts_are_decimal_strings_never_numbers) {
  auto text = price_lists_to_json(resolved_lists());
  EXPECT_NE(text.find(R"("unit":"19.99")"), std::string::npos) << text;
  EXPECT_NE(text.find(R"("unit":"0.05")"), std::string::npos) << text;
  EXPECT_NE(text.find(R"("min":"2.5")"), std::string::npos) << text;
  EXPECT_NE(text.find(R"("discount":"12.5")"), std::string::npos) << text;
  EXPECT_NE(text.find(R"("to":"2026-12-31T23:59:59Z")"), std::string::npos)
      << text;
}

TEST(price_lists_json, no_lists_is_an_empty_array_not_a_miss) {
  auto text = price_lists_to_json({});
  EXPECT_EQ(text, "[]");
  auto back = price_lists_from_json(text);
  ASSERT_TRUE(back);
  EXPECT_TRUE(back->empty());
}

TEST(price_lists_json, a_malformed_value_is_refused_whole) {
  auto good = price_lists_to_json(resolved_lists());
  auto with = [&](const std::string& from, const std::string& to) {
    auto text = good;
    auto at = text.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    return text.replace(at, from.size(), to);
  };
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"cut short", good.substr(0, good.size() / 2)},
      {"not JSON", "PL-C1;C000001"},
      {"an object, not an array", "{}"},
      {"a list that is not an object", "[1]"},
      {"a number amount", with(R"("unit":"19.99")", R"("unit":19.99)")},
      {"three cent digits", with(R"("unit":"19.99")", R"("unit":"19.999")")},
      {"a word for a tier", with(R"("min":"2.5")", R"("min":"lots")")},
      {"a bad discount", with(R"("discount":"12.5")", R"("discount":"12%")")},
      {"a line without a price", with(R"("discount":"12.5",)", "")},
      {"a list without a currency", with(R"("currency":"EUR",)", "")},
      {"a null code", with(R"("code":"PL-GOLD")", R"("code":null)")},
      {"lines not an array", with(R"("lines":[)", R"("lines":"x","old":[)")},
  };
  for (const auto& [what, text] : bad) {
    SCOPED_TRACE(what);
    // Nothing half-read: the first list is fine in most of these, yet
    // nothing comes back.
    EXPECT_FALSE(price_lists_from_json(text)) << text;
  }
}

TEST(price_quote_json, round_trip_and_malformed_values_are_refused) {
  price_quote q;
  q.unit_price = *money::parse("18.00");
  q.list_price = *money::parse("20.00");
  q.rule = price_rule::group_list;
  q.price_list_code = "PL-GOLD";
  q.tier_min_quantity = *decimal::parse("10");
  q.currency = "USD";
  auto text = price_quote_to_json(q);
  auto back = price_quote_from_json(text);
  ASSERT_TRUE(back) << text;
  EXPECT_EQ(back->unit_price, q.unit_price);
  EXPECT_EQ(back->list_price, q.list_price);
  EXPECT_EQ(back->rule, q.rule);
  EXPECT_EQ(back->price_list_code, q.price_list_code);
  EXPECT_EQ(back->tier_min_quantity, q.tier_min_quantity);
  EXPECT_EQ(back->currency, q.currency);

  EXPECT_FALSE(price_quote_from_json("[]"));
  EXPECT_FALSE(price_quote_from_json(R"({"unit_price":"18.00"})"));
  auto rule = text;
  rule.replace(rule.find("group"), 5, "vip");
  EXPECT_FALSE(price_quote_from_json(rule)) << rule;
}

} // namespace
} // namespace ferry
