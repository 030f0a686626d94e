#pragma once

#include "mapping/erp_time.hpp"
#include "mapping/erp_types.hpp"
#include "mapping/money.hpp"
#include "mapping/shop_types.hpp"

#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <variant>

/// A shop order → an ERP sales order (the requirements' order mapping), and
/// the checks that decide whether an order can go to the ERP at all.
namespace ferry {

/// What the order mapping needs from the configuration.
struct order_mapping_settings {
  /// The ERP's time zone (`erp.timezone`, loaded by
  /// config::load_time_zone); without one every order is refused with
  /// unknown_time_zone.
  std::shared_ptr<const time_zone> erp_time_zone;
  /// The currencies Ferry is configured for (those with an approval
  /// threshold): an order in another currency cannot be gated, so it is
  /// refused.
  std::set<std::string> currencies{"USD"};
  /// The ERP item that carries an order's shipping, tax and discount: the
  /// ERP wants TotalAmount to be the sum of its lines, the shop's
  /// grand_total includes them.
  std::string charges_item_code = "SHIPPING";
};

/// Why an order cannot go to the ERP. Each is final: the same order would
/// fail the same way again, so it is dead-lettered rather than retried.
enum class order_problem_kind {
  missing_increment_id,
  missing_email,
  invalid_email,
  no_lines,
  non_positive_quantity,
  missing_sku,
  currency_not_configured,
  invalid_created_at,
  totals_mismatch,
  unknown_time_zone,
  unknown_sku,
};

/// "missing_email", … (for metrics and the sync log).
const char* to_string(order_problem_kind kind);

/// One reason, naming the order and the field; never quotes personal data.
struct order_problem {
  order_problem_kind kind = order_problem_kind::missing_email;
  std::string reason;
};

/// `ExternalOrderID`: "WEB-" + the shop's increment_id.
std::string external_order_id(std::string_view increment_id);

/// `BasePrice`: `price` rounded to 2 decimals half away from zero.
money erp_base_price(decimal price);

/// What the order charges besides its rows, as one ERP line: shipping,
/// tax and the (negative) discount.
money charges_of(const shop::shop_order& order);

/// Every check that needs nothing but the order and the configuration; the
/// first problem found, or nothing when it may go on.
std::optional<order_problem>
validate_order(const shop::shop_order& order,
               const order_mapping_settings& settings);

/// The sales order for `order` and the ERP customer `customer_no`, or why
/// not (validation first, then the time zone).
std::variant<erp_sales_order, order_problem>
map_sales_order(const shop::shop_order& order, const std::string& customer_no,
                const order_mapping_settings& settings);

/// The problem an ERP answer to CreateSalesOrder means for the order when
/// it is one of the order's own (UnknownItem: a SKU the ERP does not know);
/// nothing for other errors.
std::optional<order_problem>
order_problem_from_erp(const shop::shop_order& order, const erp_error& error);

} // namespace ferry
