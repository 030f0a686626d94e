#include "mapping/email.hpp"

#include <algorithm>
#include <cctype>

namespace ferry {

namespace {

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
         c == '\v';
}

bool is_label_char(char c) {
  auto u = static_cast<unsigned char>(c);
  return std::isalnum(u) != 0 || c == '-';
}

bool is_local_char(char c) {
  auto u = static_cast<unsigned char>(c);
  if (u <= 0x20 || u >= 0x7f)
    return false;
  // RFC 5322 specials that are not allowed unquoted.
  static constexpr std::string_view specials = "()<>[]:;@\\,\"";
  return specials.find(c) == std::string_view::npos;
}

} // namespace

std::string normalize_email(std::string_view email) {
  while (!email.empty() && is_space(email.front()))
    email.remove_prefix(1);
  while (!email.empty() && is_space(email.back()))
    email.remove_suffix(1);
  std::string out(email);
  std::transform(out.begin(), out.end(), out.begin(), [](char c) {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  });
  return out;
}

std::optional<std::string> email_problem(std::string_view email) {
  if (email.empty())
    return "email is missing";
  if (email.size() > 254)
    return "email is longer than 254 characters";
  auto at = email.find('@');
  if (at == std::string_view::npos)
    return "email has no '@'";
  if (email.find('@', at + 1) != std::string_view::npos)
    return "email has more than one '@'";
  auto local = email.substr(0, at);
  auto domain = email.substr(at + 1);
  if (local.empty())
    return "email has nothing before the '@'";
  if (local.size() > 64)
    return "email's part before the '@' is longer than 64 characters";
  if (!std::all_of(local.begin(), local.end(), is_local_char))
    return "email has a space or a character not allowed before the '@'";
  if (local.front() == '.' || local.back() == '.' ||
      local.find("..") != std::string_view::npos)
    return "email's part before the '@' has a misplaced '.'";
  if (domain.find('.') == std::string_view::npos)
    return "email's domain has no '.'";
  std::size_t start = 0;
  while (start <= domain.size()) {
    auto dot = domain.find('.', start);
    auto label = domain.substr(start, dot == std::string_view::npos
                                          ? std::string_view::npos
                                          : dot - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' ||
        label.back() == '-' ||
        !std::all_of(label.begin(), label.end(), is_label_char))
      return "email's domain is not a valid host name";
    if (dot == std::string_view::npos)
      break;
    start = dot + 1;
  }
  return std::nullopt;
}

} // namespace ferry
