#pragma once

#include "protocols/http/message.hpp"

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <string>

namespace ferry::sim_shop {

/// The shop's OAuth 2.0 client-credentials endpoint (contract: form fields
/// only, opaque bearer tokens that expire, no refresh token) and the check
/// of `Authorization: Bearer …` on every API call. Counts the tokens issued
/// per client, so tests see how often a client fetched one. Thread-safe.
class token_store {
public:
  using clock = std::chrono::steady_clock;

  /// `ttl` is the lifetime announced as `expires_in`.
  token_store(std::map<std::string, std::string> clients,
              std::chrono::seconds ttl, std::uint64_t seed);

  /// Answers `POST /oauth/token`.
  http::response issue(const http::request& r, clock::time_point now);

  /// The client id owning the request's bearer token, or the 401 to answer
  /// (no token: realm challenge; unknown or expired: invalid_token).
  std::optional<std::string> authenticate(const http::request& r,
                                          clock::time_point now,
                                          http::response& challenge);

  /// Ends every token now (the "expire tokens" fault knob).
  void expire_all();
  void set_ttl(std::chrono::seconds ttl);
  /// Tokens issued to `client_id` so far.
  int issued(const std::string& client_id) const;
  /// Tokens issued per client.
  std::map<std::string, int> issued_counts() const;

private:
  struct token {
    std::string client_id;
    clock::time_point expires;
  };
  mutable std::mutex mutex_;
  std::map<std::string, std::string> clients_;
  std::chrono::seconds ttl_;
  std::mt19937_64 rng_;
  std::map<std::string, token> tokens_;
  std::map<std::string, int> issued_;
};

} // namespace ferry::sim_shop
