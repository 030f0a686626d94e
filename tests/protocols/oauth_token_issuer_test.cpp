// Ferry's token endpoint and scope middleware over real HTTPS: what a client
// of Ferry's API sees for good and bad credentials and tokens.
#include "protocols/http/client.hpp"
#include "protocols/http/codec.hpp"
#include "protocols/http/server.hpp"
#include "protocols/oauth/token_issuer.hpp"
#include "protocols/tls.hpp"
#include "tests/support/test_env.hpp"

#include <atomic>
#include <gtest/gtest.h>

using namespace ferry;
using namespace std::chrono_literals;

namespace {

const tls::certificate_files& certs() {
  static test::temp_dir dir;
  static tls::certificate_files files =
      tls::ensure_self_signed_certificate(dir.path() + "/certs");
  return files;
}

oauth::token_issuer_settings issuer_settings(std::string key = "") {
  oauth::token_issuer_settings s;
  s.clients.push_back({"shop",
                       oauth::sha256_hex("shop-secret"),
                       {"prices:read", "orders:read"}});
  s.clients.push_back({"ops", oauth::sha256_hex("ops-secret"), {"ops:admin"}});
  s.token_lifetime = 600s;
  s.signing_key = std::move(key);
  return s;
}

/// Ferry's API in miniature: the token endpoint and one protected route.
struct api {
  std::atomic<long> skew_seconds{0};
  oauth::token_issuer issuer;
  std::unique_ptr<http::server> server;
  http::client client{[] {
    http::client_settings c;
    c.ca_file = certs().ca_file;
    return c;
  }()};
  uint16_t port = 0;

  explicit api(std::string key = std::string(32, 'k'))
      : issuer(issuer_settings(std::move(key)), [this] {
          return std::chrono::system_clock::now() +
                 std::chrono::seconds(skew_seconds.load());
        }) {
    http::router r;
    issuer.add_routes(r);
    r.add("GET", "/api/v1/prices",
          issuer.require_scopes({"prices:read"}, [](http::request&& req,
                                                    http::respond_fn respond) {
            respond(http::response::json(200, {{"caller", req.principal}}));
          }));
    http::server_settings s;
    s.cert_file = certs().cert_file;
    s.key_file = certs().key_file;
    server = std::make_unique<http::server>(s, std::move(r));
    port = server->start();
  }

  std::string url(const std::string& path) const {
    return "https://localhost:" + std::to_string(port) + path;
  }

  http::response post_token(const std::map<std::string, std::string>& form) {
    http::client_request req{
        "POST", url("/oauth/token"), {}, http::form_encode(form), {}};
    req.headers.set("Content-Type", "application/x-www-form-urlencoded");
    auto r = client.send(req);
    EXPECT_TRUE(r.response) << r.error_detail;
    return r.response.value_or(http::response{});
  }

  std::string token_for(const std::string& id, const std::string& secret,
                        const std::string& scope = "") {
    std::map<std::string, std::string> form{
        {"grant_type", "client_credentials"},
        {"client_id", id},
        {"client_secret", secret}};
    if (!scope.empty())
      form["scope"] = scope;
    auto res = post_token(form);
    EXPECT_EQ(res.status, 200) << res.body;
    return nlohmann::json::parse(res.body)["access_token"].get<std::string>();
  }

  http::response get_prices(const std::optional<std::string>& authorization) {
    http::client_request req{"GET", url("/api/v1/prices"), {}, "", {}};
    if (authorization)
      req.headers.set("Authorization", *authorization);
    auto r = client.send(req);
    EXPECT_TRUE(r.response) << r.error_detail;
    return r.response.value_or(http::response{});
  }
};

std::string error_of(const http::response& r) {
  return nlohmann::json::parse(r.body)["error"].get<std::string>();
}

} // namespace

