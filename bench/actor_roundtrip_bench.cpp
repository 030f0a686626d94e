// Request/response round trips per second between two CAF actors on the
// normal work-stealing scheduler, against two std::threads ping-ponging
// through a mutex + condition-variable queue. Prints one JSON object
// (docs/DEVELOPING.md, "Benchmarks").

#include "actors/message_types.hpp"

#include <caf/all.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <future>
#include <iostream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

namespace {

using steady = std::chrono::steady_clock;
constexpr auto run_for = std::chrono::milliseconds{2500};

caf::behavior pong() {
  return {[](std::uint64_t n) { return n + 1; }};
}

// Sends the next request when the previous answer arrives; checks the clock
// every 1024 round trips so that reading it does not dominate.
void ping_step(caf::event_based_actor* self, caf::actor other, std::uint64_t n,
               steady::time_point end,
               std::shared_ptr<std::promise<std::uint64_t>> done) {
  self->request(other, caf::infinite, n).then([=](std::uint64_t next) {
    if ((next & 1023) == 0 && steady::now() >= end) {
      done->set_value(next);
      self->quit();
      return;
    }
    ping_step(self, other, next, end, done);
  });
}

double caf_round_trips_per_second(caf::actor_system& sys) {
  auto other = sys.spawn(pong);
  auto done = std::make_shared<std::promise<std::uint64_t>>();
  auto result = done->get_future();
  const auto start = steady::now();
  sys.spawn([=](caf::event_based_actor* self) {
    ping_step(self, other, 0, start + run_for, done);
  });
  const auto trips = result.get();
  const std::chrono::duration<double> took = steady::now() - start;
  caf::anon_send_exit(other, caf::exit_reason::user_shutdown);
  return static_cast<double>(trips) / took.count();
}

// A blocking single-consumer queue: the usual hand-written baseline.
class locked_queue {
public:
  void push(std::uint64_t x) {
    {
      std::lock_guard<std::mutex> guard{mtx_};
      items_.push_back(x);
    }
    cv_.notify_one();
  }

  std::uint64_t pop() {
    std::unique_lock<std::mutex> guard{mtx_};
    cv_.wait(guard, [this] { return !items_.empty(); });
    auto x = items_.front();
    items_.pop_front();
    return x;
  }

private:
  std::mutex mtx_;
  std::condition_variable cv_;
  std::deque<std::uint64_t> items_;
};

double thread_round_trips_per_second() {
  locked_queue to_pong;
  locked_queue to_ping;
  constexpr std::uint64_t stop = ~std::uint64_t{0};
  std::thread ponger([&] {
    for (;;) {
      auto n = to_pong.pop();
      if (n == stop)
        return;
      to_ping.push(n + 1);
    }
  });
  const auto start = steady::now();
  const auto end = start + run_for;
  std::uint64_t n = 0;
  for (;;) {
    to_pong.push(n);
    n = to_ping.pop();
    if ((n & 1023) == 0 && steady::now() >= end)
      break;
  }
  const std::chrono::duration<double> took = steady::now() - start;
  to_pong.push(stop);
  ponger.join();
  return static_cast<double>(n) / took.count();
}

} // namespace

int main() {
  caf::actor_system_config cfg;
  ferry::register_message_types(cfg);
  double subject = 0;
  std::size_t workers = 0;
  {
    caf::actor_system sys{cfg};
    workers = sys.scheduler().num_workers();
    subject = caf_round_trips_per_second(sys);
  }
  const double baseline = thread_round_trips_per_second();
  nlohmann::json out{
      {"name", "actor_roundtrip"},
      {"subject",
       {{"label", "CAF request/response, 2 actors"},
        {"value", subject},
        {"unit", "round trips/s"}}},
      {"baseline",
       {{"label", "2 std::threads, mutex+condvar queues"},
        {"value", baseline},
        {"unit", "round trips/s"}}},
      {"ratio", baseline > 0 ? subject / baseline : 0.0},
      {"goal", "report"},
      {"extra",
       {{"scheduler_workers", workers},
        {"hardware_threads", std::thread::hardware_concurrency()},
        {"seconds_each", std::chrono::duration<double>(run_for).count()}}},
  };
  std::cout << out.dump() << std::endl;
  return 0;
}
