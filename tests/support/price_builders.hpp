#pragma once

// ERP price lists and items for the pricing tests: one USD list valid from
// 2026-01-01, lines by unit price or discount.

#include "mapping/erp_types.hpp"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace ferry::test {

inline erp_price_line unit_line(const std::string& item, int min,
                                std::int64_t minor) {
  erp_price_line l;
  l.item_code = item;
  l.min_quantity = decimal::from_int(min);
  l.has_unit_price = true;
  l.unit_price = money::from_minor(minor);
  return l;
}

inline erp_price_line discount_line(const std::string& item, int min,
                                    int percent) {
  erp_price_line l;
  l.item_code = item;
  l.min_quantity = decimal::from_int(min);
  l.has_unit_price = false;
  l.discount_percent = decimal::from_int(percent);
  return l;
}

inline erp_price_list list(const std::string& code, const std::string& customer,
                           const std::string& group,
                           std::vector<erp_price_line> lines) {
  erp_price_list l;
  l.price_list_code = code;
  l.customer_no = customer;
  l.price_group = group;
  l.currency_code = "USD";
  l.valid_from = "2026-01-01T00:00:00Z";
  l.modified_at = "2026-02-01T00:00:00Z";
  l.lines = std::move(lines);
  return l;
}

} // namespace ferry::test
