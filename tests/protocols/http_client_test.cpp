// The HTTPS client against Ferry's own server over real TLS sockets:
// verification, keep-alive pools, timeouts and error classes.
#include "protocols/http/client.hpp"
#include "protocols/http/server.hpp"
#include "protocols/tls.hpp"
#include "tests/support/test_env.hpp"

#include <atomic>
#include <future>
#include <gtest/gtest.h>
#include <mutex>
#include <thread>
#include <vector>

using namespace ferry;
using namespace std::chrono_literals;

namespace {

const tls::certificate_files& certs() {
  static test::temp_dir dir;
  static tls::certificate_files files =
      tls::ensure_self_signed_certificate(dir.path() + "/certs");
  return files;
}

struct fixture {
  std::atomic<int> in_flight{0};
  std::atomic<int> max_in_flight{0};
  std::unique_ptr<http::server> server;
  uint16_t port = 0;

  explicit fixture(std::function<void(http::server_settings&)> tune = {}) {
    http::server_settings s;
    s.cert_file = certs().cert_file;
    s.key_file = certs().key_file;
    s.io_threads = 2;
    if (tune)
      tune(s);
    http::router r;
    r.add("GET", "/ping", [](http::request&&, http::respond_fn respond) {
      respond(http::response::text(200, "pong"));
    });
    r.add("GET", "/slow", [this](http::request&&, http::respond_fn respond) {
      int now = ++in_flight;
      int seen = max_in_flight.load();
      while (now > seen && !max_in_flight.compare_exchange_weak(seen, now)) {
      }
      std::thread([this, respond] {
        std::this_thread::sleep_for(50ms); // the work a handler simulates
        --in_flight;
        respond(http::response::text(200, "done"));
      }).detach();
    });
    r.add("GET", "/never", [](http::request&&, http::respond_fn) {});
    r.add("GET", "/big", [](http::request&&, http::respond_fn respond) {
      respond(http::response::text(200, std::string(4096, 'b')));
    });
    r.add("GET", "/close", [](http::request&&, http::respond_fn respond) {
      auto res = http::response::text(200, "bye");
      res.headers.set("Connection", "close");
      respond(std::move(res));
    });
    server = std::make_unique<http::server>(s, std::move(r));
    port = server->start();
  }

  std::string url(const std::string& path,
                  const std::string& host = "localhost") const {
    return "https://" + host + ":" + std::to_string(port) + path;
  }
};

http::client_settings trusting() {
  http::client_settings c;
  c.ca_file = certs().ca_file;
  return c;
}

http::client_request get(const std::string& url) {
  return {"GET", url, {}, "", std::nullopt};
}

} // namespace

TEST(http_client, reuses_one_keep_alive_connection) {
  fixture f;
  http::client c{trusting()};
  for (int i = 0; i < 20; ++i) {
    auto r = c.send(get(f.url("/ping")));
    ASSERT_TRUE(r.response) << r.error_detail;
    EXPECT_EQ(r.response->body, "pong");
  }
  EXPECT_EQ(c.connections_made(), 1u);
  EXPECT_EQ(c.open_connections(), 1u);
}

TEST(http_client, verifies_by_ip_literal_too) {
  fixture f;
  http::client c{trusting()};
  auto r = c.send(get(f.url("/ping", "127.0.0.1")));
  ASSERT_TRUE(r.response) << r.error_detail;
  EXPECT_EQ(r.response->status, 200);
}

TEST(http_client, untrusted_certificate_fails_the_handshake) {
  fixture f;
  http::client_settings s; // system store: does not know the demo CA
  http::client c{s};
  auto r = c.send(get(f.url("/ping")));
  EXPECT_FALSE(r.response);
  ASSERT_TRUE(r.error);
  EXPECT_EQ(*r.error, http::client_error::tls_handshake_failed);
  EXPECT_NE(r.error_detail.find("certificate"), std::string::npos)
      << r.error_detail;
}

