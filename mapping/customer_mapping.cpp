#include "mapping/customer_mapping.hpp"

#include "mapping/content_hash.hpp"
#include "mapping/email.hpp"
#include "mapping/utf8.hpp"

namespace ferry {

namespace {

std::string trimmed(const std::string& s) {
  auto first = s.find_first_not_of(" \t\r\n");
  if (first == std::string::npos)
    return {};
  auto last = s.find_last_not_of(" \t\r\n");
  return s.substr(first, last - first + 1);
}

std::optional<std::string> name_problem(const std::string& value,
                                        const char* field) {
  auto t = trimmed(value);
  if (t.empty())
    return std::string{"customer."} + field + " is required";
  // The ERP counts characters (code points), not bytes.
  if (mapping::utf8_code_points(t) > max_customer_name_length)
    return std::string{"customer."} + field + " is longer than " +
           std::to_string(max_customer_name_length) + " characters";
  for (unsigned char ch : t)
    if (ch < 0x20 || ch == 0x7f)
      return std::string{"customer."} + field + " contains a control character";
  return std::nullopt;
}

} // namespace

std::optional<std::string> customer_problem(const shop::shop_customer& c) {
  if (c.id <= 0)
    return std::string{"customer.id must be a positive shop id"};
  // Both systems key customers by the normalized form: surrounding spaces
  // and case are not problems.
  if (auto why = email_problem(normalize_email(c.email)))
    return "customer.email: " + *why;
  if (auto why = name_problem(c.firstname, "firstname"))
    return why;
  if (auto why = name_problem(c.lastname, "lastname"))
    return why;
  return std::nullopt;
}

erp_customer erp_customer_from_shop(const shop::shop_customer& c) {
  erp_customer e;
  e.email = normalize_email(c.email);
  e.first_name = trimmed(c.firstname);
  e.last_name = trimmed(c.lastname);
  e.external_customer_id = std::to_string(c.id);
  e.is_active = true;
  return e;
}

shop_customer_changes
shop_changes_from_erp(const erp_customer& erp, const shop::shop_customer& shop,
                      const std::map<std::string, int>& group_of_price_group) {
  shop_customer_changes out;
  if (!erp.first_name.empty() && erp.first_name != shop.firstname)
    out.firstname = erp.first_name;
  if (!erp.last_name.empty() && erp.last_name != shop.lastname)
    out.lastname = erp.last_name;
  auto group = group_of_price_group.find(erp.price_group);
  if (group != group_of_price_group.end() && group->second != shop.group_id)
    out.group_id = group->second;
  return out;
}

std::string erp_customer_hash(const erp_customer& c) {
  return mapping::content_hash({{"first_name", c.first_name},
                                {"last_name", c.last_name},
                                {"price_group", c.price_group},
                                {"is_active", c.is_active}});
}

} // namespace ferry
