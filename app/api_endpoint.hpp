#pragma once

#include "actors/backlog.hpp"
#include "actors/webhook_intake.hpp"
#include "config/ferry_config.hpp"
#include "persistence/pg_pool.hpp"
#include "protocols/http/server.hpp"
#include "protocols/oauth/token_issuer.hpp"

#include <functional>
#include <memory>
#include <prometheus/registry.h>

namespace ferry::app {

/// Ferry's own HTTPS API as `ferry run` serves it: the OAuth 2.0 token
/// endpoint, the shop's webhook intake and the routes `add_routes` adds
/// (each area's, see components.hpp). With neither api.tls_cert_file nor
/// api.tls_key_file set, a self-signed certificate under node.data_dir/certs is
/// used (demo only).
class api_endpoint {
public:
  /// Adds routes; handlers wrap themselves with `issuer.require_scopes`.
  using route_adder =
      std::function<void(const oauth::token_issuer& issuer, http::router&)>;

  /// Binds api.listen; throws std::runtime_error naming what failed. `pool`,
  /// `registry` and `gate` must outlive this object. Webhooks are committed
  /// with `webhook_commit`, else inserted in the inbox alone.
  api_endpoint(const config::ferry_config& config, persistence::pg_pool& pool,
               prometheus::Registry& registry, const throttle_gate* gate,
               const route_adder& add_routes = {},
               inbox_batch_commit webhook_commit = {},
               std::shared_ptr<monitoring::flow_health> flows = nullptr);
  ~api_endpoint();
  api_endpoint(const api_endpoint&) = delete;
  api_endpoint& operator=(const api_endpoint&) = delete;

  /// The bound port.
  int port() const;

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace ferry::app
