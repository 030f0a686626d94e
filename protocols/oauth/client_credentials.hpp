#pragma once

#include "protocols/http/client.hpp"

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace prometheus {
class Registry;
}

/// OAuth 2.0 client credentials (RFC 6749 §4.4) for calling the shop.
namespace ferry::oauth {

/// Where and as whom to get tokens. The secret is never logged.
struct client_credentials_settings {
  /// e.g. "https://shop:8443/oauth/token".
  std::string token_url;
  std::string client_id;
  std::string client_secret;
  /// Optional space-separated scopes.
  std::string scope;
  /// A cached token is replaced this long before its `expires_in` ends.
  std::chrono::seconds refresh_margin{60};
};

/// Why no token could be had; also the `reason` label of
/// `ferry_oauth_token_fetch_failures_total`.
enum class token_error {
  /// 401 invalid_client: wrong id or secret (alert: fix config).
  invalid_client,
  /// Another 4xx from the token endpoint (bad scope, grant type, …).
  rejected,
  /// The endpoint was unreachable, timed out or answered 5xx.
  unreachable,
  /// A 200 without a usable JSON body.
  bad_response
};

/// The name of `e` ("invalid_client").
const char* to_string(token_error e);

/// A token or why there is none.
struct token_result {
  std::optional<std::string> access_token;
  std::optional<token_error> error;
  /// For logs; never contains the secret or a token.
  std::string detail;
};

/// The outcome of an authorized call: the HTTP result, or a token error
/// when no token could be had (then `http` is empty).
struct authorized_result {
  http::client_result http;
  std::optional<token_error> token_failure;
  std::string token_detail;
};

/// Fetches a token on demand, caches it until `refresh_margin` before its
/// expiry, and fetches at most once at a time however many callers wait
/// (single flight). Thread-safe.
class client_credentials {
public:
  /// `http` must outlive this object. Registers
  /// `ferry_oauth_token_fetches_total` and
  /// `ferry_oauth_token_fetch_failures_total{reason}` in `registry`.
  client_credentials(client_credentials_settings s, http::client& http,
                     prometheus::Registry& registry);
  ~client_credentials();
  client_credentials(const client_credentials&) = delete;
  client_credentials& operator=(const client_credentials&) = delete;

  /// Calls `done` with the cached token or, after one shared fetch, a new
  /// one. `done` may run on the calling thread or an io thread.
  void async_token(std::function<void(token_result)> done);
  /// Blocking form of `async_token` (never on an io thread of `http`).
  token_result token();
  /// Drops `token` from the cache if it is still the cached one (after a
  /// 401 invalid_token), so that the next call fetches a new one.
  void invalidate(const std::string& token);

  /// Sends `r` with `Authorization: Bearer <token>`; on `401` with
  /// `error="invalid_token"` drops the token, fetches a new one once and
  /// repeats the call once.
  void async_send(http::client_request r,
                  std::function<void(authorized_result)> done);
  /// Blocking form of `async_send`.
  authorized_result send(http::client_request r);

  /// Token fetches started so far (for tests).
  std::size_t fetch_count() const;

private:
  struct impl;
  std::shared_ptr<impl> impl_;
};

} // namespace ferry::oauth
