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

inbox_retry_policy inbox_retry_of(const config::event_retry_section& section) {
  inbox_retry_policy p;
  p.max_attempts = section.max_attempts;
  p.backoff.initial = section.first_delay;
  p.backoff.max = section.max_delay;
  return p;
}

} // namespace ferry::app
