#pragma once

// WS-Security 1.0 UsernameToken (PasswordDigest) for the ERP's SOAP API,
// both sides: the client adds it, the simulator checks it. Internal to
// protocols/soap and the ERP simulator.

#include <chrono>
#include <string>
#include <string_view>

struct soap;

namespace ferry::soap {

/// Sets the ERP's namespace table on `ctx` (every proxy and service).
void use_erp_namespaces(struct ::soap* ctx);

/// `t` as xs:dateTime UTC with `Z`, whole seconds: "2026-11-29T10:15:00Z".
std::string format_utc(std::chrono::system_clock::time_point t);

/// Parses xs:dateTime UTC text ("…Z", optional fraction); false otherwise.
bool parse_utc(std::string_view text,
               std::chrono::system_clock::time_point& out);

/// Base64(SHA-1(nonce + created + password)); `nonce` is the raw bytes.
std::string password_digest(std::string_view nonce, std::string_view created,
                            std::string_view password);

/// Standard Base64 of `bytes`.
std::string base64_encode(std::string_view bytes);

/// Decodes standard Base64; false on malformed input.
bool base64_decode(std::string_view text, std::string& out);

/// Adds wsse:Security/UsernameToken with the digest, the Base64 nonce and
/// wsu:Created to the next message of `ctx`.
void add_username_token(struct ::soap* ctx, const std::string& username,
                        const std::string& digest,
                        const std::string& nonce_bytes,
                        const std::string& created);

/// What the server found in a request's UsernameToken.
struct username_token {
  bool present = false; ///< a wsse:Security header with a UsernameToken
  bool digest = false;  ///< Password Type is PasswordDigest
  std::string username;
  std::string password; ///< the digest, Base64
  std::string nonce_base64;
  std::string created;
};

/// The UsernameToken of the request just received by `ctx`.
username_token read_username_token(struct ::soap* ctx);

/// Removes the Security header so that the answer does not echo it.
void drop_security_header(struct ::soap* ctx);

} // namespace ferry::soap
