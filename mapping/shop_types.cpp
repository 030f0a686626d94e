#include "mapping/shop_types.hpp"

#include <cctype>
#include <ctime>

namespace ferry::shop {

namespace {

using json = nlohmann::json;

/// Binary subtype marking a number kept as its text.
constexpr std::uint8_t exact_subtype = 'N';

/// Builds the DOM like nlohmann's own SAX DOM parser, but keeps the text of
/// non-integer numbers.
class exact_sax {
public:
  explicit exact_sax(json& root) : dom_(root, false) {}
  bool null() { return dom_.null(); }
  bool boolean(bool v) { return dom_.boolean(v); }
  bool number_integer(json::number_integer_t v) {
    return dom_.number_integer(v);
  }
  bool number_unsigned(json::number_unsigned_t v) {
    return dom_.number_unsigned(v);
  }
  bool number_float(json::number_float_t, const std::string& text) {
    json::binary_t b{std::vector<std::uint8_t>(text.begin(), text.end()),
                     exact_subtype};
    return dom_.binary(b);
  }
  bool string(std::string& v) { return dom_.string(v); }
  bool binary(json::binary_t& v) { return dom_.binary(v); }
  bool start_object(std::size_t n) { return dom_.start_object(n); }
  bool key(std::string& k) { return dom_.key(k); }
  bool end_object() { return dom_.end_object(); }
  bool start_array(std::size_t n) { return dom_.start_array(n); }
  bool end_array() { return dom_.end_array(); }
  bool parse_error(std::size_t position, const std::string&,
                   const nlohmann::detail::exception& ex) {
    error_ =
        "malformed JSON at byte " + std::to_string(position) + ": " + ex.what();
    return false;
  }
  const std::string& error() const { return error_; }

private:
  nlohmann::detail::json_sax_dom_parser<json> dom_;
  std::string error_;
};

void dump_to(const json& v, std::string& out) {
  switch (v.type()) {
    case json::value_t::object: {
      out.push_back('{');
      bool first = true;
      for (auto& [k, x] : v.items()) {
        if (!first)
          out.push_back(',');
        first = false;
        out += json(k).dump(-1, ' ', false, json::error_handler_t::replace);
        out.push_back(':');
        dump_to(x, out);
      }
      out.push_back('}');
      break;
    }
    case json::value_t::array: {
      out.push_back('[');
      bool first = true;
      for (auto& x : v) {
        if (!first)
          out.push_back(',');
        first = false;
        dump_to(x, out);
      }
      out.push_back(']');
      break;
    }
    case json::value_t::binary: {
      auto& b = v.get_binary();
      if (b.has_subtype() && b.subtype() == exact_subtype) {
        out.append(b.begin(), b.end());
        break;
      }
      out += "null";
      break;
    }
    default:
      out += v.dump(-1, ' ', false, json::error_handler_t::replace);
  }
}

/// Reads the fields of one JSON object, remembering the first error.
class reader {
public:
  reader(const json& j, std::string path) : j_(j), path_(std::move(path)) {
    if (!j_.is_object())
      fail(path_ + ": not an object");
  }

  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }
  std::string field(const char* key) const { return path_ + "." + key; }

  const json* find(const char* key, bool required) {
    if (!ok())
      return nullptr;
    auto i = j_.find(key);
    if (i == j_.end() || i->is_null()) {
      if (required)
        fail(field(key) + ": missing");
      return nullptr;
    }
    return &*i;
  }

  void str(const char* key, std::string& out, bool required) {
    if (auto v = find(key, required)) {
      if (!v->is_string())
        return fail(field(key) + ": not a string");
      out = v->get<std::string>();
    }
  }

  void int64(const char* key, std::int64_t& out, bool required) {
    if (auto v = find(key, required)) {
      if (v->is_number_integer()) {
        if (v->is_number_unsigned() &&
            v->get<std::uint64_t>() > static_cast<std::uint64_t>(INT64_MAX))
          return fail(field(key) + ": out of range");
        out = v->get<std::int64_t>();
        return;
      }
      if (v->is_string()) {
        // Magento sends some ids as strings.
        auto s = v->get<std::string>();
        auto d = decimal::parse(s);
        if (d && d->units() % decimal::one == 0 && !s.empty() &&
            s.find('.') == std::string::npos) {
          out = d->units() / decimal::one;
          return;
        }
      }
      fail(field(key) + ": not an integer");
    }
  }

