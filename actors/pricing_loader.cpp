#include "actors/pricing_loader.hpp"

#include <caf/actor_pool.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scoped_execution_unit.hpp>

namespace ferry {

caf::actor spawn_pricing_loaders(caf::actor_system& sys,
                                 std::shared_ptr<pricing_source> source,
                                 std::size_t workers) {
  caf::scoped_execution_unit context{&sys};
  auto worker = [source](caf::event_based_actor*) -> caf::behavior {
    return {
        [source](const price_load& request) -> price_load_result {
          return source->load(request);
        },
    };
  };
  auto factory = [&sys, worker] { return sys.spawn<caf::detached>(worker); };
  return caf::actor_pool::make(&context, workers == 0 ? 1 : workers, factory,
                               caf::actor_pool::round_robin());
}

} // namespace ferry
