// The HTTPS server over real TLS sockets on 127.0.0.1: routing, limits,
// timeouts and protocol versions, seen from a client.
#include "protocols/http/client.hpp"
#include "protocols/http/server.hpp"
#include "protocols/tls.hpp"
#include "tests/support/test_env.hpp"

#include <atomic>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <fstream>
#include <gtest/gtest.h>
#include <openssl/ssl.h>
#include <thread>

using namespace ferry;
using namespace std::chrono_literals;
namespace net = boost::asio;

namespace {

const tls::certificate_files& certs() {
  static test::temp_dir dir;
  static tls::certificate_files files =
      tls::ensure_self_signed_certificate(dir.path() + "/certs");
  return files;
}

http::server_settings tls_settings() {
  http::server_settings s;
  s.cert_file = certs().cert_file;
  s.key_file = certs().key_file;
  return s;
}

http::router echo_router() {
  http::router r;
  r.add("GET", "/hello/{name}",
        [](http::request&& req, http::respond_fn respond) {
          respond(http::response::json(
              200, {{"name", req.params["name"]},
                    {"q", req.query.count("q") ? req.query["q"] : ""},
                    {"path", req.path}}));
        });
  r.add("GET", "/hello/world", [](http::request&&, http::respond_fn respond) {
    respond(http::response::text(200, "literal"));
  });
  r.add("POST", "/echo", [](http::request&& req, http::respond_fn respond) {
    auto res = http::response::text(200, req.body);
    res.headers.set("X-Topic", req.headers.get("x-shop-topic").value_or(""));
    respond(std::move(res));
  });
  r.add("GET", "/later", [](http::request&&, http::respond_fn respond) {
    std::thread([respond] {
      respond(http::response::text(202, "from another thread"));
      respond(http::response::text(500, "a second answer is ignored"));
    }).detach();
  });
  r.add("GET", "/never", [](http::request&&, http::respond_fn) {});
  r.add("GET", "/throws", [](http::request&&, http::respond_fn) {
    throw std::runtime_error("boom");
  });
  return r;
}

http::client_settings trusting() {
  http::client_settings c;
  c.ca_file = certs().ca_file;
  return c;
}

std::string url(uint16_t port, const std::string& path) {
  return "https://localhost:" + std::to_string(port) + path;
}

http::client_result get(http::client& c, const std::string& u) {
  return c.send({"GET", u, {}, "", std::nullopt});
}

/// A TCP connection that sends what the test says and reports when the
/// server closes it.
struct raw_socket {
  net::io_context ioc;
  net::ip::tcp::socket socket{ioc};

  explicit raw_socket(uint16_t port) {
    socket.connect({net::ip::make_address("127.0.0.1"), port});
  }

  bool closed_by_server() {
    char buf[512];
    boost::system::error_code ec;
    for (;;) {
      socket.read_some(net::buffer(buf), ec);
      if (ec)
        return true;
    }
  }
};

} // namespace

TEST(http_server, routes_over_tls_with_decoded_params_and_query) {
  http::server srv{tls_settings(), echo_router()};
  auto port = srv.start();
  http::client c{trusting()};
  auto r = get(c, url(port, "/hello/A%2FB?q=two+words%21"));
  ASSERT_TRUE(r.response) << r.error_detail;
  EXPECT_EQ(r.response->status, 200);
  auto body = nlohmann::json::parse(r.response->body);
  EXPECT_EQ(body["name"], "A/B");
  EXPECT_EQ(body["q"], "two words!");
  EXPECT_EQ(r.response->headers.get("content-type"),
            "application/json; charset=utf-8");
  auto lit = get(c, url(port, "/hello/world"));
  ASSERT_TRUE(lit.response);
  EXPECT_EQ(lit.response->body, "literal");
}

TEST(http_server, unknown_path_is_404_and_wrong_method_405_with_allow) {
  http::server srv{tls_settings(), echo_router()};
  auto port = srv.start();
  http::client c{trusting()};
  auto missing = get(c, url(port, "/nothing/here"));
  ASSERT_TRUE(missing.response);
  EXPECT_EQ(missing.response->status, 404);
  EXPECT_EQ(nlohmann::json::parse(missing.response->body)["error"],
            "not_found");
  auto wrong = get(c, url(port, "/echo"));
  ASSERT_TRUE(wrong.response);
  EXPECT_EQ(wrong.response->status, 405);
  EXPECT_EQ(wrong.response->headers.get("Allow"), "POST");
}

