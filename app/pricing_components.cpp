#include "app/components.hpp"

namespace ferry::app {

void add_pricing_children(component_context&, std::vector<child_spec>&) {}

void add_pricing_routes(api_context&, http::router&) {}

} // namespace ferry::app
