#include "protocols/http/server.hpp"

#include "protocols/http/codec.hpp"
#include "protocols/tls.hpp"

#include <algorithm>
#include <atomic>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/version.hpp>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>

namespace ferry::http {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = net::ip::tcp;

// --- router -----------------------------------------------------------------

namespace {

std::vector<std::string> split_segments(std::string_view path) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= path.size()) {
    auto slash = path.find('/', start);
    auto seg = path.substr(start, slash == std::string_view::npos
                                      ? std::string_view::npos
                                      : slash - start);
    out.emplace_back(seg);
    if (slash == std::string_view::npos)
      break;
    start = slash + 1;
  }
  return out;
}

bool is_param(const std::string& segment) {
  return segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
}

std::string raw_path_of(std::string_view target) {
  auto q = target.find('?');
  return std::string(target.substr(0, q));
}

} // namespace

void router::add(std::string method, std::string pattern, handler h) {
  routes_.push_back(
      route{std::move(method), split_segments(pattern), std::move(h)});
}

void router::dispatch(request&& r, respond_fn respond) const {
  // Segments are split before decoding so that an encoded '/' (a SKU like
  // "A%2FB") stays inside its segment.
  auto raw = split_segments(raw_path_of(r.target));
  std::vector<std::string> decoded;
  decoded.reserve(raw.size());
  for (const auto& s : raw) {
    auto d = percent_decode(s);
    if (!d) {
      respond(response::error(400, "invalid_request",
                              "bad percent-encoding in path"));
      return;
    }
    decoded.push_back(std::move(*d));
  }
  const route* best = nullptr;
  int best_literals = -1;
  std::vector<std::string> allowed;
  for (const auto& rt : routes_) {
    if (rt.segments.size() != decoded.size())
      continue;
    int literals = 0;
    bool match = true;
    for (std::size_t i = 0; i < decoded.size() && match; ++i) {
      if (is_param(rt.segments[i]))
        match = !decoded[i].empty();
      else if (rt.segments[i] == decoded[i])
        ++literals;
      else
        match = false;
    }
    if (!match)
      continue;
    if (rt.method != r.method) {
      if (std::find(allowed.begin(), allowed.end(), rt.method) == allowed.end())
        allowed.push_back(rt.method);
      continue;
    }
    if (literals > best_literals) {
      best = &rt;
      best_literals = literals;
    }
  }
  if (best == nullptr) {
    if (allowed.empty()) {
      respond(response::error(404, "not_found", "no route for " + r.path));
      return;
    }
    std::string allow;
    for (const auto& m : allowed)
      allow += (allow.empty() ? "" : ", ") + m;
    auto res = response::error(405, "method_not_allowed",
                               r.method + " not allowed on " + r.path);
    res.headers.set("Allow", allow);
    respond(std::move(res));
    return;
  }
  r.params.clear();
  for (std::size_t i = 0; i < decoded.size(); ++i)
    if (is_param(best->segments[i]))
      r.params[best->segments[i].substr(1, best->segments[i].size() - 2)] =
          decoded[i];
  best->h(std::move(r), std::move(respond));
}

// --- server -----------------------------------------------------------------

