#pragma once

#include "protocols/http/message.hpp"

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace ferry::http {

/// How the client connects and verifies peers.
struct client_settings {
  /// PEM CA bundle; empty: the system store.
  std::string ca_file;
  /// Certificate and host name verification (never off outside tests).
  bool verify_peer = true;
  std::chrono::milliseconds connect_timeout{3000};
  /// Default deadline for one request from send to the whole response.
  std::chrono::milliseconds request_timeout{10000};
  /// Idle + busy keep-alive connections per host:port; further requests
  /// wait for a free connection.
  std::size_t max_connections_per_host = 8;
  /// Largest response body accepted.
  std::size_t max_body_bytes = 64 << 20;
  /// Idle keep-alive connections are closed after this.
  std::chrono::milliseconds idle_timeout{30000};
  int io_threads = 1;
};

/// One request; `url` is absolute: "https://host:port/path?query" (or
/// "http://…" for plain-text test servers).
struct client_request {
  std::string method;
  std::string url;
  header_map headers;
  std::string body;
  /// Overrides `client_settings::request_timeout`.
  std::optional<std::chrono::milliseconds> timeout;
};

/// Why a request got no response. `timeout_after_send` means the outcome is
/// unknown: the server may have acted on the request.
enum class client_error {
  invalid_url,
  resolve_failed,
  connect_failed,
  tls_handshake_failed,
  timeout_before_send,
  timeout_after_send,
  connection_closed,
  body_too_large,
  protocol_error
};

/// The name of `e` ("connect_failed"), for logs and metric labels.
const char* to_string(client_error e);

/// Either a response (any status) or an error with a detail for logs.
struct client_result {
  std::optional<http::response> response;
  std::optional<client_error> error;
  std::string error_detail;
};

/// HTTPS client with keep-alive pools per host:port, connect and request
/// timeouts, certificate + host name verification and SNI. Thread-safe.
class client {
public:
  explicit client(client_settings s);
  ~client();
  client(const client&) = delete;
  client& operator=(const client&) = delete;

  /// Sends `r`; `done` runs once on an io thread (keep it short, post
  /// elsewhere for real work). Keep-alive pools per host:port.
  void async_send(client_request r, std::function<void(client_result)> done);
  /// Blocking convenience for detached actors and tests; never call it on an
  /// io thread of this client.
  client_result send(client_request r);
  /// Connections open now, over all hosts (for tests).
  std::size_t open_connections() const;
  /// TCP connections made so far, over all hosts (for tests of reuse).
  std::size_t connections_made() const;

private:
  struct impl;
  std::shared_ptr<impl> impl_;
};

} // namespace ferry::http
