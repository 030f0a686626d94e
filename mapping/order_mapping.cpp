#include "mapping/order_mapping.hpp"

#include "mapping/email.hpp"
#include "mapping/erp_time.hpp"

namespace ferry {

namespace {

std::string order_name(const shop::shop_order& order) {
  return "order " + (order.increment_id.empty()
                         ? "entity " + std::to_string(order.entity_id)
                         : order.increment_id);
}

order_problem problem(order_problem_kind kind, const shop::shop_order& order,
                      const std::string& what) {
  return {kind, order_name(order) + ": " + what};
}

} // namespace

const char* to_string(order_problem_kind kind) {
  switch (kind) {
    case order_problem_kind::missing_increment_id:
      return "missing_increment_id";
    case order_problem_kind::missing_email:
      return "missing_email";
    case order_problem_kind::invalid_email:
      return "invalid_email";
    case order_problem_kind::no_lines:
      return "no_lines";
    case order_problem_kind::non_positive_quantity:
      return "non_positive_quantity";
    case order_problem_kind::missing_sku:
      return "missing_sku";
    case order_problem_kind::currency_not_configured:
      return "currency_not_configured";
    case order_problem_kind::invalid_created_at:
      return "invalid_created_at";
    case order_problem_kind::totals_mismatch:
      return "totals_mismatch";
    case order_problem_kind::unknown_time_zone:
      return "unknown_time_zone";
    case order_problem_kind::unknown_sku:
      return "unknown_sku";
  }
  return "unknown";
}

std::string external_order_id(std::string_view increment_id) {
  return "WEB-" + std::string{increment_id};
}

money charges_of(const shop::shop_order& order) {
  return order.shipping_amount + order.tax_amount + order.discount_amount;
}

money erp_base_price(decimal price) {
  return money::round(price);
}

std::optional<order_problem>
validate_order(const shop::shop_order& order,
               const order_mapping_settings& settings) {
  using k = order_problem_kind;
  if (order.increment_id.empty())
    return problem(k::missing_increment_id, order, "increment_id is missing");
  if (order.customer_email.empty())
    return problem(k::missing_email, order, "customer_email is missing");
  if (auto why = email_problem(order.customer_email))
    return problem(k::invalid_email, order, "customer_email: " + *why);
  if (order.items.empty())
    return problem(k::no_lines, order, "items is empty (no order lines)");
  for (std::size_t i = 0; i < order.items.size(); ++i) {
    const auto& item = order.items[i];
    auto where = "items[" + std::to_string(i) + "]";
    if (item.sku.empty())
      return problem(k::missing_sku, order, where + ".sku is missing");
    if (item.qty_ordered <= decimal{})
      return problem(k::non_positive_quantity, order,
                     where + ".qty_ordered " + item.qty_ordered.to_string() +
                         " is not positive (sku " + item.sku + ")");
  }
  if (!settings.currencies.count(order.base_currency_code))
    return problem(k::currency_not_configured, order,
                   "base_currency_code '" + order.base_currency_code +
                       "' is not a configured currency");
  if (!parse_utc_timestamp(order.created_at))
    return problem(k::invalid_created_at, order,
                   "created_at '" + order.created_at +
                       "' is not a UTC timestamp YYYY-MM-DD HH:MM:SS");
  // The shop's row totals are what it charged (its own rounding of
  // fractional quantities, its discounts): the ERP gets them as they are,
  // never a recomputation of price × qty.
  money lines;
  for (const auto& item : order.items)
    lines += item.row_total;
  auto charges = charges_of(order);
  if (lines + charges != order.grand_total)
    return problem(k::totals_mismatch, order,
                   "grand_total " + order.grand_total.to_string() +
                       " is not the sum of the row totals " +
                       lines.to_string() +
                       " and of shipping_amount, tax_amount and"
                       " discount_amount " +
                       charges.to_string());
  return std::nullopt;
}

std::variant<erp_sales_order, order_problem>
map_sales_order(const shop::shop_order& order, const std::string& customer_no,
                const order_mapping_settings& settings) {
  if (auto p = validate_order(order, settings))
    return *p;
  const auto& zone = settings.erp_time_zone;
  if (!zone)
    return problem(order_problem_kind::unknown_time_zone, order,
                   "no ERP time zone is loaded (erp.timezone)");
  erp_sales_order so;
  so.external_order_id = external_order_id(order.increment_id);
  so.order_date = erp_local_time(*parse_utc_timestamp(order.created_at), *zone);
  so.customer_no = customer_no;
  so.customer_email = order.customer_email;
  so.currency_code = order.base_currency_code;
  so.total_amount = order.grand_total;
  for (const auto& item : order.items) {
    erp_sales_order_line line;
    line.item_code = item.sku;
    line.quantity = item.qty_ordered;
    line.base_price = erp_base_price(item.price.to_decimal());
    line.line_amount = item.row_total;
    so.lines.push_back(std::move(line));
  }
  auto charges = charges_of(order);
  if (charges != money{}) {
    erp_sales_order_line line;
    line.item_code = settings.charges_item_code;
    line.quantity = decimal::from_int(1);
    line.base_price = charges;
    line.line_amount = charges;
    so.lines.push_back(std::move(line));
  }
  return so;
}

std::optional<order_problem>
order_problem_from_erp(const shop::shop_order& order, const erp_error& error) {
  if (error.code != erp_fault_code::unknown_item)
    return std::nullopt;
  return problem(order_problem_kind::unknown_sku, order,
                 "a SKU is unknown in the ERP: " + error.message);
}

} // namespace ferry
