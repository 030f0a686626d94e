#pragma once

// Property-based tests without a new dependency: a seeded std::mt19937_64
// per case and generators of Unicode text, money and quantities.
//
// Each case runs with its own seed (the base seed + the case's index), and a
// failure names it: rerun one case with
//   FERRY_PROPERTY_SEED=<seed> FERRY_PROPERTY_CASES=1 ./build/tests/<test>

#include "mapping/money.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <gtest/gtest.h>
#include <iterator>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace ferry::test {

using rng_t = std::mt19937_64;

/// The seed of case 0: FERRY_PROPERTY_SEED when set, else a fixed one.
inline std::uint64_t property_seed() {
  if (const char* s = std::getenv("FERRY_PROPERTY_SEED"))
    return std::strtoull(s, nullptr, 0);
  return 0x5eed'f3e7'0000'0000ULL;
}

/// `count`, or FERRY_PROPERTY_CASES when set.
inline int property_cases(int count) {
  if (const char* s = std::getenv("FERRY_PROPERTY_CASES"))
    return std::atoi(s);
  return count;
}

/// Runs `check(rng)` for `count` cases, each with a generator of its own
/// seed; stops at the first case that fails and names its seed.
template <class F>
void for_cases(int count, F&& check) {
  auto base = property_seed();
  auto cases = property_cases(count);
  for (int i = 0; i < cases; ++i) {
    auto seed = base + static_cast<std::uint64_t>(i);
    rng_t rng{seed};
    SCOPED_TRACE("case " + std::to_string(i) + ", replay with " +
                 "FERRY_PROPERTY_SEED=" + std::to_string(seed) +
                 " FERRY_PROPERTY_CASES=1");
    check(rng);
    if (::testing::Test::HasFailure())
      return;
  }
}

/// A uniform integer in [lo, hi] (char32_t too: drawn as a wider type, as
/// the standard's distributions take only short and wider).
template <class T>
T uniform(rng_t& rng, T lo, T hi) {
  using wide =
      std::conditional_t<std::is_signed_v<T>, long long, unsigned long long>;
  return static_cast<T>(std::uniform_int_distribution<wide>{
      static_cast<wide>(lo), static_cast<wide>(hi)}(rng));
}

/// True with probability `percent` / 100.
inline bool chance(rng_t& rng, int percent) {
  return uniform(rng, 0, 99) < percent;
}

/// `cp` as UTF-8 (cp must be a scalar value).
inline std::string utf8(char32_t cp) {
  std::string out;
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
  return out;
}

/// The code points of `text`, or nothing when it is not valid UTF-8
/// (overlong forms, surrogates, values above U+10FFFF, truncated or stray
/// bytes). Written apart from mapping/ so that it checks it.
inline std::optional<std::vector<char32_t>> decode_utf8(std::string_view text) {
  std::vector<char32_t> out;
  for (std::size_t i = 0; i < text.size();) {
    auto b0 = static_cast<unsigned char>(text[i]);
    std::size_t n = b0 < 0x80                  ? 1
                    : b0 >= 0xC2 && b0 <= 0xDF ? 2
                    : b0 >= 0xE0 && b0 <= 0xEF ? 3
                    : b0 >= 0xF0 && b0 <= 0xF4 ? 4
                                               : 0;
    if (n == 0 || i + n > text.size())
      return std::nullopt;
    char32_t cp = n == 1   ? b0
                  : n == 2 ? (b0 & 0x1F)
                  : n == 3 ? (b0 & 0x0F)
                           : (b0 & 0x07);
    for (std::size_t k = 1; k < n; ++k) {
      auto b = static_cast<unsigned char>(text[i + k]);
      if ((b & 0xC0) != 0x80)
        return std::nullopt;
      cp = (cp << 6) | (b & 0x3F);
    }
    char32_t min = n == 2 ? 0x80 : n == 3 ? 0x800 : n == 4 ? 0x10000 : 0;
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
      return std::nullopt;
    out.push_back(cp);
    i += n;
  }
  return out;
}

/// Whether `text` is valid UTF-8.
inline bool valid_utf8(std::string_view text) {
  return decode_utf8(text).has_value();
}

/// The number of code points of valid UTF-8 `text`.
inline std::size_t code_points(std::string_view text) {
  auto cps = decode_utf8(text);
  return cps ? cps->size() : 0;
}

/// UTF-8 of `cps`.
inline std::string encode(const std::vector<char32_t>& cps) {
  std::string out;
  for (auto cp : cps)
    out += utf8(cp);
  return out;
}

/// What random text may contain besides letters of many scripts.
struct text_options {
  /// ' ', '\t', '\n', '\r' anywhere, also leading and trailing.
  bool ascii_space = true;
  bool controls = false; ///< U+0001–U+001F other than the spaces, U+007F
};

