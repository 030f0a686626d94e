#include "persistence/inbox_wakeup.hpp"

namespace ferry::persistence {

inbox_wakeup& inbox_wakeup::instance() {
  static inbox_wakeup wakeup;
  return wakeup;
}

void inbox_wakeup::notify() {
  {
    std::lock_guard<std::mutex> guard{mutex_};
    ++generation_;
  }
  changed_.notify_all();
}

std::uint64_t inbox_wakeup::generation() const {
  std::lock_guard<std::mutex> guard{mutex_};
  return generation_;
}

std::uint64_t inbox_wakeup::wait(std::uint64_t seen,
                                 std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock{mutex_};
  changed_.wait_for(lock, timeout, [&] { return generation_ != seen; });
  return generation_;
}

} // namespace ferry::persistence
