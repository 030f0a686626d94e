#pragma once

#include "actors/orders_messages.hpp"

#include <caf/actor_system.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

namespace ferry {

/// Runs the order API's blocking work (approval decisions, saga and sync
/// log reads against PostgreSQL) one job after the other, so that the
/// HTTP io threads never wait on the database. A job that throws is
/// contained: the desk goes on with the next.
using order_desk_actor = caf::typed_actor<caf::reacts_to<order_desk_job_ptr>>;

/// Spawns one desk (detached: it waits on PostgreSQL).
order_desk_actor spawn_order_desk(caf::actor_system& sys);

} // namespace ferry
