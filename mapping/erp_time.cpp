#include "mapping/erp_time.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>

namespace ferry {

namespace {

constexpr std::int64_t seconds_per_day = 86400;

// Howard Hinnant's days_from_civil / civil_from_days (public domain).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

struct civil {
  std::int64_t year;
  unsigned month;
  unsigned day;
};

civil civil_from_days(std::int64_t z) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t y = static_cast<std::int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return {y + (m <= 2), m, d};
}

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
}

unsigned days_in_month(std::int64_t y, unsigned m) {
  static constexpr unsigned days[] = {31, 28, 31, 30, 31, 30,
                                      31, 31, 30, 31, 30, 31};
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m == 2 && leap ? 29 : days[m - 1];
}

// The day (since the epoch) of weekday `wd` in week `week` (5: the last)
// of month `m` of year `y`.
std::int64_t rule_day(std::int64_t y, int m, int week, int wd) {
  auto first = days_from_civil(y, static_cast<unsigned>(m), 1);
  // 1970-01-01 was a Thursday (4).
  auto first_wd = ((first % 7) + 7 + 4) % 7;
  auto day = first + ((wd - first_wd + 7) % 7) + 7 * (week - 1);
  auto last = first + days_in_month(y, static_cast<unsigned>(m)) - 1;
  while (day > last)
    day -= 7;
  return day;
}

std::int64_t read_be(const unsigned char* p, int n) {
  std::uint64_t v = 0;
  for (int i = 0; i < n; ++i)
    v = (v << 8) | p[i];
  if (n == 4)
    return static_cast<std::int32_t>(static_cast<std::uint32_t>(v));
  return static_cast<std::int64_t>(v);
}

// A POSIX TZ string reader over [pos, text.size()).
struct posix_reader {
  std::string_view text;
  std::size_t pos = 0;

  bool at_end() const { return pos >= text.size(); }
  char peek() const { return at_end() ? '\0' : text[pos]; }

  bool name() {
    if (peek() == '<') {
      auto close = text.find('>', pos);
      if (close == std::string_view::npos)
        return false;
      pos = close + 1;
      return true;
    }
    auto start = pos;
    while (!at_end() && std::isalpha(static_cast<unsigned char>(peek())))
      ++pos;
    return pos - start >= 3;
  }

  bool number(std::int64_t& out) {
    auto start = pos;
    out = 0;
    while (!at_end() && std::isdigit(static_cast<unsigned char>(peek())))
      out = out * 10 + (text[pos++] - '0');
    return pos > start;
  }

  // [+-]hh[:mm[:ss]] in seconds.
  bool duration(std::int64_t& out) {
    int sign = 1;
    if (peek() == '+' || peek() == '-')
      sign = text[pos++] == '-' ? -1 : 1;
    std::int64_t h = 0, m = 0, s = 0;
    if (!number(h))
      return false;
    if (peek() == ':') {
      ++pos;
      if (!number(m))
        return false;
      if (peek() == ':') {
        ++pos;
        if (!number(s))
          return false;
      }
    }
    out = sign * (h * 3600 + m * 60 + s);
    return true;
  }

  bool date_rule(int& month, int& week, int& day, std::int64_t& time) {
    if (peek() != 'M')
      return false; // Jn and n forms are not used by any current zone
    ++pos;
    std::int64_t m = 0, w = 0, d = 0;
    if (!number(m) || peek() != '.')
      return false;
    ++pos;
    if (!number(w) || peek() != '.')
      return false;
    ++pos;
    if (!number(d))
      return false;
    if (m < 1 || m > 12 || w < 1 || w > 5 || d > 6)
      return false;
    month = static_cast<int>(m);
    week = static_cast<int>(w);
    day = static_cast<int>(d);
    time = 7200;
    if (peek() == '/') {
      ++pos;
      if (!duration(time))
        return false;
    }
    return true;
  }
};

} // namespace

std::optional<time_zone::posix_rule>
time_zone::parse_posix(std::string_view text) {
  posix_reader r{text};
  posix_rule rule;
  std::int64_t std_west = 0;
  if (!r.name() || !r.duration(std_west))
    return std::nullopt;
  rule.std_offset = -std_west;
  if (r.at_end())
    return rule;
  if (!r.name())
    return std::nullopt;
  rule.has_dst = true;
  rule.dst_offset = rule.std_offset + 3600;
  if (r.peek() != ',') {
    std::int64_t dst_west = 0;
    if (!r.duration(dst_west))
      return std::nullopt;
    rule.dst_offset = -dst_west;
  }
  if (r.peek() != ',')
    return std::nullopt;
  ++r.pos;
  if (!r.date_rule(rule.start_month, rule.start_week, rule.start_day,
                   rule.start_time) ||
      r.peek() != ',')
    return std::nullopt;
  ++r.pos;
  if (!r.date_rule(rule.end_month, rule.end_week, rule.end_day,
                   rule.end_time) ||
      !r.at_end())
    return std::nullopt;
  return rule;
}

