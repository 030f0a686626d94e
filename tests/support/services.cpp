#include "tests/support/services.hpp"

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <pqxx/pqxx>
#include <random>
#include <signal.h>
#include <stdexcept>
#include <unistd.h>

namespace ferry::test {

namespace {

std::string pg_bin() {
  const char* bin = std::getenv("FERRY_TEST_PG_BIN");
  return bin != nullptr ? bin : "/usr/lib/postgresql/15/bin";
}

/// Runs a shell command as the postgres user when we are root (PostgreSQL
/// refuses root); throws with the command on failure.
void run_as_postgres(const std::string& command) {
  std::string full = ::geteuid() == 0
                         ? "runuser -u postgres -- sh -c '" + command + "'"
                         : command;
  if (std::system(full.c_str()) != 0)
    throw std::runtime_error("command failed: " + full);
}

} // namespace

scratch_database::scratch_database() {
  static std::atomic<int> counter{0};
  std::random_device rd;
  name_ = "ferry_t" + std::to_string(::getpid()) + "_" +
          std::to_string(counter++) + "_" + std::to_string(rd() % 100000);
  pqxx::connection admin(admin_pg_url());
  pqxx::nontransaction tx(admin);
  tx.exec("CREATE DATABASE " + name_);
  auto admin_url = admin_pg_url();
  url_ = admin_url.substr(0, admin_url.rfind('/') + 1) + name_;
}

scratch_database::~scratch_database() {
  try {
    pqxx::connection admin(admin_pg_url());
    pqxx::nontransaction tx(admin);
    tx.exec("DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
  } catch (...) {
    // A database left behind is removed with the test services' folder.
  }
}

private_postgres::private_postgres() : port_(free_port()) {
  data_ = dir_.path() + "/data";
  std::filesystem::create_directories(data_);
  if (::geteuid() == 0) {
    std::string chown = "chown -R postgres " + dir_.path();
    if (std::system(chown.c_str()) != 0)
      throw std::runtime_error("private_postgres: " + chown + " failed");
  }
  run_as_postgres(pg_bin() + "/initdb -D " + data_ +
                  " -U postgres --auth=trust -E UTF8 --locale=C.UTF-8"
                  " >/dev/null 2>&1");
  start();
}

private_postgres::~private_postgres() {
  if (running_) {
    try {
      pg_ctl("-m immediate stop");
    } catch (...) {
    }
  }
}

std::string private_postgres::url() const {
  return "postgresql://postgres@127.0.0.1:" + std::to_string(port_) +
         "/postgres";
}

void private_postgres::pg_ctl(const std::string& args) {
  run_as_postgres(pg_bin() + "/pg_ctl -D " + data_ + " -w -t 60 " + args +
                  " >>" + dir_.path() + "/pg_ctl.log 2>&1");
}

void private_postgres::start() {
  pg_ctl("-l " + data_ + "/server.log -o \"-c listen_addresses=127.0.0.1 -p " +
         std::to_string(port_) + " -k " + data_ + " -c fsync=off\" start");
  running_ = true;
}

void private_postgres::stop() {
  pg_ctl("-m fast stop");
  running_ = false;
}

void private_postgres::crash() {
  pg_ctl("-m immediate stop");
  running_ = false;
}

private_redis::private_redis() : port_(free_port()) {
  start();
}

private_redis::~private_redis() = default;

void private_redis::start() {
  process_ = std::make_unique<child_process>(std::vector<std::string>{
      "/usr/bin/redis-server", "--bind", "127.0.0.1", "--port",
      std::to_string(port_), "--save", "", "--appendonly", "no"});
  auto port = port_;
  if (!wait_until([port] {
        return std::system(("redis-cli -p " + std::to_string(port) +
                            " ping >/dev/null 2>&1")
                               .c_str()) == 0;
      }))
    throw std::runtime_error("private_redis: no answer on port " +
                             std::to_string(port_));
}

void private_redis::kill() {
  process_->signal(SIGKILL);
  process_->wait(10);
  process_.reset();
}

} // namespace ferry::test