TEST(oauth_token_endpoint, issues_a_bearer_token_that_is_not_cached) {
  api a;
  auto res = a.post_token({{"grant_type", "client_credentials"},
                           {"client_id", "shop"},
                           {"client_secret", "shop-secret"}});
  ASSERT_EQ(res.status, 200) << res.body;
  auto body = nlohmann::json::parse(res.body);
  EXPECT_EQ(body["token_type"], "Bearer");
  EXPECT_EQ(body["expires_in"], 600);
  EXPECT_EQ(body["scope"], "prices:read orders:read");
  EXPECT_GT(body["access_token"].get<std::string>().size(), 40u);
  EXPECT_EQ(res.headers.get("Cache-Control"), "no-store");
}

TEST(oauth_token_endpoint, rejects_bad_credentials_with_invalid_client) {
  api a;
  auto wrong = a.post_token({{"grant_type", "client_credentials"},
                             {"client_id", "shop"},
                             {"client_secret", "shop-secreT"}});
  EXPECT_EQ(wrong.status, 401);
  EXPECT_EQ(error_of(wrong), "invalid_client");
  auto unknown = a.post_token({{"grant_type", "client_credentials"},
                               {"client_id", "nobody"},
                               {"client_secret", "shop-secret"}});
  EXPECT_EQ(unknown.status, 401);
  EXPECT_EQ(error_of(unknown), "invalid_client");
  EXPECT_EQ(unknown.body.find("shop-secret"), std::string::npos);
}

TEST(oauth_token_endpoint, malformed_requests_say_what_is_wrong) {
  api a;
  auto missing = a.post_token(
      {{"grant_type", "client_credentials"}, {"client_id", "shop"}});
  EXPECT_EQ(missing.status, 400);
  EXPECT_EQ(error_of(missing), "invalid_request");
  EXPECT_NE(missing.body.find("client_secret"), std::string::npos);
  auto grant = a.post_token({{"grant_type", "password"},
                             {"client_id", "shop"},
                             {"client_secret", "shop-secret"}});
  EXPECT_EQ(grant.status, 400);
  EXPECT_EQ(error_of(grant), "unsupported_grant_type");
  auto scope = a.post_token({{"grant_type", "client_credentials"},
                             {"client_id", "shop"},
                             {"client_secret", "shop-secret"},
                             {"scope", "prices:read ops:admin"}});
  EXPECT_EQ(scope.status, 400);
  EXPECT_EQ(error_of(scope), "invalid_scope");
  EXPECT_NE(scope.body.find("ops:admin"), std::string::npos);
  http::client_request json{"POST", a.url("/oauth/token"), {}, "{}", {}};
  json.headers.set("Content-Type", "application/json");
  auto r = a.client.send(json);
  ASSERT_TRUE(r.response);
  EXPECT_EQ(r.response->status, 400);
  EXPECT_EQ(error_of(*r.response), "invalid_request");
}

TEST(oauth_middleware, a_valid_token_with_the_scope_passes_with_its_client) {
  api a;
  auto token = a.token_for("shop", "shop-secret");
  auto res = a.get_prices("Bearer " + token);
  ASSERT_EQ(res.status, 200) << res.body;
  EXPECT_EQ(nlohmann::json::parse(res.body)["caller"], "shop");
}

TEST(oauth_middleware, no_token_is_401_with_the_realm_only) {
  api a;
  auto res = a.get_prices(std::nullopt);
  EXPECT_EQ(res.status, 401);
  EXPECT_EQ(res.headers.get("WWW-Authenticate"), "Bearer realm=\"ferry\"");
  auto basic = a.get_prices("Basic c2hvcDpzaG9wLXNlY3JldA==");
  EXPECT_EQ(basic.status, 401);
  EXPECT_EQ(basic.headers.get("WWW-Authenticate"), "Bearer realm=\"ferry\"");
}

