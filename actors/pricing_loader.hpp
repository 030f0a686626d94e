#pragma once

#include "actors/pricing_source.hpp"

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <cstddef>
#include <memory>

namespace ferry {

/// A round-robin pool of `workers` detached actors, each answering
/// `price_load` with `price_load_result` by calling `source` (blocking
/// Redis and PostgreSQL work stays off the scheduler threads). `source`
/// is shared by the workers and kept alive by them.
caf::actor spawn_pricing_loaders(caf::actor_system& sys,
                                 std::shared_ptr<pricing_source> source,
                                 std::size_t workers);

} // namespace ferry