namespace {

/// What connections share with the server and with pending responders. The
/// mutex orders "post a response" against "the io threads are gone": once
/// `stopped` is set nothing is posted to the io_context any more.
struct shared_state {
  server_settings settings;
  router routes;
  std::mutex mutex;
  bool stopped = false;
  std::atomic<std::size_t> connections{0};
};

void fill_request(request& out, const bhttp::request<bhttp::string_body>& in,
                  const std::string& remote) {
  out.method = std::string(in.method_string());
  out.target = std::string(in.target());
  for (const auto& f : in)
    out.headers.add(std::string(f.name_string()), std::string(f.value()));
  out.remote_address = remote;
}

/// Splits the target into path and query; false on bad percent-encoding.
bool parse_target(request& r) {
  auto q = r.target.find('?');
  auto path = percent_decode(raw_path_of(r.target));
  if (!path)
    return false;
  r.path = std::move(*path);
  if (q == std::string::npos)
    return true;
  std::string_view rest = std::string_view(r.target).substr(q + 1);
  while (!rest.empty()) {
    auto amp = rest.find('&');
    auto pair = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view{}
                                         : rest.substr(amp + 1);
    if (pair.empty())
      continue;
    auto fields = form_decode(pair);
    if (!fields)
      return false;
    for (auto& [k, v] : *fields) {
      r.query[k] = v;
      r.query_all.emplace(k, v);
    }
  }
  return true;
}

/// Writes `res` as HTTP/1.`version` bytes into `out` (cleared first), as
/// Beast's serializer would for a string body: the handler's fields (less
/// the framing ones, which are the server's), `Server`, `Connection` as
/// `keep_alive` needs, `Content-Length`. A status that cannot have a body
/// (1xx, 204, 304) is sent without one. One flat buffer is one TLS record
/// and one send, without Beast's serializer state machine per response.
void serialize_response(std::string& out, unsigned version, const response& res,
                        bool keep_alive) {
  auto status = static_cast<unsigned>(res.status);
  bool bodiless =
      (status >= 100 && status < 200) || status == 204 || status == 304;
  std::string_view body = bodiless ? std::string_view{} : res.body;
  out.clear();
  out += version == 10 ? "HTTP/1.0 " : "HTTP/1.1 ";
  out += std::to_string(status);
  out += ' ';
  auto reason = bhttp::obsolete_reason(static_cast<bhttp::status>(status));
  out.append(reason.data(), reason.size());
  out += "\r\n";
  bool has_server = false;
  for (const auto& [name, value] : res.headers) {
    if (iequals(name, "Content-Length") || iequals(name, "Connection") ||
        iequals(name, "Transfer-Encoding"))
      continue;
    has_server = has_server || iequals(name, "Server");
    out += name;
    out += ": ";
    out += value;
    out += "\r\n";
  }
  if (!has_server)
    out += "Server: ferry\r\n";
  if (version == 10 && keep_alive)
    out += "Connection: keep-alive\r\n";
  else if (version != 10 && !keep_alive)
    out += "Connection: close\r\n";
  out += "Content-Length: ";
  out += std::to_string(body.size());
  out += "\r\n\r\n";
  out.append(body.data(), body.size());
}

/// The connection whose handler runs on this thread now: an answer given
/// from inside the handler is written at once instead of being posted.
thread_local const void* dispatching_connection = nullptr;

/// Marks `c` as dispatching on this thread for its lifetime, whatever the
/// handler throws.
class dispatch_scope {
public:
  explicit dispatch_scope(const void* c) : outer_(dispatching_connection) {
    dispatching_connection = c;
  }
  ~dispatch_scope() { dispatching_connection = outer_; }
  dispatch_scope(const dispatch_scope&) = delete;
  dispatch_scope& operator=(const dispatch_scope&) = delete;

private:
  const void* outer_;
};

template <class Stream>
class connection : public std::enable_shared_from_this<connection<Stream>> {
public:
  template <class... Args>
  connection(std::shared_ptr<shared_state> state, std::string remote,
             Args&&... args)
      : state_(std::move(state)),
        remote_(std::move(remote)),
        stream_(std::forward<Args>(args)...),
        deadline_timer_(stream_.get_executor()),
        handler_timer_(stream_.get_executor()) {
    ++state_->connections;
  }

  ~connection() { --state_->connections; }

  void run() {
    net::dispatch(stream_.get_executor(),
                  [self = this->shared_from_this()] { self->start(); });
  }

private:
  const server_settings& settings() const { return state_->settings; }

  auto& tcp_layer() { return beast::get_lowest_layer(stream_); }

  // Every step's deadline (handshake, read, idle, write, shutdown) on one
  // timer per connection, moved lazily: a new deadline is only stored, and
  // the timer is re-armed when the deadline comes before its expiry or when
  // it fires early. Beast's own stream timeouts start and cancel a timer on
  // every read and write, which cost more than the hot answer itself. The
  // timer holds the connection weakly: pending I/O keeps it alive.
  void set_deadline(std::chrono::steady_clock::duration d) {
    deadline_ = std::chrono::steady_clock::now() + d;
    if (!deadline_armed_ || deadline_ < deadline_timer_.expiry())
      arm_deadline();
  }

  // No deadline while a handler works: handler_timer_ bounds that.
  void suspend_deadline() {
    deadline_ = std::chrono::steady_clock::time_point::max();
  }

  void arm_deadline() {
    deadline_timer_.expires_at(deadline_);
    deadline_armed_ = true;
    std::weak_ptr<connection> weak = this->shared_from_this();
    deadline_timer_.async_wait([weak](beast::error_code ec) {
      if (ec == net::error::operation_aborted)
        return;
      if (auto self = weak.lock())
        self->on_deadline();
    });
  }

