#pragma once

#include <map>
#include <string>
#include <vector>

namespace ferry::test {

/// A program started as a separate process (a simulator, ferry itself, a
/// private server). Its stdout and stderr go to `log_path()`. The destructor
/// sends SIGTERM, waits up to 10 s, then SIGKILL.
class child_process {
public:
  /// Starts `argv[0]` with the given arguments; `env` entries are added to
  /// (or replace) the test's own environment.
  child_process(std::vector<std::string> argv,
                std::map<std::string, std::string> env = {},
                std::string log_path = "");
  ~child_process();
  child_process(const child_process&) = delete;
  child_process& operator=(const child_process&) = delete;

  int pid() const { return pid_; }
  const std::string& log_path() const { return log_path_; }

  /// Whether the process has not exited yet.
  bool running();

  /// Sends `signal` (SIGKILL for a crash, SIGTERM for a stop).
  void signal(int signal);

  /// Waits up to `seconds` for exit; returns the exit status as from
  /// waitpid's WEXITSTATUS, 128 + signal for a signal, or -1 on time-out.
  int wait(int seconds);

  /// Stops the process: SIGTERM, then SIGKILL after `grace_seconds`.
  void stop(int grace_seconds = 10);

  /// The whole log so far (for failure messages and assertions).
  std::string log() const;

private:
  int pid_ = -1;
  int status_ = -1;
  std::string log_path_;
};

} // namespace ferry::test