/// One code point drawn from many scripts and the UTF-8 length boundaries;
/// a grapheme may take several (combining marks, emoji ZWJ sequences, flags).
inline std::vector<char32_t> random_grapheme(rng_t& rng,
                                             const text_options& o) {
  static constexpr char32_t boundaries[] = {0x0080,   0x07FF, 0x0800, 0xD7FF,
                                            0xE000,   0xFFFD, 0xFFFF, 0x10000,
                                            0x10FFFF, 0x00A0, 0xFEFF, 0x200B};
  switch (uniform(rng, 0, 13)) {
    case 0:
    case 1:
    case 2:
      return {uniform<char32_t>(rng, 0x21, 0x7E)}; // printable ASCII
    case 3:
      if (o.ascii_space) {
        static constexpr char32_t spaces[] = {' ', ' ', ' ', '\t', '\n', '\r'};
        return {spaces[uniform(rng, 0, 5)]};
      }
      return {0x3000}; // ideographic space: not ASCII whitespace
    case 4:
      return {uniform<char32_t>(rng, 0xC0, 0x17F)}; // Latin accents
    case 5: // a letter and combining marks
      return {uniform<char32_t>(rng, 'a', 'z'),
              uniform<char32_t>(rng, 0x300, 0x36F),
              uniform<char32_t>(rng, 0x300, 0x36F)};
    case 6:
      return {uniform<char32_t>(rng, 0x4E00, 0x9FFF)}; // CJK
    case 7:
      return {uniform<char32_t>(rng, 0x20000, 0x2A6DF)}; // CJK ext. B
    case 8: // emoji, with skin tone, as a ZWJ sequence, a flag
      switch (uniform(rng, 0, 3)) {
        case 0:
          return {uniform<char32_t>(rng, 0x1F300, 0x1FAFF)};
        case 1:
          return {0x1F44D, uniform<char32_t>(rng, 0x1F3FB, 0x1F3FF)};
        case 2:
          return {0x1F469, 0x200D, 0x1F4BB}; // woman technologist
        default:
          return {0x1F1E9, 0x1F1EA}; // flag DE
      }
    case 9: // right to left: Hebrew, Arabic, marks
      switch (uniform(rng, 0, 2)) {
        case 0:
          return {uniform<char32_t>(rng, 0x5D0, 0x5EA)};
        case 1:
          return {uniform<char32_t>(rng, 0x627, 0x64A)};
        default:
          return {0x200F, uniform<char32_t>(rng, 0x627, 0x64A), 0x202E};
      }
    case 10:
      return {
          boundaries[uniform<std::size_t>(rng, 0, std::size(boundaries) - 1)]};
    case 11:
      if (o.controls) {
        auto c = uniform<char32_t>(rng, 0x01, 0x20);
        return {c == 0x20 ? char32_t{0x7F} : c};
      }
      return {0x007E};
    case 12:
      return {uniform<char32_t>(rng, 0x80, 0x7FF)}; // any two-byte
    default: { // any scalar value outside the surrogates
      char32_t cp = uniform<char32_t>(rng, 0xA0, 0x10FFFF);
      if (cp >= 0xD800 && cp <= 0xDFFF)
        cp -= 0x800;
      return {cp};
    }
  }
}

/// Random valid UTF-8 of about `limit` code points or fewer: often empty,
/// exactly `limit`, one either side of it, or anything up to twice as long.
inline std::string random_text(rng_t& rng, std::size_t limit,
                               const text_options& o = {}) {
  std::size_t target = 0;
  switch (uniform(rng, 0, 7)) {
    case 0:
      target = 0;
      break;
    case 1:
      target = limit;
      break;
    case 2:
      target = limit + 1;
      break;
    case 3:
      target = limit > 0 ? limit - 1 : 0;
      break;
    case 4:
      target = uniform<std::size_t>(rng, 0, 2 * limit + 2);
      break;
    default:
      target = uniform<std::size_t>(rng, 1, limit > 8 ? limit / 4 : 8);
  }
  std::vector<char32_t> cps;
  while (cps.size() < target) {
    for (auto cp : random_grapheme(rng, o))
      cps.push_back(cp);
  }
  cps.resize(target); // may cut a grapheme: code points still count
  return encode(cps);
}

/// Random text without ASCII whitespace or controls at either end and at
/// most `max_code_points` long (a value a mapping must keep unchanged).
inline std::string random_clean_text(rng_t& rng, std::size_t max_code_points,
                                     bool allow_empty = false) {
  text_options o;
  o.ascii_space = true;
  o.controls = false;
  auto cps = *decode_utf8(random_text(rng, max_code_points, o));
  if (cps.size() > max_code_points)
    cps.resize(max_code_points);
  auto is_space = [](char32_t c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
  };
  while (!cps.empty() && is_space(cps.back()))
    cps.pop_back();
  while (!cps.empty() && is_space(cps.front()))
    cps.erase(cps.begin());
  if (cps.empty() && !allow_empty)
    cps.push_back(uniform<char32_t>(rng, 0x4E00, 0x9FFF));
  return encode(cps);
}