TEST(oauth_middleware, an_expired_token_is_401_invalid_token) {
  api a;
  auto token = a.token_for("shop", "shop-secret");
  a.skew_seconds = 601;
  auto res = a.get_prices("Bearer " + token);
  EXPECT_EQ(res.status, 401);
  auto header = res.headers.get("WWW-Authenticate").value_or("");
  EXPECT_NE(header.find("error=\"invalid_token\""), std::string::npos)
      << header;
  EXPECT_NE(header.find("expired"), std::string::npos) << header;
}

TEST(oauth_middleware, a_token_signed_by_another_key_is_401_invalid_token) {
  api a;
  api other{std::string(32, 'x')};
  auto foreign = other.token_for("shop", "shop-secret");
  auto res = a.get_prices("Bearer " + foreign);
  EXPECT_EQ(res.status, 401);
  EXPECT_NE(res.headers.get("WWW-Authenticate")->find("invalid_token"),
            std::string::npos);
}

// Two nodes of a cluster configured with the same api.signing_key: a token
// either issues passes on the other, both ways.
TEST(oauth_middleware, nodes_sharing_a_signing_key_accept_each_others_tokens) {
  const std::string key = "0123456789abcdef0123456789abcdef-cluster";
  api node_a{key};
  api node_b{key};
  auto from_a = node_a.token_for("shop", "shop-secret");
  auto from_b = node_b.token_for("shop", "shop-secret");
  auto on_b = node_b.get_prices("Bearer " + from_a);
  EXPECT_EQ(on_b.status, 200) << on_b.body;
  EXPECT_EQ(nlohmann::json::parse(on_b.body)["caller"], "shop");
  EXPECT_EQ(node_a.get_prices("Bearer " + from_b).status, 200);
  // Without the shared key (each process makes its own), they do not.
  api lone{""};
  EXPECT_EQ(lone.get_prices("Bearer " + from_a).status, 401);
  EXPECT_EQ(node_a.get_prices("Bearer " + lone.token_for("shop", "shop-secret"))
                .status,
            401);
}

TEST(oauth_middleware, a_token_with_an_edited_scope_is_401_invalid_token) {
  api a;
  auto token = a.token_for("ops", "ops-secret");
  // Rewrite the payload to claim prices:read and keep the old signature.
  auto first = token.find('.');
  auto last = token.rfind('.');
  auto payload = nlohmann::json::parse(
      *http::base64url_decode(token.substr(first + 1, last - first - 1)));
  payload["scp"] = "prices:read";
  auto forged = token.substr(0, first + 1) +
                http::base64url_encode(payload.dump()) + token.substr(last);
  auto res = a.get_prices("Bearer " + forged);
  EXPECT_EQ(res.status, 401);
  EXPECT_NE(res.headers.get("WWW-Authenticate")->find("invalid_token"),
            std::string::npos);
  auto garbage = a.get_prices("Bearer not-a-token");
  EXPECT_EQ(garbage.status, 401);
}

TEST(oauth_middleware, a_token_without_the_scope_is_403) {
  api a;
  auto token = a.token_for("ops", "ops-secret");
  auto res = a.get_prices("Bearer " + token);
  EXPECT_EQ(res.status, 403);
  EXPECT_EQ(error_of(res), "insufficient_scope");
  EXPECT_NE(res.headers.get("WWW-Authenticate")->find("insufficient_scope"),
            std::string::npos);
  // A narrower token of a client that could have had the scope: also 403.
  auto narrow = a.token_for("shop", "shop-secret", "orders:read");
  EXPECT_EQ(a.get_prices("Bearer " + narrow).status, 403);
}

TEST(oauth_token_issuer, rejects_bad_settings_naming_the_client) {
  oauth::token_issuer_settings s;
  s.clients.push_back({"erp", "not-a-hash", {}});
  try {
    oauth::token_issuer issuer{s};
    FAIL() << "a bad secret hash was accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("erp"), std::string::npos);
  }
  oauth::token_issuer_settings short_key;
  short_key.signing_key = "short";
  EXPECT_THROW(oauth::token_issuer{short_key}, std::invalid_argument);
}

