#pragma once

#include "actors/backoff.hpp"
#include "actors/circuit_breaker.hpp"
#include "actors/erp_messages.hpp"
#include "actors/retry_budget.hpp"
#include "actors/runtime_messages.hpp"

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
/// password never reaches a log or a metric.
struct erp_connector_settings {
  std::string endpoint; ///< https://host:port/path of the ERP
  std::string username;
  std::string password;
  std::string ca_file; ///< PEM; empty: the system's CAs
  /// Concurrent calls at most: the ERP throttles the 9th session.
  std::size_t max_sessions = 8;
  /// Calls waiting for a session at most; beyond, `overloaded` at once.
  std::size_t max_queue = 1000;
  std::chrono::milliseconds connect_timeout{5000};
  /// Per attempt: sending the request and receiving the answer.
  std::chrono::milliseconds call_timeout{10000};
  /// Attempts per call including the first.
  int max_attempts = 4;
  backoff_policy backoff;
  retry_budget::settings retries;
  circuit_breaker::settings breaker;
};

/// The ERP connector: one message per ERP operation, answered with the
/// typed result or a caf::error of erp_error_category (see erp_error_of).
/// Blocking SOAP calls run on `max_sessions` detached session workers;
/// transient failures are retried with full-jitter backoff within a retry
/// budget; a circuit breaker fails calls fast while the ERP is down. A call
/// whose request went out but got no answer fails with kind
/// outcome_unknown: look the record up before trying again. Answers
/// (backlog_atom) with its queue plus mailbox and (get_atom) with its status.
using erp_connector_actor = caf::typed_actor<
    caf::replies_to<erp_create_sales_order>::with<erp_created_sales_order>,
    caf::replies_to<erp_get_sales_order>::with<erp_sales_order>,
    caf::replies_to<erp_find_customer>::with<erp_customer_lookup>,
    caf::replies_to<erp_create_customer>::with<erp_customer_no>,
    caf::replies_to<erp_update_customer>::with<erp_modified_at>,
    caf::replies_to<erp_get_customers>::with<erp_page<erp_customer>>,
    caf::replies_to<erp_get_items>::with<erp_page<erp_item>>,
    caf::replies_to<erp_upsert_items>::with<erp_upsert_results>,
    caf::replies_to<erp_get_status_changes>::with<erp_page<erp_status_change>>,
    caf::replies_to<erp_get_warehouses>::with<erp_warehouse_list>,
    caf::replies_to<erp_get_stock_levels>::with<erp_page<erp_stock_level>>,
    caf::replies_to<erp_get_price_lists>::with<erp_page<erp_price_list>>,
    caf::replies_to<caf::get_atom>::with<erp_connector_status>,
    caf::replies_to<backlog_atom>::with<std::uint64_t>,
    caf::reacts_to<erp_retry_atom, erp_job_ptr>>;

/// Spawns the connector and its session workers. Metrics go to `registry`
/// (which must outlive the actor): ferry_erp_calls_total{operation,outcome},
/// ferry_erp_call_duration_seconds{operation}, ferry_erp_retries_total
/// {operation}, ferry_erp_breaker_state (0 closed, 1 open, 2 half-open),
/// ferry_erp_sessions_in_flight, ferry_erp_queue_length.
erp_connector_actor spawn_erp_connector(caf::actor_system& sys,
                                        erp_connector_settings settings,
                                        prometheus::Registry& registry);

} // namespace ferry
