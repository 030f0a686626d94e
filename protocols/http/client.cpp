#include "protocols/http/client.hpp"

#include "protocols/tls.hpp"

#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <deque>
#include <future>
#include <map>
#include <mutex>
#include <openssl/x509v3.h>
#include <optional>
#include <sys/socket.h>
#include <thread>

namespace ferry::http {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = net::ip::tcp;
using steady = std::chrono::steady_clock;

const char* to_string(client_error e) {
  switch (e) {
    case client_error::invalid_url:
      return "invalid_url";
    case client_error::resolve_failed:
      return "resolve_failed";
    case client_error::connect_failed:
      return "connect_failed";
    case client_error::tls_handshake_failed:
      return "tls_handshake_failed";
    case client_error::timeout_before_send:
      return "timeout_before_send";
    case client_error::timeout_after_send:
      return "timeout_after_send";
    case client_error::connection_closed:
      return "connection_closed";
    case client_error::body_too_large:
      return "body_too_large";
    case client_error::protocol_error:
      return "protocol_error";
  }
  return "unknown";
}

namespace {

struct parsed_url {
  bool tls = true;
  std::string host;
  std::string port;
  std::string target;
};

std::optional<parsed_url> parse_url(const std::string& url) {
  parsed_url out;
  std::string_view rest = url;
  if (rest.rfind("https://", 0) == 0) {
    rest.remove_prefix(8);
  } else if (rest.rfind("http://", 0) == 0) {
    out.tls = false;
    rest.remove_prefix(7);
  } else {
    return std::nullopt;
  }
  auto slash = rest.find_first_of("/?");
  auto authority = rest.substr(0, slash);
  out.target =
      slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  if (out.target.front() == '?')
    out.target.insert(out.target.begin(), '/');
  if (authority.empty() || authority.find('@') != std::string_view::npos)
    return std::nullopt;
  if (authority.front() == '[') {
    auto close = authority.find(']');
    if (close == std::string_view::npos)
      return std::nullopt;
    out.host = std::string(authority.substr(1, close - 1));
    authority.remove_prefix(close + 1);
    if (!authority.empty()) {
      if (authority.front() != ':')
        return std::nullopt;
      out.port = std::string(authority.substr(1));
    }
  } else {
    auto colon = authority.find(':');
    out.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) {
      out.port = std::string(authority.substr(colon + 1));
      if (out.port.empty())
        return std::nullopt;
    }
  }
  if (out.port.empty())
    out.port = out.tls ? "443" : "80";
  if (out.host.empty() || out.port.size() > 5 ||
      out.port.find_first_not_of("0123456789") != std::string::npos ||
      std::stoi(out.port) == 0 || std::stoi(out.port) > 65535)
    return std::nullopt;
  for (char c : out.target)
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f)
      return std::nullopt;
  return out;
}

bool is_ip_literal(const std::string& host) {
  beast::error_code ec;
  net::ip::make_address(host, ec);
  return !ec;
}

} // namespace

struct client::impl : std::enable_shared_from_this<client::impl> {
  struct exchange;
  struct connection;
  struct pool;

  // Declaration order matters: the io_context goes first (its pending
  // operations hold connections that use the counters and the TLS context).
  client_settings settings;
  net::ssl::context tls;
  std::atomic<std::size_t> open{0};
  std::atomic<std::size_t> made{0};
  net::io_context ioc;
  net::executor_work_guard<net::io_context::executor_type> work;
  std::vector<std::thread> threads;
  std::mutex mutex;
  std::map<std::string, std::shared_ptr<pool>> pools;

  explicit impl(client_settings s)
      : settings(std::move(s)),
        tls(tls::make_client_tls_context(settings.ca_file,
                                         settings.verify_peer)),
        work(net::make_work_guard(ioc)) {}

  /// One request on its way, with where it must answer.
  struct exchange {
    client_request request;
    parsed_url url;
    std::function<void(client_result)> done;
    steady::time_point deadline;
    bool retried = false;
  };

  /// One keep-alive connection. Lives on its strand; the pool only moves it
  /// between idle and busy under the impl mutex.
  struct connection : std::enable_shared_from_this<connection> {
    impl* owner;
    std::shared_ptr<pool> home;
    bool use_tls;
    std::string host;
    beast::ssl_stream<beast::tcp_stream> stream;
    net::ip::tcp::resolver resolver;
    beast::flat_buffer buffer;
    std::shared_ptr<exchange> current;
    std::optional<bhttp::request<bhttp::string_body>> out;
    std::optional<bhttp::response_parser<bhttp::string_body>> in;
    steady::time_point idle_since;
    bool connected = false;
    bool reused = false;
    bool counted = false;

