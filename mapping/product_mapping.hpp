#pragma once

#include "mapping/erp_types.hpp"
#include "mapping/money.hpp"
#include "mapping/shop_types.hpp"

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

/// The product rules of the requirements' mapping table, both ways. Each
/// function either returns the mapped value or an error that names the field
/// and what was wrong (the caller puts it into the dead-letter table).
namespace ferry::mapping {

using shop::parsed;

/// The longest shop product name, in Unicode code points.
constexpr std::size_t shop_name_max = 255;
/// The longest ERP `ItemName`, in code points.
constexpr std::size_t erp_name_max = 400;
/// The longest ERP `ItemCode`, in characters.
constexpr std::size_t erp_item_code_max = 20;
/// The largest price of decimal(10,2): 99,999,999.99.
constexpr std::int64_t price_max_minor = 9'999'999'999;

/// `text` without leading and trailing whitespace, cut to at most
/// `max_code_points` code points (never inside a UTF-8 sequence, and never
/// between a character and the combining marks, variation selectors or
/// joined code points that belong to it) and without the whitespace the
/// cut left at its end. An error when `text` is not valid UTF-8.
parsed<std::string> trim_code_points(std::string_view text,
                                     std::size_t max_code_points);

/// `weight` in `unit` as kg, rounded half away from zero to 6 decimals
/// (1 mg, the precision of `decimal`): 1 G = 0.001 kg, 1 LB = 0.45359237 kg
/// (exact, by definition), 1 OZ = 1/16 LB = 0.028349523125 kg. Negative
/// weights are an error.
parsed<decimal> weight_to_kg(decimal weight, erp_weight_unit unit);

/// `price` if it fits the shop's decimal(10,2) and is not negative.
parsed<money> shop_price(money price);

/// `IsActive` → `status`: 1 enabled, 2 disabled.
int shop_status(bool is_active);

/// ERP `Item` → shop product (id 0, `updated_at` empty: the shop sets them).
parsed<shop::shop_product> shop_product_from_erp(const erp_item& item);

/// Shop product → ERP `Item` (weight in KG, description as HTML that maps
/// back to the same text, `modified_at` empty: the ERP sets it).
parsed<erp_item> erp_item_from_shop(const shop::shop_product& product);

/// The synced fields of a shop product as JSON, in the form written to the
/// shop; the input of the content hash that recognises echoes.
nlohmann::json product_fields(const shop::shop_product& product);

/// A shop product from `product_fields` output (id 0, `updated_at` empty);
/// an error naming the field when one is missing or malformed.
parsed<shop::shop_product> product_from_fields(const nlohmann::json& fields);

/// The synced fields of an ERP item in shop terms (mapped by
/// `shop_product_from_erp`); nullopt when the item does not map.
std::optional<nlohmann::json> product_fields(const erp_item& item);

/// A timestamp of either side ("2026-05-01T10:00:00Z" from the ERP,
/// "2026-05-01 10:00:00" from the shop, both UTC) as "YYYY-MM-DD HH:MM:SS"
/// so the two compare as text; empty when it is neither.
std::string comparable_timestamp(std::string_view timestamp);

} // namespace ferry::mapping