TEST(http_client, host_name_not_in_the_certificate_fails_the_handshake) {
  fixture f([](http::server_settings& s) { s.address = "127.0.0.2"; });
  http::client c{trusting()};
  auto r = c.send(get(f.url("/ping", "127.0.0.2")));
  ASSERT_TRUE(r.error);
  EXPECT_EQ(*r.error, http::client_error::tls_handshake_failed)
      << r.error_detail;
}

TEST(http_client, caps_connections_per_host_and_queues_the_rest) {
  fixture f;
  auto s = trusting();
  s.max_connections_per_host = 3;
  http::client c{s};
  std::vector<std::future<http::client_result>> results;
  for (int i = 0; i < 30; ++i) {
    auto p = std::make_shared<std::promise<http::client_result>>();
    results.push_back(p->get_future());
    c.async_send(get(f.url("/slow")),
                 [p](http::client_result r) { p->set_value(std::move(r)); });
  }
  for (auto& fut : results) {
    auto r = fut.get();
    ASSERT_TRUE(r.response) << r.error_detail;
    EXPECT_EQ(r.response->body, "done");
  }
  EXPECT_LE(c.connections_made(), 3u);
  EXPECT_LE(f.max_in_flight.load(), 3);
  EXPECT_GE(f.max_in_flight.load(), 2);
}

TEST(http_client, a_missing_response_is_timeout_after_send) {
  fixture f;
  http::client c{trusting()};
  auto req = get(f.url("/never"));
  req.timeout = 300ms;
  auto r = c.send(req);
  ASSERT_TRUE(r.error);
  EXPECT_EQ(*r.error, http::client_error::timeout_after_send);
  // The connection is not reused after an unknown outcome.
  auto next = c.send(get(f.url("/ping")));
  ASSERT_TRUE(next.response) << next.error_detail;
  EXPECT_EQ(c.connections_made(), 2u);
}

TEST(http_client, nothing_listening_is_connect_failed) {
  http::client c{trusting()};
  auto port = test::free_port();
  auto r = c.send(get("https://127.0.0.1:" + std::to_string(port) + "/"));
  ASSERT_TRUE(r.error);
  EXPECT_EQ(*r.error, http::client_error::connect_failed);
}

TEST(http_client, bad_urls_are_invalid_url) {
  http::client c{trusting()};
  for (const char* u :
       {"ftp://x/", "https://", "https://host:99999/", "localhost:80/x",
        "https://host:/x", "https://user@host/"}) {
    auto r = c.send(get(u));
    ASSERT_TRUE(r.error) << u;
    EXPECT_EQ(*r.error, http::client_error::invalid_url) << u;
  }
}

TEST(http_client, a_body_over_the_limit_is_body_too_large) {
  fixture f;
  auto s = trusting();
  s.max_body_bytes = 1024;
  http::client c{s};
  auto r = c.send(get(f.url("/big")));
  ASSERT_TRUE(r.error) << "got HTTP " << r.response->status << " with "
                       << r.response->body.size() << " bytes";
  EXPECT_EQ(*r.error, http::client_error::body_too_large);
}

TEST(http_client, connection_close_is_honoured_and_the_next_call_reconnects) {
  fixture f;
  http::client c{trusting()};
  auto r = c.send(get(f.url("/close")));
  ASSERT_TRUE(r.response) << r.error_detail;
  EXPECT_EQ(c.open_connections(), 0u);
  auto again = c.send(get(f.url("/ping")));
  ASSERT_TRUE(again.response) << again.error_detail;
  EXPECT_EQ(c.connections_made(), 2u);
}

TEST(http_client, a_connection_the_server_closed_while_idle_is_replaced) {
  fixture f([](http::server_settings& s) { s.idle_timeout = 1s; });
  http::client c{trusting()};
  ASSERT_TRUE(c.send(get(f.url("/ping"))).response);
  ASSERT_TRUE(
      test::wait_until([&] { return f.server->open_connections() == 0; }));
  auto r = c.send(get(f.url("/ping")));
  ASSERT_TRUE(r.response) << r.error_detail;
  EXPECT_EQ(r.response->body, "pong");
  EXPECT_EQ(c.connections_made(), 2u);
}
