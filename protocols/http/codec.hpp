#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

/// Encodings of the web: percent-encoding, forms, base64.
namespace ferry::http {

/// Percent-decodes `s` ('+' stays '+'); nullopt on a bad escape.
std::optional<std::string> percent_decode(std::string_view s);
/// Percent-encodes every byte outside RFC 3986's unreserved set.
std::string percent_encode(std::string_view s);
/// Decodes `a=1&b=x+y` ('+' is a space); nullopt on a bad escape. The last
/// value wins for a repeated name.
std::optional<std::map<std::string, std::string>>
form_decode(std::string_view s);
/// Encodes fields as application/x-www-form-urlencoded.
std::string form_encode(const std::map<std::string, std::string>& fields);

/// Standard base64 with padding.
std::string base64_encode(std::string_view bytes);
/// Decodes standard base64 (padding required); nullopt on bad input.
std::optional<std::string> base64_decode(std::string_view text);
/// base64url without padding (RFC 4648 §5), for tokens.
std::string base64url_encode(std::string_view bytes);
/// Decodes base64url without padding; nullopt on bad input.
std::optional<std::string> base64url_decode(std::string_view text);

} // namespace ferry::http
