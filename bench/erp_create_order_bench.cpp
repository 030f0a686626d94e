// CreateSalesOrder calls per second through the erp_connector actor against
// ferry-sim-erp (zero added latency), beside a bare erp_client loop with the
// same number of sessions, in the same run. Goal: subject >= 0.8 x baseline.

#include "actors/erp_connector.hpp"
#include "actors/message_types.hpp"
#include "actors/scheduler_tuning.hpp"
#include "bench/process_cpu.hpp"
#include "tests/protocols/erp_sim_fixture.hpp"

#include <algorithm>
#include <atomic>
#include <caf/all.hpp>
#include <chrono>
#include <iostream>
#include <nlohmann/json.hpp>
#include <prometheus/registry.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace {

using clock_type = std::chrono::steady_clock;
constexpr std::size_t sessions = 8;
constexpr std::size_t offered = 4 * sessions;
constexpr auto measure_for = std::chrono::seconds{8};

/// A round's rate, and the CPU it took per call in this process and the
/// simulator together: the rate only shows the CPU cost when both cores
/// are busy, this figure shows it on any machine.
struct round_result {
  double calls_per_second = 0;
  double cpu_ms_per_call = 0;
};

double both_cpu_seconds(const ferry::test::erp_simulator& sim) {
  return ferry::bench::own_cpu_seconds(::getpid()) +
         ferry::bench::tree_cpu_seconds(sim.pid());
}

std::string order_id(const char* run, std::uint64_t n) {
  return std::string{"WEB-"} + run + "-" + std::to_string(n);
}

round_result bare_loop(const ferry::test::erp_simulator& sim, int round) {
  auto run = "bare" + std::to_string(round);
  auto cpu_before = both_cpu_seconds(sim);
  std::atomic<std::uint64_t> done{0};
  std::atomic<std::uint64_t> next{0};
  std::atomic<bool> failed{false};
  auto until = clock_type::now() + measure_for;
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < sessions; ++i)
    threads.emplace_back([&] {
      ferry::erp_client client{sim.client_settings()};
      while (clock_type::now() < until) {
        auto r = client.create_sales_order(
            ferry::test::sample_order(order_id(run.c_str(), next++)));
        if (r)
          ++done;
        else
          failed = true;
      }
    });
  for (auto& t : threads)
    t.join();
  if (failed)
    std::cerr << "bare loop: some calls failed\n";
  return {static_cast<double>(done) / measure_for.count(),
          (both_cpu_seconds(sim) - cpu_before) * 1000 /
              std::max<double>(1, static_cast<double>(done))};
}

round_result through_actor(const ferry::test::erp_simulator& sim, int round) {
  auto run = "actor" + std::to_string(round);
  // The registry must outlive the actor system: the connector may update
  // a gauge after its last answer went out.
  prometheus::Registry registry;
  caf::actor_system_config cfg;
  ferry::register_message_types(cfg);
  ferry::tune_scheduler(cfg);
  caf::actor_system sys{cfg};
  ferry::erp_connector_settings s;
  auto cs = sim.client_settings();
  s.endpoint = cs.endpoint;
  s.username = cs.username;
  s.password = cs.password;
  s.ca_file = cs.ca_file;
  s.max_sessions = sessions;
  auto connector = ferry::spawn_erp_connector(sys, s, registry);
  caf::scoped_actor self{sys};
  std::uint64_t sent = 0;
  std::uint64_t done = 0;
  std::uint64_t failed = 0;
  // As many calls outstanding as Ferry's callers (many sagas at once) keep
  // waiting: four per session, so that a session never waits for this loop
  // to send the next call. The connector still runs 8 at a time.
  for (std::size_t i = 0; i < offered; ++i)
    self->send(connector,
               ferry::erp_create_sales_order{
                   ferry::test::sample_order(order_id(run.c_str(), sent++))});
  auto until = clock_type::now() + measure_for;
  std::uint64_t outstanding = offered;
  bool measuring = true;
  auto cpu_before = both_cpu_seconds(sim);
  while (outstanding > 0) {
    self->receive([&](ferry::erp_created_sales_order&) { ++done; },
                  [&](caf::error&) { ++failed; });
    --outstanding;
    if (measuring && clock_type::now() >= until)
      measuring = false;
    if (measuring) {
      self->send(connector,
                 ferry::erp_create_sales_order{
                     ferry::test::sample_order(order_id(run.c_str(), sent++))});
      ++outstanding;
    }
  }
  auto cpu_ms_per_call = (both_cpu_seconds(sim) - cpu_before) * 1000 /
                         std::max<double>(1, static_cast<double>(done));
  if (failed)
    std::cerr << "actor: " << failed << " calls failed\n";
  self->send_exit(connector, caf::exit_reason::user_shutdown);
  return {static_cast<double>(done) / measure_for.count(), cpu_ms_per_call};
}

} // namespace

int main() {
  ferry::test::erp_simulator sim{{"--no-fsync"}};
  // Warm-up: certificates, connections, the simulator's first allocations.
  {
    ferry::erp_client warm{sim.client_settings()};
    for (int i = 0; i < 20; ++i)
      (void)warm.create_sales_order(ferry::test::sample_order(
          order_id("warm", static_cast<std::uint64_t>(i))));
  }
  // Alternated rounds: the simulator holds more orders as the run goes on,
  // so one side measured after the other would carry that drift.
  std::vector<double> bare_rounds;
  std::vector<double> actor_rounds;
  std::vector<double> bare_cpu;
  std::vector<double> actor_cpu;
  for (int round = 0; round < 2; ++round) {
    auto bare = bare_loop(sim, round);
    bare_rounds.push_back(bare.calls_per_second);
    bare_cpu.push_back(bare.cpu_ms_per_call);
    auto actor = through_actor(sim, round);
    actor_rounds.push_back(actor.calls_per_second);
    actor_cpu.push_back(actor.cpu_ms_per_call);
  }
  auto mean = [](const std::vector<double>& v) {
    double sum = 0;
    for (double x : v)
      sum += x;
    return v.empty() ? 0.0 : sum / static_cast<double>(v.size());
  };
  double baseline = mean(bare_rounds);
  double subject = mean(actor_rounds);
  nlohmann::json out = {
      {"name", "erp_create_order"},
      {"subject",
       {{"label", "CreateSalesOrder via erp_connector (8 sessions)"},
        {"value", subject},
        {"unit", "calls/s"}}},
      {"baseline",
       {{"label", "bare erp_client loop (8 sessions)"},
        {"value", baseline},
        {"unit", "calls/s"}}},
      {"ratio", baseline > 0 ? subject / baseline : 0},
      {"goal", ">= 0.8"},
      {"extra",
       {{"seconds_each", measure_for.count()},
        {"bare_rounds", bare_rounds},
        {"actor_rounds", actor_rounds},
        // Both processes: the client (this one) and the simulator.
        {"bare_cpu_ms_per_call", mean(bare_cpu)},
        {"actor_cpu_ms_per_call", mean(actor_cpu)}}}};
  std::cout << out.dump() << std::endl;
  return 0;
}