    connection(impl* o, std::shared_ptr<pool> p, bool t, std::string h)
        : owner(o),
          home(std::move(p)),
          use_tls(t),
          host(std::move(h)),
          stream(net::make_strand(o->ioc), o->tls),
          resolver(stream.get_executor()) {}

    ~connection() {
      if (counted)
        --owner->open;
    }

    auto& lowest() { return beast::get_lowest_layer(stream); }

    std::chrono::milliseconds remaining() const {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          current->deadline - steady::now());
      return std::max(left, std::chrono::milliseconds(1));
    }

    /// Whether an idle connection still looks open: the server may have
    /// closed it (or sent a TLS close_notify) while it sat in the pool.
    bool looks_alive() {
      if (!lowest().socket().is_open())
        return false;
      char byte;
      auto n = ::recv(lowest().socket().native_handle(), &byte, 1,
                      MSG_PEEK | MSG_DONTWAIT);
      return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
    }

    void start(std::shared_ptr<exchange> ex) {
      net::dispatch(stream.get_executor(),
                    [self = shared_from_this(), ex = std::move(ex)]() mutable {
                      self->current = std::move(ex);
                      if (self->connected)
                        self->send();
                      else
                        self->resolve();
                    });
    }

    void resolve() {
      auto& u = current->url;
      resolver.async_resolve(u.host, u.port,
                             [self = shared_from_this()](
                                 beast::error_code ec,
                                 net::ip::tcp::resolver::results_type results) {
                               if (ec)
                                 return self->fail(client_error::resolve_failed,
                                                   "cannot resolve " +
                                                       self->current->url.host +
                                                       ": " + ec.message());
                               self->connect(results);
                             });
    }

    void connect(const net::ip::tcp::resolver::results_type& results) {
      auto budget = std::min<std::chrono::milliseconds>(
          owner->settings.connect_timeout, remaining());
      lowest().expires_after(budget);
      lowest().async_connect(results, [self = shared_from_this()](
                                          beast::error_code ec,
                                          const net::ip::tcp::endpoint&) {
        if (ec == beast::error::timeout)
          return self->fail(client_error::timeout_before_send,
                            "connect to " + self->describe() + " timed out");
        if (ec)
          return self->fail(client_error::connect_failed,
                            "connect to " + self->describe() + ": " +
                                ec.message());
        ++self->owner->made;
        ++self->owner->open;
        self->counted = true;
        beast::error_code ignored;
        self->lowest().socket().set_option(net::ip::tcp::no_delay(true),
                                           ignored);
        if (self->use_tls)
          self->handshake();
        else
          self->on_connected();
      });
    }

