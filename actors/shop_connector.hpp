#pragma once

#include "actors/backoff.hpp"
#include "actors/circuit_breaker.hpp"
#include "actors/retry_budget.hpp"
#include "actors/shop_messages.hpp"

#include <caf/actor_system.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

namespace prometheus {
class Registry;
} // namespace prometheus

namespace ferry {

/// What the connector needs; app/ maps the configuration onto it. The
/// client secret never reaches a log or a metric.
struct shop_connector_settings {
  /// "https://host:port" of the shop; "/rest/V1" is added.
  std::string base_url;
  /// Empty: base_url + "/oauth/token".
  std::string token_url;
  std::string client_id;
  std::string client_secret;
  /// PEM CA bundle; empty: the system store.
  std::string ca_file;
  std::chrono::milliseconds connect_timeout{3000};
  /// Per attempt, from sending to the whole answer.
  std::chrono::milliseconds call_timeout{10000};
  /// Attempts per call on 5xx and connection errors, the first included.
  int max_attempts = 4;
  /// Waits on 429 per call at most (each as long as `Retry-After` says).
  int max_rate_limited_waits = 30;
  backoff_policy backoff;
  retry_budget::settings retries;
  circuit_breaker::settings breaker;
  std::size_t max_connections = 8;
  /// The shared Redis budget; an empty host: no shared budget (one node).
  std::string redis_host;
  int redis_port = 6379;
  std::string rate_key = "ferry:shop:rate_budget";
  double rate_per_second = 18;
  double rate_burst = 20;
};

/// The shop connector: one message per call of contracts/SHOP-REST.md,
/// answered with the typed result or a caf::error of shop_error_category
/// (see shop_error_of). Each attempt first takes a token from the rate
/// budget shared by every node through Redis; a 429 waits `Retry-After`;
/// 5xx, timeouts and connection errors are retried with full-jitter backoff
/// within a retry budget; a circuit breaker fails calls fast while the shop
/// is down. OAuth tokens come from protocols/oauth (one fetch at a time; a
/// 401 invalid_token fetches a new one and repeats the call once). The
/// HTTP client answers on its io threads; results come back as messages, so
/// no scheduler thread ever waits on a socket or on Redis.
using shop_connector_actor = caf::typed_actor<
    caf::replies_to<shop_get_product>::with<shop::shop_product>,
    caf::replies_to<shop_put_product>::with<shop::shop_product>,
    caf::replies_to<shop_bulk_products>::with<shop_bulk_results>,
    caf::replies_to<shop_list_products>::with<shop_product_page>,
    caf::replies_to<shop_get_customer>::with<shop::shop_customer>,
    caf::replies_to<shop_search_customers>::with<shop_customer_page>,
    caf::replies_to<shop_list_customers>::with<shop_customer_page>,
    caf::replies_to<shop_update_customer>::with<shop::shop_customer>,
    caf::replies_to<shop_get_order>::with<shop::shop_order>,
    caf::replies_to<shop_list_orders>::with<shop_order_page>,
    caf::replies_to<shop_comment_order>::with<bool>,
    caf::replies_to<shop_order_action>::with<bool>,
    caf::replies_to<shop_get_sources>::with<shop_source_list>,
    caf::replies_to<shop_get_source_items>::with<shop_source_item_list>,
    caf::replies_to<shop_set_source_items>::with<shop_bulk_results>,
    caf::replies_to<shop_set_backorders>::with<bool>,
    caf::reacts_to<shop_done_atom, shop_job_ptr>,
    caf::reacts_to<shop_retry_atom, shop_job_ptr>>;

/// Spawns the connector. Metrics go to `registry` (which must outlive the
/// actor): ferry_connector_calls_total{system="shop",operation,outcome},
/// ferry_connector_call_seconds{system,operation},
/// ferry_connector_retries_total{system,operation},
/// ferry_connector_breaker_state{system} (0 closed, 1 open, 2 half-open),
/// ferry_connector_in_flight{system}.
shop_connector_actor spawn_shop_connector(caf::actor_system& sys,
                                          shop_connector_settings settings,
                                          prometheus::Registry& registry);

} // namespace ferry