TEST(http_server, posts_body_and_headers_reach_the_handler) {
  http::server srv{tls_settings(), echo_router()};
  auto port = srv.start();
  http::client c{trusting()};
  http::client_request req{"POST", url(port, "/echo"), {}, "{\"a\":1}", {}};
  req.headers.set("X-Shop-Topic", "orders/create");
  auto r = c.send(req);
  ASSERT_TRUE(r.response) << r.error_detail;
  EXPECT_EQ(r.response->body, "{\"a\":1}");
  EXPECT_EQ(r.response->headers.get("x-topic"), "orders/create");
}

TEST(http_server, body_over_the_limit_is_413) {
  auto s = tls_settings();
  s.max_body_bytes = 1024;
  http::server srv{s, echo_router()};
  auto port = srv.start();
  http::client c{trusting()};
  auto ok =
      c.send({"POST", url(port, "/echo"), {}, std::string(1024, 'x'), {}});
  ASSERT_TRUE(ok.response) << ok.error_detail;
  EXPECT_EQ(ok.response->status, 200);
  auto big =
      c.send({"POST", url(port, "/echo"), {}, std::string(1025, 'x'), {}});
  ASSERT_TRUE(big.response) << big.error_detail;
  EXPECT_EQ(big.response->status, 413);
  EXPECT_EQ(nlohmann::json::parse(big.response->body)["error"],
            "payload_too_large");
}

TEST(http_server, header_over_the_limit_is_431) {
  auto s = tls_settings();
  s.max_header_bytes = 2048;
  http::server srv{s, echo_router()};
  auto port = srv.start();
  http::client c{trusting()};
  http::client_request req{"GET", url(port, "/hello/x"), {}, "", {}};
  req.headers.set("X-Padding", std::string(4096, 'p'));
  auto r = c.send(req);
  ASSERT_TRUE(r.response) << r.error_detail;
  EXPECT_EQ(r.response->status, 431);
}

TEST(http_server, answers_from_another_thread_once) {
  http::server srv{tls_settings(), echo_router()};
  auto port = srv.start();
  http::client c{trusting()};
  for (int i = 0; i < 3; ++i) {
    auto r = get(c, url(port, "/later"));
    ASSERT_TRUE(r.response) << r.error_detail;
    EXPECT_EQ(r.response->status, 202);
    EXPECT_EQ(r.response->body, "from another thread");
  }
  // The ignored second answers did not corrupt the keep-alive connection.
  EXPECT_EQ(c.connections_made(), 1u);
}

TEST(http_server, a_handler_that_never_answers_gets_503_after_its_deadline) {
  auto s = tls_settings();
  s.handler_timeout = 1s;
  http::server srv{s, echo_router()};
  auto port = srv.start();
  http::client c{trusting()};
  auto r = get(c, url(port, "/never"));
  ASSERT_TRUE(r.response) << r.error_detail;
  EXPECT_EQ(r.response->status, 503);
}

TEST(http_server, a_throwing_handler_gives_500) {
  http::server srv{tls_settings(), echo_router()};
  auto port = srv.start();
  http::client c{trusting()};
  auto r = get(c, url(port, "/throws"));
  ASSERT_TRUE(r.response) << r.error_detail;
  EXPECT_EQ(r.response->status, 500);
}

TEST(http_server, a_silent_client_is_cut_off_during_the_handshake) {
  auto s = tls_settings();
  s.read_timeout = 1s;
  http::server srv{s, echo_router()};
  auto port = srv.start();
  raw_socket sock{port};
  EXPECT_TRUE(sock.closed_by_server());
  EXPECT_TRUE(test::wait_until([&] { return srv.open_connections() == 0; }));
}

TEST(http_server, a_slow_header_is_cut_off_after_the_read_timeout) {
  auto s = tls_settings();
  s.tls = false;
  s.read_timeout = 1s;
  http::server srv{s, echo_router()};
  auto port = srv.start();
  raw_socket sock{port};
  std::string partial = "GET /hello/x HTTP/1.1\r\nHost: x\r\nX-Slow: ";
  net::write(sock.socket, net::buffer(partial));
  EXPECT_TRUE(sock.closed_by_server());
  EXPECT_TRUE(test::wait_until([&] { return srv.open_connections() == 0; }));
}

