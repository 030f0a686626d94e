#include "monitoring/metrics.hpp"

#ifndef FERRY_VERSION
#define FERRY_VERSION "unknown"
#endif
#ifndef FERRY_COMMIT
#define FERRY_COMMIT "unknown"
#endif

namespace ferry::monitoring {

const char* build_version() {
  return FERRY_VERSION;
}

const char* build_commit() {
  return FERRY_COMMIT;
}

void register_build_info(prometheus::Registry& registry,
                         const std::string& version,
                         const std::string& commit) {
  prometheus::BuildGauge()
      .Name("ferry_build_info")
      .Help("Always 1; the labels say which build is running")
      .Register(registry)
      .Add({{"version", version.empty() ? build_version() : version},
            {"commit", commit.empty() ? build_commit() : commit}})
      .Set(1);
}

actor_metrics::actor_metrics(prometheus::Registry& registry)
    : restarts_(prometheus::BuildCounter()
                    .Name("ferry_actor_restarts_total")
                    .Help("Actor restarts by their supervisor, by actor kind")
                    .Register(registry)),
      backlog_messages_(
          prometheus::BuildGauge()
              .Name("ferry_actor_backlog_messages")
              .Help("Messages waiting in mailboxes, by actor kind")
              .Register(registry)),
      backlog_age_(prometheus::BuildGauge()
                       .Name("ferry_actor_backlog_oldest_seconds")
                       .Help("Age of the oldest waiting message, by actor kind")
                       .Register(registry)) {}

void actor_metrics::restarted(const std::string& kind) {
  restarts_.Add({{"kind", kind}}).Increment();
}

void actor_metrics::backlog(const std::string& kind, std::size_t messages,
                            double oldest_age_seconds) {
  backlog_messages_.Add({{"kind", kind}}).Set(static_cast<double>(messages));
  backlog_age_.Add({{"kind", kind}}).Set(oldest_age_seconds);
}

} // namespace ferry::monitoring
