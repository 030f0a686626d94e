#pragma once

#include "protocols/http/server.hpp"

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

/// Ferry's own OAuth 2.0 authorization server (client credentials, RFC 6749
/// §4.4) and the scope check every `/api/` route goes through.
///
/// Tokens are self-contained and HMAC-SHA256 signed (client id, scopes,
/// expiry): every node of a cluster that shares `signing_key` verifies them
/// without shared state, so nothing is stored per token. Rotating the key
/// invalidates every token (clients fetch a new one on 401 invalid_token).
namespace ferry::oauth {

/// A client allowed to get tokens.
struct registered_client {
  std::string client_id;
  /// Lower-case hex SHA-256 of the client secret (secrets are generated
  /// with high entropy, so a plain hash suffices and the secret never sits
  /// in config).
  std::string secret_sha256;
  /// Scopes it may request, e.g. "prices:read".
  std::vector<std::string> scopes;
};

/// What the issuer needs; the app maps config onto it.
struct token_issuer_settings {
  std::vector<registered_client> clients;
  std::chrono::seconds token_lifetime{3600};
  /// Shared by every node; at least 32 bytes. Empty: a random key for this
  /// process only (tests, single node).
  std::string signing_key;
  /// Realm named in `WWW-Authenticate`.
  std::string realm = "ferry";
  /// Verified tokens remembered (by their exact text, until they expire)
  /// so that a client reusing its token is not re-verified on every call;
  /// 0 verifies every time.
  std::size_t verified_cache_size = 4096;
};

/// Why a bearer token was not accepted.
enum class token_check { valid, missing, malformed, forged, expired };

/// The name of `c` ("expired"), used as `error_description`.
const char* to_string(token_check c);

/// A token's verified content.
struct verified_token {
  token_check outcome = token_check::missing;
  std::string client_id;
  std::vector<std::string> scopes;
  std::chrono::system_clock::time_point expires_at;
};

/// Lower-case hex SHA-256 of `secret` (for writing config).
std::string sha256_hex(std::string_view secret);

/// Issues and verifies tokens. Thread-safe: the settings are immutable
/// after construction; the cache of verified tokens has its own locks.
class token_issuer {
public:
  using clock_fn = std::function<std::chrono::system_clock::time_point()>;

  /// Throws std::invalid_argument naming the client on a bad entry (a
  /// secret hash that is not 64 hex digits, an empty id, a short key).
  explicit token_issuer(token_issuer_settings s,
                        clock_fn clock = &std::chrono::system_clock::now);
  ~token_issuer();
  token_issuer(const token_issuer&) = delete;
  token_issuer& operator=(const token_issuer&) = delete;

  /// Answers `POST /oauth/token` (form fields grant_type=client_credentials,
  /// client_id, client_secret, optional scope) with the shop contract's
  /// shapes: 200 {"access_token","token_type":"Bearer","expires_in",
  /// "scope"}, 401 invalid_client, 400 invalid_request /
  /// unsupported_grant_type / invalid_scope; always `Cache-Control:
  /// no-store`.
  http::response issue(const http::request& r) const;

  /// Registers `POST /oauth/token` on `r`; the issuer must outlive it.
  void add_routes(http::router& r) const;

  /// Checks signature and expiry of `token` (without "Bearer "). A token
  /// verified before is recalled from memory; its expiry is checked again
  /// on every call.
  verified_token verify(std::string_view token) const;

  /// Wraps `h`: the request needs `Authorization: Bearer <token>` with a
  /// valid token holding every scope in `scopes`. Missing → 401
  /// `WWW-Authenticate: Bearer realm="…"`; malformed, forged or expired →
  /// 401 `…error="invalid_token"`; a scope lacking → 403
  /// `…error="insufficient_scope"`. On success `request::principal` is the
  /// client id. The issuer must outlive the returned handler.
  http::handler require_scopes(std::vector<std::string> scopes,
                               http::handler h) const;

private:
  struct verified_cache;
  std::string sign(std::string_view payload) const;
  /// Signature and payload check without the cache.
  verified_token check(std::string_view token) const;
  /// `verify` without copying a remembered token's content.
  std::shared_ptr<const verified_token>
  verify_shared(std::string_view token) const;
  token_issuer_settings settings_;
  clock_fn clock_;
  std::unique_ptr<verified_cache> cache_;
};

/// The same wrapper as `token_issuer::require_scopes`, keeping the issuer
/// alive through shared ownership.
http::handler require_scopes(std::shared_ptr<const token_issuer> issuer,
                             std::vector<std::string> scopes, http::handler h);

} // namespace ferry::oauth
