#include "mapping/price_rules.hpp"

#include <tuple>

namespace ferry {

namespace {

bool read_digits(std::string_view text, std::size_t pos, std::size_t count,
                 int& out) {
  if (pos + count > text.size())
    return false;
  out = 0;
  for (std::size_t i = pos; i < pos + count; ++i) {
    if (text[i] < '0' || text[i] > '9')
      return false;
    out = out * 10 + (text[i] - '0');
  }
  return true;
}

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
// algorithm), so no time zone of the process is involved.
std::int64_t days_from_civil(int y, int m, int d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

struct chosen_line {
  const erp_price_list* list = nullptr;
  const erp_price_line* line = nullptr;
  std::int64_t valid_from = 0;
};

// The applicable line of the best list among those `belongs` selects.
template <class Belongs>
chosen_line best_line(const price_question& q, const price_facts& facts,
                      Belongs belongs) {
  chosen_line best;
  for (const auto& list : facts.lists) {
    if (!belongs(list) || list.currency_code != q.currency ||
        !price_list_valid_at(list, q.now_utc, facts.erp_zone))
      continue;
    const erp_price_line* line = nullptr;
    for (const auto& candidate : list.lines)
      if (candidate.item_code == q.item_code &&
          candidate.min_quantity <= q.quantity &&
          (line == nullptr || candidate.min_quantity > line->min_quantity))
        line = &candidate;
    if (line == nullptr)
      continue;
    auto from =
        parse_validity(list.valid_from, facts.erp_zone, validity_edge::from)
            .value_or(0);
    if (best.list == nullptr ||
        std::tie(from, list.price_list_code) >
            std::tie(best.valid_from, best.list->price_list_code))
      best = chosen_line{&list, line, from};
  }
  return best;
}

} // namespace

const char* to_string(price_rule rule) {
  switch (rule) {
    case price_rule::customer_list:
      return "customer";
    case price_rule::group_list:
      return "group";
    case price_rule::base:
      return "base";
  }
  return "base";
}

namespace {

// An xs:date or xs:dateTime taken apart: the wall-clock seconds it names and
// the offset it carries, if any.
struct parsed_moment {
  std::int64_t wall_seconds = 0; // as if the wall clock were UTC
  bool has_time = false;
  std::optional<std::int64_t> offset; // seconds east of UTC
};

std::optional<parsed_moment> parse_moment(std::string_view text) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
  if (!read_digits(text, 0, 4, y) || text.size() < 10 || text[4] != '-' ||
      !read_digits(text, 5, 2, mo) || text[7] != '-' ||
      !read_digits(text, 8, 2, d))
    return std::nullopt;
  if (mo < 1 || mo > 12 || d < 1 || d > 31)
    return std::nullopt;
  parsed_moment out;
  std::size_t pos = 10;
  if (pos < text.size() && text[pos] == 'T') {
    if (text.size() < 19 || !read_digits(text, 11, 2, h) || text[13] != ':' ||
        !read_digits(text, 14, 2, mi) || text[16] != ':' ||
        !read_digits(text, 17, 2, s))
      return std::nullopt;
    if (h > 23 || mi > 59 || s > 60)
      return std::nullopt;
    out.has_time = true;
    pos = 19;
    if (pos < text.size() && text[pos] == '.') {
      ++pos;
      auto digits = pos;
      while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9')
        ++pos;
      if (pos == digits)
        return std::nullopt;
    }
  }
  auto zone = text.substr(pos);
  if (zone == "Z") {
    out.offset = 0;
  } else if (zone.size() == 6 && (zone[0] == '+' || zone[0] == '-') &&
             zone[3] == ':') {
    int oh = 0, om = 0;
    if (!read_digits(zone, 1, 2, oh) || !read_digits(zone, 4, 2, om) ||
        oh > 14 || om > 59)
      return std::nullopt;
    out.offset = (oh * 3600 + om * 60) * (zone[0] == '-' ? -1 : 1);
  } else if (!zone.empty()) {
    return std::nullopt;
  }
  out.wall_seconds = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s;
  return out;
}

// The UTC instant of a wall-clock time in `zone`: the offset is looked up
// at the instant it gives (twice, so a time next to a DST change settles).
std::int64_t utc_of_local(std::int64_t wall, const time_zone& zone) {
  auto guess = wall - zone.offset_at(wall);
  return wall - zone.offset_at(guess);
}

} // namespace

std::optional<std::int64_t> parse_utc_datetime(std::string_view text) {
  auto m = parse_moment(text);
  if (!m || !m->has_time)
    return std::nullopt;
  return m->wall_seconds - m->offset.value_or(0);
}

std::optional<std::int64_t> parse_validity(std::string_view text,
                                           const time_zone* zone,
                                           validity_edge edge) {
  auto m = parse_moment(text);
  if (!m)
    return std::nullopt;
  auto wall = m->wall_seconds;
  if (!m->has_time && edge == validity_edge::to)
    wall += 86400 - 1;
  if (m->offset)
    return wall - *m->offset;
  return zone != nullptr ? utc_of_local(wall, *zone) : wall;
}

std::string price_list_date_error(const erp_price_list& list) {
  auto bad = [&](const char* field, const std::string& text) {
    return "price list " + list.price_list_code + ": " + field + " '" + text +
           "' is neither a date (YYYY-MM-DD) nor a date-time"
           " (YYYY-MM-DDTHH:MM:SS[Z|+hh:mm])";
  };
  if (!parse_validity(list.valid_from, nullptr, validity_edge::from))
    return bad("ValidFrom", list.valid_from);
  if (!list.valid_to.empty() &&
      !parse_validity(list.valid_to, nullptr, validity_edge::to))
    return bad("ValidTo", list.valid_to);
  return {};
}

bool price_list_valid_at(const erp_price_list& list, std::int64_t now_utc,
                         const time_zone* erp_zone) {
  auto from = parse_validity(list.valid_from, erp_zone, validity_edge::from);
  if (!from || *from > now_utc)
    return false;
  if (list.valid_to.empty())
    return true;
  auto to = parse_validity(list.valid_to, erp_zone, validity_edge::to);
  return to && now_utc <= *to;
}

price_outcome resolve_price(const price_question& q, const price_facts& facts) {
  price_outcome out;
  if (q.quantity <= decimal{}) {
    out.refusal = price_refusal::bad_quantity;
    out.reason = "qty must be above 0, got " + q.quantity.to_string();
    return out;
  }
  auto quote_from = [&](const chosen_line& c, price_rule rule) {
    price_quote quote;
    quote.list_price = facts.base_price;
    quote.rule = rule;
    quote.price_list_code = c.list->price_list_code;
    quote.tier_min_quantity = c.line->min_quantity;
    quote.currency = q.currency;
    quote.unit_price =
        c.line->has_unit_price
            ? c.line->unit_price
            : facts.base_price.less_percent(c.line->discount_percent);
    return quote;
  };
  if (!q.customer_no.empty()) {
    auto c = best_line(q, facts, [&](const erp_price_list& l) {
      return l.customer_no == q.customer_no;
    });
    if (c.list != nullptr) {
      out.quote = quote_from(c, price_rule::customer_list);
      return out;
    }
  }
  if (!q.price_group.empty()) {
    auto c = best_line(q, facts, [&](const erp_price_list& l) {
      return l.customer_no.empty() && l.price_group == q.price_group;
    });
    if (c.list != nullptr) {
      out.quote = quote_from(c, price_rule::group_list);
      return out;
    }
  }
  if (q.currency != facts.base_currency) {
    out.refusal = price_refusal::currency_unavailable;
    out.reason = "no price for item " + q.item_code + " in currency " +
                 q.currency + " (base prices are in " + facts.base_currency +
                 ")";
    return out;
  }
  price_quote quote;
  quote.unit_price = facts.base_price;
  quote.list_price = facts.base_price;
  quote.rule = price_rule::base;
  quote.currency = q.currency;
  out.quote = quote;
  return out;
}

} // namespace ferry