    void handshake() {
      SSL* ssl = stream.native_handle();
      if (is_ip_literal(host)) {
        X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host.c_str());
      } else {
        SSL_set_tlsext_host_name(ssl, host.c_str());
        SSL_set1_host(ssl, host.c_str());
      }
      auto budget = std::min<std::chrono::milliseconds>(
          owner->settings.connect_timeout, remaining());
      lowest().expires_after(budget);
      stream.async_handshake(
          net::ssl::stream_base::client,
          [self = shared_from_this()](beast::error_code ec) {
            if (ec == beast::error::timeout)
              return self->fail(client_error::timeout_before_send,
                                "TLS handshake with " + self->describe() +
                                    " timed out");
            if (ec) {
              std::string why = ec.message();
              long verify = SSL_get_verify_result(self->stream.native_handle());
              if (verify != X509_V_OK)
                why += std::string(" (certificate: ") +
                       X509_verify_cert_error_string(verify) + ")";
              return self->fail(client_error::tls_handshake_failed,
                                "TLS handshake with " + self->describe() +
                                    ": " + why);
            }
            self->on_connected();
          });
    }

    void on_connected() {
      connected = true;
      send();
    }

    std::string describe() const {
      return current->url.host + ":" + current->url.port;
    }

    void send() {
      auto& r = current->request;
      out.emplace();
      out->version(11);
      out->method_string(r.method);
      out->target(current->url.target);
      bool has_host = false;
      for (const auto& [k, v] : r.headers) {
        out->insert(k, v);
        has_host |= beast::iequals(k, "Host");
      }
      if (!has_host) {
        bool default_port = (use_tls && current->url.port == "443") ||
                            (!use_tls && current->url.port == "80");
        std::string h = current->url.host.find(':') != std::string::npos
                            ? "[" + current->url.host + "]"
                            : current->url.host;
        out->set(bhttp::field::host,
                 default_port ? h : h + ":" + current->url.port);
      }
      out->keep_alive(true);
      out->body() = r.body;
      if (!r.body.empty() || r.method == "POST" || r.method == "PUT" ||
          r.method == "PATCH")
        out->prepare_payload();
      lowest().expires_after(remaining());
      auto write = [self = shared_from_this()](beast::error_code ec,
                                               std::size_t) {
        self->on_write(ec);
      };
      if (use_tls)
        bhttp::async_write(stream, *out, std::move(write));
      else
        bhttp::async_write(lowest(), *out, std::move(write));
    }

    void on_write(beast::error_code ec) {
      if (ec) {
        if (reused && !current->retried)
          return retry_fresh();
        if (ec == beast::error::timeout)
          return fail(client_error::timeout_after_send,
                      "sending to " + describe() + " timed out");
        return fail(client_error::connection_closed,
                    "sending to " + describe() + ": " + ec.message());
      }
      in.emplace();
      in->header_limit(64 * 1024);
      in->body_limit(owner->settings.max_body_bytes);
      lowest().expires_after(remaining());
      // The header first: Beast 1.74 loses the body_limit error when it
      // parses header and body in one go, so the length is checked here.
      auto header = [self = shared_from_this()](beast::error_code ec,
                                                std::size_t n) {
        if (ec)
          return self->on_read(ec, n);
        auto length = self->in->content_length();
        if (length && *length > self->owner->settings.max_body_bytes)
          return self->on_read(bhttp::error::body_limit, n);
        self->read_body();
      };
      if (use_tls)
        bhttp::async_read_header(stream, buffer, *in, std::move(header));
      else
        bhttp::async_read_header(lowest(), buffer, *in, std::move(header));
    }

    void read_body() {
      auto read = [self = shared_from_this()](beast::error_code ec,
                                              std::size_t n) {
        self->on_read(ec, n);
      };
      if (use_tls)
        bhttp::async_read(stream, buffer, *in, std::move(read));
      else
        bhttp::async_read(lowest(), buffer, *in, std::move(read));
    }

    void on_read(beast::error_code ec, std::size_t n) {
      if (ec) {
        bool nothing_read = n == 0 && !in->got_some();
        // A kept-alive connection the server closed just before our
        // request: the server never saw it, so sending again is safe.
        if (reused && nothing_read && !current->retried &&
            ec != beast::error::timeout)
          return retry_fresh();
        if (ec == beast::error::timeout)
          return fail(client_error::timeout_after_send,
                      "no complete response from " + describe() + " in time");
        if (ec == bhttp::error::body_limit)
          return fail(client_error::body_too_large,
                      "response body from " + describe() + " exceeds " +
                          std::to_string(owner->settings.max_body_bytes) +
                          " bytes");
        if (ec == bhttp::error::end_of_stream ||
            ec == net::error::connection_reset || ec == net::error::eof ||
            ec == net::ssl::error::stream_truncated ||
            ec == bhttp::error::partial_message)
          return fail(client_error::connection_closed,
                      "connection to " + describe() +
                          " closed before the response: " + ec.message());
        return fail(client_error::protocol_error,
                    "bad response from " + describe() + ": " + ec.message());
      }
      auto msg = in->release();
      response res;
      res.status = static_cast<int>(msg.result_int());
      for (const auto& f : msg)
        res.headers.add(std::string(f.name_string()), std::string(f.value()));
      res.body = std::move(msg.body());
      bool keep = msg.keep_alive() && out->keep_alive();
      out.reset();
      in.reset();
      auto ex = std::move(current);
      client_result result;
      result.response = std::move(res);
      if (keep) {
        lowest().expires_never();
        owner->release(shared_from_this(), true);
      } else {
        close();
        owner->release(shared_from_this(), false);
      }
      ex->done(std::move(result));
    }

    void retry_fresh() {
      auto ex = std::move(current);
      ex->retried = true;
      close();
      owner->release(shared_from_this(), false);
      owner->enqueue(std::move(ex));
    }

    void fail(client_error e, std::string detail) {
      auto ex = std::move(current);
      close();
      owner->release(shared_from_this(), false);
      client_result result;
      result.error = e;
      result.error_detail = std::move(detail);
      ex->done(std::move(result));
    }

    void close() {
      connected = false;
      if (counted) {
        counted = false;
        --owner->open;
      }
      beast::error_code ignored;
      lowest().socket().shutdown(net::ip::tcp::socket::shutdown_both, ignored);
      lowest().close();
    }
  };

  /// Connections to one host:port and the requests waiting for one.
  struct pool {
    std::deque<std::shared_ptr<connection>> idle;
    std::size_t busy = 0;
    std::deque<std::shared_ptr<exchange>> waiting;
  };

  static std::string key_of(const parsed_url& u) {
    return (u.tls ? "https://" : "http://") + u.host + ":" + u.port;
  }

  /// Hands `ex` a connection: an idle one, a new one, or a place in line.
  void enqueue(std::shared_ptr<exchange> ex) {
    std::shared_ptr<connection> conn;
    {
      std::lock_guard<std::mutex> guard{mutex};
      auto& p = pools[key_of(ex->url)];
      if (!p)
        p = std::make_shared<pool>();
      conn = take_idle(*p);
      if (!conn && p->busy < settings.max_connections_per_host) {
        conn = std::make_shared<connection>(this, p, ex->url.tls, ex->url.host);
      }
      if (!conn) {
        p->waiting.push_back(std::move(ex));
        return;
      }
      ++p->busy;
    }
    conn->start(std::move(ex));
  }

  /// Pops a usable idle connection; drops stale ones. Under the mutex.
  std::shared_ptr<connection> take_idle(pool& p) {
    while (!p.idle.empty()) {
      auto c = std::move(p.idle.back());
      p.idle.pop_back();
      if (steady::now() - c->idle_since < settings.idle_timeout &&
          c->looks_alive()) {
        c->reused = true;
        return c;
      }
      net::post(c->stream.get_executor(), [c] { c->close(); });
    }
    return nullptr;
  }

  /// A connection finished its exchange: back to idle (if `keep`), and the
  /// next waiter of its host gets it or a new connection.
  void release(std::shared_ptr<connection> conn, bool keep) {
    std::shared_ptr<exchange> next;
    std::shared_ptr<connection> next_conn;
    {
      std::lock_guard<std::mutex> guard{mutex};
      auto& p = *conn->home;
      --p.busy;
      if (keep) {
        conn->idle_since = steady::now();
        conn->reused = false;
        p.idle.push_back(conn);
      }
      while (!p.waiting.empty()) {
        auto candidate = std::move(p.waiting.front());
        p.waiting.pop_front();
        if (steady::now() >= candidate->deadline) {
          // Answered outside the lock, below.
          net::post(ioc, [candidate] {
            client_result r;
            r.error = client_error::timeout_before_send;
            r.error_detail = "no free connection to " + candidate->url.host +
                             ":" + candidate->url.port + " in time";
            candidate->done(std::move(r));
          });
          continue;
        }
        next = std::move(candidate);
        break;
      }
      if (next) {
        next_conn = take_idle(p);
        if (!next_conn)
          next_conn = std::make_shared<connection>(
              this, conn->home, next->url.tls, next->url.host);
        ++p.busy;
      }
    }
    if (next)
      next_conn->start(std::move(next));
  }
};

