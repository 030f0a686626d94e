#pragma once

#include "actors/connector_directory.hpp"
#include "actors/inbox_retry.hpp"
#include "actors/order_handoff.hpp"
#include "actors/pricing_memory.hpp"
#include "actors/supervisor.hpp"
#include "actors/webhook_intake.hpp"
#include "config/ferry_config.hpp"
#include "monitoring/flow_health.hpp"
#include "persistence/pg_pool.hpp"
#include "protocols/http/server.hpp"
#include "protocols/oauth/token_issuer.hpp"

#include <caf/actor_system.hpp>
#include <functional>
#include <memory>
#include <prometheus/registry.h>
#include <vector>

/// What `ferry run` puts under its root supervisor and on its API. This is
/// the one place where the application's components are wired together:
/// each area (connectors, orders, catalog, pricing) has its own
/// `app/<area>_components.cpp` defining the two functions declared for it
/// below, so that areas grow without touching each other.
namespace ferry::app {

/// What components are built from; everything outlives the actor system.
struct component_context {
  const config::ferry_config& config;
  prometheus::Registry& registry;
  persistence::pg_pool& pool;
  caf::actor_system& system;
  /// The current connector handles (set by the connectors' factories).
  std::shared_ptr<connector_directory> connectors;
  /// The prices this process remembers: filled by the pricing actors, read
  /// by the pricing routes (hits answered on the io thread).
  std::shared_ptr<pricing_memory> prices;
  /// New orders' sagas from the webhook commits to the order intake.
  std::shared_ptr<order_handoff> orders = std::make_shared<order_handoff>();
  /// The sync flows' failures and cycles (metrics, rate-limited logs and
  /// the "flows" line of /readyz).
  std::shared_ptr<monitoring::flow_health> flows = nullptr;
};

/// What API routes are built from. The API server starts after the root
/// supervisor and stops before it, so handlers may send to actors.
struct api_context {
  component_context& components;
  /// Wraps handlers with the OAuth 2.0 scope check
  /// (`issuer.require_scopes({"orders:read"}, handler)`).
  const oauth::token_issuer& issuer;
};

/// The root supervisor's children, in start order (stopped in reverse):
/// one supervisor per area (connectors first), each with the configured
/// `supervision` intensity, escalating to the root on its own.
std::vector<child_spec> root_children(component_context& context);

/// An area supervisor's settings from the configuration's `supervision`.
supervisor_settings area_settings(const config::ferry_config& config,
                                  std::string area);

/// Every area's routes on Ferry's API (besides /oauth/token and the
/// webhook intake, which api_endpoint adds itself).
void add_api_routes(api_context& context, http::router& router);

/// The ERP and shop connectors and the shop poller.
void add_connector_children(component_context& c, std::vector<child_spec>& out);

/// For commands that run without `ferry run` (sync, reconcile): an actor
/// system (tuned as `run` tunes it) with the ERP and shop connectors built
/// from the config as `run` builds them, for the length of `work`; then both
/// connectors are stopped and their timers released, so the system's
/// destructor does not wait. Returns what `work` returns.
int run_with_connectors(
    const config::ferry_config& c, prometheus::Registry& registry,
    const std::function<int(caf::actor_system&, const erp_connector_actor&,
                            const shop_connector_actor&)>& work);

/// Issue 5: order sagas, approvals, ERP status back.
void add_order_children(component_context& c, std::vector<child_spec>& out);
/// The commit of the shop's webhooks: with the work they create for the
/// order intake (actors/order_intake.hpp, order_webhook_commit).
inbox_batch_commit order_webhook_commit(component_context& c);
void add_order_routes(api_context& c, http::router& router);

/// Issue 6: products, inventory, reservations.
void add_catalog_children(component_context& c, std::vector<child_spec>& out);
void add_catalog_routes(api_context& c, http::router& router);
/// `GET /api/v1/jobs/{id}` (scope ops:admin): a batch job's progress
/// (app/sync_command.cpp, beside the command that writes it).
void add_job_routes(api_context& c, http::router& router);

/// Issue 7: customers, price lists, pricing actors.
void add_pricing_children(component_context& c, std::vector<child_spec>& out);
void add_pricing_routes(api_context& c, http::router& router);

/// The inbox consumers' retry policy as configured (`customers.retry`,
/// `catalog.retry`).
inbox_retry_policy inbox_retry_of(const config::event_retry_section& section);

} // namespace ferry::app