  void on_deadline() {
    deadline_armed_ = false;
    if (deadline_ == std::chrono::steady_clock::time_point::max())
      return;
    if (std::chrono::steady_clock::now() < deadline_) {
      arm_deadline();
      return;
    }
    // As Beast's timeout does: the socket goes, the pending operation
    // fails and ends the connection.
    tcp_layer().close();
  }

  void start() {
    if constexpr (std::is_same_v<Stream, beast::tcp_stream>) {
      do_read();
    } else {
      set_deadline(settings().read_timeout);
      stream_.async_handshake(
          net::ssl::stream_base::server,
          [self = this->shared_from_this()](beast::error_code ec) {
            if (!ec)
              self->do_read();
          });
    }
  }

  void do_read() {
    parser_.emplace();
    parser_->header_limit(
        static_cast<std::uint32_t>(settings().max_header_bytes));
    parser_->body_limit(settings().max_body_bytes);
    // A keep-alive connection may wait idle_timeout for its next request;
    // a first request (and every body) gets read_timeout.
    set_deadline(requests_ == 0 ? settings().read_timeout
                                : settings().idle_timeout);
    bhttp::async_read_header(
        stream_, buffer_, *parser_,
        [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
          self->on_header(ec);
        });
  }

  void on_header(beast::error_code ec) {
    if (ec) {
      on_read_error(ec);
      return;
    }
    auto& req = parser_->get();
    auto length = parser_->content_length();
    if (length && *length > settings().max_body_bytes) {
      reject_oversize(*length);
      return;
    }
    set_deadline(settings().read_timeout);
    if (beast::iequals(req[bhttp::field::expect], "100-continue")) {
      auto cont = std::make_shared<bhttp::response<bhttp::empty_body>>(
          bhttp::status::continue_, req.version());
      bhttp::async_write(stream_, *cont,
                         [self = this->shared_from_this(),
                          cont](beast::error_code ec, std::size_t) {
                           if (ec)
                             return self->close();
                           self->read_body();
                         });
      return;
    }
    read_body();
  }

  void read_body() {
    bhttp::async_read(
        stream_, buffer_, *parser_,
        [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
          if (ec)
            return self->on_read_error(ec);
          self->on_request();
        });
  }

  void on_read_error(beast::error_code ec) {
    if (ec == bhttp::error::body_limit) {
      send_error(413, "payload_too_large",
                 "request body exceeds " +
                     std::to_string(settings().max_body_bytes) + " bytes");
    } else if (ec == bhttp::error::header_limit) {
      send_error(431, "header_too_large",
                 "request header exceeds " +
                     std::to_string(settings().max_header_bytes) + " bytes");
    } else if (ec.category() ==
                   beast::error_code(bhttp::error::end_of_stream).category() &&
               ec != bhttp::error::end_of_stream &&
               ec != bhttp::error::partial_message) {
      send_error(400, "bad_request", "malformed HTTP request: " + ec.message());
    } else {
      // Timeouts, resets and the peer closing between requests.
      close();
    }
  }

  // Reads and discards a body that is too large but of announced length,
  // so that the client reads the 413 instead of a reset; a body far over
  // the limit is cut off at once.
  void reject_oversize(std::uint64_t length) {
    std::uint64_t cap =
        std::max<std::uint64_t>(settings().max_body_bytes * 4, 16u << 20);
    if (length > cap ||
        beast::iequals(parser_->get()[bhttp::field::expect], "100-continue")) {
      send_error(413, "payload_too_large",
                 "request body exceeds " +
                     std::to_string(settings().max_body_bytes) + " bytes");
      return;
    }
    std::uint64_t buffered = buffer_.size();
    buffer_.consume(buffer_.size());
    drain_left_ = length > buffered ? length - buffered : 0;
    set_deadline(settings().read_timeout);
    drain();
  }

  void drain() {
    if (drain_left_ == 0) {
      send_error(413, "payload_too_large",
                 "request body exceeds " +
                     std::to_string(settings().max_body_bytes) + " bytes");
      return;
    }
    scratch_.resize(64 * 1024);
    auto want = static_cast<std::size_t>(
        std::min<std::uint64_t>(drain_left_, scratch_.size()));
    stream_.async_read_some(
        net::buffer(scratch_.data(), want),
        [self = this->shared_from_this()](beast::error_code ec, std::size_t n) {
          if (ec)
            return self->close();
          self->drain_left_ -= n;
          self->drain();
        });
  }

