// The OAuth 2.0 client-credentials client against a real HTTPS token
// endpoint (Ferry's own issuer, same contract as the shop's).
#include "protocols/http/client.hpp"
#include "protocols/http/server.hpp"
#include "protocols/oauth/client_credentials.hpp"
#include "protocols/oauth/token_issuer.hpp"
#include "protocols/tls.hpp"
#include "tests/support/test_env.hpp"

#include <atomic>
#include <future>
#include <gtest/gtest.h>
#include <prometheus/registry.h>
#include <set>
#include <thread>

using namespace ferry;
using namespace std::chrono_literals;

namespace {

const tls::certificate_files& certs() {
  static test::temp_dir dir;
  static tls::certificate_files files =
      tls::ensure_self_signed_certificate(dir.path() + "/certs");
  return files;
}

/// A token endpoint that counts its hits and answers after a delay (so that
/// callers really overlap), and one protected resource.
struct token_server {
  std::atomic<long> skew_seconds{0};
  std::atomic<int> token_hits{0};
  std::atomic<int> resource_calls{0};
  std::chrono::milliseconds delay;
  oauth::token_issuer issuer;
  std::unique_ptr<http::server> server;
  uint16_t port = 0;

  explicit token_server(std::chrono::seconds lifetime = 600s,
                        std::chrono::milliseconds d = 100ms)
      : delay(d),
        issuer(
            [&] {
              oauth::token_issuer_settings s;
              s.clients.push_back(
                  {"ferry", oauth::sha256_hex("s3cret"), {"catalog:write"}});
              s.token_lifetime = lifetime;
              return s;
            }(),
            [this] {
              return std::chrono::system_clock::now() +
                     std::chrono::seconds(skew_seconds.load());
            }) {
    http::router r;
    r.add("POST", "/oauth/token",
          [this](http::request&& req, http::respond_fn respond) {
            ++token_hits;
            std::thread([this, req = std::move(req), respond] {
              std::this_thread::sleep_for(delay); // a slow token endpoint
              respond(issuer.issue(req));
            }).detach();
          });
    r.add(
        "PUT", "/rest/V1/products/{sku}",
        issuer.require_scopes(
            {"catalog:write"},
            [this](http::request&& req, http::respond_fn respond) {
              ++resource_calls;
              respond(http::response::json(200, {{"sku", req.params["sku"]}}));
            }));
    http::server_settings s;
    s.cert_file = certs().cert_file;
    s.key_file = certs().key_file;
    s.io_threads = 2;
    server = std::make_unique<http::server>(s, std::move(r));
    port = server->start();
  }

  std::string url(const std::string& path) const {
    return "https://localhost:" + std::to_string(port) + path;
  }
};

http::client_settings trusting() {
  http::client_settings c;
  c.ca_file = certs().ca_file;
  c.max_connections_per_host = 16;
  return c;
}

oauth::client_credentials_settings as_ferry(const token_server& s,
                                            std::string secret = "s3cret") {
  oauth::client_credentials_settings c;
  c.token_url = s.url("/oauth/token");
  c.client_id = "ferry";
  c.client_secret = std::move(secret);
  return c;
}

double failures(prometheus::Registry& registry, const std::string& reason) {
  for (const auto& family : registry.Collect()) {
    if (family.name != "ferry_oauth_token_fetch_failures_total")
      continue;
    for (const auto& m : family.metric)
      for (const auto& l : m.label)
        if (l.name == "reason" && l.value == reason)
          return m.counter.value;
  }
  return 0;
}

} // namespace

TEST(oauth_client, waiting_callers_share_one_fetch) {
  token_server srv;
  http::client http{trusting()};
  prometheus::Registry registry;
  oauth::client_credentials creds{as_ferry(srv), http, registry};
  std::vector<std::future<oauth::token_result>> results;
  for (int i = 0; i < 25; ++i) {
    auto p = std::make_shared<std::promise<oauth::token_result>>();
    results.push_back(p->get_future());
    creds.async_token([p](oauth::token_result r) { p->set_value(r); });
  }
  std::set<std::string> tokens;
  for (auto& f : results) {
    auto r = f.get();
    ASSERT_TRUE(r.access_token) << r.detail;
    tokens.insert(*r.access_token);
  }
  EXPECT_EQ(tokens.size(), 1u);
  EXPECT_EQ(srv.token_hits.load(), 1);
  EXPECT_EQ(creds.fetch_count(), 1u);
  // Cached afterwards.
  ASSERT_TRUE(creds.token().access_token);
  EXPECT_EQ(srv.token_hits.load(), 1);
}

