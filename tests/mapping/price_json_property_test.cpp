// Properties of price lists and quotes as JSON text over random values:
// every amount, quantity and text comes back exactly.

#include "mapping/price_json.hpp"
#include "tests/support/property.hpp"

#include <gtest/gtest.h>

namespace ferry {
namespace {

using namespace ferry::test;

constexpr int cases = 2000;

std::string any_text(rng_t& rng, std::size_t limit = 30) {
  text_options o;
  o.controls = chance(rng, 20);
  return random_text(rng, limit, o);
}

erp_price_line random_line(rng_t& rng) {
  erp_price_line l;
  l.item_code = any_text(rng, 20);
  l.min_quantity = chance(rng, 20) ? decimal{} : random_quantity(rng, 100'000);
  l.has_unit_price = chance(rng, 60);
  if (l.has_unit_price)
    l.unit_price =
        random_money(rng, chance(rng, 90) ? 9'999'999'999 : INT64_MAX);
  else
    l.discount_percent = random_quantity(rng, 100);
  return l;
}

void expect_same(const erp_price_line& a, const erp_price_line& b) {
  EXPECT_EQ(a.item_code, b.item_code);
  EXPECT_EQ(a.min_quantity, b.min_quantity) << b.min_quantity.to_string();
  EXPECT_EQ(a.has_unit_price, b.has_unit_price);
  if (b.has_unit_price) {
    EXPECT_EQ(a.unit_price, b.unit_price) << b.unit_price.to_string();
  } else {
    EXPECT_EQ(a.discount_percent, b.discount_percent)
        << b.discount_percent.to_string();
  }
}

TEST(price_json_property, price_lines_round_trip_exactly) {
  for_cases(cases, [](rng_t& rng) {
    std::vector<erp_price_line> lines;
    for (int i = uniform(rng, 0, 10); i > 0; --i)
      lines.push_back(random_line(rng));
    auto text = price_lines_to_json(lines);
    EXPECT_TRUE(valid_utf8(text));
    auto back = price_lines_from_json(text);
    ASSERT_TRUE(back.has_value()) << text;
    ASSERT_EQ(back->size(), lines.size());
    for (std::size_t i = 0; i < lines.size(); ++i)
      expect_same((*back)[i], lines[i]);
  });
}

TEST(price_json_property, price_lists_round_trip_exactly) {
  for_cases(cases, [](rng_t& rng) {
    std::vector<erp_price_list> lists;
    for (int i = uniform(rng, 0, 4); i > 0; --i) {
      erp_price_list l;
      l.price_list_code = any_text(rng);
      l.customer_no = any_text(rng);
      l.price_group = any_text(rng);
      l.currency_code = any_text(rng, 3);
      l.valid_from = any_text(rng);
      l.valid_to = any_text(rng);
      l.modified_at = any_text(rng);
      for (int k = uniform(rng, 0, 5); k > 0; --k)
        l.lines.push_back(random_line(rng));
      lists.push_back(std::move(l));
    }
    auto text = price_lists_to_json(lists);
    EXPECT_TRUE(valid_utf8(text));
    auto back = price_lists_from_json(text);
    ASSERT_TRUE(back.has_value()) << text;
    ASSERT_EQ(back->size(), lists.size());
    for (std::size_t i = 0; i < lists.size(); ++i) {
      auto& a = (*back)[i];
      auto& b = lists[i];
      EXPECT_EQ(a.price_list_code, b.price_list_code);
      EXPECT_EQ(a.customer_no, b.customer_no);
      EXPECT_EQ(a.price_group, b.price_group);
      EXPECT_EQ(a.currency_code, b.currency_code);
      EXPECT_EQ(a.valid_from, b.valid_from);
      EXPECT_EQ(a.valid_to, b.valid_to);
      EXPECT_EQ(a.modified_at, b.modified_at);
      ASSERT_EQ(a.lines.size(), b.lines.size());
      for (std::size_t k = 0; k < b.lines.size(); ++k)
        expect_same(a.lines[k], b.lines[k]);
    }
  });
}

TEST(price_json_property, quotes_round_trip_exactly) {
  for_cases(cases, [](rng_t& rng) {
    static constexpr price_rule rules[] = {
        price_rule::customer_list, price_rule::group_list, price_rule::base};
    price_quote q;
    q.unit_price = random_money(rng, 9'999'999'999);
    q.list_price = random_money(rng, 9'999'999'999);
    q.rule = rules[uniform(rng, 0, 2)];
    q.price_list_code = any_text(rng);
    q.tier_min_quantity = random_quantity(rng, 100'000);
    q.currency = any_text(rng, 3);
    auto text = price_quote_to_json(q);
    EXPECT_TRUE(valid_utf8(text));
    auto back = price_quote_from_json(text);
    ASSERT_TRUE(back.has_value()) << text;
    EXPECT_EQ(back->unit_price, q.unit_price);
    EXPECT_EQ(back->list_price, q.list_price);
    EXPECT_EQ(back->rule, q.rule);
    EXPECT_EQ(back->price_list_code, q.price_list_code);
    EXPECT_EQ(back->tier_min_quantity, q.tier_min_quantity);
    EXPECT_EQ(back->currency, q.currency);
  });
}

} // namespace
} // namespace ferry
