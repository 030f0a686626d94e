#include "monitoring/flow_health.hpp"

namespace ferry::monitoring {

flow_health::flow_health(prometheus::Registry& registry,
                         std::chrono::seconds log_every, clock_fn clock)
    : failures_(
          prometheus::BuildCounter()
              .Name("ferry_flow_failures_total")
              .Help("Failed calls, refused records and abandoned cycles of "
                    "the sync flows, by flow and reason")
              .Register(registry)),
      last_cycle_(
          prometheus::BuildGauge()
              .Name("ferry_flow_last_cycle_timestamp_seconds")
              .Help("When a sync flow last completed a cycle (Unix time)")
              .Register(registry)),
      log_every_(log_every),
      clock_(std::move(clock)) {}

std::chrono::steady_clock::time_point flow_health::now() const {
  return clock_ ? clock_() : std::chrono::steady_clock::now();
}

flow_health::flow_state& flow_health::flow(std::string_view name) {
  auto it = flows_.find(name);
  if (it == flows_.end()) {
    it = flows_.emplace(std::string{name}, flow_state{}).first;
    it->second.last_cycle = now();
    it->second.last_cycle_gauge =
        &last_cycle_.Add({{"flow", std::string{name}}});
  }
  return it->second;
}

void flow_health::failed(std::string_view flow_name, std::string_view reason,
                         std::string_view detail, log_fields fields,
                         double count) {
  std::uint64_t suppressed = 0;
  {
    std::lock_guard<std::mutex> guard{mutex_};
    failures_
        .Add(
            {{"flow", std::string{flow_name}}, {"reason", std::string{reason}}})
        .Increment(count);
    auto& state = logs_[{std::string{flow_name}, std::string{reason}}];
    auto t = now();
    if (state.ever && t - state.logged < log_every_) {
      ++state.suppressed;
      return;
    }
    suppressed = state.suppressed;
    state = log_state{t, 0, true};
  }
  log_warn(flow_name, detail, fields);
  if (suppressed > 0)
    log_warn(flow_name, "more failures of this kind were not logged",
             {{"reason", std::string{reason}}, {"suppressed", suppressed}});
}

void flow_health::expect_cycles(std::string_view name,
                                std::chrono::milliseconds interval) {
  std::lock_guard<std::mutex> guard{mutex_};
  flow(name).interval = interval;
}

void flow_health::cycle_completed(std::string_view name) {
  std::lock_guard<std::mutex> guard{mutex_};
  auto& f = flow(name);
  f.last_cycle = now();
  f.last_cycle_gauge->Set(static_cast<double>(
      std::chrono::duration_cast<std::chrono::seconds>(
          std::chrono::system_clock::now().time_since_epoch())
          .count()));
}

std::string flow_health::stale_flows() const {
  std::lock_guard<std::mutex> guard{mutex_};
  auto t = now();
  std::string out;
  for (const auto& [name, f] : flows_) {
    if (f.interval.count() <= 0 || t - f.last_cycle <= 3 * f.interval)
      continue;
    auto secs = [](auto d) {
      return std::to_string(
          std::chrono::duration_cast<std::chrono::seconds>(d).count());
    };
    if (!out.empty())
      out += ", ";
    out += name + " (no cycle for " + secs(t - f.last_cycle) +
           " s, expected every " + secs(f.interval) + " s)";
  }
  return out;
}

readiness_probe flow_health::probe(std::shared_ptr<const flow_health> health) {
  return {"flows", [health] {
            auto stale = health->stale_flows();
            return stale.empty()
                       ? probe_result{true, "every flow completes its cycles"}
                       : probe_result{true, "stale: " + stale};
          }};
}

} // namespace ferry::monitoring