TEST(oauth_client, token_expiry_mid_batch_costs_one_fetch_and_no_failed_call) {
  token_server srv;
  http::client http{trusting()};
  prometheus::Registry registry;
  oauth::client_credentials creds{as_ferry(srv), http, registry};
  std::atomic<int> done{0};
  std::vector<oauth::authorized_result> results(60);
  auto put = [&](int i) {
    http::client_request req{
        "PUT",
        srv.url("/rest/V1/products/SKU-" + std::to_string(i)),
        {},
        "{\"product\":{}}",
        {}};
    creds.async_send(req, [&, i](oauth::authorized_result r) {
      results[i] = std::move(r);
      ++done;
    });
  };
  for (int i = 0; i < 30; ++i)
    put(i);
  ASSERT_TRUE(test::wait_until([&] { return done.load() == 30; }));
  // The server's clock moves past the token's expiry while the client still
  // believes in its token: the next calls meet 401 invalid_token.
  srv.skew_seconds = 601;
  for (int i = 30; i < 60; ++i)
    put(i);
  ASSERT_TRUE(test::wait_until([&] { return done.load() == 60; }));
  for (int i = 0; i < 60; ++i) {
    ASSERT_TRUE(results[i].http.response)
        << i << ": " << results[i].token_detail << results[i].http.error_detail;
    EXPECT_EQ(results[i].http.response->status, 200) << i;
  }
  EXPECT_EQ(srv.token_hits.load(), 2);
  EXPECT_EQ(srv.resource_calls.load(), 60);
}

TEST(oauth_client, a_token_is_replaced_shortly_before_expires_in) {
  token_server srv{2s, 0ms};
  http::client http{trusting()};
  prometheus::Registry registry;
  oauth::client_credentials creds{as_ferry(srv), http, registry};
  auto first = creds.token();
  ASSERT_TRUE(first.access_token) << first.detail;
  ASSERT_TRUE(test::wait_until(
      [&] { return creds.token().access_token != first.access_token; }, 10s,
      100ms));
  EXPECT_EQ(srv.token_hits.load(), 2);
}

TEST(oauth_client, a_bad_client_secret_is_a_clear_error_and_a_metric) {
  token_server srv;
  http::client http{trusting()};
  prometheus::Registry registry;
  oauth::client_credentials creds{as_ferry(srv, "wrong-secret"), http,
                                  registry};
  auto r = creds.token();
  EXPECT_FALSE(r.access_token);
  ASSERT_TRUE(r.error);
  EXPECT_EQ(*r.error, oauth::token_error::invalid_client);
  EXPECT_NE(r.detail.find("'ferry'"), std::string::npos) << r.detail;
  EXPECT_NE(r.detail.find("client_secret"), std::string::npos) << r.detail;
  EXPECT_EQ(r.detail.find("wrong-secret"), std::string::npos) << r.detail;
  EXPECT_EQ(failures(registry, "invalid_client"), 1.0);
  auto call = creds.send({"PUT", srv.url("/rest/V1/products/A"), {}, "{}", {}});
  EXPECT_FALSE(call.http.response);
  EXPECT_EQ(call.token_failure, oauth::token_error::invalid_client);
  EXPECT_EQ(failures(registry, "invalid_client"), 2.0);
  EXPECT_EQ(srv.resource_calls.load(), 0);
}

TEST(oauth_client, an_unreachable_endpoint_is_unreachable) {
  http::client http{trusting()};
  prometheus::Registry registry;
  oauth::client_credentials_settings s;
  s.token_url =
      "https://127.0.0.1:" + std::to_string(test::free_port()) + "/oauth/token";
  s.client_id = "ferry";
  s.client_secret = "s3cret";
  oauth::client_credentials creds{s, http, registry};
  auto r = creds.token();
  ASSERT_TRUE(r.error);
  EXPECT_EQ(*r.error, oauth::token_error::unreachable);
  EXPECT_EQ(failures(registry, "unreachable"), 1.0);
}
