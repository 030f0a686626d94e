#pragma once

#include "mapping/erp_types.hpp"
#include "mapping/price_rules.hpp"

#include <optional>
#include <string>
#include <vector>

/// Price lists and quotes as JSON text, for the price_list table's lines,
/// the Redis cache and the pricing API. Amounts are decimal strings
/// ("12.50"), never JSON numbers, so no binary floating point is involved.
namespace ferry {

/// `{"item":"AB-1","min":"10","unit":"12.50"}` or `…,"discount":"10"}` per
/// line, as a JSON array.
std::string price_lines_to_json(const std::vector<erp_price_line>& lines);

/// The inverse; nullopt for text that is not such an array.
std::optional<std::vector<erp_price_line>>
price_lines_from_json(const std::string& text);

/// A whole list set (a customer's resolved lists) as a JSON array.
std::string price_lists_to_json(const std::vector<erp_price_list>& lists);

/// The inverse; nullopt for text that is not such an array.
std::optional<std::vector<erp_price_list>>
price_lists_from_json(const std::string& text);

/// `{"unit_price":"18.00","list_price":"20.00","rule":"customer",
/// "price_list":"PL-C1","tier_min_quantity":"10","currency":"USD"}`.
std::string price_quote_to_json(const price_quote& quote);

/// The inverse; nullopt for text that is not such an object.
std::optional<price_quote> price_quote_from_json(const std::string& text);

} // namespace ferry
