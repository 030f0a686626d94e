#pragma once

#include "persistence/errors.hpp"

#include <caf/expected.hpp>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <pqxx/connection>
#include <pqxx/except>
#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace ferry::persistence {

/// How a `pg_pool` connects.
struct pg_pool_options {
  /// A libpq URL or keyword/value string; it may carry a password, so it is
  /// never logged or put into an error message.
  std::string url;
  /// The most connections open at once.
  std::size_t max_size = 8;
  /// Sent as libpq's `password` when not empty (for a password kept out of
  /// the URL, e.g. from a secret file); never logged.
  std::string password{};
  /// Bounds connecting to an unreachable or stopped server.
  std::chrono::milliseconds connect_timeout{3000};
  /// Bounds every statement (server side `statement_timeout`).
  std::chrono::milliseconds statement_timeout{30000};
  /// How long `acquire` and `with_connection` wait for a free connection
  /// unless the caller says otherwise.
  std::chrono::milliseconds acquire_timeout{5000};
  /// The `pool` label of the pool's metrics.
  std::string name = "main";
};

/// A fixed-size, thread-safe pool of PostgreSQL connections for detached
/// actors and other blocking code. Connections are opened lazily; one that
/// broke (`pqxx::broken_connection`, e.g. after a PostgreSQL restart) is
/// dropped when its lease ends and a new one is opened by a later acquire,
/// so the pool recovers by itself once the server is back.
///
/// Metrics (label `pool`): `ferry_db_pool_in_use`, `ferry_db_pool_size`,
/// `ferry_db_pool_max`, `ferry_db_pool_wait_seconds`,
/// `ferry_db_pool_broken_total`.
class pg_pool {
  struct shared_state;

public:
  /// Exclusive use of one connection until destroyed; gives it back to the
  /// pool, or drops it when it broke or `mark_broken()` was called.
  class lease {
  public:
    lease(lease&& other) noexcept;
    lease& operator=(lease&& other) noexcept;
    lease(const lease&) = delete;
    lease& operator=(const lease&) = delete;
    ~lease();

    /// The leased connection.
    pqxx::connection& operator*() const { return *conn_; }
    /// The leased connection.
    pqxx::connection* operator->() const { return conn_.get(); }
    /// Drops the connection instead of returning it to the pool.
    void mark_broken() { broken_ = true; }

  private:
    friend class pg_pool;
    lease(std::shared_ptr<shared_state> state,
          std::unique_ptr<pqxx::connection> conn);
    void release() noexcept;
    std::shared_ptr<shared_state> state_;
    std::unique_ptr<pqxx::connection> conn_;
    bool broken_ = false;
  };

  /// Creates the pool and its metrics; opens no connection yet.
  pg_pool(pg_pool_options options, prometheus::Registry& registry);
  ~pg_pool();
  pg_pool(const pg_pool&) = delete;
  pg_pool& operator=(const pg_pool&) = delete;

  /// Stands for `pg_pool_options::acquire_timeout` in a time-out argument.
  static constexpr std::chrono::milliseconds default_timeout{-1};

  /// A connection within `timeout`: `db_errc::timeout` when all are in use
  /// for that long, `db_errc::unavailable` when a new one cannot be opened.
  caf::expected<lease>
  acquire(std::chrono::milliseconds timeout = default_timeout);

  /// Runs `fn(pqxx::connection&)` on a leased connection and returns its
  /// result. A broken connection is dropped and `fn` retried once on a fresh
  /// one, so `fn` must be idempotent (e.g. one transaction that either
  /// committed or not). Other pqxx failures become `db_errc::rejected`,
  /// prefixed with `what` (say "inbox insert") to name the failing work.
  template <class F>
  auto with_connection(const std::string& what, F&& fn,
                       std::chrono::milliseconds timeout = default_timeout)
      -> caf::expected<std::invoke_result_t<F&, pqxx::connection&>>;

  /// Connections open now (idle and leased).
  std::size_t size() const;
  /// Connections leased now.
  std::size_t in_use() const;
  /// The configured maximum.
  std::size_t max_size() const { return options_.max_size; }

private:
  std::unique_ptr<pqxx::connection> open();

  pg_pool_options options_;
  std::string conninfo_;
  std::shared_ptr<shared_state> state_;
  prometheus::Histogram* wait_seconds_;
};

/// A safe description of a pqxx failure: the server's first message line,
/// without the connection string.
std::string describe_pqxx_failure(const std::exception& e);

/// Whether an SQL error means the connection is gone (SQLSTATE class 08, or
/// 57P01..57P03: the server is shutting down or not accepting connections).
bool is_connection_failure(const pqxx::sql_error& e);

template <class F>
auto pg_pool::with_connection(const std::string& what, F&& fn,
                              std::chrono::milliseconds timeout)
    -> caf::expected<std::invoke_result_t<F&, pqxx::connection&>> {
  using result_type = std::invoke_result_t<F&, pqxx::connection&>;
  caf::error last;
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto conn = acquire(timeout);
    if (!conn) {
      // A connection that cannot be opened will not be opened by retrying
      // at once either.
      auto text = db_error_text(conn.error());
      return make_db_error(db_error_code(conn.error()), what + ": " + text);
    }
    try {
      if constexpr (std::is_void_v<result_type>) {
        fn(**conn);
        return caf::unit;
      } else {
        return fn(**conn);
      }
    } catch (const pqxx::broken_connection& e) {
      conn->mark_broken();
      last = make_db_error(db_errc::unavailable,
                           what + ": connection to PostgreSQL lost: " +
                               describe_pqxx_failure(e));
    } catch (const pqxx::in_doubt_error& e) {
      // The commit may or may not have happened: never retry blindly.
      conn->mark_broken();
      return make_db_error(db_errc::unavailable,
                           what +
                               ": outcome unknown, connection lost during "
                               "commit: " +
                               describe_pqxx_failure(e));
    } catch (const pqxx::sql_error& e) {
      if (!is_connection_failure(e)) {
        auto code =
            e.sqlstate() == "57014" ? db_errc::timeout : db_errc::rejected;
        return make_db_error(code, what + ": " + describe_pqxx_failure(e));
      }
      // The server said it is going away (shutdown, restart): the same as
      // a broken connection.
      conn->mark_broken();
      last = make_db_error(db_errc::unavailable,
                           what + ": connection to PostgreSQL lost: " +
                               describe_pqxx_failure(e));
    } catch (const pqxx::failure& e) {
      conn->mark_broken();
      return make_db_error(db_errc::unavailable,
                           what + ": " + describe_pqxx_failure(e));
    }
  }
  return last;
}

} // namespace ferry::persistence
