#include "tests/support/child_process.hpp"

#include <chrono>
#include <cstdlib>
#include <fcntl.h>
#include <fstream>
#include <signal.h>
#include <sstream>
#include <stdexcept>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace ferry::test {

child_process::child_process(std::vector<std::string> argv,
                             std::map<std::string, std::string> env,
                             std::string log_path)
    : log_path_(std::move(log_path)) {
  if (argv.empty())
    throw std::invalid_argument("child_process: empty argv");
  if (log_path_.empty()) {
    std::string base = "/tmp";
    if (const char* state = std::getenv("FERRY_TEST_STATE_DIR"))
      base = state;
    auto slash = argv[0].find_last_of('/');
    auto name =
        slash == std::string::npos ? argv[0] : argv[0].substr(slash + 1);
    log_path_ =
        base + "/" + name + "." + std::to_string(::getpid()) + "." +
        std::to_string(
            std::chrono::steady_clock::now().time_since_epoch().count()) +
        ".log";
  }
  std::vector<char*> args;
  for (auto& a : argv)
    args.push_back(a.data());
  args.push_back(nullptr);
  pid_ = ::fork();
  if (pid_ < 0)
    throw std::runtime_error("child_process: fork failed");
  if (pid_ == 0) {
    // A process group of its own, so that a test's Ctrl-C does not reach it
    // twice and a kill reaches it alone.
    ::setpgid(0, 0);
    for (auto& [key, value] : env)
      ::setenv(key.c_str(), value.c_str(), 1);
    int fd = ::open(log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      ::dup2(fd, 1);
      ::dup2(fd, 2);
      ::close(fd);
    }
    int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull >= 0)
      ::dup2(devnull, 0);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
}

child_process::~child_process() {
  stop(10);
}

bool child_process::running() {
  if (pid_ <= 0)
    return false;
  int status = 0;
  auto r = ::waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    pid_ = -1;
    return false;
  }
  return r == 0;
}

void child_process::signal(int sig) {
  if (pid_ > 0)
    ::kill(pid_, sig);
}

int child_process::wait(int seconds) {
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  while (running()) {
    if (std::chrono::steady_clock::now() >= until)
      return -1;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return status_;
}

void child_process::stop(int grace_seconds) {
  if (!running())
    return;
  signal(SIGTERM);
  if (wait(grace_seconds) == -1) {
    signal(SIGKILL);
    wait(10);
  }
}

std::string child_process::log() const {
  std::ifstream in(log_path_);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

} // namespace ferry::test
