#pragma once

#include <string>
#include <string_view>
#include <vector>

/// The shop's webhook signature: `X-Shop-Hmac-Sha256` =
/// base64(HMAC-SHA256(secret, raw body bytes)).
namespace ferry::webhook {

/// The header value the shop sends for `body` signed with `secret`.
std::string sign(std::string_view secret, std::string_view body);

/// Whether `signature` (the header value) is the signature of `body` under
/// any of `secrets` (two during a rotation). Compares in constant time;
/// a missing, malformed or empty signature, or no secret, is false.
bool verify(std::string_view body, std::string_view signature,
            const std::vector<std::string>& secrets);

} // namespace ferry::webhook