  void integer(const char* key, int& out, bool required) {
    std::int64_t v = out;
    int64(key, v, required);
    if (ok() && (v < INT32_MIN || v > INT32_MAX))
      return fail(field(key) + ": out of range");
    out = static_cast<int>(v);
  }

  void amount(const char* key, money& out, bool required) {
    if (auto v = find(key, required)) {
      auto text = number_text(*v);
      if (!text && v->is_string())
        text = v->get<std::string>();
      if (!text)
        return fail(field(key) + ": not a number");
      auto m = money::parse(*text);
      if (!m)
        return fail(field(key) +
                    ": not an amount with at most two "
                    "decimals: " +
                    *text);
      out = *m;
    }
  }

  void dec(const char* key, decimal& out, bool required) {
    if (auto v = find(key, required)) {
      auto text = number_text(*v);
      if (!text && v->is_string())
        text = v->get<std::string>();
      if (!text)
        return fail(field(key) + ": not a number");
      auto d = decimal::parse(*text);
      if (!d)
        return fail(field(key) +
                    ": not a decimal with at most six "
                    "decimals: " +
                    *text);
      out = *d;
    }
  }

  void boolean(const char* key, bool& out, bool required) {
    if (auto v = find(key, required)) {
      if (v->is_boolean())
        out = v->get<bool>();
      else if (v->is_number_integer())
        out = v->get<std::int64_t>() != 0;
      else
        fail(field(key) + ": not a boolean");
    }
  }

  void timestamp(const char* key, std::string& out, bool required) {
    str(key, out, required);
    if (ok() && !out.empty() && !is_timestamp(out))
      fail(field(key) + ": not a timestamp \"YYYY-MM-DD HH:MM:SS\": " + out);
  }

  void fail(std::string e) {
    if (error_.empty())
      error_ = std::move(e);
  }

private:
  const json& j_;
  std::string path_;
  std::string error_;
};

template <class T>
parsed<T> finish(reader& r, T value) {
  if (!r.ok())
    return parsed<T>::fail(r.error());
  return parsed<T>::ok(std::move(value));
}

json money_json(money m) {
  return exact_number(m.to_string());
}

json decimal_json(decimal d) {
  return exact_number(d.to_string());
}

} // namespace

parsed<json> parse_exact(std::string_view text) {
  json root;
  exact_sax sax{root};
  bool ok = false;
  try {
    ok = json::sax_parse(text.begin(), text.end(), &sax);
  } catch (const std::exception& ex) {
    return parsed<json>::fail(std::string{"malformed JSON: "} + ex.what());
  }
  if (!ok)
    return parsed<json>::fail(sax.error().empty() ? "malformed JSON"
                                                  : sax.error());
  return parsed<json>::ok(std::move(root));
}

json exact_number(std::string_view text) {
  return json::binary(std::vector<std::uint8_t>(text.begin(), text.end()),
                      exact_subtype);
}

std::string dump_exact(const json& value) {
  std::string out;
  dump_to(value, out);
  return out;
}

std::optional<std::string> number_text(const json& value) {
  if (value.is_number_integer())
    return value.dump();
  if (value.is_binary()) {
    auto& b = value.get_binary();
    if (b.has_subtype() && b.subtype() == exact_subtype)
      return std::string(b.begin(), b.end());
  }
  return std::nullopt;
}

bool is_timestamp(std::string_view t) {
  if (t.size() != 19 || t[4] != '-' || t[7] != '-' || t[10] != ' ' ||
      t[13] != ':' || t[16] != ':')
    return false;
  for (std::size_t i : {0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18})
    if (!std::isdigit(static_cast<unsigned char>(t[i])))
      return false;
  auto num = [&](std::size_t at, std::size_t n) {
    int v = 0;
    for (std::size_t i = 0; i < n; ++i)
      v = v * 10 + (t[at + i] - '0');
    return v;
  };
  int year = num(0, 4), month = num(5, 2), day = num(8, 2);
  int hour = num(11, 2), minute = num(14, 2), second = num(17, 2);
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 ||
      second > 59)
    return false;
  static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  int max_day = days[month - 1] + (month == 2 && leap ? 1 : 0);
  return day <= max_day;
}

