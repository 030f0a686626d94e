#include "config/values.hpp"
#include "mapping/price_rules.hpp"

#include <gtest/gtest.h>

namespace ferry {
namespace {

const std::int64_t now = *parse_utc_datetime("2026-11-29T12:00:00Z");

erp_price_line unit_line(const char* sku, std::int64_t min_qty,
                         std::int64_t minor) {
  erp_price_line l;
  l.item_code = sku;
  l.min_quantity = decimal::from_int(min_qty);
  l.has_unit_price = true;
  l.unit_price = money::from_minor(minor);
  return l;
}

erp_price_line discount_line(const char* sku, std::int64_t min_qty,
                             const char* percent) {
  erp_price_line l;
  l.item_code = sku;
  l.min_quantity = decimal::from_int(min_qty);
  l.has_unit_price = false;
  l.discount_percent = *decimal::parse(percent);
  return l;
}

erp_price_list list(const char* code, const char* customer, const char* group,
                    std::vector<erp_price_line> lines,
                    const char* currency = "USD",
                    const char* from = "2026-01-01T00:00:00Z",
                    const char* to = "") {
  erp_price_list l;
  l.price_list_code = code;
  l.customer_no = customer;
  l.price_group = group;
  l.currency_code = currency;
  l.valid_from = from;
  l.valid_to = to;
  l.lines = std::move(lines);
  return l;
}

// Base 20.00 USD; the customer C1 (group WHOLESALE) has its own list for
// AB-1 tiers 1/10/100, the group has a 10 % discount from 5 and a unit
// price for CD-2.
price_facts standard_facts() {
  price_facts f;
  f.base_price = money::from_minor(2000);
  f.base_currency = "USD";
  f.lists = {
      list("PL-C1", "C1", "",
           {unit_line("AB-1", 1, 1900), unit_line("AB-1", 10, 1800),
            unit_line("AB-1", 100, 1500)}),
      list("PL-WHOLESALE", "", "WHOLESALE",
           {discount_line("AB-1", 5, "10"), discount_line("EF-3", 1, "12.5"),
            unit_line("CD-2", 1, 1700)}),
  };
  return f;
}

price_question ask(const char* customer, const char* group, const char* sku,
                   const char* qty, const char* currency = "USD") {
  price_question q;
  q.customer_no = customer;
  q.price_group = group;
  q.item_code = sku;
  q.quantity = *decimal::parse(qty);
  q.currency = currency;
  q.now_utc = now;
  return q;
}

struct precedence_case {
  const char* name;
  const char* customer;
  const char* group;
  const char* sku;
  const char* qty;
  std::int64_t unit_minor;
  price_rule rule;
  const char* list_code;
  const char* tier;
};

TEST(price_rules, precedence_and_tiers_table) {
  const precedence_case cases[] = {
      // the customer's own list wins over its group's
      {"own list, tier 1", "C1", "WHOLESALE", "AB-1", "1", 1900,
       price_rule::customer_list, "PL-C1", "1"},
      {"below the 10 break", "C1", "WHOLESALE", "AB-1", "9", 1900,
       price_rule::customer_list, "PL-C1", "1"},
      {"at the 10 break", "C1", "WHOLESALE", "AB-1", "10", 1800,
       price_rule::customer_list, "PL-C1", "10"},
      {"above the 10 break", "C1", "WHOLESALE", "AB-1", "11", 1800,
       price_rule::customer_list, "PL-C1", "10"},
      {"below the 100 break", "C1", "WHOLESALE", "AB-1", "99.5", 1800,
       price_rule::customer_list, "PL-C1", "10"},
      {"at the 100 break", "C1", "WHOLESALE", "AB-1", "100", 1500,
       price_rule::customer_list, "PL-C1", "100"},
      {"above the 100 break", "C1", "WHOLESALE", "AB-1", "5000", 1500,
       price_rule::customer_list, "PL-C1", "100"},
      // own list has no line for CD-2: the group's applies
      {"group list when own has no line", "C1", "WHOLESALE", "CD-2", "1", 1700,
       price_rule::group_list, "PL-WHOLESALE", "1"},
      // a group customer without an own list: discount off base from 5
      {"group below discount break", "C2", "WHOLESALE", "AB-1", "4", 2000,
       price_rule::base, "", "0"},
      {"group at discount break", "C2", "WHOLESALE", "AB-1", "5", 1800,
       price_rule::group_list, "PL-WHOLESALE", "5"},
      {"group above discount break", "C2", "WHOLESALE", "AB-1", "6", 1800,
       price_rule::group_list, "PL-WHOLESALE", "5"},
      // 12.5 % off 20.00 = 17.50
      {"fractional discount", "C2", "WHOLESALE", "EF-3", "1", 1750,
       price_rule::group_list, "PL-WHOLESALE", "1"},
      // no group, no own list
      {"other customer gets base", "C9", "", "AB-1", "50", 2000,
       price_rule::base, "", "0"},
      {"anonymous gets base", "", "", "AB-1", "1", 2000, price_rule::base, "",
       "0"},
      // a customer number equal to nothing in another group
      {"other group gets base", "C3", "RETAIL", "AB-1", "50", 2000,
       price_rule::base, "", "0"},
  };
  const auto facts = standard_facts();
  for (const auto& c : cases) {
    auto out = resolve_price(ask(c.customer, c.group, c.sku, c.qty), facts);
    ASSERT_TRUE(out.quote) << c.name << ": " << out.reason;
    EXPECT_EQ(out.quote->unit_price.minor(), c.unit_minor) << c.name;
    EXPECT_EQ(out.quote->list_price.minor(), 2000) << c.name;
    EXPECT_EQ(out.quote->rule, c.rule) << c.name;
    EXPECT_EQ(out.quote->price_list_code, c.list_code) << c.name;
    EXPECT_EQ(out.quote->tier_min_quantity.to_string(), c.tier) << c.name;
    EXPECT_EQ(out.quote->currency, "USD") << c.name;
  }
}

TEST(price_rules, discount_rounds_half_away_from_zero) {
  price_facts f;
  f.base_price = money::from_minor(999); // 9.99 less 15 % = 8.4915 → 8.49
  f.base_currency = "USD";
  f.lists = {list("PL-G", "", "G",
                  {discount_line("X", 1, "15"), discount_line("Y", 1, "50")})};
  EXPECT_EQ(resolve_price(ask("", "G", "X", "1"), f).quote->unit_price.minor(),
            849);
  // 9.99 / 2 = 4.995 → 5.00
  EXPECT_EQ(resolve_price(ask("", "G", "Y", "1"), f).quote->unit_price.minor(),
            500);
}

TEST(price_rules, unit_price_beats_nothing_but_its_own_tier) {
  // In one list a unit-price tier and a discount tier: the largest break
  // not above the quantity decides, whatever its kind.
  price_facts f;
  f.base_price = money::from_minor(10000);
  f.base_currency = "USD";
  f.lists = {list("PL-C", "C", "",
                  {unit_line("A", 1, 9500), discount_line("A", 20, "25")})};
  auto at19 = resolve_price(ask("C", "", "A", "19"), f).quote;
  auto at20 = resolve_price(ask("C", "", "A", "20"), f).quote;
  EXPECT_EQ(at19->unit_price.minor(), 9500);
  EXPECT_EQ(at20->unit_price.minor(), 7500);
}

TEST(price_rules, expired_and_future_lists_do_not_apply) {
  price_facts f;
  f.base_price = money::from_minor(2000);
  f.base_currency = "USD";
  f.lists = {
      list("PL-OLD", "C", "", {unit_line("A", 1, 1000)}, "USD",
           "2025-01-01T00:00:00Z", "2026-11-29T11:59:59Z"),
      list("PL-NEXT", "C", "", {unit_line("A", 1, 1100)}, "USD",
           "2026-11-29T12:00:01Z"),
  };
  auto out = resolve_price(ask("C", "", "A", "1"), f);
  EXPECT_EQ(out.quote->rule, price_rule::base);
  EXPECT_EQ(out.quote->unit_price.minor(), 2000);

  // The bounds themselves are inside the validity.
  f.lists[0].valid_to = "2026-11-29T12:00:00Z";
  out = resolve_price(ask("C", "", "A", "1"), f);
  EXPECT_EQ(out.quote->price_list_code, "PL-OLD");
  f.lists[1].valid_from = "2026-11-29T12:00:00Z";
  out = resolve_price(ask("C", "", "A", "1"), f);
  // both valid now: the one valid from the latest moment wins
  EXPECT_EQ(out.quote->price_list_code, "PL-NEXT");
  EXPECT_EQ(out.quote->unit_price.minor(), 1100);
}

TEST(price_rules, an_expired_own_list_falls_back_to_the_group) {
  auto f = standard_facts();
  f.lists[0].valid_to = "2026-06-30T23:59:59Z";
  auto out = resolve_price(ask("C1", "WHOLESALE", "AB-1", "10"), f);
  EXPECT_EQ(out.quote->rule, price_rule::group_list);
  EXPECT_EQ(out.quote->unit_price.minor(), 1800);
  EXPECT_EQ(out.quote->price_list_code, "PL-WHOLESALE");
}

TEST(price_rules, currency_mismatch) {
  auto f = standard_facts();
  f.lists.push_back(
      list("PL-C1-EUR", "C1", "", {unit_line("AB-1", 1, 1650)}, "EUR"));
  // USD asked: the EUR list is ignored
  auto usd = resolve_price(ask("C1", "", "AB-1", "1"), f);
  EXPECT_EQ(usd.quote->price_list_code, "PL-C1");
  // EUR asked: only the EUR list applies
  auto eur = resolve_price(ask("C1", "", "AB-1", "1", "EUR"), f);
  ASSERT_TRUE(eur.quote);
  EXPECT_EQ(eur.quote->price_list_code, "PL-C1-EUR");
  EXPECT_EQ(eur.quote->unit_price.minor(), 1650);
  EXPECT_EQ(eur.quote->currency, "EUR");
  // EUR asked where no EUR list has the item: refused, never a USD base
  // price labelled EUR
  auto none = resolve_price(ask("C1", "", "CD-2", "1", "EUR"), f);
  EXPECT_FALSE(none.quote);
  EXPECT_EQ(none.refusal, price_refusal::currency_unavailable);
  EXPECT_NE(none.reason.find("EUR"), std::string::npos);
  EXPECT_NE(none.reason.find("CD-2"), std::string::npos);
}

TEST(price_rules, a_group_list_of_a_customer_is_not_the_groups) {
  // A list with both CustomerNo and PriceGroup belongs to the customer.
  price_facts f;
  f.base_price = money::from_minor(2000);
  f.base_currency = "USD";
  f.lists = {list("PL-X", "C7", "G", {unit_line("A", 1, 1000)})};
  EXPECT_EQ(resolve_price(ask("C8", "G", "A", "1"), f).quote->rule,
            price_rule::base);
  EXPECT_EQ(resolve_price(ask("C7", "G", "A", "1"), f).quote->rule,
            price_rule::customer_list);
}

TEST(price_rules, bad_quantity_is_refused) {
  auto f = standard_facts();
  for (const char* qty : {"0", "-1"}) {
    auto out = resolve_price(ask("C1", "", "AB-1", qty), f);
    EXPECT_FALSE(out.quote) << qty;
    EXPECT_EQ(out.refusal, price_refusal::bad_quantity);
    EXPECT_NE(out.reason.find("qty"), std::string::npos);
  }
}

TEST(price_rules, parses_utc_datetimes) {
  EXPECT_EQ(parse_utc_datetime("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(parse_utc_datetime("2026-01-01T00:00:00.250Z"),
            parse_utc_datetime("2026-01-01T00:00:00Z"));
  EXPECT_EQ(*parse_utc_datetime("2026-01-01T02:00:00+02:00"),
            *parse_utc_datetime("2026-01-01T00:00:00Z"));
  EXPECT_EQ(*parse_utc_datetime("2000-03-01T00:00:00Z") -
                *parse_utc_datetime("2000-02-28T00:00:00Z"),
            2 * 86400); // leap year
  for (const char* bad : {"", "2026-13-01T00:00:00Z", "2026-01-01",
                          "2026-01-01T00:00:00X", "2026/01/01T00:00:00Z"})
    EXPECT_FALSE(parse_utc_datetime(bad)) << bad;
  erp_price_list undated;
  undated.valid_from = "soon";
  EXPECT_FALSE(price_list_valid_at(undated, now));
}

// Found against another ERP: it sends ValidFrom/ValidTo as xs:date, and
// every negotiated price fell back to BasePrice.
TEST(price_rules, date_only_validity_applies_the_list) {
  auto f = standard_facts();
  for (auto& l : f.lists) {
    l.valid_from = "2026-01-01";
    l.valid_to = "2026-12-31";
  }
  auto zone = config::load_time_zone("America/Chicago");
  f.erp_zone = zone.get();
  auto out = resolve_price(ask("C1", "WHOLESALE", "AB-1", "10"), f);
  ASSERT_TRUE(out.quote);
  EXPECT_EQ(out.quote->rule, price_rule::customer_list);
  EXPECT_EQ(out.quote->unit_price.to_string(), "18.00");
}

TEST(price_rules, a_date_only_valid_to_lasts_through_that_day_in_the_erp_zone) {
  auto zone = config::load_time_zone("America/Chicago");
  ASSERT_TRUE(zone);
  erp_price_list l;
  l.valid_from = "2026-11-01";
  l.valid_to = "2026-11-29";
  // 23:59:59 on the 29th in Chicago (CST, UTC−6) is 05:59:59Z on the 30th.
  auto last = *parse_utc_datetime("2026-11-30T05:59:59Z");
  EXPECT_TRUE(price_list_valid_at(l, last, zone.get()));
  EXPECT_FALSE(price_list_valid_at(l, last + 1, zone.get()));
  // It starts at midnight in Chicago on the 1st (CDT, UTC−5): 05:00Z.
  auto first = *parse_utc_datetime("2026-11-01T05:00:00Z");
  EXPECT_TRUE(price_list_valid_at(l, first, zone.get()));
  EXPECT_FALSE(price_list_valid_at(l, first - 1, zone.get()));
  // Without a zone the day is UTC's.
  EXPECT_TRUE(price_list_valid_at(
      l, *parse_utc_datetime("2026-11-29T23:59:59Z"), nullptr));
  EXPECT_FALSE(price_list_valid_at(
      l, *parse_utc_datetime("2026-11-30T00:00:00Z"), nullptr));
}

TEST(price_rules, every_reading_of_a_validity_date_is_accepted) {
  auto zone = config::load_time_zone("America/Chicago");
  auto utc = [](const char* t) { return *parse_utc_datetime(t); };
  struct row {
    const char* text;
    validity_edge edge;
    std::int64_t expected;
  };
  const row rows[] = {
      {"2026-01-01T00:00:00Z", validity_edge::from,
       utc("2026-01-01T00:00:00Z")},
      {"2026-01-01T00:00:00.5Z", validity_edge::to,
       utc("2026-01-01T00:00:00Z")},
      {"2026-01-01T01:00:00+01:00", validity_edge::from,
       utc("2026-01-01T00:00:00Z")},
      // No offset: the ERP's local time, as OrderDate is.
      {"2026-01-01T00:00:00", validity_edge::from, utc("2026-01-01T06:00:00Z")},
      {"2026-01-01", validity_edge::from, utc("2026-01-01T06:00:00Z")},
      {"2026-01-01", validity_edge::to, utc("2026-01-02T05:59:59Z")},
      {"2026-01-01Z", validity_edge::from, utc("2026-01-01T00:00:00Z")},
      {"2026-01-01+02:00", validity_edge::to, utc("2026-01-01T21:59:59Z")},
  };
  for (const auto& r : rows)
    EXPECT_EQ(parse_validity(r.text, zone.get(), r.edge), r.expected) << r.text;
  for (const char* bad : {"", "2026-13-01", "2026-01-01T", "01/01/2026",
                          "2026-01-01 00:00:00", "2026-01-01T00:00:00X"})
    EXPECT_FALSE(parse_validity(bad, zone.get(), validity_edge::from)) << bad;
}

TEST(price_rules, an_unreadable_validity_is_named) {
  erp_price_list l;
  l.price_list_code = "PL-9";
  l.valid_from = "2026-01-01";
  EXPECT_EQ(price_list_date_error(l), "");
  l.valid_to = "next year";
  auto why = price_list_date_error(l);
  EXPECT_NE(why.find("PL-9"), std::string::npos) << why;
  EXPECT_NE(why.find("ValidTo 'next year'"), std::string::npos) << why;
}

} // namespace
} // namespace ferry
