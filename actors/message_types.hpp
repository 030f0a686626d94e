#pragma once

#include <caf/actor_system_config.hpp>

namespace ferry {

/// Registers every ferry_* type-ID block (actors/<area>_messages.hpp) and
/// the runtime's error category with `cfg`. Call once, before the actor
/// system is constructed from `cfg`.
void register_message_types(caf::actor_system_config& cfg);

} // namespace ferry
