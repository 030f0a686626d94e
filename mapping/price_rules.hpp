#pragma once

#include "mapping/erp_time.hpp"
#include "mapping/erp_types.hpp"
#include "mapping/money.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

/// The contract's price precedence (ERP-SOAP.md, "Prices"): a customer's own
/// list over its price group's list over the item's `BasePrice`; within a
/// list the line with the largest `MinQuantity` not above the quantity; a
/// line gives a `UnitPrice` or a `DiscountPercent` off `BasePrice`; only
/// lists valid at the moment asked and in the currency asked apply.
namespace ferry {

/// Which rule produced a price.
enum class price_rule { customer_list, group_list, base };

/// "customer", "group" or "base" (the API's spelling).
const char* to_string(price_rule rule);

/// What a price is asked for.
struct price_question {
  std::string customer_no; ///< the ERP customer; empty: anonymous
  std::string price_group; ///< the customer's PriceGroup; empty: none
  std::string item_code;
  decimal quantity;         ///< > 0
  std::string currency;     ///< ISO 4217
  std::int64_t now_utc = 0; ///< seconds since the epoch
};

/// What the rules need besides the question.
struct price_facts {
  money base_price;          ///< the item's BasePrice
  std::string base_currency; ///< the currency BasePrice is in
  /// Every list that might apply (others are ignored, so passing more is
  /// safe): the customer's and its group's.
  std::vector<erp_price_list> lists;
  /// The ERP's time zone, in which date-only validity and date-times
  /// without an offset are read; null reads them as UTC.
  const time_zone* erp_zone = nullptr;
};

/// The price and why.
struct price_quote {
  money unit_price;
  money list_price; ///< BasePrice
  price_rule rule = price_rule::base;
  std::string price_list_code; ///< empty for base
  decimal tier_min_quantity;   ///< the line's MinQuantity; 0 for base
  std::string currency;
};

/// Why no price can be given.
enum class price_refusal {
  bad_quantity,         ///< not above zero
  currency_unavailable, ///< no list in that currency and BasePrice is not
};

/// The quote for `q` given `facts`, or why there is none.
struct price_outcome {
  std::optional<price_quote> quote;
  price_refusal refusal = price_refusal::bad_quantity;
  std::string reason; ///< names the field or currency when refused
};

/// Applies the precedence. Among several valid lists of the same kind the
/// one valid from the latest moment wins (ties: the greater code), so the
/// answer never depends on the order of `facts.lists`. A list that has no
/// line for the item at or below the quantity does not apply: the next
/// rule is tried.
price_outcome resolve_price(const price_question& q, const price_facts& facts);

/// Whether `list` is valid at `now_utc`: ValidFrom ≤ now and (no ValidTo or
/// now ≤ ValidTo), both read by `parse_validity` in `erp_zone` (null: UTC).
/// A list whose dates do not parse is not valid (`price_list_date_error`
/// says why, for the poller to report it).
bool price_list_valid_at(const erp_price_list& list, std::int64_t now_utc,
                         const time_zone* erp_zone = nullptr);

/// Seconds since the epoch of an xs:dateTime in UTC ("2026-01-01T00:00:00Z",
/// fraction digits and "+00:00" accepted; other offsets applied; no offset
/// is read as UTC); nullopt when it does not parse.
std::optional<std::int64_t> parse_utc_datetime(std::string_view text);

/// Which end of a validity period a date is read as.
enum class validity_edge {
  from, ///< a date alone starts at 00:00:00 of that day
  to,   ///< a date alone is inclusive: it ends at 23:59:59 of that day
};

/// The contract gives `ValidFrom`/`ValidTo` no type, so every reasonable
/// reading is accepted: an xs:dateTime with `Z` or an offset; one without
/// an offset, read as the ERP's local time (as `OrderDate` is); an xs:date
/// (`2026-01-01`, optionally with `Z` or an offset), read as the whole day
/// in the ERP's time zone (or the offset given). `zone` null: UTC.
/// Seconds since the epoch, nullopt when the text is none of these.
std::optional<std::int64_t> parse_validity(std::string_view text,
                                           const time_zone* zone,
                                           validity_edge edge);

/// Empty when the list's `ValidFrom` and `ValidTo` (when given) can be
/// read; otherwise why not, naming the list and the field.
std::string price_list_date_error(const erp_price_list& list);

} // namespace ferry
