#pragma once

#include <chrono>
#include <functional>
#include <string>

/// What every test may use: the services `./dev test` started, free ports,
/// temporary folders and waiting for a condition without fixed sleeps.
namespace ferry::test {

/// The value of environment variable `name`; fails the calling test (throws)
/// with a message naming `./dev test` when it is unset.
std::string required_env(const std::string& name);

/// The connection URL of the shared PostgreSQL superuser database.
std::string admin_pg_url();

/// Host and port of the shared Redis server.
std::string redis_host();
int redis_port();

/// Port and Maildir of the shared SMTP sink.
int smtp_port();
std::string maildir();

/// A TCP port on 127.0.0.1 that was free a moment ago.
int free_port();

/// Polls `condition` every `poll` until it holds or `deadline` passes;
/// returns whether it held. Deadlines are generous: tests run on a loaded
/// 2-core machine.
bool wait_until(const std::function<bool()>& condition,
                std::chrono::milliseconds deadline = std::chrono::seconds(30),
                std::chrono::milliseconds poll = std::chrono::milliseconds(20));

/// A fresh folder under the test state folder (or /tmp), removed on
/// destruction.
class temp_dir {
public:
  temp_dir();
  ~temp_dir();
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  const std::string& path() const { return path_; }

private:
  std::string path_;
};

} // namespace ferry::test
