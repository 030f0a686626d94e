#include "app/api_endpoint.hpp"

#include "actors/webhook_intake.hpp"
#include "monitoring/log.hpp"
#include "persistence/inbox_store.hpp"
#include "protocols/http/server.hpp"
#include "protocols/oauth/token_issuer.hpp"
#include "protocols/tls.hpp"

#include <algorithm>
#include <stdexcept>
#include <thread>

namespace ferry::app {

namespace {

oauth::token_issuer_settings issuer_settings(const config::ferry_config& c) {
  oauth::token_issuer_settings settings;
  for (const auto& client : c.api.clients)
    settings.clients.push_back(
        {client.id, client.secret_sha256, client.scopes});
  settings.token_lifetime =
      std::chrono::duration_cast<std::chrono::seconds>(c.api.token_ttl);
  // The issuer makes a random key when none is given: tokens then pass on
  // this process only, which breaks a cluster behind a load balancer.
  settings.signing_key = c.api.signing_key;
  if (settings.signing_key.empty())
    monitoring::log_warn(
        "api", "api.signing_key is not set: access tokens are signed with a "
               "random key of this process and are not accepted by other "
               "nodes or after a restart");
  return settings;
}

webhook_intake_settings
intake_settings(const config::ferry_config& c,
                std::shared_ptr<monitoring::flow_health> flows) {
  webhook_intake_settings settings;
  settings.secrets = c.shop.webhook_secrets;
  settings.max_body_bytes = static_cast<std::size_t>(c.api.max_body_bytes);
  settings.flows = std::move(flows);
  return settings;
}

http::server_settings server_settings(const config::ferry_config& c) {
  http::server_settings settings;
  // api.listen was checked as host:port by the config loader.
  auto colon = c.api.listen.rfind(':');
  settings.address = c.api.listen.substr(0, colon);
  settings.port =
      static_cast<uint16_t>(std::stoi(c.api.listen.substr(colon + 1)));
  settings.tls = true;
  if (c.api.tls_cert_file.empty()) {
    auto certs =
        tls::ensure_self_signed_certificate(c.node.data_dir + "/certs");
    settings.cert_file = certs.cert_file;
    settings.key_file = certs.key_file;
  } else {
    settings.cert_file = c.api.tls_cert_file;
    settings.key_file = c.api.tls_key_file;
  }
  settings.max_body_bytes = static_cast<std::size_t>(c.api.max_body_bytes);
  // One io thread per core: TLS records are the API's main cost, and hot
  // price answers are served on these threads without an actor hop.
  settings.io_threads =
      static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  return settings;
}

} // namespace

struct api_endpoint::impl {
  persistence::inbox_store inbox;
  oauth::token_issuer issuer;
  // Absent while no webhook secret is configured: unsigned webhooks are
  // never accepted, and the rest of the API still serves.
  std::unique_ptr<webhook_intake> intake;
  std::unique_ptr<http::server> server;
  int port = 0;

  impl(const config::ferry_config& c, persistence::pg_pool& pool,
       prometheus::Registry& registry, const throttle_gate* gate,
       inbox_batch_commit webhook_commit,
       std::shared_ptr<monitoring::flow_health> flows)
      : inbox(pool), issuer(issuer_settings(c)) {
    if (c.shop.webhook_secrets.empty())
      monitoring::log_warn("api", "shop webhooks are not received: "
                                  "shop.webhook_secrets is not set");
    else if (webhook_commit)
      intake = std::make_unique<webhook_intake>(
          intake_settings(c, flows), std::move(webhook_commit), gate, registry);
    else
      intake = std::make_unique<webhook_intake>(intake_settings(c, flows),
                                                inbox, gate, registry);
  }
};

api_endpoint::api_endpoint(const config::ferry_config& config,
                           persistence::pg_pool& pool,
                           prometheus::Registry& registry,
                           const throttle_gate* gate,
                           const route_adder& add_routes,
                           inbox_batch_commit webhook_commit,
                           std::shared_ptr<monitoring::flow_health> flows)
    : impl_(std::make_unique<impl>(config, pool, registry, gate,
                                   std::move(webhook_commit),
                                   std::move(flows))) {
  http::router router;
  impl_->issuer.add_routes(router);
  if (add_routes)
    add_routes(impl_->issuer, router);
  if (impl_->intake)
    router.add("POST", config.api.webhook_path, impl_->intake->handler());
  impl_->server = std::make_unique<http::server>(server_settings(config),
                                                 std::move(router));
  impl_->port = impl_->server->start();
}

api_endpoint::~api_endpoint() {
  // Stop taking requests before the intake and the issuer go away.
  if (impl_->server)
    impl_->server->stop();
}

int api_endpoint::port() const {
  return impl_->port;
}

} // namespace ferry::app