// The deadlines move with the connection's steps: a connection in steady
// use lives well past the read timeout, and once left idle it is closed
// after the idle timeout.
TEST(http_server, a_busy_keep_alive_connection_lives_and_an_idle_one_closes) {
  auto s = tls_settings();
  s.tls = false;
  s.read_timeout = 1s;
  s.idle_timeout = 2s;
  http::server srv{s, echo_router()};
  auto port = srv.start();
  raw_socket sock{port};
  const std::string request = "GET /hello/x HTTP/1.1\r\nHost: x\r\n\r\n";
  auto started = std::chrono::steady_clock::now();
  int answered = 0;
  while (std::chrono::steady_clock::now() - started < 3s) {
    net::write(sock.socket, net::buffer(request));
    std::string got;
    char buf[512];
    boost::system::error_code ec;
    while (got.find("\"q\":\"\"}") == std::string::npos) {
      auto n = sock.socket.read_some(net::buffer(buf), ec);
      ASSERT_FALSE(ec) << "closed after " << answered
                       << " answers: " << ec.message();
      got.append(buf, n);
    }
    ASSERT_EQ(got.rfind("HTTP/1.1 200", 0), 0u) << got;
    ++answered;
  }
  EXPECT_EQ(srv.open_connections(), 1u);
  auto idle_since = std::chrono::steady_clock::now();
  EXPECT_TRUE(sock.closed_by_server());
  EXPECT_GE(std::chrono::steady_clock::now() - idle_since, 1500ms)
      << "closed before the idle timeout";
  EXPECT_TRUE(test::wait_until([&] { return srv.open_connections() == 0; }));
}

// What goes on the wire: the status line, the handler's fields, the
// server's framing (Server, Content-Length, Connection) and nothing after
// a body-less status.
TEST(http_server, frames_each_response_for_the_client_version) {
  auto s = tls_settings();
  s.tls = false;
  http::router r;
  r.add("GET", "/json", [](http::request&&, http::respond_fn respond) {
    auto res = http::response::json(200, {{"a", 1}});
    res.headers.set("Content-Length", "999");
    respond(std::move(res));
  });
  r.add("GET", "/empty", [](http::request&&, http::respond_fn respond) {
    auto res = http::response::text(204, "dropped");
    res.headers.set("X-Kind", "empty");
    respond(std::move(res));
  });
  r.add("GET", "/bye", [](http::request&&, http::respond_fn respond) {
    auto res = http::response::text(200, "bye");
    res.headers.set("Connection", "close");
    respond(std::move(res));
  });
  http::server srv{s, std::move(r)};
  auto port = srv.start();
  raw_socket sock{port};
  auto exchange = [&](const std::string& request, std::size_t expect_bytes) {
    net::write(sock.socket, net::buffer(request));
    std::string got;
    char buf[512];
    boost::system::error_code ec;
    while (got.size() < expect_bytes && !ec) {
      auto n = sock.socket.read_some(net::buffer(buf), ec);
      got.append(buf, n);
    }
    return got;
  };
  std::string json_answer =
      "HTTP/1.1 200 OK\r\nContent-Type: application/json; charset=utf-8\r\n"
      "Server: ferry\r\nContent-Length: 7\r\n\r\n{\"a\":1}";
  EXPECT_EQ(
      exchange("GET /json HTTP/1.1\r\nHost: x\r\n\r\n", json_answer.size()),
      json_answer);
  std::string empty_answer =
      "HTTP/1.1 204 No Content\r\nContent-Type: text/plain; charset=utf-8\r\n"
      "X-Kind: empty\r\nServer: ferry\r\nContent-Length: 0\r\n\r\n";
  EXPECT_EQ(
      exchange("GET /empty HTTP/1.1\r\nHost: x\r\n\r\n", empty_answer.size()),
      empty_answer);
  std::string old_client =
      "HTTP/1.0 200 OK\r\nContent-Type: application/json; charset=utf-8\r\n"
      "Server: ferry\r\nConnection: keep-alive\r\nContent-Length: 7\r\n\r\n"
      "{\"a\":1}";
  EXPECT_EQ(exchange("GET /json HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
                     old_client.size()),
            old_client);
  std::string closing =
      "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\n"
      "Server: ferry\r\nConnection: close\r\nContent-Length: 3\r\n\r\nbye";
  EXPECT_EQ(exchange("GET /bye HTTP/1.1\r\nHost: x\r\n\r\n", closing.size()),
            closing);
  EXPECT_TRUE(sock.closed_by_server());
}

