#pragma once

#include "monitoring/log.hpp"
#include "monitoring/ops_server.hpp"

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>
#include <string>
#include <string_view>
#include <utility>

/// No failure of a sync flow is silent: every failed call, refused record
/// and abandoned cycle is counted by flow and reason, and logged with its
/// reason, at most once per (flow, reason) per `log_every` (with how many
/// were suppressed); a flow that has not completed a cycle for three of its
/// intervals shows on /readyz. One per process, shared by the flows'
/// actors; thread-safe.
///
/// Metrics: ferry_flow_failures_total{flow,reason},
/// ferry_flow_last_cycle_timestamp_seconds{flow}.
namespace ferry::monitoring {

/// The failures and cycles of the sync flows ("products", "stock",
/// "prices", "customers", "order_status", "shop_poll", ...).
class flow_health {
public:
  /// A clock for tests; the default is the steady clock.
  using clock_fn = std::function<std::chrono::steady_clock::time_point()>;

  /// Registers the metric families in `registry`, which must outlive this.
  explicit flow_health(
      prometheus::Registry& registry,
      std::chrono::seconds log_every = std::chrono::seconds{60},
      clock_fn clock = {});

  /// Counts `count` failures of `flow` for `reason` (a short, fixed code such
  /// as "bad_validity" or "erp_call": it is a metric label) and logs
  /// `detail` (which names the entity and field; masked like every log
  /// line) unless this (flow, reason) was logged less than `log_every`
  /// ago.
  void failed(std::string_view flow, std::string_view reason,
              std::string_view detail, log_fields fields = {},
              double count = 1);

  /// `flow` runs a cycle every `interval`: from now on it is stale when no
  /// cycle completes within three intervals.
  void expect_cycles(std::string_view flow, std::chrono::milliseconds interval);

  /// `flow` completed a cycle (all its work, or with its failures handled).
  void cycle_completed(std::string_view flow);

  /// "flows" for /readyz: always ready (one stale flow must not take the
  /// node out of a load balancer); the detail names each stale flow and
  /// how long since its last completed cycle. Holds `health` alive.
  static readiness_probe probe(std::shared_ptr<const flow_health> health);

  /// The stale flows now, as "flow (no cycle for N s, expected every M s)".
  std::string stale_flows() const;

private:
  struct flow_state {
    std::chrono::milliseconds interval{0};
    std::chrono::steady_clock::time_point last_cycle{};
    prometheus::Gauge* last_cycle_gauge = nullptr;
  };
  struct log_state {
    std::chrono::steady_clock::time_point logged{};
    std::uint64_t suppressed = 0;
    bool ever = false;
  };

  std::chrono::steady_clock::time_point now() const;
  flow_state& flow(std::string_view name);

  prometheus::Family<prometheus::Counter>& failures_;
  prometheus::Family<prometheus::Gauge>& last_cycle_;
  std::chrono::seconds log_every_;
  clock_fn clock_;
  mutable std::mutex mutex_;
  std::map<std::string, flow_state, std::less<>> flows_;
  std::map<std::pair<std::string, std::string>, log_state> logs_;
};

} // namespace ferry::monitoring
