#include "app/components.hpp"

namespace ferry::app {

std::vector<child_spec> root_children(component_context&) {
  // Connectors, sagas and sync actors are added here as their spawn
  // functions land in actors/; until then the root supervises nothing and
  // `ferry run` serves only the ops endpoint.
  return {};
}

} // namespace ferry::app
