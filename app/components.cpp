#include "app/components.hpp"

namespace ferry::app {

supervisor_settings area_settings(const config::ferry_config& config,
                                  std::string area) {
  supervisor_settings settings;
  settings.name = std::move(area);
  settings.backoff.initial = config.supervision.backoff.initial;
  settings.backoff.max = config.supervision.backoff.max;
  settings.intensity = config.supervision.intensity;
  settings.period = config.supervision.period;
  return settings;
}

std::vector<child_spec> root_children(component_context& context) {
  // One supervisor per area, so that restart intensity is spent per area:
  // a flapping connector escalates its area, never the others.
  using add_fn = void (*)(component_context&, std::vector<child_spec>&);
  const std::pair<const char*, add_fn> areas[] = {
      {"connectors", &add_connector_children},
      {"orders", &add_order_children},
      {"catalog", &add_catalog_children},
      {"pricing", &add_pricing_children},
  };
  std::vector<child_spec> children;
  for (const auto& [area, add] : areas) {
    std::vector<child_spec> members;
    add(context, members);
    children.push_back(supervisor_child(area, context.registry,
                                        area_settings(context.config, area),
                                        std::move(members)));
  }
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
