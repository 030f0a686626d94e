#include "simulators/shop/token_store.hpp"

#include "protocols/http/codec.hpp"

#include <openssl/crypto.h>

namespace ferry::sim_shop {

namespace {

http::response oauth_error(int status, const char* code) {
  auto r = http::response::json(status, {{"error", code}});
  r.headers.set("Cache-Control", "no-store");
  return r;
}

bool same_secret(const std::string& a, const std::string& b) {
  return a.size() == b.size() &&
         CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

} // namespace

token_store::token_store(std::map<std::string, std::string> clients,
                         std::chrono::seconds ttl, std::uint64_t seed)
    : clients_(std::move(clients)), ttl_(ttl), rng_(seed ^ 0x5eed70c3) {}

http::response token_store::issue(const http::request& r,
                                  clock::time_point now) {
  auto ct = r.headers.get("Content-Type").value_or("");
  if (ct.find("application/x-www-form-urlencoded") == std::string::npos)
    return oauth_error(400, "invalid_request");
  auto form = http::form_decode(r.body);
  if (!form)
    return oauth_error(400, "invalid_request");
  auto field = [&](const char* name) -> std::optional<std::string> {
    auto i = form->find(name);
    if (i == form->end())
      return std::nullopt;
    return i->second;
  };
  auto grant = field("grant_type");
  if (!grant)
    return oauth_error(400, "invalid_request");
  if (*grant != "client_credentials")
    return oauth_error(400, "unsupported_grant_type");
  auto id = field("client_id");
  auto secret = field("client_secret");
  if (!id || !secret)
    return oauth_error(400, "invalid_request");
  std::lock_guard<std::mutex> guard{mutex_};
  auto c = clients_.find(*id);
  if (c == clients_.end() || !same_secret(c->second, *secret))
    return oauth_error(401, "invalid_client");
  static const char hex[] = "0123456789abcdef";
  std::string value;
  for (int i = 0; i < 2; ++i) {
    auto bits = rng_();
    for (int k = 0; k < 16; ++k, bits >>= 4)
      value.push_back(hex[bits & 0xf]);
  }
  tokens_[value] = token{*id, now + ttl_};
  ++issued_[*id];
  // Forget long-expired tokens so memory stays flat.
  for (auto i = tokens_.begin(); i != tokens_.end();)
    i = i->second.expires + std::chrono::hours(1) < now ? tokens_.erase(i)
                                                        : std::next(i);
  auto out = http::response::json(200, {{"access_token", value},
                                        {"token_type", "Bearer"},
                                        {"expires_in", ttl_.count()}});
  out.headers.set("Cache-Control", "no-store");
  out.headers.set("Pragma", "no-cache");
  return out;
}

std::optional<std::string>
token_store::authenticate(const http::request& r, clock::time_point now,
                          http::response& challenge) {
  auto auth = r.headers.get("Authorization");
  static const std::string prefix = "Bearer ";
  if (!auth || auth->size() <= prefix.size() ||
      !http::iequals(auth->substr(0, prefix.size()), prefix)) {
    challenge = http::response::json(
        401,
        {{"message", "The consumer isn't authorized to access %resources."},
         {"parameters", {{"resources", "this resource"}}}});
    challenge.headers.set("WWW-Authenticate", "Bearer realm=\"shop\"");
    return std::nullopt;
  }
  auto value = auth->substr(prefix.size());
  std::lock_guard<std::mutex> guard{mutex_};
  auto t = tokens_.find(value);
  if (t == tokens_.end() || t->second.expires <= now) {
    challenge = http::response::json(
        401, {{"message", "The access token is invalid or has expired."},
              {"parameters", nlohmann::json::array()}});
    challenge.headers.set("WWW-Authenticate", "Bearer error=\"invalid_token\"");
    return std::nullopt;
  }
  return t->second.client_id;
}

void token_store::expire_all() {
  std::lock_guard<std::mutex> guard{mutex_};
  tokens_.clear();
}

void token_store::set_ttl(std::chrono::seconds ttl) {
  std::lock_guard<std::mutex> guard{mutex_};
  ttl_ = ttl;
}

int token_store::issued(const std::string& client_id) const {
  std::lock_guard<std::mutex> guard{mutex_};
  auto i = issued_.find(client_id);
  return i == issued_.end() ? 0 : i->second;
}

std::map<std::string, int> token_store::issued_counts() const {
  std::lock_guard<std::mutex> guard{mutex_};
  return issued_;
}

} // namespace ferry::sim_shop
