#pragma once

#include "protocols/http/message.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace ferry::http {

/// Answers a request exactly once, from any thread (posts back to the
/// connection's strand); an io thread never waits on an actor. Calls after
/// the first, or after the connection closed, are ignored.
using respond_fn = std::function<void(response)>;

/// Handles one request; must not block (hand blocking work elsewhere and
/// call `respond` from there).
using handler = std::function<void(request&&, respond_fn)>;

/// Maps method + path to handlers. Patterns are literal segments and
/// `{name}` segments, e.g. "/rest/V1/products/{sku}"; a `{name}` matches one
/// non-empty segment and lands decoded in `request::params`. Literal routes
/// win over parameter routes.
class router {
public:
  /// Registers `h` for `method` (upper case, e.g. "GET") and `pattern`.
  void add(std::string method, std::string pattern, handler h);

  /// Runs the matching handler; an unmatched path answers 404 JSON, a
  /// matched path with another method 405 with `Allow`.
  void dispatch(request&& r, respond_fn respond) const;

private:
  struct route {
    std::string method;
    std::vector<std::string> segments;
    handler h;
  };
  std::vector<route> routes_;
};

/// How the server listens and what it tolerates from clients.
struct server_settings {
  std::string address = "127.0.0.1";
  /// 0: any free port (see `server::start`).
  uint16_t port = 0;
  bool tls = true;
  /// PEM files; required when `tls`.
  std::string cert_file, key_file;
  /// Request line + headers; over it → 431.
  std::size_t max_header_bytes = 16 * 1024;
  /// Over it → 413.
  std::size_t max_body_bytes = 1 << 20;
  /// Deadline for the TLS handshake and for reading one whole request.
  std::chrono::seconds read_timeout{15};
  /// How long a keep-alive connection may sit idle between requests.
  std::chrono::seconds idle_timeout{60};
  /// Deadline for writing one response.
  std::chrono::seconds write_timeout{15};
  /// Deadline for a handler to call `respond`; past it the client gets 503.
  std::chrono::seconds handler_timeout{30};
  int io_threads = 1;
  /// Connections over this are accepted and closed at once.
  std::size_t max_connections = 1024;
};

/// The HTTPS (or plain HTTP for tests) server every Ferry endpoint uses:
/// HTTP/1.1 keep-alive, TLS 1.2/1.3 only, size limits, a timeout on every
/// step so a slow client cannot pin a connection.
class server {
public:
  server(server_settings s, router r);
  ~server();
  server(const server&) = delete;
  server& operator=(const server&) = delete;

  /// Binds and starts the io threads; returns the bound port. Throws
  /// std::runtime_error naming the address or file on bind or TLS errors.
  uint16_t start();
  /// Stops accepting, closes every connection and joins the io threads.
  void stop();
  /// The bound port (0 before `start`).
  uint16_t port() const;
  /// Connections open now (for tests and metrics).
  std::size_t open_connections() const;

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace ferry::http
