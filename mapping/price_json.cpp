#include "mapping/price_json.hpp"

#include "mapping/json_text.hpp"

#include <nlohmann/json.hpp>

namespace ferry {

namespace {

using nlohmann::json;

json line_json(const erp_price_line& l) {
  json j{{"item", l.item_code}, {"min", l.min_quantity.to_string()}};
  if (l.has_unit_price)
    j["unit"] = l.unit_price.to_string();
  else
    j["discount"] = l.discount_percent.to_string();
  return j;
}

std::optional<erp_price_line> line_of(const json& j) {
  if (!j.is_object() || !j.contains("item") || !j.contains("min"))
    return std::nullopt;
  erp_price_line l;
  l.item_code = j.at("item").get<std::string>();
  auto min = decimal::parse(j.at("min").get<std::string>());
  if (!min)
    return std::nullopt;
  l.min_quantity = *min;
  if (j.contains("unit")) {
    auto unit = money::parse(j.at("unit").get<std::string>());
    if (!unit)
      return std::nullopt;
    l.has_unit_price = true;
    l.unit_price = *unit;
  } else if (j.contains("discount")) {
    auto pct = decimal::parse(j.at("discount").get<std::string>());
    if (!pct)
      return std::nullopt;
    l.has_unit_price = false;
    l.discount_percent = *pct;
  } else {
    return std::nullopt;
  }
  return l;
}

std::optional<std::vector<erp_price_line>> lines_of(const json& j) {
  if (!j.is_array())
    return std::nullopt;
  std::vector<erp_price_line> out;
  for (const auto& e : j) {
    auto l = line_of(e);
    if (!l)
      return std::nullopt;
    out.push_back(std::move(*l));
  }
  return out;
}

std::optional<json> parse(const std::string& text) {
  auto j = json::parse(text, nullptr, false);
  if (j.is_discarded())
    return std::nullopt;
  return j;
}

} // namespace

std::string price_lines_to_json(const std::vector<erp_price_line>& lines) {
  json arr = json::array();
  for (const auto& l : lines)
    arr.push_back(line_json(l));
  return dump_utf8_safe(arr);
}

std::optional<std::vector<erp_price_line>>
price_lines_from_json(const std::string& text) {
  auto j = parse(text);
  if (!j)
    return std::nullopt;
  try {
    return lines_of(*j);
  } catch (const json::exception&) {
    return std::nullopt;
  }
}

std::string price_lists_to_json(const std::vector<erp_price_list>& lists) {
  json arr = json::array();
  for (const auto& l : lists) {
    json lines = json::array();
    for (const auto& line : l.lines)
      lines.push_back(line_json(line));
    arr.push_back({{"code", l.price_list_code},
                   {"customer", l.customer_no},
                   {"group", l.price_group},
                   {"currency", l.currency_code},
                   {"from", l.valid_from},
                   {"to", l.valid_to},
                   {"modified", l.modified_at},
                   {"lines", std::move(lines)}});
  }
  return dump_utf8_safe(arr);
}

std::optional<std::vector<erp_price_list>>
price_lists_from_json(const std::string& text) {
  auto j = parse(text);
  if (!j || !j->is_array())
    return std::nullopt;
  try {
    std::vector<erp_price_list> out;
    for (const auto& e : *j) {
      erp_price_list l;
      l.price_list_code = e.at("code").get<std::string>();
      l.customer_no = e.at("customer").get<std::string>();
      l.price_group = e.at("group").get<std::string>();
      l.currency_code = e.at("currency").get<std::string>();
      l.valid_from = e.at("from").get<std::string>();
      l.valid_to = e.at("to").get<std::string>();
      l.modified_at = e.at("modified").get<std::string>();
      auto lines = lines_of(e.at("lines"));
      if (!lines)
        return std::nullopt;
      l.lines = std::move(*lines);
      out.push_back(std::move(l));
    }
    return out;
  } catch (const json::exception&) {
    return std::nullopt;
  }
}

std::string price_quote_to_json(const price_quote& q) {
  return json{{"unit_price", q.unit_price.to_string()},
              {"list_price", q.list_price.to_string()},
              {"rule", to_string(q.rule)},
              {"price_list", q.price_list_code},
              {"tier_min_quantity", q.tier_min_quantity.to_string()},
              {"currency", q.currency}}
      .dump();
}

std::optional<price_quote> price_quote_from_json(const std::string& text) {
  auto j = parse(text);
  if (!j || !j->is_object())
    return std::nullopt;
  try {
    price_quote q;
    auto unit = money::parse(j->at("unit_price").get<std::string>());
    auto list = money::parse(j->at("list_price").get<std::string>());
    auto tier = decimal::parse(j->at("tier_min_quantity").get<std::string>());
    auto rule = j->at("rule").get<std::string>();
    if (!unit || !list || !tier)
      return std::nullopt;
    if (rule == "customer")
      q.rule = price_rule::customer_list;
    else if (rule == "group")
      q.rule = price_rule::group_list;
    else if (rule == "base")
      q.rule = price_rule::base;
    else
      return std::nullopt;
    q.unit_price = *unit;
    q.list_price = *list;
    q.tier_min_quantity = *tier;
    q.price_list_code = j->at("price_list").get<std::string>();
    q.currency = j->at("currency").get<std::string>();
    return q;
  } catch (const json::exception&) {
    return std::nullopt;
  }
}

} // namespace ferry
