#include "actors/order_desk.hpp"

#include <caf/all.hpp>

namespace ferry {

namespace {

order_desk_actor::behavior_type order_desk(order_desk_actor::pointer) {
  return {
      [](order_desk_job_ptr& job) {
        if (!job || !job->run)
          return;
        try {
          job->run();
        } catch (const std::exception&) {
          // The job answers its own request; one that threw before answering
          // leaves the connection to its read timeout rather than the desk
          // to a restart.
        }
      },
  };
}

} // namespace

order_desk_actor spawn_order_desk(caf::actor_system& sys) {
  return sys.spawn<caf::detached>(order_desk);
}

} // namespace ferry
