#pragma once

#include "actors/supervisor.hpp"
#include "config/ferry_config.hpp"
#include "persistence/pg_pool.hpp"

#include <prometheus/registry.h>
#include <vector>

/// What `ferry run` puts under its root supervisor. This is the one place
/// where the application's components are wired together.
namespace ferry::app {

/// What components are built from; everything outlives the actor system.
struct component_context {
  const config::ferry_config& config;
  prometheus::Registry& registry;
  persistence::pg_pool& pool;
};

/// The root supervisor's children, in start order (stopped in reverse).
std::vector<child_spec> root_children(component_context& context);

} // namespace ferry::app