  void send_error(int status, std::string code, std::string message) {
    keep_alive_ = false;
    ++sequence_;
    answered_ = false;
    write(sequence_,
          response::error(status, std::move(code), std::move(message)));
  }

  void on_request() {
    ++requests_;
    auto msg = parser_->release();
    parser_.reset();
    keep_alive_ = msg.keep_alive();
    version_ = msg.version();
    request req;
    fill_request(req, msg, remote_);
    req.body = std::move(msg.body());
    ++sequence_;
    auto seq = sequence_;
    answered_ = false;
    if (!parse_target(req)) {
      write(seq, response::error(400, "invalid_request",
                                 "bad percent-encoding in request target"));
      return;
    }
    suspend_deadline();
    std::weak_ptr<connection> weak = this->shared_from_this();
    auto state = state_;
    respond_fn respond = [weak, state, seq, me = this](response res) {
      // Inside the handler on this connection's thread: the connection is
      // alive (on_request is on the stack) and its io thread is ours.
      if (dispatching_connection == me) {
        me->write(seq, std::move(res));
        return;
      }
      // Posting happens under the mutex so that it never races with stop()
      // tearing the io threads down.
      std::lock_guard<std::mutex> guard{state->mutex};
      if (state->stopped)
        return;
      auto self = weak.lock();
      if (!self)
        return;
      net::post(self->stream_.get_executor(),
                [self, seq, res = std::move(res)]() mutable {
                  self->write(seq, std::move(res));
                });
    };
    try {
      dispatch_scope scope{this};
      state_->routes.dispatch(std::move(req), std::move(respond));
    } catch (const std::exception&) {
      write(seq, response::error(500, "internal_error", "the handler failed"));
    }
    if (answered_)
      return;
    // The connection waits for the handler without a read pending; the
    // timer both bounds the wait and keeps the connection alive meanwhile.
    handler_timer_armed_ = true;
    handler_timer_.expires_after(settings().handler_timeout);
    handler_timer_.async_wait(
        [self = this->shared_from_this(), seq](beast::error_code ec) {
          if (!ec)
            self->write(seq, response::error(503, "timeout",
                                             "the handler did not answer"));
        });
  }

  void write(std::uint64_t seq, response res) {
    if (seq != sequence_ || answered_)
      return;
    answered_ = true;
    if (handler_timer_armed_) {
      handler_timer_armed_ = false;
      handler_timer_.cancel();
    }
    // A handler may end the connection (Connection: close).
    if (auto c = res.headers.get("Connection"); c && iequals(*c, "close"))
      keep_alive_ = false;
    serialize_response(out_, version_, res, keep_alive_);
    set_deadline(settings().write_timeout);
    net::async_write(
        stream_, net::buffer(out_),
        [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
          if (ec || !self->keep_alive_)
            return self->close();
          self->do_read();
        });
  }

  void close() {
    if (closing_)
      return;
    closing_ = true;
    if constexpr (std::is_same_v<Stream, beast::tcp_stream>) {
      beast::error_code ec;
      stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
      stream_.close();
    } else {
      set_deadline(std::chrono::seconds(2));
      stream_.async_shutdown(
          [self = this->shared_from_this()](beast::error_code) {
            self->tcp_layer().close();
          });
    }
  }

  std::shared_ptr<shared_state> state_;
  std::string remote_;
  Stream stream_;
  net::steady_timer deadline_timer_;
  std::chrono::steady_clock::time_point deadline_;
  bool deadline_armed_ = false;
  net::steady_timer handler_timer_;
  bool handler_timer_armed_ = false;
  beast::flat_buffer buffer_;
  std::string out_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  std::vector<char> scratch_;
  std::uint64_t drain_left_ = 0;
  std::uint64_t sequence_ = 0;
  std::uint64_t requests_ = 0;
  unsigned version_ = 11;
  bool keep_alive_ = true;
  bool answered_ = true;
  bool closing_ = false;
};

} // namespace

