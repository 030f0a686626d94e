#include "persistence/inbox_wakeup.hpp"

namespace ferry::persistence {

inbox_wakeup& inbox_wakeup::instance() {
  static inbox_wakeup wakeup;
  return wakeup;
}

void inbox_wakeup::notify() {
  std::lock_guard<std::mutex> guard{mutex_};
  for (auto& [id, l] : listeners_)
    l();
}

std::uint64_t inbox_wakeup::subscribe(listener l) {
  std::lock_guard<std::mutex> guard{mutex_};
  auto id = next_id_++;
  listeners_.emplace(id, std::move(l));
  return id;
}

void inbox_wakeup::unsubscribe(std::uint64_t id) {
  std::lock_guard<std::mutex> guard{mutex_};
  listeners_.erase(id);
}

} // namespace ferry::persistence