std::optional<time_zone> time_zone::from_tzif(std::string_view bytes) {
  auto data = reinterpret_cast<const unsigned char*>(bytes.data());
  auto size = bytes.size();
  auto header_ok = [&](std::size_t at) {
    return at + 44 <= size && bytes.substr(at, 4) == "TZif";
  };
  if (!header_ok(0) || data[4] < '2')
    return std::nullopt;
  auto counts = [&](std::size_t at, std::int64_t(&c)[6]) {
    for (int i = 0; i < 6; ++i)
      c[i] = read_be(data + at + 20 + 4 * i, 4);
  };
  std::int64_t c[6]; // isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt
  counts(0, c);
  std::size_t v1 = static_cast<std::size_t>(c[3] * 5 + c[4] * 6 + c[5] +
                                            c[2] * 8 + c[1] + c[0]);
  std::size_t at = 44 + v1;
  if (!header_ok(at))
    return std::nullopt;
  counts(at, c);
  at += 44;
  auto timecnt = static_cast<std::size_t>(c[3]);
  auto typecnt = static_cast<std::size_t>(c[4]);
  std::size_t body = timecnt * 9 + typecnt * 6 +
                     static_cast<std::size_t>(c[5]) +
                     static_cast<std::size_t>(c[2]) * 12 +
                     static_cast<std::size_t>(c[1] + c[0]);
  if (typecnt == 0 || at + body > size)
    return std::nullopt;
  time_zone zone;
  const unsigned char* times = data + at;
  const unsigned char* indices = times + timecnt * 8;
  const unsigned char* types = indices + timecnt;
  std::vector<std::int64_t> type_offsets;
  for (std::size_t i = 0; i < typecnt; ++i)
    type_offsets.push_back(read_be(types + 6 * i, 4));
  zone.initial_offset_ = type_offsets[0];
  for (std::size_t i = 0; i < timecnt; ++i) {
    auto index = indices[i];
    if (index >= typecnt)
      return std::nullopt;
    zone.transitions_.push_back(read_be(times + 8 * i, 8));
    zone.offsets_after_.push_back(type_offsets[index]);
  }
  at += body;
  if (at < size && bytes[at] == '\n') {
    auto end = bytes.find('\n', at + 1);
    if (end != std::string_view::npos && end > at + 1)
      zone.rule_ = parse_posix(bytes.substr(at + 1, end - at - 1));
  }
  return zone;
}

std::int64_t time_zone::rule_offset_at(std::int64_t t) const {
  const auto& r = *rule_;
  if (!r.has_dst)
    return r.std_offset;
  auto year =
      civil_from_days(floor_div(t + r.std_offset, seconds_per_day)).year;
  // The start is given in standard local time, the end in daylight time.
  auto start = rule_day(year, r.start_month, r.start_week, r.start_day) *
                   seconds_per_day +
               r.start_time - r.std_offset;
  auto end =
      rule_day(year, r.end_month, r.end_week, r.end_day) * seconds_per_day +
      r.end_time - r.dst_offset;
  bool dst = start < end ? (t >= start && t < end) : !(t >= end && t < start);
  return dst ? r.dst_offset : r.std_offset;
}

std::int64_t time_zone::offset_at(std::int64_t t) const {
  if (transitions_.empty() || t < transitions_.front())
    return transitions_.empty() && rule_ ? rule_offset_at(t) : initial_offset_;
  if (t >= transitions_.back() && rule_)
    return rule_offset_at(t);
  auto it = std::upper_bound(transitions_.begin(), transitions_.end(), t);
  return offsets_after_[static_cast<std::size_t>(it - transitions_.begin()) -
                        1];
}

std::optional<std::int64_t> parse_utc_timestamp(std::string_view text) {
  if (!text.empty() && text.back() == 'Z')
    text.remove_suffix(1);
  if (text.size() != 19 || (text[10] != ' ' && text[10] != 'T') ||
      text[4] != '-' || text[7] != '-' || text[13] != ':' || text[16] != ':')
    return std::nullopt;
  auto digits = [&](std::size_t at, std::size_t n, int& out) {
    out = 0;
    for (std::size_t i = at; i < at + n; ++i) {
      if (!std::isdigit(static_cast<unsigned char>(text[i])))
        return false;
      out = out * 10 + (text[i] - '0');
    }
    return true;
  };
  int y, mo, d, h, mi, s;
  if (!digits(0, 4, y) || !digits(5, 2, mo) || !digits(8, 2, d) ||
      !digits(11, 2, h) || !digits(14, 2, mi) || !digits(17, 2, s))
    return std::nullopt;
  if (mo < 1 || mo > 12 || d < 1 ||
      d > static_cast<int>(days_in_month(y, static_cast<unsigned>(mo))) ||
      h > 23 || mi > 59 || s > 59)
    return std::nullopt;
  return days_from_civil(y, static_cast<unsigned>(mo),
                         static_cast<unsigned>(d)) *
             seconds_per_day +
         h * 3600 + mi * 60 + s;
}

std::string erp_local_time(std::int64_t utc_seconds, const time_zone& zone) {
  auto local = utc_seconds + zone.offset_at(utc_seconds);
  auto days = floor_div(local, seconds_per_day);
  auto secs = local - days * seconds_per_day;
  auto date = civil_from_days(days);
  auto s = static_cast<unsigned>(secs); // in [0, 86400)
  char buf[96];
  std::snprintf(buf, sizeof(buf), "%04lld-%02u-%02uT%02u:%02u:%02u",
                static_cast<long long>(date.year), date.month, date.day,
                s / 3600, s / 60 % 60, s % 60);
  return buf;
}

} // namespace ferry
