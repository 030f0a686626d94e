#pragma once

#include "actors/pricing_memory.hpp"
#include "actors/pricing_messages.hpp"

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>
#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

namespace ferry {

/// One customer's prices: answers `price_query` from memory
/// (actors/pricing_memory.hpp) while the entries are younger than the TTL
/// and no invalidation came, and asks the loader pool
/// (actors/pricing_loader.hpp) for the rest, remembering what it loaded.
/// On `pricing_invalidate_atom` it forgets the customer's resolution and,
/// when the memory is its own, the memory (a shared one is cleared once by
/// whoever shares it, see pricing_registry_settings::memory). Stops by itself
/// (normally) after `idle_timeout` without messages; its state lives in
/// Redis/PostgreSQL, so a new one starts cold but correct.
using pricing_actor =
    caf::typed_actor<caf::replies_to<price_query>::with<price_reply>,
                     caf::reacts_to<pricing_invalidate_atom, std::int64_t>>;

/// The per-customer actor's settings.
struct pricing_actor_settings {
  std::chrono::milliseconds ttl{300000};
  std::chrono::milliseconds idle_timeout{60000};
  /// Bound on a loader's answer; past it the items answer 503.
  std::chrono::milliseconds load_timeout{10000};
  /// Remembered answers at most; beyond, the memory starts over (own
  /// memory only).
  std::size_t max_entries = 4096;
  /// The process's memory shared with the other actors and the API; null:
  /// the actor makes its own (`ttl`, `max_entries`).
  std::shared_ptr<pricing_memory> memory;
};

/// Spawns the actor of `customer_id` (as the API gave it).
pricing_actor spawn_pricing_actor(caf::actor_system& sys,
                                  std::string customer_id, caf::actor loaders,
                                  pricing_actor_settings settings);

} // namespace ferry
