#include "persistence/pg_pool.hpp"

#include <cctype>
#include <cstdio>
#include <pqxx/nontransaction>

namespace ferry::persistence {

struct pg_pool::shared_state {
  std::mutex mtx;
  std::condition_variable freed;
  std::vector<std::unique_ptr<pqxx::connection>> idle;
  std::size_t open = 0; // idle + leased + being opened
  std::size_t leased = 0;
  prometheus::Gauge* in_use_gauge = nullptr;
  prometheus::Gauge* size_gauge = nullptr;
  prometheus::Counter* broken_counter = nullptr;

  void publish() {
    in_use_gauge->Set(static_cast<double>(leased));
    size_gauge->Set(static_cast<double>(open));
  }
};

namespace {

bool is_url(const std::string& conninfo) {
  return conninfo.rfind("postgresql://", 0) == 0 ||
         conninfo.rfind("postgres://", 0) == 0;
}

/// Appends key=value parameters to a libpq URL or keyword/value string,
/// escaping each value for the form at hand.
std::string
with_params(const std::string& conninfo,
            const std::vector<std::pair<std::string, std::string>>& params) {
  std::string out = conninfo;
  bool url = is_url(conninfo);
  bool first = url && conninfo.find('?') == std::string::npos;
  for (const auto& [key, value] : params) {
    if (url) {
      out += first ? "?" : "&";
      first = false;
      out += key + "=";
      for (unsigned char c : value) {
        if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
          out.push_back(static_cast<char>(c));
        } else {
          char hex[4];
          std::snprintf(hex, sizeof(hex), "%%%02X", c);
          out += hex;
        }
      }
    } else {
      out += " " + key + "='";
      for (char c : value) {
        if (c == '\\' || c == '\'')
          out.push_back('\\');
        out.push_back(c);
      }
      out += "'";
    }
  }
  return out;
}

} // namespace

std::string describe_pqxx_failure(const std::exception& e) {
  std::string text = e.what();
  auto nl = text.find('\n');
  if (nl != std::string::npos)
    text.resize(nl);
  return text;
}

bool is_connection_failure(const pqxx::sql_error& e) {
  const auto& state = e.sqlstate();
  return state.rfind("08", 0) == 0 || state == "57P01" || state == "57P02" ||
         state == "57P03";
}

pg_pool::lease::lease(std::shared_ptr<shared_state> state,
                      std::unique_ptr<pqxx::connection> conn)
    : state_(std::move(state)), conn_(std::move(conn)) {}

pg_pool::lease::lease(lease&& other) noexcept
    : state_(std::move(other.state_)),
      conn_(std::move(other.conn_)),
      broken_(other.broken_) {}

pg_pool::lease& pg_pool::lease::operator=(lease&& other) noexcept {
  if (this != &other) {
    release();
    state_ = std::move(other.state_);
    conn_ = std::move(other.conn_);
    broken_ = other.broken_;
  }
  return *this;
}

pg_pool::lease::~lease() {
  release();
}

void pg_pool::lease::release() noexcept {
  if (!state_ || !conn_)
    return;
  bool drop = broken_ || !conn_->is_open();
  std::unique_ptr<pqxx::connection> dropped;
  {
    std::lock_guard<std::mutex> guard(state_->mtx);
    --state_->leased;
    if (drop) {
      --state_->open;
      state_->broken_counter->Increment();
      dropped = std::move(conn_);
    } else {
      state_->idle.push_back(std::move(conn_));
    }
    state_->publish();
  }
  state_->freed.notify_one();
  state_.reset();
  // `dropped` closes its socket here, outside the lock.
}

