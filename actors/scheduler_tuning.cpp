#include "actors/scheduler_tuning.hpp"

namespace ferry {

void tune_scheduler(caf::actor_system_config& cfg) {
  // One attempt each: CAF requires at least one, then falls through to its
  // relaxed strategy, which sleeps on a condition variable until work comes.
  cfg.set("work-stealing.aggressive-poll-attempts", 1);
  cfg.set("work-stealing.moderate-poll-attempts", 1);
}

} // namespace ferry
