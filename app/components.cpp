#include "app/components.hpp"

namespace ferry::app {

std::vector<child_spec> root_children(component_context& context) {
  std::vector<child_spec> children;
  add_connector_children(context, children);
  add_order_children(context, children);
  add_catalog_children(context, children);
  add_pricing_children(context, children);
  return children;
}

void add_api_routes(api_context& context, http::router& router) {
  add_order_routes(context, router);
  add_catalog_routes(context, router);
  add_pricing_routes(context, router);
}

} // namespace ferry::app
