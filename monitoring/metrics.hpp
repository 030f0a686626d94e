#pragma once

#include <cstddef>
#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>
#include <string>

namespace ferry::monitoring {

/// Registers `ferry_build_info{version,commit} 1`; version and commit
/// default to the ones this binary was built from.
void register_build_info(prometheus::Registry& registry,
                         const std::string& version = "",
                         const std::string& commit = "");

/// The version this binary was built from (CMake's project version).
const char* build_version();

/// The git commit this binary was configured from ("unknown" outside git).
const char* build_commit();

/// The actor-system metrics every supervisor and worker reports, labelled by
/// actor kind ("order_saga", "shop_connector", ...):
/// `ferry_actor_restarts_total`, `ferry_actor_backlog_messages`,
/// `ferry_actor_backlog_oldest_seconds`. Thread-safe.
class actor_metrics {
public:
  /// Registers the metric families in `registry` (which must outlive this).
  explicit actor_metrics(prometheus::Registry& registry);

  /// Counts one restart of an actor of `kind`.
  void restarted(const std::string& kind);

  /// The backlog of actors of `kind` now: queued messages and the age of the
  /// oldest one.
  void backlog(const std::string& kind, std::size_t messages,
               double oldest_age_seconds);

private:
  prometheus::Family<prometheus::Counter>& restarts_;
  prometheus::Family<prometheus::Gauge>& backlog_messages_;
  prometheus::Family<prometheus::Gauge>& backlog_age_;
};

} // namespace ferry::monitoring
