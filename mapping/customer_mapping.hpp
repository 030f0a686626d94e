#pragma once

#include "mapping/erp_types.hpp"
#include "mapping/shop_types.hpp"

#include <map>
#include <optional>
#include <string>

/// Customers between the shop and the ERP (requirements: "Customer Sync";
/// ERP-SOAP.md "Customers"; SHOP-REST.md "Customers"). Emails key customers
/// in both systems, compared in their normal form (mapping/email.hpp).
namespace ferry {

/// Longest first or last name accepted (the ERP's column width).
constexpr std::size_t max_customer_name_length = 100;

/// The custom attribute holding the ERP CustomerNo in the shop.
constexpr const char* erp_customer_no_attribute = "erp_customer_no";

/// Why a shop account cannot become an ERP customer, naming the field
/// (never quoting the email: it is personal data); nothing when it can.
std::optional<std::string> customer_problem(const shop::shop_customer& c);

/// The ERP customer for a new shop account: normalized email, trimmed
/// names, the shop id as ExternalCustomerID, no CustomerNo.
erp_customer erp_customer_from_shop(const shop::shop_customer& c);

/// What the ERP decides about a shop account: names and group. Empty names
/// and group_id 0 mean "leave as is" (shop_update_customer's convention).
struct shop_customer_changes {
  std::string firstname;
  std::string lastname;
  int group_id = 0;
  bool any() const {
    return !firstname.empty() || !lastname.empty() || group_id != 0;
  }
};

/// The changes that bring `shop` in line with `erp`; a PriceGroup missing
/// from `group_of_price_group` leaves the group as it is.
shop_customer_changes
shop_changes_from_erp(const erp_customer& erp, const shop::shop_customer& shop,
                      const std::map<std::string, int>& group_of_price_group);

/// The hash of the fields the ERP→shop sync reads from an ERP customer
/// (names, price group, active flag), for echo detection.
std::string erp_customer_hash(const erp_customer& c);

} // namespace ferry
