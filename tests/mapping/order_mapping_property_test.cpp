// Properties of shop order → ERP sales order over random orders: the texts
// and quantities reach the ERP unchanged, and the lines add up to
// TotalAmount (the ERP refuses an order whose TotalAmount is not the sum of
// its LineAmounts). The contract: an item line's LineAmount is the shop's
// row_total, the charges line carries grand_total − Σ row_total.

#include "config/values.hpp"
#include "mapping/order_mapping.hpp"
#include "tests/support/property.hpp"

#include <gtest/gtest.h>

namespace ferry {
namespace {

using namespace ferry::test;

constexpr int cases = 2000;

order_mapping_settings chicago() {
  order_mapping_settings s;
  s.erp_time_zone = config::load_time_zone("America/Chicago");
  return s;
}

/// A valid order: row totals add up to the subtotal and grand_total is
/// subtotal + shipping + tax. With `shop_rounding`, a row total may differ
/// from price × qty by a few cents, as the shop's own rounding (per unit,
/// of tax-inclusive prices) leaves it.
shop::shop_order random_order(rng_t& rng, bool shop_rounding) {
  shop::shop_order o;
  o.entity_id = uniform<std::int64_t>(rng, 1, 1'000'000'000);
  o.increment_id = random_clean_text(rng, 32);
  o.created_at = random_timestamp(rng);
  if (chance(rng, 70))
    o.customer_id = uniform<std::int64_t>(rng, 1, 1'000'000);
  o.customer_email = random_email(rng);
  o.base_currency_code = "USD";
  auto lines = uniform(rng, 1, 20);
  for (int i = 0; i < lines; ++i) {
    shop::shop_order_item item;
    item.sku = random_clean_text(rng, 20);
    item.name = random_text(rng, 255);
    item.qty_ordered = random_quantity(rng, chance(rng, 80) ? 100 : 100'000);
    item.price = random_money(rng, chance(rng, 80) ? 100'000 : 99'999'999);
    item.row_total = item.price.times(item.qty_ordered);
    if (shop_rounding && chance(rng, 30)) {
      auto cents = uniform<std::int64_t>(rng, -3, 3);
      if (item.row_total.minor() + cents >= 0)
        item.row_total = item.row_total + money::from_minor(cents);
    }
    o.subtotal += item.row_total;
    o.items.push_back(std::move(item));
  }
  o.shipping_amount = chance(rng, 30) ? money{} : random_money(rng, 100'000);
  o.tax_amount = chance(rng, 30) ? money{} : random_money(rng, 1'000'000);
  o.grand_total = o.subtotal + o.shipping_amount + o.tax_amount;
  return o;
}

std::string describe(const shop::shop_order& o) {
  std::string out = "order '" + o.increment_id + "' grand_total " +
                    o.grand_total.to_string() + " subtotal " +
                    o.subtotal.to_string() + " shipping " +
                    o.shipping_amount.to_string() + " tax " +
                    o.tax_amount.to_string() + " items:";
  for (auto& i : o.items)
    out += " [" + i.sku + " qty " + i.qty_ordered.to_string() + " price " +
           i.price.to_string() + " row_total " + i.row_total.to_string() + "]";
  return out;
}

const erp_sales_order*
mapped_or_fail(const std::variant<erp_sales_order, order_problem>& r) {
  if (auto p = std::get_if<order_problem>(&r)) {
    ADD_FAILURE() << "refused: " << to_string(p->kind) << ": " << p->reason;
    return nullptr;
  }
  return &std::get<erp_sales_order>(r);
}

TEST(order_mapping_property, texts_and_fractional_quantities_reach_the_erp) {
  auto settings = chicago();
  for_cases(cases, [&](rng_t& rng) {
    auto order = random_order(rng, false);
    auto customer_no = random_clean_text(rng, 20);
    SCOPED_TRACE(describe(order));
    auto result = map_sales_order(order, customer_no, settings);
    auto so = mapped_or_fail(result);
    if (!so)
      return;
    EXPECT_EQ(so->external_order_id, "WEB-" + order.increment_id);
    EXPECT_EQ(so->customer_no, customer_no);
    EXPECT_EQ(so->customer_email, order.customer_email);
    EXPECT_EQ(so->currency_code, order.base_currency_code);
    ASSERT_GE(so->lines.size(), order.items.size());
    for (std::size_t i = 0; i < order.items.size(); ++i) {
      const auto& item = order.items[i];
      const auto& line = so->lines[i];
      EXPECT_EQ(line.item_code, item.sku) << "line " << i;
      EXPECT_EQ(line.quantity.units(), item.qty_ordered.units())
          << "line " << i << ": " << line.quantity.to_string() << " for "
          << item.qty_ordered.to_string();
      EXPECT_EQ(line.quantity.to_string(), item.qty_ordered.to_string());
      EXPECT_EQ(line.base_price, item.price) << "line " << i;
    }
  });
}

TEST(order_mapping_property, lines_are_row_totals_and_add_up_to_total_amount) {
  auto settings = chicago();
  for_cases(cases, [&](rng_t& rng) {
    auto order = random_order(rng, true);
    SCOPED_TRACE(describe(order));
    auto result = map_sales_order(order, "C000123", settings);
    auto so = mapped_or_fail(result);
    if (!so)
      return;
    EXPECT_EQ(so->total_amount, order.grand_total);
    money rows;
    for (auto& item : order.items)
      rows += item.row_total;
    auto charges = order.grand_total - rows;
    auto expected_lines = order.items.size() + (charges != money{} ? 1 : 0);
    ASSERT_EQ(so->lines.size(), expected_lines);
    money sum;
    for (std::size_t i = 0; i < so->lines.size(); ++i) {
      sum += so->lines[i].line_amount;
      if (i < order.items.size()) {
        EXPECT_EQ(so->lines[i].line_amount, order.items[i].row_total)
            << "line " << i << " LineAmount "
            << so->lines[i].line_amount.to_string();
      } else {
        EXPECT_EQ(so->lines[i].item_code, settings.charges_item_code);
        EXPECT_EQ(so->lines[i].quantity, decimal::from_int(1));
        EXPECT_EQ(so->lines[i].line_amount, charges);
        EXPECT_EQ(so->lines[i].base_price, charges);
      }
    }
    EXPECT_EQ(sum, so->total_amount)
        << "Σ LineAmount " << sum.to_string() << " vs TotalAmount "
        << so->total_amount.to_string();
  });
}

} // namespace
} // namespace ferry
