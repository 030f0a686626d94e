#pragma once

#include "actors/pricing_actor.hpp"
#include "actors/pricing_memory.hpp"
#include "actors/pricing_messages.hpp"

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>

namespace prometheus {
class Registry;
} // namespace prometheus

namespace ferry {

/// The entry point of pricing and the supervisor of the per-customer
/// actors: routes each `price_query` to its customer's actor, spawning it
/// on first use; keeps at most `max_actors` alive (stopping the least
/// recently used); forgets actors that stopped when idle; replaces an actor
/// that failed and sends the failed request once more to the new one, so
/// the caller still gets its answer. Forwards invalidations to every
/// actor. Answers (get_atom) with its status.
using pricing_registry_actor =
    caf::typed_actor<caf::replies_to<price_query>::with<price_reply>,
                     caf::reacts_to<pricing_invalidate_atom, std::int64_t>,
                     caf::replies_to<caf::get_atom>::with<pricing_status>>;

/// Makes the actor of one customer id (tests pass fakes).
using pricing_actor_factory =
    std::function<pricing_actor(caf::actor_system&, const std::string&)>;

/// The registry's settings.
struct pricing_registry_settings {
  std::size_t max_actors = 10000;
  /// Bound on one customer actor's answer (it includes the loader's).
  std::chrono::milliseconds request_timeout{15000};
  /// The memory the actors share (pricing_actor_settings::memory); cleared
  /// once per invalidation, before the actors hear of it. May be null.
  std::shared_ptr<pricing_memory> memory;
};

/// The name under which the current registry is put into the actor
/// system's registry (`sys.registry().get<pricing_registry_actor>(…)`), so
/// that HTTP handlers find the one the supervisor started last.
constexpr caf::atom_value pricing_registry_name = caf::atom("pricing");

/// Spawns the registry. `owned` (may be invalid) is stopped with the
/// registry: the loader pool. Metrics: ferry_pricing_actors_alive,
/// ferry_pricing_actor_restarts_total.
pricing_registry_actor
spawn_pricing_registry(caf::actor_system& sys,
                       pricing_registry_settings settings,
                       pricing_actor_factory factory, caf::actor owned,
                       prometheus::Registry& registry);

} // namespace ferry
