#include "actors/order_handoff.hpp"

#include <algorithm>
#include <iterator>
#include <utility>

namespace ferry {

std::size_t order_handoff::reserve(std::size_t wanted) {
  std::lock_guard<std::mutex> guard{mutex_};
  if (!attached_)
    return 0;
  auto granted = std::min(wanted, free_);
  free_ -= granted;
  return granted;
}

void order_handoff::release(std::size_t n) {
  std::lock_guard<std::mutex> guard{mutex_};
  if (attached_)
    free_ += n;
}

void order_handoff::deliver(std::vector<persistence::order_saga_row> rows,
                            bool runnable) {
  std::function<void()> notify;
  {
    std::lock_guard<std::mutex> guard{mutex_};
    if (!attached_ || (rows.empty() && !runnable))
      return;
    std::move(rows.begin(), rows.end(), std::back_inserter(delivered_));
    runnable_ = runnable_ || runnable;
    notify = notify_;
  }
  notify();
}

std::vector<persistence::order_saga_row>
order_handoff::take_delivered(bool& runnable) {
  std::lock_guard<std::mutex> guard{mutex_};
  runnable = runnable_;
  runnable_ = false;
  return std::exchange(delivered_, {});
}

std::uint64_t order_handoff::attach(std::size_t slots,
                                    std::function<void()> notify) {
  std::lock_guard<std::mutex> guard{mutex_};
  attached_ = true;
  free_ = slots;
  delivered_.clear();
  runnable_ = false;
  notify_ = std::move(notify);
  return ++attachments_;
}

void order_handoff::detach(std::uint64_t number) {
  std::lock_guard<std::mutex> guard{mutex_};
  if (number != attachments_)
    return;
  attached_ = false;
  free_ = 0;
  delivered_.clear();
  notify_ = nullptr;
}

} // namespace ferry
