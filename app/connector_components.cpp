#include "actors/erp_connector.hpp"
#include "actors/message_types.hpp"
#include "actors/scheduler_tuning.hpp"
#include "actors/shop_connector.hpp"
#include "actors/shop_poller.hpp"
#include "actors/shutdown.hpp"
#include "app/components.hpp"
#include "persistence/shop_poll_store.hpp"

#include <caf/actor_cast.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/send.hpp>

namespace ferry::app {

namespace {

erp_connector_settings erp_settings(const config::ferry_config& c) {
  erp_connector_settings s;
  s.endpoint = c.erp.endpoint;
  s.username = c.erp.username;
  s.password = c.erp.password;
  s.ca_file = c.erp.ca_file;
  s.max_sessions = static_cast<std::size_t>(c.erp.max_sessions);
  s.call_timeout = c.erp.call_timeout;
  s.max_attempts = c.erp.retry.max_attempts;
  s.backoff.initial = c.erp.retry.initial_backoff;
  s.backoff.max = c.erp.retry.max_backoff;
  s.retries.ratio = c.erp.retry.budget_ratio;
  s.breaker.failure_ratio = c.erp.breaker.failure_ratio;
  s.breaker.cool_down = c.erp.breaker.cool_down;
  return s;
}

shop_connector_settings shop_settings(const config::ferry_config& c) {
  shop_connector_settings s;
  s.base_url = c.shop.base_url;
  s.client_id = c.shop.client_id;
  s.client_secret = c.shop.client_secret;
  s.ca_file = c.shop.ca_file;
  s.call_timeout = c.shop.request_timeout;
  s.max_connections = static_cast<std::size_t>(c.shop.max_sessions);
  // One budget for every node of the cluster, kept in the shared Redis.
  s.redis_host = c.redis.host;
  s.redis_port = c.redis.port;
  s.rate_key = c.redis.key_prefix + "shop:rate_budget";
  s.rate_per_second = c.shop.rate_limit.requests_per_second;
  s.rate_burst = c.shop.rate_limit.burst;
  return s;
}

shop_poller_settings poller_settings(const config::ferry_config& c) {
  shop_poller_settings s;
  s.interval = c.shop.poll_interval;
  s.overlap =
      std::chrono::duration_cast<std::chrono::seconds>(c.shop.poll_overlap);
  return s;
}

} // namespace

int run_with_connectors(
    const config::ferry_config& c, prometheus::Registry& registry,
    const std::function<int(caf::actor_system&, const erp_connector_actor&,
                            const shop_connector_actor&)>& work) {
  caf::actor_system_config cfg;
  register_message_types(cfg);
  tune_scheduler(cfg);
  caf::actor_system system{cfg};
  auto erp = spawn_erp_connector(system, erp_settings(c), registry);
  auto shop = spawn_shop_connector(system, shop_settings(c), registry);
  int status = work(system, erp, shop);
  caf::anon_send_exit(erp, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(shop, caf::exit_reason::user_shutdown);
  erp = nullptr;
  shop = nullptr;
  release_timers(system, std::chrono::seconds{5});
  return status;
}

void add_connector_children(component_context& c,
                            std::vector<child_spec>& out) {
  auto directory = c.connectors;
  auto& registry = c.registry;
  auto& config = c.config;

  child_spec erp;
  erp.kind = "erp_connector";
  erp.probe = backlog_probe::mailbox;
  erp.start = [directory, &registry, &config](caf::actor_system& sys) {
    auto handle = spawn_erp_connector(sys, erp_settings(config), registry);
    directory->set_erp(handle);
    return caf::actor_cast<caf::actor>(handle);
  };
  out.push_back(std::move(erp));

  child_spec shop;
  shop.kind = "shop_connector";
  shop.start = [directory, &registry, &config](caf::actor_system& sys) {
    auto handle = spawn_shop_connector(sys, shop_settings(config), registry);
    directory->set_shop(handle);
    return caf::actor_cast<caf::actor>(handle);
  };
  out.push_back(std::move(shop));

  // Catches the webhooks the shop lost.
  auto store = std::make_shared<persistence::shop_poll_store>(c.pool);
  child_spec poller;
  poller.kind = "shop_poller";
  poller.role = child_role::producer;
  poller.probe = backlog_probe::none;
  auto flows = c.flows;
  poller.start = [directory, store, flows, &config](caf::actor_system& sys) {
    auto settings = poller_settings(config);
    settings.flows = flows;
    return caf::actor_cast<caf::actor>(spawn_shop_poller(
        sys, settings,
        shop_connector_resolver{[directory] { return directory->shop(); }},
        store));
  };
  out.push_back(std::move(poller));
}

} // namespace ferry::app