TEST(http_server, malformed_request_is_400) {
  auto s = tls_settings();
  s.tls = false;
  http::server srv{s, echo_router()};
  auto port = srv.start();
  raw_socket sock{port};
  std::string bad = "GET /hello/x HTTP/1.1\r\nHost x\r\n\r\n";
  net::write(sock.socket, net::buffer(bad));
  std::string got;
  char buf[512];
  boost::system::error_code ec;
  while (!ec) {
    auto n = sock.socket.read_some(net::buffer(buf), ec);
    got.append(buf, n);
  }
  EXPECT_EQ(got.rfind("HTTP/1.1 400", 0), 0u) << got;
}

TEST(http_server, refuses_tls_1_1) {
  http::server srv{tls_settings(), echo_router()};
  auto port = srv.start();
  net::io_context ioc;
  net::ssl::context ctx{net::ssl::context::tls_client};
  SSL_CTX_set_min_proto_version(ctx.native_handle(), TLS1_VERSION);
  SSL_CTX_set_max_proto_version(ctx.native_handle(), TLS1_1_VERSION);
  SSL_CTX_set_security_level(ctx.native_handle(), 0);
  ctx.set_verify_mode(net::ssl::verify_none);
  net::ssl::stream<net::ip::tcp::socket> stream{ioc, ctx};
  stream.next_layer().connect({net::ip::make_address("127.0.0.1"), port});
  boost::system::error_code ec;
  stream.handshake(net::ssl::stream_base::client, ec);
  EXPECT_TRUE(ec) << "a TLS 1.1 handshake succeeded";
}

TEST(http_server, negotiates_tls_1_3_and_1_2) {
  http::server srv{tls_settings(), echo_router()};
  auto port = srv.start();
  for (int version : {TLS1_2_VERSION, TLS1_3_VERSION}) {
    net::io_context ioc;
    net::ssl::context ctx{net::ssl::context::tls_client};
    SSL_CTX_set_min_proto_version(ctx.native_handle(), version);
    SSL_CTX_set_max_proto_version(ctx.native_handle(), version);
    ctx.load_verify_file(certs().ca_file);
    ctx.set_verify_mode(net::ssl::verify_peer);
    net::ssl::stream<net::ip::tcp::socket> stream{ioc, ctx};
    stream.next_layer().connect({net::ip::make_address("127.0.0.1"), port});
    boost::system::error_code ec;
    stream.handshake(net::ssl::stream_base::client, ec);
    ASSERT_FALSE(ec) << ec.message();
    EXPECT_EQ(SSL_version(stream.native_handle()), version);
  }
}

TEST(http_server, connections_over_the_maximum_are_closed) {
  auto s = tls_settings();
  s.tls = false;
  s.max_connections = 1;
  http::server srv{s, echo_router()};
  auto port = srv.start();
  raw_socket first{port};
  ASSERT_TRUE(test::wait_until([&] { return srv.open_connections() == 1; }));
  raw_socket second{port};
  EXPECT_TRUE(second.closed_by_server());
  EXPECT_EQ(srv.open_connections(), 1u);
}

TEST(http_server, start_names_the_bad_certificate_file) {
  auto s = tls_settings();
  s.cert_file = "/nonexistent/cert.pem";
  http::server srv{s, echo_router()};
  try {
    srv.start();
    FAIL() << "start() accepted a missing certificate";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/cert.pem"),
              std::string::npos)
        << e.what();
  }
}

TEST(self_signed_certificate, is_created_once_and_reused) {
  test::temp_dir dir;
  auto first = tls::ensure_self_signed_certificate(dir.path());
  std::string before;
  {
    std::ifstream in(first.cert_file);
    before.assign(std::istreambuf_iterator<char>(in), {});
  }
  auto second = tls::ensure_self_signed_certificate(dir.path());
  std::ifstream in(second.cert_file);
  std::string after(std::istreambuf_iterator<char>(in), {});
  EXPECT_EQ(first.cert_file, second.cert_file);
  EXPECT_EQ(before, after);
  EXPECT_NE(before.find("BEGIN CERTIFICATE"), std::string::npos);
}