client::client(client_settings s)
    : impl_(std::make_shared<impl>(std::move(s))) {
  for (int i = 0; i < std::max(1, impl_->settings.io_threads); ++i)
    impl_->threads.emplace_back([i = impl_.get()] { i->ioc.run(); });
}

client::~client() {
  impl_->work.reset();
  impl_->ioc.stop();
  for (auto& t : impl_->threads)
    t.join();
  // Idle connections hold their pool, pools sit in the impl: break the
  // cycle before the io_context goes.
  {
    std::lock_guard<std::mutex> guard{impl_->mutex};
    for (auto& [key, p] : impl_->pools) {
      p->idle.clear();
      p->waiting.clear();
    }
    impl_->pools.clear();
  }
}

void client::async_send(client_request r,
                        std::function<void(client_result)> done) {
  auto url = parse_url(r.url);
  if (!url) {
    net::post(impl_->ioc, [done = std::move(done), u = r.url] {
      client_result res;
      res.error = client_error::invalid_url;
      res.error_detail =
          "invalid URL '" + u + "' (expected http[s]://host[:port]/path)";
      done(std::move(res));
    });
    return;
  }
  auto ex = std::make_shared<impl::exchange>();
  ex->deadline =
      steady::now() + r.timeout.value_or(impl_->settings.request_timeout);
  ex->url = std::move(*url);
  ex->request = std::move(r);
  ex->done = std::move(done);
  impl_->enqueue(std::move(ex));
}

client_result client::send(client_request r) {
  std::promise<client_result> promise;
  auto future = promise.get_future();
  async_send(std::move(r), [&promise](client_result res) {
    promise.set_value(std::move(res));
  });
  return future.get();
}

std::size_t client::open_connections() const {
  return impl_->open.load();
}

std::size_t client::connections_made() const {
  return impl_->made.load();
}

} // namespace ferry::http
