#include "config/values.hpp"
#include "mapping/order_mapping.hpp"

#include <gtest/gtest.h>

namespace ferry {
namespace {

// The settings `ferry run` builds from the default `erp.timezone`.
order_mapping_settings chicago() {
  order_mapping_settings s;
  s.erp_time_zone = config::load_time_zone("America/Chicago");
  return s;
}

shop::shop_order_item item(const char* sku, const char* qty,
                           const char* price) {
  shop::shop_order_item i;
  i.sku = sku;
  i.qty_ordered = *decimal::parse(qty);
  i.price = *money::parse(price);
  i.row_total = i.price.times(i.qty_ordered);
  return i;
}

// The contract's example order: 3 × AB-1 at 12.50, no shipping.
shop::shop_order sample_order() {
  shop::shop_order o;
  o.entity_id = 1001;
  o.increment_id = "000001001";
  o.created_at = "2026-11-29 04:15:00";
  o.customer_id = 42;
  o.customer_email = "ann@example.com";
  o.base_currency_code = "USD";
  o.items = {item("AB-1", "3", "12.50")};
  o.subtotal = *money::parse("37.50");
  o.grand_total = *money::parse("37.50");
  return o;
}

erp_sales_order mapped(const shop::shop_order& o,
                       const order_mapping_settings& s = chicago()) {
  auto r = map_sales_order(o, "C000123", s);
  if (auto p = std::get_if<order_problem>(&r))
    ADD_FAILURE() << p->reason;
  return std::get<erp_sales_order>(r);
}

TEST(order_mapping, external_order_id_is_web_plus_increment_id) {
  EXPECT_EQ(external_order_id("000001001"), "WEB-000001001");
  EXPECT_EQ(external_order_id("7"), "WEB-7");
  EXPECT_EQ(mapped(sample_order()).external_order_id, "WEB-000001001");
}

TEST(order_mapping, order_date_is_erp_local_time_without_offset) {
  struct row {
    const char* created_at;
    const char* zone;
    const char* order_date;
  };
  const row rows[] = {
      {"2026-11-29 04:15:00", "America/Chicago", "2026-11-28T22:15:00"},
      {"2026-03-08 08:00:00", "America/Chicago", "2026-03-08T03:00:00"},
      {"2026-03-08 07:59:59", "America/Chicago", "2026-03-08T01:59:59"},
      {"2026-11-01 06:30:00", "America/Chicago", "2026-11-01T01:30:00"},
      {"2026-11-01 07:30:00", "America/Chicago", "2026-11-01T01:30:00"},
      {"2026-11-29 04:15:00", "Europe/Berlin", "2026-11-29T05:15:00"},
  };
  for (const auto& r : rows) {
    auto o = sample_order();
    o.created_at = r.created_at;
    order_mapping_settings s;
    s.erp_time_zone = config::load_time_zone(r.zone);
    EXPECT_EQ(mapped(o, s).order_date, r.order_date) << r.created_at;
  }
}

TEST(order_mapping, email_total_and_sku_are_direct) {
  auto so = mapped(sample_order());
  EXPECT_EQ(so.customer_email, "ann@example.com");
  EXPECT_EQ(so.customer_no, "C000123");
  EXPECT_EQ(so.currency_code, "USD");
  EXPECT_EQ(so.total_amount.to_string(), "37.50");
  ASSERT_EQ(so.lines.size(), 1u);
  EXPECT_EQ(so.lines[0].item_code, "AB-1");
  EXPECT_EQ(so.lines[0].quantity.to_string(), "3");
  EXPECT_EQ(so.lines[0].base_price.to_string(), "12.50");
  EXPECT_EQ(so.lines[0].line_amount.to_string(), "37.50");
}

TEST(order_mapping, base_price_rounds_half_away_from_zero) {
  struct row {
    const char* price;
    const char* base_price;
  };
  const row rows[] = {
      {"12.5", "12.50"},   {"12.345", "12.35"},   {"12.344", "12.34"},
      {"0.005", "0.01"},   {"0.004", "0.00"},     {"-2.345", "-2.35"},
      {"1800", "1800.00"}, {"9.999999", "10.00"},
  };
  for (const auto& r : rows)
    EXPECT_EQ(erp_base_price(*decimal::parse(r.price)).to_string(),
              r.base_price)
        << r.price;
}

TEST(order_mapping, line_amount_rounds_fractional_quantities) {
  auto o = sample_order();
  o.items = {item("AB-1", "0.333", "10.00")};
  o.subtotal = *money::parse("3.33");
  o.grand_total = o.subtotal;
  auto so = mapped(o);
  EXPECT_EQ(so.lines[0].line_amount.to_string(), "3.33");
  EXPECT_EQ(so.total_amount.to_string(), "3.33");
}

// Found against another shop: 1.5 × 89.05 = 133.575, which that shop
// rounded to a row_total of 133.57. Ferry must send what the shop charged,
// not refuse the order for its own rounding of price × qty.
TEST(order_mapping, the_shops_row_total_is_the_line_amount) {
  auto o = sample_order();
  o.items = {item("AB-1", "1.5", "89.05")};
  o.items[0].row_total = *money::parse("133.57");
  o.subtotal = *money::parse("133.57");
  o.grand_total = o.subtotal;
  auto so = mapped(o);
  ASSERT_EQ(so.lines.size(), 1u);
  EXPECT_EQ(so.lines[0].quantity.to_string(), "1.5");
  EXPECT_EQ(so.lines[0].base_price.to_string(), "89.05");
  EXPECT_EQ(so.lines[0].line_amount.to_string(), "133.57");
  EXPECT_EQ(so.total_amount.to_string(), "133.57");
}

TEST(order_mapping, a_discounted_row_and_an_order_discount_reach_the_erp) {
  auto o = sample_order();
  // 3 × 12.50 with 10 % off the row, and 5.00 off the order.
  o.items[0].row_total = *money::parse("33.75");
  o.subtotal = *money::parse("33.75");
  o.shipping_amount = *money::parse("4.00");
  o.discount_amount = *money::parse("-5.00");
  o.grand_total = *money::parse("32.75");
  auto so = mapped(o);
  ASSERT_EQ(so.lines.size(), 2u);
  EXPECT_EQ(so.lines[0].line_amount.to_string(), "33.75");
  EXPECT_EQ(so.lines[1].line_amount.to_string(), "-1.00");
  money sum;
  for (auto& l : so.lines)
    sum += l.line_amount;
  EXPECT_EQ(sum, so.total_amount);
  EXPECT_EQ(so.total_amount.to_string(), "32.75");
}

TEST(order_mapping, row_totals_that_do_not_add_up_are_refused_by_name) {
  auto o = sample_order();
  o.items[0].row_total = *money::parse("37.49");
  auto r = map_sales_order(o, "C000123", chicago());
  auto* p = std::get_if<order_problem>(&r);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->kind, order_problem_kind::totals_mismatch);
  EXPECT_NE(p->reason.find("row totals 37.49"), std::string::npos) << p->reason;
}

TEST(order_mapping, shipping_and_tax_go_on_a_charges_line) {
  auto o = sample_order();
  o.shipping_amount = *money::parse("12.40");
  o.tax_amount = *money::parse("0.60");
  o.grand_total = *money::parse("50.50");
  auto so = mapped(o);
  EXPECT_EQ(so.total_amount.to_string(), "50.50");
  ASSERT_EQ(so.lines.size(), 2u);
  EXPECT_EQ(so.lines[1].item_code, "SHIPPING");
  EXPECT_EQ(so.lines[1].line_amount.to_string(), "13.00");
  money sum;
  for (auto& l : so.lines)
    sum += l.line_amount;
  EXPECT_EQ(sum, so.total_amount); // the ERP's rule
}

TEST(order_mapping, validation_names_the_reason) {
  using k = order_problem_kind;
  struct row {
    const char* name;
    void (*change)(shop::shop_order&);
    order_problem_kind kind;
    const char* reason;
  };
  const row rows[] = {
      {"missing email", [](shop::shop_order& o) { o.customer_email.clear(); },
       k::missing_email, "order 000001001: customer_email is missing"},
      {"invalid email",
       [](shop::shop_order& o) { o.customer_email = "ann.example.com"; },
       k::invalid_email, "order 000001001: customer_email: email has no '@'"},
      {"no lines",
       [](shop::shop_order& o) {
         o.items.clear();
         o.grand_total = {};
       },
       k::no_lines, "order 000001001: items is empty (no order lines)"},
      {"zero quantity",
       [](shop::shop_order& o) { o.items[0].qty_ordered = decimal{}; },
       k::non_positive_quantity,
       "order 000001001: items[0].qty_ordered 0 is not positive (sku AB-1)"},
      {"negative quantity",
       [](shop::shop_order& o) {
         o.items[0].qty_ordered = *decimal::parse("-1");
       },
       k::non_positive_quantity,
       "order 000001001: items[0].qty_ordered -1 is not positive (sku AB-1)"},
      {"missing sku", [](shop::shop_order& o) { o.items[0].sku.clear(); },
       k::missing_sku, "order 000001001: items[0].sku is missing"},
      {"currency", [](shop::shop_order& o) { o.base_currency_code = "EUR"; },
       k::currency_not_configured,
       "order 000001001: base_currency_code 'EUR' is not a configured "
       "currency"},
      {"created_at", [](shop::shop_order& o) { o.created_at = "yesterday"; },
       k::invalid_created_at,
       "order 000001001: created_at 'yesterday' is not a UTC timestamp "
       "YYYY-MM-DD HH:MM:SS"},
      {"totals",
       [](shop::shop_order& o) { o.grand_total = *money::parse("40.00"); },
       k::totals_mismatch,
       "order 000001001: grand_total 40.00 is not the sum of the row totals "
       "37.50 and of shipping_amount, tax_amount and discount_amount 0.00"},
      {"increment id", [](shop::shop_order& o) { o.increment_id.clear(); },
       k::missing_increment_id, "order entity 1001: increment_id is missing"},
  };
  for (const auto& r : rows) {
    auto o = sample_order();
    r.change(o);
    auto p = validate_order(o, {});
    ASSERT_TRUE(p.has_value()) << r.name;
    EXPECT_EQ(p->kind, r.kind) << r.name;
    EXPECT_EQ(p->reason, r.reason) << r.name;
    // The reason never quotes the e-mail address.
    EXPECT_EQ(p->reason.find("ann@"), std::string::npos) << r.name;
    EXPECT_TRUE(std::holds_alternative<order_problem>(
        map_sales_order(o, "C1", chicago())))
        << r.name;
  }
  EXPECT_FALSE(validate_order(sample_order(), {}).has_value());
}

TEST(order_mapping, configured_currencies_are_accepted) {
  auto o = sample_order();
  o.base_currency_code = "EUR";
  auto s = chicago();
  s.currencies = {"USD", "EUR"};
  EXPECT_EQ(mapped(o, s).currency_code, "EUR");
}

TEST(order_mapping, unknown_time_zone_is_a_problem) {
  order_mapping_settings s;
  s.erp_time_zone = nullptr; // config found no such zone
  auto r = map_sales_order(sample_order(), "C1", s);
  ASSERT_TRUE(std::holds_alternative<order_problem>(r));
  EXPECT_EQ(std::get<order_problem>(r).kind,
            order_problem_kind::unknown_time_zone);
}

TEST(order_mapping, unknown_item_from_the_erp_is_an_order_problem) {
  erp_error e;
  e.kind = erp_error_kind::client_fault;
  e.code = erp_fault_code::unknown_item;
  e.message = "SalesOrder.Line[1].ItemCode AB-1 is unknown";
  auto p = order_problem_from_erp(sample_order(), e);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->kind, order_problem_kind::unknown_sku);
  EXPECT_NE(p->reason.find("AB-1 is unknown"), std::string::npos);
  e.code = erp_fault_code::unavailable;
  EXPECT_FALSE(order_problem_from_erp(sample_order(), e));
}

} // namespace
} // namespace ferry
