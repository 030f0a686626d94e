#include "protocols/oauth/token_issuer.hpp"

#include "protocols/http/codec.hpp"

#include <algorithm>
#include <array>
#include <mutex>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <set>
#include <sstream>
#include <stdexcept>
#include <unordered_map>

namespace ferry::oauth {

namespace {

constexpr std::string_view token_prefix = "fy1";

std::string random_bytes(std::size_t n) {
  std::string out(n, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()),
                 static_cast<int>(n)) != 1)
    throw std::runtime_error("no randomness for token signing");
  return out;
}

std::vector<std::string> split_scopes(std::string_view s) {
  std::vector<std::string> out;
  std::istringstream in{std::string(s)};
  std::string word;
  while (in >> word)
    if (std::find(out.begin(), out.end(), word) == out.end())
      out.push_back(word);
  return out;
}

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v)
    out += (out.empty() ? "" : " ") + s;
  return out;
}

bool is_lower_hex64(const std::string& s) {
  return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

http::response oauth_error(int status, const char* code,
                           std::string description) {
  auto res = http::response::json(
      status, {{"error", code}, {"error_description", std::move(description)}});
  res.headers.set("Cache-Control", "no-store");
  res.headers.set("Pragma", "no-cache");
  return res;
}

} // namespace

const char* to_string(token_check c) {
  switch (c) {
    case token_check::valid:
      return "valid";
    case token_check::missing:
      return "missing";
    case token_check::malformed:
      return "malformed";
    case token_check::forged:
      return "forged";
    case token_check::expired:
      return "expired";
  }
  return "unknown";
}

std::string sha256_hex(std::string_view secret) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(secret.data()), secret.size(),
         digest);
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char b : digest) {
    out.push_back(hex[b >> 4]);
    out.push_back(hex[b & 15]);
  }
  return out;
}

/// Valid tokens by the hash of their text; a hit compares the whole text,
/// so a colliding token is verified in full and takes the slot. Only valid
/// tokens are stored (a client sending garbage cannot fill it); a shard that
/// is full drops its expired entries, or all of them when none has expired.
struct token_issuer::verified_cache {
  struct entry {
    std::string token;
    std::shared_ptr<const verified_token> verified;
  };
  struct shard {
    std::mutex mtx;
    std::unordered_map<std::size_t, entry> entries;
  };
  static constexpr std::size_t shard_count = 8;
  std::size_t max_per_shard;
  std::array<shard, shard_count> shards;

  explicit verified_cache(std::size_t max_entries)
      : max_per_shard(std::max<std::size_t>(1, max_entries / shard_count)) {}

  std::shared_ptr<const verified_token> find(std::size_t hash,
                                             std::string_view token) {
    auto& s = shards[hash % shard_count];
    std::lock_guard<std::mutex> guard(s.mtx);
    auto it = s.entries.find(hash);
    if (it == s.entries.end() || it->second.token != token)
      return nullptr;
    return it->second.verified;
  }

  void store(std::size_t hash, std::string_view token,
             std::shared_ptr<const verified_token> verified,
             std::chrono::system_clock::time_point now) {
    auto& s = shards[hash % shard_count];
    std::lock_guard<std::mutex> guard(s.mtx);
    if (s.entries.size() >= max_per_shard && s.entries.count(hash) == 0) {
      for (auto it = s.entries.begin(); it != s.entries.end();)
        it = now >= it->second.verified->expires_at ? s.entries.erase(it)
                                                    : std::next(it);
      if (s.entries.size() >= max_per_shard)
        s.entries.clear();
    }
    s.entries[hash] = entry{std::string(token), std::move(verified)};
  }
};

token_issuer::~token_issuer() = default;

