#pragma once

#include <memory>

#include <prometheus/registry.h>

#include "actors/backlog.hpp"
#include "config/ferry_config.hpp"
#include "persistence/pg_pool.hpp"

namespace ferry::app {

/// Ferry's own HTTPS API as `ferry run` serves it: the OAuth 2.0 token
/// endpoint and the shop's webhook intake (the routes of later features are
/// added here). With neither api.tls_cert_file nor api.tls_key_file set, a
/// self-signed certificate under node.data_dir/certs is used (demo only).
class api_endpoint {
public:
  /// Binds api.listen; throws std::runtime_error naming what failed. `pool`,
  /// `registry` and `gate` must outlive this object.
  api_endpoint(const config::ferry_config& config, persistence::pg_pool& pool,
               prometheus::Registry& registry, const throttle_gate* gate);
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
