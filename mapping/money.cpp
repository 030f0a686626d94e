#include "mapping/money.hpp"

#include <limits>

namespace ferry {

namespace {

using wide = __int128;

/// Divides rounding half away from zero.
wide divide_half_away(wide numerator, wide denominator) {
  bool negative = (numerator < 0) != (denominator < 0);
  wide n = numerator < 0 ? -numerator : numerator;
  wide d = denominator < 0 ? -denominator : denominator;
  wide q = (n + d / 2) / d;
  return negative ? -q : q;
}

bool fits(wide value) {
  return value >= std::numeric_limits<std::int64_t>::min() &&
         value <= std::numeric_limits<std::int64_t>::max();
}

/// Parses [-+]digits[.digits] into units of 10^-scale; `max_fraction` limits
/// the fraction digits accepted.
std::optional<std::int64_t> parse_fixed(std::string_view text, int scale,
                                        int max_fraction) {
  if (text.empty())
    return std::nullopt;
  std::size_t i = 0;
  bool negative = false;
  if (text[0] == '-' || text[0] == '+') {
    negative = text[0] == '-';
    ++i;
  }
  wide whole = 0;
  int whole_digits = 0;
  for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) {
    whole = whole * 10 + (text[i] - '0');
    if (++whole_digits > 18)
      return std::nullopt;
  }
  wide fraction = 0;
  int fraction_digits = 0;
  if (i < text.size() && text[i] == '.') {
    ++i;
    for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) {
      if (++fraction_digits > max_fraction)
        return std::nullopt;
      fraction = fraction * 10 + (text[i] - '0');
    }
    if (fraction_digits == 0)
      return std::nullopt;
  }
  if (i != text.size() || whole_digits == 0)
    return std::nullopt;
  wide scale_factor = 1;
  for (int k = 0; k < scale; ++k)
    scale_factor *= 10;
  wide fraction_units = fraction;
  for (int k = fraction_digits; k < scale; ++k)
    fraction_units *= 10;
  for (int k = scale; k < fraction_digits; ++k)
    fraction_units = fraction_units / 10;
  wide value = whole * scale_factor + fraction_units;
  if (negative)
    value = -value;
  if (!fits(value))
    return std::nullopt;
  return static_cast<std::int64_t>(value);
}

std::string format_fixed(std::int64_t units, int scale, bool trim) {
  wide value = units;
  bool negative = value < 0;
  if (negative)
    value = -value;
  wide scale_factor = 1;
  for (int k = 0; k < scale; ++k)
    scale_factor *= 10;
  auto whole = value / scale_factor;
  auto fraction = value % scale_factor;
  std::string whole_text;
  do {
    whole_text.insert(whole_text.begin(), char('0' + int(whole % 10)));
    whole /= 10;
  } while (whole > 0);
  std::string fraction_text(static_cast<std::size_t>(scale), '0');
  for (int k = scale - 1; k >= 0; --k) {
    fraction_text[static_cast<std::size_t>(k)] = char('0' + int(fraction % 10));
    fraction /= 10;
  }
  if (trim)
    while (!fraction_text.empty() && fraction_text.back() == '0')
      fraction_text.pop_back();
  std::string out = negative ? "-" : "";
  out += whole_text;
  if (!fraction_text.empty())
    out += "." + fraction_text;
  return out;
}

} // namespace

std::optional<decimal> decimal::parse(std::string_view text) {
  auto units = parse_fixed(text, scale, scale);
  if (!units)
    return std::nullopt;
  return from_units(*units);
}

std::string decimal::to_string() const {
  return format_fixed(units_, scale, true);
}

std::optional<money> money::parse(std::string_view text) {
  auto minor = parse_fixed(text, scale, scale);
  if (!minor)
    return std::nullopt;
  return from_minor(*minor);
}

std::optional<money> money::parse_rounded(std::string_view text) {
  auto value = decimal::parse(text);
  if (!value)
    return std::nullopt;
  return round(*value);
}

money money::round(decimal value) {
  return from_minor(static_cast<std::int64_t>(
      divide_half_away(value.units(), decimal::one / 100)));
}

std::string money::to_string() const {
  return format_fixed(minor_, scale, false);
}

money money::times(decimal quantity) const {
  return from_minor(static_cast<std::int64_t>(
      divide_half_away(wide{minor_} * quantity.units(), decimal::one)));
}

money money::less_percent(decimal percent) const {
  wide remaining = wide{100} * decimal::one - percent.units();
  return from_minor(static_cast<std::int64_t>(
      divide_half_away(wide{minor_} * remaining, wide{100} * decimal::one)));
}

} // namespace ferry