struct server::impl {
  using work_guard = net::executor_work_guard<net::io_context::executor_type>;
  // Declared so that the io_contexts (and the connections their pending
  // operations hold) go before the TLS context they use.
  std::shared_ptr<shared_state> state;
  std::optional<net::ssl::context> tls;
  // One io_context per io thread, run by that thread alone, and each
  // connection on one of them (round robin): a connection's handlers never
  // run concurrently, so it needs no strand, whose locking and hand-offs
  // cost on every step (nginx's workers own their connections the same way).
  std::vector<std::unique_ptr<net::io_context>> iocs;
  std::vector<work_guard> guards;
  std::size_t next_ioc = 0;
  std::optional<tcp::acceptor> acceptor;
  std::vector<std::thread> threads;
  std::atomic<uint16_t> port{0};
  bool started = false;

  // Runs on iocs[0]'s thread only (the acceptor's).
  void do_accept() {
    net::any_io_executor ex = iocs[next_ioc++ % iocs.size()]->get_executor();
    acceptor->async_accept(ex,
                           [this](beast::error_code ec, tcp::socket socket) {
                             on_accept(ec, std::move(socket));
                           });
  }

  void on_accept(beast::error_code ec, tcp::socket socket) {
    if (ec == net::error::operation_aborted)
      return;
    if (!ec) {
      if (state->connections.load() >= state->settings.max_connections) {
        beast::error_code ignored;
        socket.close(ignored);
      } else {
        beast::error_code ep_ec;
        auto ep = socket.remote_endpoint(ep_ec);
        std::string remote =
            ep_ec ? std::string("unknown")
                  : ep.address().to_string() + ":" + std::to_string(ep.port());
        socket.set_option(tcp::no_delay(true), ep_ec);
        if (tls) {
          std::make_shared<connection<beast::ssl_stream<beast::tcp_stream>>>(
              state, std::move(remote), std::move(socket), *tls)
              ->run();
        } else {
          std::make_shared<connection<beast::tcp_stream>>(
              state, std::move(remote), std::move(socket))
              ->run();
        }
      }
    }
    do_accept();
  }
};

server::server(server_settings s, router r) : impl_(std::make_unique<impl>()) {
  impl_->state = std::make_shared<shared_state>();
  impl_->state->settings = std::move(s);
  impl_->state->routes = std::move(r);
}

server::~server() {
  stop();
}

uint16_t server::start() {
  auto& st = impl_->state->settings;
  if (impl_->started)
    return impl_->port;
  if (st.tls) {
    if (st.cert_file.empty() || st.key_file.empty())
      throw std::runtime_error(
          "HTTPS server needs cert_file and key_file (server_settings)");
    impl_->tls.emplace(tls::make_server_tls_context(st.cert_file, st.key_file));
  }
  beast::error_code ec;
  auto address = net::ip::make_address(st.address, ec);
  if (ec)
    throw std::runtime_error("invalid listen address '" + st.address + "'");
  tcp::endpoint ep{address, st.port};
  impl_->iocs.clear();
  impl_->guards.clear();
  for (int i = 0; i < std::max(1, st.io_threads); ++i) {
    impl_->iocs.push_back(std::make_unique<net::io_context>(1));
    impl_->guards.push_back(net::make_work_guard(*impl_->iocs.back()));
  }
  impl_->acceptor.emplace(*impl_->iocs.front());
  auto& acc = *impl_->acceptor;
  acc.open(ep.protocol(), ec);
  if (!ec)
    acc.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec)
    acc.bind(ep, ec);
  if (!ec)
    acc.listen(net::socket_base::max_listen_connections, ec);
  if (ec)
    throw std::runtime_error("cannot listen on " + st.address + ":" +
                             std::to_string(st.port) + ": " + ec.message());
  impl_->port = acc.local_endpoint().port();
  impl_->do_accept();
  impl_->started = true;
  for (auto& ioc : impl_->iocs)
    impl_->threads.emplace_back([ioc = ioc.get()] { ioc->run(); });
  return impl_->port;
}

void server::stop() {
  if (!impl_ || !impl_->started)
    return;
  {
    std::lock_guard<std::mutex> guard{impl_->state->mutex};
    impl_->state->stopped = true;
  }
  net::post(impl_->acceptor->get_executor(), [this] {
    beast::error_code ec;
    impl_->acceptor->close(ec);
  });
  for (auto& ioc : impl_->iocs)
    ioc->stop();
  for (auto& t : impl_->threads)
    t.join();
  impl_->threads.clear();
  impl_->guards.clear();
  impl_->started = false;
}

uint16_t server::port() const {
  return impl_->port;
}

std::size_t server::open_connections() const {
  return impl_->state->connections.load();
}

} // namespace ferry::http
