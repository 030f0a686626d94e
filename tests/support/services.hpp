#pragma once

#include "tests/support/child_process.hpp"
#include "tests/support/test_env.hpp"

#include <memory>
#include <string>

namespace ferry::test {

/// A database of its own on the shared PostgreSQL, created empty and dropped
/// on destruction, so that tests running in parallel never see each other's
/// rows or migrations.
class scratch_database {
public:
  scratch_database();
  ~scratch_database();
  scratch_database(const scratch_database&) = delete;
  scratch_database& operator=(const scratch_database&) = delete;

  const std::string& name() const { return name_; }
  /// A libpq URL for this database.
  const std::string& url() const { return url_; }

private:
  std::string name_;
  std::string url_;
};

/// A PostgreSQL server of the test's own (initdb into a temporary folder, a
/// free port), for tests that stop, kill or restart the server.
class private_postgres {
public:
  private_postgres();
  ~private_postgres();
  private_postgres(const private_postgres&) = delete;
  private_postgres& operator=(const private_postgres&) = delete;

  int port() const { return port_; }
  /// A libpq URL for the `postgres` database as superuser.
  std::string url() const;
  void start();
  /// Fast shutdown (clients are disconnected).
  void stop();
  /// Immediate shutdown, as after a crash.
  void crash();

private:
  void pg_ctl(const std::string& args);
  temp_dir dir_;
  std::string data_;
  int port_;
  bool running_ = false;
};

/// A Redis server of the test's own on a free port, for tests that kill it.
class private_redis {
public:
  private_redis();
  ~private_redis();
  int port() const { return port_; }
  void start();
  /// SIGKILL, as after a crash.
  void kill();

private:
  int port_;
  std::unique_ptr<child_process> process_;
};

} // namespace ferry::test