token_issuer::token_issuer(token_issuer_settings s, clock_fn clock)
    : settings_(std::move(s)), clock_(std::move(clock)) {
  if (settings_.verified_cache_size > 0)
    cache_ = std::make_unique<verified_cache>(settings_.verified_cache_size);
  if (settings_.signing_key.empty())
    settings_.signing_key = random_bytes(32);
  else if (settings_.signing_key.size() < 32)
    throw std::invalid_argument(
        "oauth signing_key must be at least 32 bytes long");
  if (settings_.token_lifetime.count() <= 0)
    throw std::invalid_argument("oauth token_lifetime must be positive");
  std::set<std::string> ids;
  for (auto& c : settings_.clients) {
    if (c.client_id.empty())
      throw std::invalid_argument("oauth client with an empty client_id");
    if (!ids.insert(c.client_id).second)
      throw std::invalid_argument("oauth client '" + c.client_id +
                                  "' is listed twice");
    std::transform(c.secret_sha256.begin(), c.secret_sha256.end(),
                   c.secret_sha256.begin(),
                   [](char ch) { return static_cast<char>(std::tolower(ch)); });
    if (!is_lower_hex64(c.secret_sha256))
      throw std::invalid_argument(
          "oauth client '" + c.client_id +
          "': secret_sha256 must be 64 hex digits (SHA-256 of the secret)");
  }
}

std::string token_issuer::sign(std::string_view payload) const {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), settings_.signing_key.data(),
       static_cast<int>(settings_.signing_key.size()),
       reinterpret_cast<const unsigned char*>(payload.data()), payload.size(),
       out, &len);
  return std::string(reinterpret_cast<char*>(out), len);
}

http::response token_issuer::issue(const http::request& r) const {
  auto type = r.headers.get("Content-Type");
  if (type &&
      type->rfind("application/x-www-form-urlencoded", 0) == std::string::npos)
    return oauth_error(400, "invalid_request",
                       "the body must be application/x-www-form-urlencoded");
  auto form = http::form_decode(r.body);
  if (!form)
    return oauth_error(400, "invalid_request", "the form is malformed");
  auto field = [&](const char* name) -> const std::string* {
    auto it = form->find(name);
    return it == form->end() || it->second.empty() ? nullptr : &it->second;
  };
  auto grant = field("grant_type");
  if (grant == nullptr)
    return oauth_error(400, "invalid_request", "grant_type is missing");
  if (*grant != "client_credentials")
    return oauth_error(400, "unsupported_grant_type",
                       "only client_credentials is supported");
  auto id = field("client_id");
  auto secret = field("client_secret");
  if (id == nullptr || secret == nullptr)
    return oauth_error(
        400, "invalid_request",
        std::string(id == nullptr ? "client_id" : "client_secret") +
            " is missing");
  // The hash is computed and compared even for an unknown client, so that
  // the answer's timing does not tell which client ids exist.
  auto given = sha256_hex(*secret);
  const registered_client* client = nullptr;
  for (const auto& c : settings_.clients)
    if (c.client_id == *id)
      client = &c;
  static const std::string nobody(64, '0');
  const std::string& expected = client ? client->secret_sha256 : nobody;
  bool match =
      CRYPTO_memcmp(given.data(), expected.data(), expected.size()) == 0;
  if (client == nullptr || !match)
    return oauth_error(401, "invalid_client", "client authentication failed");
  std::vector<std::string> scopes = client->scopes;
  if (auto requested = field("scope")) {
    scopes = split_scopes(*requested);
    for (const auto& s : scopes)
      if (std::find(client->scopes.begin(), client->scopes.end(), s) ==
          client->scopes.end())
        return oauth_error(400, "invalid_scope",
                           "scope '" + s + "' is not granted to this client");
  }
  auto expires = clock_() + settings_.token_lifetime;
  nlohmann::json payload{
      {"sub", client->client_id},
      {"scp", join(scopes)},
      {"exp", std::chrono::duration_cast<std::chrono::seconds>(
                  expires.time_since_epoch())
                  .count()},
      {"jti", http::base64url_encode(random_bytes(16))}};
  std::string head =
      std::string(token_prefix) + "." + http::base64url_encode(payload.dump());
  std::string token = head + "." + http::base64url_encode(sign(head));
  auto res = http::response::json(
      200, {{"access_token", token},
            {"token_type", "Bearer"},
            {"expires_in", settings_.token_lifetime.count()},
            {"scope", join(scopes)}});
  res.headers.set("Cache-Control", "no-store");
  res.headers.set("Pragma", "no-cache");
  return res;
}

void token_issuer::add_routes(http::router& r) const {
  r.add("POST", "/oauth/token",
        [this](http::request&& req, http::respond_fn respond) {
          respond(issue(req));
        });
}

verified_token token_issuer::verify(std::string_view token) const {
  return *verify_shared(token);
}

