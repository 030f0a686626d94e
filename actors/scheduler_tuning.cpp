#include "actors/scheduler_tuning.hpp"

#include <algorithm>
#include <thread>

namespace ferry {

void tune_scheduler(caf::actor_system_config& cfg) {
  // One attempt each: CAF requires at least one, then falls through to its
  // relaxed strategy, which sleeps on a condition variable until work comes.
  cfg.set("work-stealing.aggressive-poll-attempts", 1);
  cfg.set("work-stealing.moderate-poll-attempts", 1);
  // CAF starts at least 4 workers; more than the cores only adds switches
  // (blocking work has threads of its own).
  cfg.set("scheduler.max-threads",
          std::max<std::size_t>(1, std::thread::hardware_concurrency()));
}

} // namespace ferry
