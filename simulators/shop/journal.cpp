#include "simulators/shop/journal.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <stdexcept>
#include <sys/stat.h>
#include <unistd.h>

namespace ferry::sim_shop {

namespace {

std::runtime_error io_error(const std::string& what, const std::string& path) {
  return std::runtime_error("journal " + path + ": " + what + ": " +
                            std::strerror(errno));
}

} // namespace

journal::journal(std::string path, bool sync)
    : path_(std::move(path)), sync_(sync) {
  fd_ = ::open(path_.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd_ < 0)
    throw io_error("cannot open", path_);
}

journal::~journal() {
  if (fd_ >= 0)
    ::close(fd_);
}

std::size_t
journal::replay(const std::function<void(const std::string&)>& apply) {
  std::lock_guard<std::mutex> guard{mutex_};
  std::ifstream in{path_, std::ios::binary};
  std::string content{std::istreambuf_iterator<char>(in),
                      std::istreambuf_iterator<char>()};
  std::size_t count = 0;
  std::size_t pos = 0;
  std::size_t good_end = 0;
  while (pos < content.size()) {
    auto nl = content.find('\n', pos);
    if (nl == std::string::npos)
      break; // torn last line
    auto line = content.substr(pos, nl - pos);
    if (!line.empty()) {
      try {
        apply(line);
      } catch (const std::exception&) {
        break; // a corrupt line ends the usable history
      }
      ++count;
    }
    pos = nl + 1;
    good_end = pos;
  }
  if (good_end < content.size()) {
    if (::ftruncate(fd_, static_cast<off_t>(good_end)) != 0)
      throw io_error("cannot cut a torn line", path_);
  }
  return count;
}

void journal::append(const std::string& line) {
  std::lock_guard<std::mutex> guard{mutex_};
  std::string data = line;
  data.push_back('\n');
  const char* p = data.data();
  auto left = data.size();
  while (left > 0) {
    auto n = ::write(fd_, p, left);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      throw io_error("write failed", path_);
    }
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  if (sync_ && ::fdatasync(fd_) != 0)
    throw io_error("fdatasync failed", path_);
}

} // namespace ferry::sim_shop