std::shared_ptr<const verified_token>
token_issuer::verify_shared(std::string_view token) const {
  if (!cache_)
    return std::make_shared<const verified_token>(check(token));
  auto hash = std::hash<std::string_view>{}(token);
  auto known = cache_->find(hash, token);
  if (known) {
    if (clock_() < known->expires_at)
      return known;
    auto expired = std::make_shared<verified_token>();
    expired->outcome = token_check::expired;
    expired->expires_at = known->expires_at;
    return expired;
  }
  auto checked = std::make_shared<const verified_token>(check(token));
  if (checked->outcome == token_check::valid)
    cache_->store(hash, token, checked, clock_());
  return checked;
}

verified_token token_issuer::check(std::string_view token) const {
  verified_token out;
  if (token.empty())
    return out;
  out.outcome = token_check::malformed;
  auto first = token.find('.');
  auto last = token.rfind('.');
  if (first == std::string_view::npos || first == last ||
      token.substr(0, first) != token_prefix)
    return out;
  auto head = token.substr(0, last);
  auto sig = http::base64url_decode(token.substr(last + 1));
  if (!sig)
    return out;
  auto expected = sign(head);
  if (sig->size() != expected.size() ||
      CRYPTO_memcmp(sig->data(), expected.data(), expected.size()) != 0) {
    out.outcome = token_check::forged;
    return out;
  }
  auto payload = http::base64url_decode(head.substr(first + 1));
  if (!payload)
    return out;
  auto json = nlohmann::json::parse(*payload, nullptr, false);
  if (json.is_discarded() || !json.is_object() || !json.contains("sub") ||
      !json["sub"].is_string() || !json.contains("scp") ||
      !json["scp"].is_string() || !json.contains("exp") ||
      !json["exp"].is_number_integer())
    return out;
  out.expires_at = std::chrono::system_clock::time_point{
      std::chrono::seconds{json["exp"].get<long long>()}};
  if (clock_() >= out.expires_at) {
    out.outcome = token_check::expired;
    return out;
  }
  out.client_id = json["sub"].get<std::string>();
  out.scopes = split_scopes(json["scp"].get<std::string>());
  out.outcome = token_check::valid;
  return out;
}

http::handler token_issuer::require_scopes(std::vector<std::string> scopes,
                                           http::handler h) const {
  return [this, scopes = std::move(scopes),
          h = std::move(h)](http::request&& r, http::respond_fn respond) {
    auto realm = [this] { return "Bearer realm=\"" + settings_.realm + "\""; };
    auto header = r.headers.get("Authorization");
    std::string_view token;
    if (header && header->size() > 7 &&
        http::iequals(header->substr(0, 7), "Bearer "))
      token = std::string_view(*header).substr(7);
    while (!token.empty() && token.front() == ' ')
      token.remove_prefix(1);
    if (token.empty()) {
      auto res = http::response::error(401, "unauthorized",
                                       "a Bearer token is required");
      res.headers.set("WWW-Authenticate", realm());
      respond(std::move(res));
      return;
    }
    auto verified = verify_shared(token);
    const auto& checked = *verified;
    if (checked.outcome != token_check::valid) {
      auto res = http::response::error(401, "invalid_token",
                                       std::string("the access token is ") +
                                           to_string(checked.outcome));
      res.headers.set("WWW-Authenticate",
                      realm() +
                          ", error=\"invalid_token\", error_description=\"" +
                          to_string(checked.outcome) + "\"");
      respond(std::move(res));
      return;
    }
    for (const auto& needed : scopes) {
      if (std::find(checked.scopes.begin(), checked.scopes.end(), needed) ==
          checked.scopes.end()) {
        auto res = http::response::error(
            403, "insufficient_scope", "this call needs scope " + join(scopes));
        res.headers.set("WWW-Authenticate",
                        realm() + ", error=\"insufficient_scope\", scope=\"" +
                            join(scopes) + "\"");
        respond(std::move(res));
        return;
      }
    }
    r.principal = checked.client_id;
    h(std::move(r), std::move(respond));
  };
}

http::handler require_scopes(std::shared_ptr<const token_issuer> issuer,
                             std::vector<std::string> scopes, http::handler h) {
  auto inner = issuer->require_scopes(std::move(scopes), std::move(h));
  return [issuer = std::move(issuer), inner = std::move(inner)](
             http::request&& r, http::respond_fn respond) {
    inner(std::move(r), std::move(respond));
  };
}

} // namespace ferry::oauth
