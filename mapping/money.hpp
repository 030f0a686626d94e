#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ferry {

/// An exact decimal number with six fraction digits, for quantities,
/// percentages and prices before rounding. Never a binary floating point.
class decimal {
public:
  /// The number of fraction digits kept exactly.
  static constexpr int scale = 6;
  static constexpr std::int64_t one = 1'000'000;

  constexpr decimal() = default;

  /// The decimal whose value is `units` / 10^6.
  static constexpr decimal from_units(std::int64_t units) {
    decimal d;
    d.units_ = units;
    return d;
  }

  /// A whole number.
  static constexpr decimal from_int(std::int64_t value) {
    return from_units(value * one);
  }

  /// Parses "12", "-0.5", "3.141593", "1e3" is refused. More than six
  /// fraction digits, an empty text, stray characters or overflow give
  /// nullopt.
  static std::optional<decimal> parse(std::string_view text);

  constexpr std::int64_t units() const { return units_; }

  /// Shortest text without trailing fraction zeros: "12", "0.5", "-3.25".
  std::string to_string() const;

  friend constexpr bool operator==(decimal a, decimal b) {
    return a.units_ == b.units_;
  }
  friend constexpr bool operator!=(decimal a, decimal b) { return !(a == b); }
  friend constexpr bool operator<(decimal a, decimal b) {
    return a.units_ < b.units_;
  }
  friend constexpr bool operator<=(decimal a, decimal b) {
    return a.units_ <= b.units_;
  }
  friend constexpr bool operator>(decimal a, decimal b) { return b < a; }
  friend constexpr bool operator>=(decimal a, decimal b) { return b <= a; }
  friend constexpr decimal operator+(decimal a, decimal b) {
    return from_units(a.units_ + b.units_);
  }
  friend constexpr decimal operator-(decimal a, decimal b) {
    return from_units(a.units_ - b.units_);
  }

private:
  std::int64_t units_ = 0;
};

/// An amount of money in integer minor units (cents: two fraction digits, as
/// every currency Ferry is configured for). Rounding, where the requirements
/// say round, is half away from zero.
class money {
public:
  /// The number of fraction digits of an amount.
  static constexpr int scale = 2;

  constexpr money() = default;

  /// The amount of `minor` cents.
  static constexpr money from_minor(std::int64_t minor) {
    money m;
    m.minor_ = minor;
    return m;
  }

  /// Parses an exact amount: "12", "12.5", "-0.99". More than two fraction
  /// digits, stray characters or overflow give nullopt (a caller that may
  /// round uses parse_rounded).
  static std::optional<money> parse(std::string_view text);

  /// Parses a decimal with any number of fraction digits (up to six) and
  /// rounds it to cents half away from zero: "2.345" → 2.35, "-2.345" →
  /// -2.35.
  static std::optional<money> parse_rounded(std::string_view text);

  /// `value` rounded to cents half away from zero.
  static money round(decimal value);

  constexpr std::int64_t minor() const { return minor_; }

  /// The amount as a decimal.
  constexpr decimal to_decimal() const {
    return decimal::from_units(minor_ * (decimal::one / 100));
  }

  /// Always two fraction digits: "12.50", "-0.05", "0.00".
  std::string to_string() const;

  /// This amount times `quantity`, rounded to cents half away from zero.
  money times(decimal quantity) const;

  /// This amount less `percent` percent, rounded half away from zero.
  money less_percent(decimal percent) const;

  friend constexpr bool operator==(money a, money b) {
    return a.minor_ == b.minor_;
  }
  friend constexpr bool operator!=(money a, money b) { return !(a == b); }
  friend constexpr bool operator<(money a, money b) {
    return a.minor_ < b.minor_;
  }
  friend constexpr bool operator<=(money a, money b) {
    return a.minor_ <= b.minor_;
  }
  friend constexpr bool operator>(money a, money b) { return b < a; }
  friend constexpr bool operator>=(money a, money b) { return b <= a; }
  friend constexpr money operator+(money a, money b) {
    return from_minor(a.minor_ + b.minor_);
  }
  friend constexpr money operator-(money a, money b) {
    return from_minor(a.minor_ - b.minor_);
  }
  money& operator+=(money other) {
    minor_ += other.minor_;
    return *this;
  }

private:
  std::int64_t minor_ = 0;
};

} // namespace ferry