std::optional<std::string> shift_timestamp(std::string_view t,
                                           std::int64_t seconds) {
  if (!is_timestamp(t))
    return std::nullopt;
  std::tm tm{};
  auto num = [&](std::size_t at, std::size_t n) {
    int v = 0;
    for (std::size_t i = 0; i < n; ++i)
      v = v * 10 + (t[at + i] - '0');
    return v;
  };
  tm.tm_year = num(0, 4) - 1900;
  tm.tm_mon = num(5, 2) - 1;
  tm.tm_mday = num(8, 2);
  tm.tm_hour = num(11, 2);
  tm.tm_min = num(14, 2);
  tm.tm_sec = num(17, 2);
  auto when = timegm(&tm) + static_cast<std::time_t>(seconds);
  std::tm out{};
  if (!gmtime_r(&when, &out))
    return std::nullopt;
  char buf[32];
  if (std::strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S", &out) != 19)
    return std::nullopt;
  return std::string{buf};
}

std::optional<std::string>
shop_customer::attribute(std::string_view code) const {
  for (auto& a : custom_attributes)
    if (a.attribute_code == code)
      return a.value;
  return std::nullopt;
}

std::string error_message_from_body(std::string_view body) {
  auto j = parse_exact(body);
  if (!j || !j->is_object())
    return std::string{body.substr(0, 200)};
  auto m = j->find("message");
  if (m == j->end() || !m->is_string()) {
    auto e = j->find("error");
    if (e != j->end() && e->is_string())
      return e->get<std::string>();
    return std::string{body.substr(0, 200)};
  }
  auto text = m->get<std::string>();
  auto params = j->find("parameters");
  if (params == j->end())
    return text;
  auto substitute = [&](const std::string& name, const json& v) {
    std::string value = v.is_string() ? v.get<std::string>() : dump_exact(v);
    auto placeholder = "%" + name;
    for (auto pos = text.find(placeholder); pos != std::string::npos;
         pos = text.find(placeholder, pos + value.size())) {
      // %1 must not eat the start of %10.
      auto end = pos + placeholder.size();
      if (end < text.size() &&
          std::isdigit(static_cast<unsigned char>(text[end]))) {
        pos = end - value.size();
        continue;
      }
      text.replace(pos, placeholder.size(), value);
    }
  };
  if (params->is_array()) {
    for (std::size_t i = params->size(); i > 0; --i)
      substitute(std::to_string(i), (*params)[i - 1]);
  } else if (params->is_object()) {
    for (auto& [k, v] : params->items())
      substitute(k, v);
  }
  return text;
}

json to_json(const shop_product& x) {
  json j = json::object();
  j["id"] = x.id;
  j["sku"] = x.sku;
  j["name"] = x.name;
  j["description"] = x.description;
  j["price"] = money_json(x.price);
  j["weight"] = decimal_json(x.weight);
  j["status"] = x.status;
  j["updated_at"] = x.updated_at;
  return j;
}

json to_json(const shop_customer& x) {
  json j = json::object();
  j["id"] = x.id;
  j["email"] = x.email;
  j["firstname"] = x.firstname;
  j["lastname"] = x.lastname;
  j["group_id"] = x.group_id;
  j["created_at"] = x.created_at;
  j["updated_at"] = x.updated_at;
  j["custom_attributes"] = json::array();
  for (auto& a : x.custom_attributes)
    j["custom_attributes"].push_back(
        {{"attribute_code", a.attribute_code}, {"value", a.value}});
  return j;
}

json to_json(const shop_order& x) {
  json j = json::object();
  j["entity_id"] = x.entity_id;
  j["increment_id"] = x.increment_id;
  j["created_at"] = x.created_at;
  j["updated_at"] = x.updated_at;
  j["customer_id"] = x.customer_id ? json(*x.customer_id) : json(nullptr);
  j["customer_email"] = x.customer_email;
  j["base_currency_code"] = x.base_currency_code;
  j["subtotal"] = money_json(x.subtotal);
  j["shipping_amount"] = money_json(x.shipping_amount);
  j["tax_amount"] = money_json(x.tax_amount);
  if (x.discount_amount != money{})
    j["discount_amount"] = money_json(x.discount_amount);
  j["grand_total"] = money_json(x.grand_total);
  j["status"] = x.status;
  j["state"] = x.state;
  j["items"] = json::array();
  for (auto& i : x.items)
    j["items"].push_back({{"sku", i.sku},
                          {"name", i.name},
                          {"qty_ordered", decimal_json(i.qty_ordered)},
                          {"price", money_json(i.price)},
                          {"row_total", money_json(i.row_total)}});
  auto& a = x.billing_address;
  j["billing_address"] = {
      {"firstname", a.firstname}, {"lastname", a.lastname},
      {"street", a.street},       {"city", a.city},
      {"postcode", a.postcode},   {"country_id", a.country_id},
      {"telephone", a.telephone}, {"email", a.email}};
  j["status_histories"] = json::array();
  for (auto& h : x.status_histories)
    j["status_histories"].push_back(
        {{"comment", h.comment},
         {"status", h.status},
         {"is_customer_notified", h.is_customer_notified},
         {"created_at", h.created_at}});
  return j;
}

json to_json(const shop_source& x) {
  return {
      {"source_code", x.source_code}, {"name", x.name}, {"enabled", x.enabled}};
}

json to_json(const shop_source_item& x) {
  return {{"sku", x.sku},
          {"source_code", x.source_code},
          {"quantity", decimal_json(x.quantity)},
          {"status", x.status}};
}

json to_json(const shop_item_result& x) {
  json j = {{"sku", x.sku}, {"status", x.status}};
  if (!x.message.empty())
    j["message"] = x.message;
  return j;
}

parsed<shop_product> product_from_json(const json& j, const std::string& path) {
  reader r{j, path};
  shop_product x;
  r.int64("id", x.id, false);
  r.str("sku", x.sku, true);
  r.str("name", x.name, true);
  r.str("description", x.description, false);
  r.amount("price", x.price, true);
  r.dec("weight", x.weight, false);
  r.integer("status", x.status, false);
  if (r.ok() && x.status != 1 && x.status != 2)
    r.fail(r.field("status") + ": must be 1 (enabled) or 2 (disabled), not " +
           std::to_string(x.status));
  if (r.ok() && x.sku.empty())
    r.fail(r.field("sku") + ": empty");
  if (r.ok() && x.price.minor() < 0)
    r.fail(r.field("price") + ": negative");
  r.timestamp("updated_at", x.updated_at, false);
  return finish(r, std::move(x));
}

parsed<shop_customer> customer_from_json(const json& j,
                                         const std::string& path) {
  reader r{j, path};
  shop_customer x;
  r.int64("id", x.id, false);
  r.str("email", x.email, true);
  r.str("firstname", x.firstname, false);
  r.str("lastname", x.lastname, false);
  r.integer("group_id", x.group_id, false);
  r.timestamp("created_at", x.created_at, false);
  r.timestamp("updated_at", x.updated_at, false);
  if (auto attrs = r.find("custom_attributes", false)) {
    if (!attrs->is_array()) {
      r.fail(r.field("custom_attributes") + ": not an array");
    } else {
      std::size_t index = 0;
      for (auto& a : *attrs) {
        reader ar{a, r.field("custom_attributes") + "[" +
                         std::to_string(index++) + "]"};
        shop_attribute attr;
        ar.str("attribute_code", attr.attribute_code, true);
        if (auto v = ar.find("value", false)) {
          if (v->is_string())
            attr.value = v->get<std::string>();
          else if (auto t = number_text(*v))
            attr.value = *t;
          else
            ar.fail(ar.field("value") + ": not a string");
        }
        if (!ar.ok()) {
          r.fail(ar.error());
          break;
        }
        x.custom_attributes.push_back(std::move(attr));
      }
    }
  }
  if (r.ok() && x.email.find('@') == std::string::npos)
    r.fail(r.field("email") + ": not an email address");
  return finish(r, std::move(x));
}

parsed<shop_order> order_from_json(const json& j, const std::string& path) {
  reader r{j, path};
  shop_order x;
  r.int64("entity_id", x.entity_id, true);
  r.str("increment_id", x.increment_id, false);
  r.timestamp("created_at", x.created_at, true);
  r.timestamp("updated_at", x.updated_at, false);
  if (auto c = r.find("customer_id", false)) {
    (void)c;
    std::int64_t id = 0;
    r.int64("customer_id", id, false);
    x.customer_id = id;
  }
  r.str("customer_email", x.customer_email, true);
  r.str("base_currency_code", x.base_currency_code, false);
  r.amount("subtotal", x.subtotal, true);
  r.amount("shipping_amount", x.shipping_amount, false);
  r.amount("tax_amount", x.tax_amount, false);
  r.amount("discount_amount", x.discount_amount, false);
  r.amount("grand_total", x.grand_total, true);
  r.str("status", x.status, true);
  r.str("state", x.state, false);
  if (auto items = r.find("items", true)) {
    if (!items->is_array()) {
      r.fail(r.field("items") + ": not an array");
    } else {
      std::size_t index = 0;
      for (auto& i : *items) {
        reader ir{i, r.field("items") + "[" + std::to_string(index++) + "]"};
        shop_order_item item;
        ir.str("sku", item.sku, true);
        ir.str("name", item.name, false);
        ir.dec("qty_ordered", item.qty_ordered, true);
        ir.amount("price", item.price, true);
        ir.amount("row_total", item.row_total, false);
        // What the shop charged for the row is its row_total; a shop that
        // leaves it out charged price × qty.
        if (ir.ok() && !ir.find("row_total", false))
          item.row_total = item.price.times(item.qty_ordered);
        if (!ir.ok()) {
          r.fail(ir.error());
          break;
        }
        x.items.push_back(std::move(item));
      }
    }
  }
  if (auto a = r.find("billing_address", false)) {
    reader ar{*a, r.field("billing_address")};
    auto& b = x.billing_address;
    ar.str("firstname", b.firstname, false);
    ar.str("lastname", b.lastname, false);
    if (auto street = ar.find("street", false)) {
      if (street->is_array()) {
        for (auto& s : *street)
          if (s.is_string())
            b.street.push_back(s.get<std::string>());
      } else if (street->is_string()) {
        b.street.push_back(street->get<std::string>());
      }
    }
    ar.str("city", b.city, false);
    ar.str("postcode", b.postcode, false);
    ar.str("country_id", b.country_id, false);
    ar.str("telephone", b.telephone, false);
    ar.str("email", b.email, false);
    if (!ar.ok())
      r.fail(ar.error());
  }
  if (auto hs = r.find("status_histories", false)) {
    if (hs->is_array()) {
      std::size_t index = 0;
      for (auto& h : *hs) {
        reader hr{h, r.field("status_histories") + "[" +
                         std::to_string(index++) + "]"};
        shop_status_history entry;
        hr.str("comment", entry.comment, false);
        hr.str("status", entry.status, false);
        hr.integer("is_customer_notified", entry.is_customer_notified, false);
        hr.str("created_at", entry.created_at, false);
        if (!hr.ok()) {
          r.fail(hr.error());
          break;
        }
        x.status_histories.push_back(std::move(entry));
      }
    }
  }
  if (r.ok() && x.grand_total != x.subtotal + x.shipping_amount + x.tax_amount +
                                     x.discount_amount)
    r.fail(r.field("grand_total") + ": " + x.grand_total.to_string() +
           " is not subtotal + shipping_amount + tax_amount" +
           (x.discount_amount != money{} ? " + discount_amount" : ""));
  return finish(r, std::move(x));
}

parsed<shop_source> source_from_json(const json& j, const std::string& path) {
  reader r{j, path};
  shop_source x;
  r.str("source_code", x.source_code, true);
  r.str("name", x.name, false);
  r.boolean("enabled", x.enabled, false);
  return finish(r, std::move(x));
}

parsed<shop_source_item> source_item_from_json(const json& j,
                                               const std::string& path) {
  reader r{j, path};
  shop_source_item x;
  r.str("sku", x.sku, true);
  r.str("source_code", x.source_code, true);
  r.dec("quantity", x.quantity, true);
  r.integer("status", x.status, false);
  if (r.ok() && x.status != 0 && x.status != 1)
    r.fail(r.field("status") + ": must be 0 or 1, not " +
           std::to_string(x.status));
  if (r.ok() && x.sku.empty())
    r.fail(r.field("sku") + ": empty");
  if (r.ok() && x.source_code.empty())
    r.fail(r.field("source_code") + ": empty");
  return finish(r, std::move(x));
}

parsed<shop_item_result> item_result_from_json(const json& j,
                                               const std::string& path) {
  reader r{j, path};
  shop_item_result x;
  r.str("sku", x.sku, true);
  r.str("status", x.status, true);
  r.str("message", x.message, false);
  if (r.ok() && x.status != "ok" && x.status != "error")
    r.fail(r.field("status") + ": must be \"ok\" or \"error\", not \"" +
           x.status + "\"");
  return finish(r, std::move(x));
}

parsed<std::vector<shop_item_result>> item_results_from_json(const json& j) {
  using result = parsed<std::vector<shop_item_result>>;
  if (!j.is_object())
    return result::fail("results: not an object");
  auto rs = j.find("results");
  if (rs == j.end() || !rs->is_array())
    return result::fail("results: missing or not an array");
  std::vector<shop_item_result> out;
  std::size_t index = 0;
  for (auto& e : *rs) {
    auto x =
        item_result_from_json(e, "results[" + std::to_string(index++) + "]");
    if (!x)
      return result::fail(std::move(x.error));
    out.push_back(std::move(*x));
  }
  return result::ok(std::move(out));
}

} // namespace ferry::shop