/// An amount with 0, 1 or 2 decimals between 0 and `max_minor` cents; zero
/// and the maximum come up often.
inline money random_money(rng_t& rng, std::int64_t max_minor) {
  switch (uniform(rng, 0, 9)) {
    case 0:
      return money{};
    case 1:
      return money::from_minor(max_minor);
    case 2:
      return money::from_minor(uniform<std::int64_t>(rng, 0, 99));
    default:
      break;
  }
  // Small amounts are the common case; large ones are as likely as any.
  auto top =
      chance(rng, 50) ? std::min<std::int64_t>(max_minor, 100'000) : max_minor;
  auto minor = uniform<std::int64_t>(rng, 0, top);
  switch (uniform(rng, 0, 2)) {
    case 0:
      return money::from_minor(minor / 100 * 100); // no decimals
    case 1:
      return money::from_minor(minor / 10 * 10); // one decimal
    default:
      return money::from_minor(minor);
  }
}

/// A positive quantity up to `max_whole`, with 0 to 6 fraction digits (all
/// that `decimal` keeps).
inline decimal random_quantity(rng_t& rng, std::int64_t max_whole) {
  auto digits = uniform(rng, 0, decimal::scale);
  std::int64_t step = 1;
  for (int k = digits; k < decimal::scale; ++k)
    step *= 10;
  auto units = uniform<std::int64_t>(rng, 1, max_whole * decimal::one);
  units = units / step * step;
  if (units == 0)
    units = step;
  return decimal::from_units(units);
}

/// Random bytes, mostly valid UTF-8 with a broken sequence put in: a stray
/// continuation byte, a cut sequence, an overlong form, a surrogate, a value
/// above U+10FFFF, or 0xFE/0xFF.
inline std::string random_invalid_utf8(rng_t& rng, std::size_t limit) {
  static const std::string broken[] = {"\x80",
                                       "\xBF",
                                       "\xC3",
                                       "\xE4\xB8",
                                       "\xF0\x9F\x98",
                                       "\xC0\xAF",
                                       "\xC1\xBF",
                                       "\xE0\x80\xAF",
                                       "\xED\xA0\x80",
                                       "\xED\xBF\xBF",
                                       "\xF4\x90\x80\x80",
                                       "\xF5\x80\x80\x80",
                                       "\xF0\x80\x80\xAF",
                                       "\xFE",
                                       "\xFF"};
  auto text = random_text(rng, limit);
  auto cps = *decode_utf8(text);
  auto at = uniform<std::size_t>(rng, 0, cps.size());
  std::vector<char32_t> head(cps.begin(), cps.begin() + static_cast<long>(at));
  std::vector<char32_t> tail(cps.begin() + static_cast<long>(at), cps.end());
  return encode(head) +
         broken[uniform<std::size_t>(rng, 0, std::size(broken) - 1)] +
         encode(tail);
}

/// A random address that email_problem accepts: a local part of letters,
/// digits and `.`, `_`, `+`, `-` (with `all_specials`, every character RFC
/// 5322 allows unquoted), a domain of one to three labels and a top level.
inline std::string random_email(rng_t& rng, bool all_specials = false) {
  static constexpr std::string_view alnum =
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  std::string_view specials = all_specials ? "._+-!#$%&'*/=?^`{|}~" : "._+-";
  auto pick = [&](std::string_view from) {
    return from[uniform<std::size_t>(rng, 0, from.size() - 1)];
  };
  std::string local(1, pick(alnum));
  auto length = uniform<std::size_t>(rng, 1, 30);
  while (local.size() < length) {
    char c = chance(rng, 20) ? pick(specials) : pick(alnum);
    if (c == '.' && (local.back() == '.' || local.size() + 1 == length))
      c = pick(alnum);
    local += c;
  }
  std::string domain;
  auto labels = uniform(rng, 1, 3);
  for (int l = 0; l < labels; ++l) {
    auto n = uniform<std::size_t>(rng, 1, 12);
    for (std::size_t k = 0; k < n; ++k)
      domain += (k > 0 && k + 1 < n && chance(rng, 10)) ? '-' : pick(alnum);
    domain += '.';
  }
  auto tld = uniform<std::size_t>(rng, 2, 6);
  for (std::size_t k = 0; k < tld; ++k)
    domain += pick(alnum.substr(0, 26));
  return local + "@" + domain;
}

/// A valid "YYYY-MM-DD HH:MM:SS" between 2000 and 2037.
inline std::string random_timestamp(rng_t& rng) {
  static constexpr int days[] = {31, 28, 31, 30, 31, 30,
                                 31, 31, 30, 31, 30, 31};
  int year = uniform(rng, 2000, 2037);
  int month = uniform(rng, 1, 12);
  bool leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
  int day = uniform(rng, 1, days[month - 1] + (month == 2 && leap ? 1 : 0));
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d %02d:%02d:%02d", year, month,
                day, uniform(rng, 0, 23), uniform(rng, 0, 59),
                uniform(rng, 0, 59));
  return buf;
}

} // namespace ferry::test
