#pragma once

#include <caf/actor_system_config.hpp>

namespace ferry {

/// Makes idle scheduler threads wait on their queue instead of polling it.
/// CAF's default spins, then sleeps 50 us at a time for a while, before it
/// waits: on a machine with few cores, that polling takes CPU from the
/// threads doing real work (session workers, TLS, the database) and cost
/// the ERP connector a fifth of its throughput in `bench/`. Call before the
/// actor system is constructed from `cfg`.
void tune_scheduler(caf::actor_system_config& cfg);

} // namespace ferry