namespace {

// A token straight from the issuer, without a server.
std::string issued_token(const oauth::token_issuer& issuer,
                         const std::string& id, const std::string& secret) {
  http::request req;
  req.method = "POST";
  req.headers.set("Content-Type", "application/x-www-form-urlencoded");
  req.body = http::form_encode({{"grant_type", "client_credentials"},
                                {"client_id", id},
                                {"client_secret", secret}});
  auto res = issuer.issue(req);
  EXPECT_EQ(res.status, 200) << res.body;
  return nlohmann::json::parse(res.body)["access_token"].get<std::string>();
}

} // namespace

// Verified tokens are remembered; what is remembered must still expire.
TEST(oauth_middleware, a_token_that_passed_is_refused_once_it_expires) {
  api a;
  auto token = a.token_for("shop", "shop-secret");
  ASSERT_EQ(a.get_prices("Bearer " + token).status, 200);
  ASSERT_EQ(a.get_prices("Bearer " + token).status, 200);
  a.skew_seconds = 601;
  auto res = a.get_prices("Bearer " + token);
  EXPECT_EQ(res.status, 401);
  EXPECT_NE(res.headers.get("WWW-Authenticate").value_or("").find("expired"),
            std::string::npos);
  a.skew_seconds = 0;
  EXPECT_EQ(a.get_prices("Bearer " + token).status, 200);
}

// A remembered token does not vouch for a look-alike: an edited copy of a
// token that passed is still forged.
TEST(oauth_token_issuer, an_edited_copy_of_a_remembered_token_is_forged) {
  oauth::token_issuer issuer{issuer_settings(std::string(32, 'k'))};
  auto token = issued_token(issuer, "ops", "ops-secret");
  ASSERT_EQ(issuer.verify(token).outcome, oauth::token_check::valid);
  auto first = token.find('.');
  auto last = token.rfind('.');
  auto payload = nlohmann::json::parse(
      *http::base64url_decode(token.substr(first + 1, last - first - 1)));
  payload["scp"] = "prices:read";
  auto forged = token.substr(0, first + 1) +
                http::base64url_encode(payload.dump()) + token.substr(last);
  EXPECT_EQ(issuer.verify(forged).outcome, oauth::token_check::forged);
  EXPECT_NE(issuer.verify(token.substr(0, token.size() - 1)).outcome,
            oauth::token_check::valid);
  auto checked = issuer.verify(token);
  EXPECT_EQ(checked.outcome, oauth::token_check::valid);
  EXPECT_EQ(checked.client_id, "ops");
  EXPECT_EQ(checked.scopes, std::vector<std::string>{"ops:admin"});
}

// More tokens than the cache holds: each still verifies with its own
// content, from memory or in full.
TEST(oauth_token_issuer, more_tokens_than_the_cache_holds_all_verify) {
  auto settings = issuer_settings(std::string(32, 'k'));
  settings.verified_cache_size = 8;
  oauth::token_issuer issuer{settings};
  std::vector<std::pair<std::string, std::string>> tokens;
  for (int i = 0; i < 50; ++i) {
    bool shop = i % 2 == 0;
    tokens.emplace_back(shop ? "shop" : "ops",
                        issued_token(issuer, shop ? "shop" : "ops",
                                     shop ? "shop-secret" : "ops-secret"));
  }
  for (int round = 0; round < 2; ++round)
    for (const auto& [client, token] : tokens) {
      auto checked = issuer.verify(token);
      EXPECT_EQ(checked.outcome, oauth::token_check::valid);
      EXPECT_EQ(checked.client_id, client);
    }
  auto uncached = issuer_settings(std::string(32, 'k'));
  uncached.verified_cache_size = 0;
  oauth::token_issuer plain{uncached};
  EXPECT_EQ(plain.verify(tokens[0].second).outcome, oauth::token_check::valid);
  EXPECT_EQ(plain.verify(tokens[0].second).client_id, "shop");
}
