#include "mapping/masking.hpp"

#include <algorithm>
#include <array>
#include <cctype>

namespace ferry::mapping {

namespace {

/// Lower-case ASCII, without `_`, `-`, `.` and spaces: `Customer_E-Mail` →
/// `customeremail`.
std::string normalise_key(std::string_view key) {
  std::string out;
  out.reserve(key.size());
  for (char c : key) {
    if (c == '_' || c == '-' || c == '.' || c == ' ')
      continue;
    out.push_back(
        static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  return out;
}

bool contains(const std::string& text, std::string_view part) {
  return text.find(part) != std::string::npos;
}

bool ends_with(const std::string& text, std::string_view suffix) {
  return text.size() >= suffix.size() &&
         text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

/// Length in bytes of the UTF-8 sequence that starts with `lead`.
std::size_t utf8_length(unsigned char lead) {
  if (lead < 0x80)
    return 1;
  if ((lead >> 5) == 0x6)
    return 2;
  if ((lead >> 4) == 0xE)
    return 3;
  if ((lead >> 3) == 0x1E)
    return 4;
  return 1; // a stray continuation byte: one character of its own
}

bool is_ascii_digit(char c) {
  return c >= '0' && c <= '9';
}

bool is_separator(unsigned char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ',' ||
         c == '-' || c == '/' || c == '.' || c == '(' || c == ')' || c == '\'';
}

/// Keeps the first character of each word, replaces the others with `*`;
/// digits become `*` too when `hide_digits`.
std::string mask_words(std::string_view text, bool hide_digits) {
  std::string out;
  out.reserve(text.size());
  bool word_start = true;
  for (std::size_t i = 0; i < text.size();) {
    auto c = static_cast<unsigned char>(text[i]);
    auto len = std::min(utf8_length(c), text.size() - i);
    if (len == 1 && is_separator(c)) {
      out.push_back(static_cast<char>(c));
      word_start = true;
    } else if (hide_digits && len == 1 &&
               is_ascii_digit(static_cast<char>(c))) {
      out.push_back('*');
      word_start = false;
    } else if (word_start) {
      out.append(text.substr(i, len));
      word_start = false;
    } else {
      out.push_back('*');
    }
    i += len;
  }
  return out;
}

bool is_email_char(char c) {
  auto u = static_cast<unsigned char>(c);
  return std::isalnum(u) || u >= 0x80 || c == '.' || c == '_' || c == '%' ||
         c == '+' || c == '-';
}

/// A character of an address's local part: every one RFC 5322 allows
/// unquoted (and the shop and the ERP accept), so that no part of the local
/// part is left in clear before the masked rest.
bool is_local_part_char(char c) {
  static constexpr std::string_view specials = "!#$&'*/=?^`{|}~";
  return is_email_char(c) || specials.find(c) != std::string_view::npos;
}

// A secret value as logs show it. An unset secret (empty string) shows as
// unset and a list of secrets keeps its length: that leaks nothing and tells
// the reader what is configured.
nlohmann::json hidden(const nlohmann::json& value) {
  if (value.is_null() ||
      (value.is_string() && value.get_ref<const std::string&>().empty()))
    return value;
  if (value.is_array()) {
    auto out = nlohmann::json::array();
    for (const auto& child : value)
      out.push_back(hidden(child));
    return out;
  }
  return "***";
}

// `catalog.field_owner` maps catalog field names (`name`, `price`, ...) to
// the system that owns them: its keys name fields, they are not fields of a
// person.
bool names_catalog_fields(std::string_view key) {
  return normalise_key(key) == "fieldowner";
}

nlohmann::json mask_as(field_kind kind, const nlohmann::json& value,
                       std::string_view key = {}) {
  if (value.is_null())
    return value;
  if (kind == field_kind::secret)
    return hidden(value);
  if (value.is_object()) {
    auto out = nlohmann::json::object();
    for (const auto& [child_key, child] : value.items()) {
      auto child_kind = classify_field(child_key);
      if (child_kind != field_kind::secret && names_catalog_fields(key))
        child_kind = field_kind::plain;
      out[child_key] =
          mask_as(child_kind == field_kind::plain ? kind : child_kind, child,
                  child_key);
    }
    return out;
  }
  if (value.is_array()) {
    auto out = nlohmann::json::array();
    for (const auto& child : value)
      out.push_back(mask_as(kind, child));
    return out;
  }
  if (value.is_boolean())
    return value;
  std::string text =
      value.is_string() ? value.get<std::string>() : value.dump();
  switch (kind) {
    case field_kind::email:
      return mask_email(text);
    case field_kind::name:
      return mask_name(text);
    case field_kind::phone:
      return mask_phone(text);
    case field_kind::address:
      return mask_address(text);
    case field_kind::secret:
      return "***";
    case field_kind::plain:
      break;
  }
  return value.is_string() ? nlohmann::json(mask_text(text)) : value;
}

} // namespace

bool is_secret_key(std::string_view key) {
  auto k = normalise_key(key);
  static constexpr std::array<std::string_view, 10> secrets{
      "password", "passwd",     "secret", "token",      "authorization",
      "apikey",   "credential", "cookie", "signingkey", "privatekey"};
  // Where the last secret word ends: what follows qualifies it.
  std::size_t tail = std::string::npos;
  for (auto s : secrets)
    if (auto at = k.rfind(s); at != std::string::npos)
      if (tail == std::string::npos || at + s.size() > tail)
        tail = at + s.size();
  if (tail == std::string::npos)
    return false;
  // Words that make the field about the secret (its lifetime, kind, where to
  // get it or which file holds it), not the secret itself.
  static constexpr std::array<std::string_view, 12> describing{
      "ttl",     "type",     "url",  "uri",  "endpoint", "expiry",
      "expires", "lifetime", "file", "path", "count",    "length"};
  auto rest = std::string_view(k).substr(tail);
  for (auto d : describing)
    if (rest.rfind(d, 0) == 0)
      return false;
  return true;
}

field_kind classify_field(std::string_view key) {
  if (is_secret_key(key))
    return field_kind::secret;
  auto k = normalise_key(key);
  if (contains(k, "email") || k == "mail")
    return field_kind::email;
  if (contains(k, "phone") || contains(k, "mobile") || ends_with(k, "fax"))
    return field_kind::phone;
  if (contains(k, "address") || contains(k, "street") ||
      k.rfind("addressline", 0) == 0)
    return field_kind::address;
  static constexpr std::array<std::string_view, 12> names{
      "name",        "firstname",    "lastname",    "fullname",
      "givenname",   "familyname",   "surname",     "middlename",
      "contactname", "customername", "billingname", "shippingname"};
  for (auto n : names)
    if (k == n)
      return field_kind::name;
  if (ends_with(k, "firstname") || ends_with(k, "lastname") ||
      ends_with(k, "surname") || ends_with(k, "fullname"))
    return field_kind::name;
  return field_kind::plain;
}

std::string mask_email(std::string_view email) {
  auto at = email.find('@');
  if (at == std::string_view::npos || email.find('@', at + 1) != email.npos ||
      at + 1 == email.size())
    return "***";
  if (at == 0)
    return "***" + std::string(email.substr(at));
  auto first = std::min(utf8_length(static_cast<unsigned char>(email[0])), at);
  return std::string(email.substr(0, first)) + "***" +
         std::string(email.substr(at));
}

std::string mask_name(std::string_view name) {
  return mask_words(name, false);
}

std::string mask_phone(std::string_view phone) {
  std::size_t digits = 0;
  for (char c : phone)
    digits += is_ascii_digit(c) ? 1 : 0;
  std::string out(phone);
  std::size_t seen = 0;
  for (auto& c : out) {
    if (!is_ascii_digit(c))
      continue;
    if (digits - seen > 2)
      c = '*';
    ++seen;
  }
  return out;
}

std::string mask_address(std::string_view address) {
  return mask_words(address, true);
}

std::string mask_text(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  std::size_t done = 0; // text[0, done) is already in `out`
  for (auto at = text.find('@'); at != text.npos; at = text.find('@', at + 1)) {
    if (at < done)
      continue;
    auto begin = at;
    while (begin > done && is_local_part_char(text[begin - 1]))
      --begin;
    auto end = at + 1;
    while (end < text.size() && is_email_char(text[end]))
      ++end;
    // Trailing dots belong to the sentence, not the address.
    while (end > at + 1 && text[end - 1] == '.')
      --end;
    auto domain = text.substr(at + 1, end - at - 1);
    if (begin == at || domain.find('.') == domain.npos)
      continue;
    out.append(text.substr(done, begin - done));
    out.append(mask_email(text.substr(begin, end - begin)));
    done = end;
  }
  out.append(text.substr(done));
  return out;
}

nlohmann::json mask_field(std::string_view key, const nlohmann::json& value) {
  return mask_as(classify_field(key), value, key);
}

nlohmann::json mask_json(const nlohmann::json& doc) {
  return mask_as(field_kind::plain, doc);
}

nlohmann::json hide_secrets(const nlohmann::json& doc) {
  if (doc.is_object()) {
    auto out = nlohmann::json::object();
    for (const auto& [key, child] : doc.items())
      out[key] = is_secret_key(key) ? hidden(child) : hide_secrets(child);
    return out;
  }
  if (doc.is_array()) {
    auto out = nlohmann::json::array();
    for (const auto& child : doc)
      out.push_back(hide_secrets(child));
    return out;
  }
  return doc;
}

} // namespace ferry::mapping
