#include "actors/shutdown.hpp"

#include <algorithm>
#include <caf/all.hpp>
#include <cerrno>
#include <csignal>
#include <pthread.h>
#include <string>
#include <thread>
#include <unistd.h>

namespace ferry {

caf::expected<drain_report> drain(caf::actor_system& sys,
                                  const caf::actor& root,
                                  std::chrono::milliseconds deadline) {
  using namespace std::chrono;
  const auto start = steady_clock::now();
  auto left = [&] {
    return std::max(
        milliseconds{0},
        deadline - duration_cast<milliseconds>(steady_clock::now() - start));
  };
  caf::scoped_actor self{sys};
  self->monitor(root);
  // The supervisor gets slightly less than we wait, so that it answers
  // (having killed what was stuck) before our own request times out.
  const auto margin = std::min(deadline / 10, milliseconds{500});
  const auto budget = caf::timespan{deadline - margin};
  std::optional<caf::expected<drain_report>> result;
  self->request(root, deadline, drain_atom::value, budget)
      .receive([&](drain_report& r) { result = r; },
               [&](caf::error& e) { result = std::move(e); });
  if (!result || !*result) {
    self->send_exit(root, caf::exit_reason::kill);
    if (result && result->error() != caf::sec::request_timeout)
      return result->error();
    return make_error(runtime_errc::drain_deadline_exceeded,
                      "the root supervisor did not finish draining within " +
                          std::to_string(deadline.count()) + " ms");
  }
  bool gone = false;
  self->receive([&](caf::down_msg&) { gone = true; },
                caf::after(left()) >> [] {});
  if (!gone) {
    self->send_exit(root, caf::exit_reason::kill);
    return make_error(runtime_errc::drain_deadline_exceeded,
                      "the root supervisor did not stop within " +
                          std::to_string(deadline.count()) + " ms");
  }
  return std::move(*result);
}

namespace {

sigset_t termination_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  return set;
}

} // namespace

void block_termination_signals() {
  auto set = termination_signals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

void request_termination() {
  ::kill(::getpid(), SIGTERM);
}

int wait_for_termination_signal(
    std::optional<std::chrono::milliseconds> timeout) {
  auto set = termination_signals();
  if (!timeout) {
    int sig = 0;
    return sigwait(&set, &sig) == 0 ? sig : 0;
  }
  const auto end = std::chrono::steady_clock::now() + *timeout;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::nanoseconds>(
        end - std::chrono::steady_clock::now());
    if (left.count() <= 0)
      return 0;
    timespec ts{};
    ts.tv_sec = static_cast<time_t>(left.count() / 1000000000);
    ts.tv_nsec = static_cast<long>(left.count() % 1000000000);
    const int sig = sigtimedwait(&set, nullptr, &ts);
    if (sig > 0)
      return sig;
    // EINTR (another signal's handler ran): wait for the rest.
    if (errno != EINTR)
      return 0;
  }
}

bool release_timers(caf::actor_system& sys, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    sys.clock().cancel_all();
    if (sys.registry().running() == 0)
      return true;
    if (std::chrono::steady_clock::now() >= deadline)
      return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

} // namespace ferry
