#include "tests/support/test_env.hpp"

#include <arpa/inet.h>
#include <cstdlib>
#include <filesystem>
#include <netinet/in.h>
#include <stdexcept>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

namespace ferry::test {

std::string required_env(const std::string& name) {
  const char* value = std::getenv(name.c_str());
  if (value == nullptr || *value == '\0')
    throw std::runtime_error(name + " is not set: run the tests through "
                                    "`./dev test` (or `./dev services`)");
  return value;
}

std::string admin_pg_url() {
  return required_env("FERRY_TEST_PG_URL");
}
std::string redis_host() {
  return required_env("FERRY_TEST_REDIS_HOST");
}
int redis_port() {
  return std::stoi(required_env("FERRY_TEST_REDIS_PORT"));
}
int smtp_port() {
  return std::stoi(required_env("FERRY_TEST_SMTP_PORT"));
}
std::string maildir() {
  return required_env("FERRY_TEST_MAILDIR");
}

int free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0)
    throw std::runtime_error("free_port: socket() failed");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    ::close(fd);
    throw std::runtime_error("free_port: bind() failed");
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

bool wait_until(const std::function<bool()>& condition,
                std::chrono::milliseconds deadline,
                std::chrono::milliseconds poll) {
  auto until = std::chrono::steady_clock::now() + deadline;
  for (;;) {
    if (condition())
      return true;
    if (std::chrono::steady_clock::now() >= until)
      return false;
    std::this_thread::sleep_for(poll);
  }
}

temp_dir::temp_dir() {
  std::string base = "/tmp";
  if (const char* state = std::getenv("FERRY_TEST_STATE_DIR"))
    base = state;
  std::string pattern = base + "/tmp.XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr)
    throw std::runtime_error("temp_dir: mkdtemp failed under " + base);
  path_ = pattern;
}

temp_dir::~temp_dir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

} // namespace ferry::test