pg_pool::pg_pool(pg_pool_options options, prometheus::Registry& registry)
    : options_(std::move(options)), state_(std::make_shared<shared_state>()) {
  if (options_.max_size == 0)
    options_.max_size = 1;
  auto seconds = [](std::chrono::milliseconds ms) {
    return std::to_string(std::max<long long>(1, (ms.count() + 999) / 1000));
  };
  // libpq's connect_timeout is in whole seconds; tcp_user_timeout bounds a
  // read from a server that vanished without closing the socket.
  std::vector<std::pair<std::string, std::string>> params{
      {"connect_timeout", seconds(options_.connect_timeout)},
      {"tcp_user_timeout",
       std::to_string(options_.statement_timeout.count() + 5000)},
      {"application_name", "ferry"}};
  if (!options_.password.empty())
    params.emplace_back("password", options_.password);
  conninfo_ = with_params(options_.url, params);
  prometheus::Labels labels{{"pool", options_.name}};
  state_->in_use_gauge = &prometheus::BuildGauge()
                              .Name("ferry_db_pool_in_use")
                              .Help("PostgreSQL connections leased right now")
                              .Register(registry)
                              .Add(labels);
  state_->size_gauge = &prometheus::BuildGauge()
                            .Name("ferry_db_pool_size")
                            .Help("PostgreSQL connections open (idle + leased)")
                            .Register(registry)
                            .Add(labels);
  prometheus::BuildGauge()
      .Name("ferry_db_pool_max")
      .Help("Configured maximum of PostgreSQL connections")
      .Register(registry)
      .Add(labels)
      .Set(static_cast<double>(options_.max_size));
  state_->broken_counter =
      &prometheus::BuildCounter()
           .Name("ferry_db_pool_broken_total")
           .Help("PostgreSQL connections dropped because they broke")
           .Register(registry)
           .Add(labels);
  wait_seconds_ = &prometheus::BuildHistogram()
                       .Name("ferry_db_pool_wait_seconds")
                       .Help("Time spent waiting for a pooled PostgreSQL "
                             "connection, including opening one")
                       .Register(registry)
                       .Add(labels, prometheus::Histogram::BucketBoundaries{
                                        0.0005, 0.001, 0.005, 0.01, 0.05, 0.1,
                                        0.5, 1, 2.5, 5, 10});
  state_->publish();
}

pg_pool::~pg_pool() = default;

std::unique_ptr<pqxx::connection> pg_pool::open() {
  auto conn = std::make_unique<pqxx::connection>(conninfo_);
  pqxx::nontransaction tx(*conn);
  tx.exec("SET statement_timeout = " +
          std::to_string(options_.statement_timeout.count()));
  tx.exec("SET TIME ZONE 'UTC'");
  return conn;
}

caf::expected<pg_pool::lease>
pg_pool::acquire(std::chrono::milliseconds timeout) {
  if (timeout < std::chrono::milliseconds::zero())
    timeout = options_.acquire_timeout;
  auto start = std::chrono::steady_clock::now();
  auto deadline = start + timeout;
  auto observe = [&] {
    std::chrono::duration<double> waited =
        std::chrono::steady_clock::now() - start;
    wait_seconds_->Observe(waited.count());
  };
  std::unique_lock<std::mutex> guard(state_->mtx);
  for (;;) {
    while (!state_->idle.empty()) {
      auto conn = std::move(state_->idle.back());
      state_->idle.pop_back();
      if (conn->is_open()) {
        ++state_->leased;
        state_->publish();
        guard.unlock();
        observe();
        return lease(state_, std::move(conn));
      }
      --state_->open;
      state_->broken_counter->Increment();
    }
    if (state_->open < options_.max_size) {
      ++state_->open;
      ++state_->leased;
      state_->publish();
      guard.unlock();
      try {
        auto conn = open();
        observe();
        return lease(state_, std::move(conn));
      } catch (const std::exception& e) {
        guard.lock();
        --state_->open;
        --state_->leased;
        state_->publish();
        guard.unlock();
        state_->freed.notify_one();
        observe();
        return make_db_error(db_errc::unavailable,
                             "cannot connect to PostgreSQL (pool " +
                                 options_.name +
                                 "): " + describe_pqxx_failure(e));
      }
    }
    if (state_->freed.wait_until(guard, deadline) == std::cv_status::timeout &&
        state_->idle.empty() && state_->open >= options_.max_size) {
      guard.unlock();
      observe();
      return make_db_error(db_errc::timeout,
                           "no PostgreSQL connection free within " +
                               std::to_string(timeout.count()) + " ms (pool " +
                               options_.name + ", " +
                               std::to_string(options_.max_size) +
                               " connections, all in use)");
    }
  }
}

std::size_t pg_pool::size() const {
  std::lock_guard<std::mutex> guard(state_->mtx);
  return state_->open;
}

std::size_t pg_pool::in_use() const {
  std::lock_guard<std::mutex> guard(state_->mtx);
  return state_->leased;
}

} // namespace ferry::persistence
