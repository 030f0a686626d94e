#include "actors/message_types.hpp"
#include "actors/runtime_messages.hpp"
#include "actors/scheduler_tuning.hpp"
#include "actors/shutdown.hpp"
#include "actors/supervisor.hpp"
#include "app/api_endpoint.hpp"
#include "app/commands.hpp"
#include "app/components.hpp"
#include "monitoring/log.hpp"
#include "monitoring/metrics.hpp"
#include "monitoring/ops_server.hpp"
#include "persistence/errors.hpp"
#include "persistence/migrations.hpp"
#include "persistence/pg_pool.hpp"
#include "persistence/readiness.hpp"
#include "persistence/redis_client.hpp"

#include <atomic>
#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scoped_actor.hpp>
#include <csignal>
#include <iostream>
#include <memory>
#include <mutex>
#include <prometheus/registry.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

namespace ferry::app {

namespace {

using namespace std::chrono_literals;
namespace mon = ferry::monitoring;

constexpr const char* component = "app";

// The whole stop, from the signal to exit, must fit in 10 s: the drain gets
// most of it, the rest is for the ops server and the actor system to stop.
constexpr auto drain_budget = 6s;

// Set by the root supervisor's escalation, read after sigwait returns.
std::atomic<bool> escalated{false};
std::mutex escalation_mutex;
std::string escalation_reason;

mon::log_level monitoring_level(config::log_level level) {
  switch (level) {
    case config::log_level::trace:
    case config::log_level::debug:
      return mon::log_level::debug;
    case config::log_level::info:
      return mon::log_level::info;
    case config::log_level::warn:
      return mon::log_level::warn;
    case config::log_level::error:
      return mon::log_level::error;
  }
  return mon::log_level::info;
}

sigset_t stop_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  // Raised by the root supervisor's escalation to wake the main thread.
  sigaddset(&set, SIGUSR1);
  return set;
}

supervisor_settings root_settings(const config::ferry_config& config) {
  auto settings = area_settings(config, "root");
  // An area that exceeds its intensity is restarted at the longest backoff
  // and shown degraded on /readyz: the node stays up for the other areas.
  settings.escalate = false;
  settings.on_escalation = [](const caf::error& reason) {
    {
      std::lock_guard<std::mutex> guard(escalation_mutex);
      escalation_reason = caf::to_string(reason);
    }
    escalated = true;
    ::kill(::getpid(), SIGUSR1);
  };
  return settings;
}

persistence::redis_options redis_options(const config::ferry_config& config) {
  persistence::redis_options options;
  options.host = config.redis.host;
  options.port = config.redis.port;
  options.timeout = config.redis.timeout;
  if (!config.redis.password.empty())
    options.password = config.redis.password;
  return options;
}

mon::probe_result supervisor_probe(caf::actor_system& system,
                                   const caf::actor& root) {
  caf::scoped_actor self{system};
  mon::probe_result result{false, "no answer from the root supervisor"};
  self->request(root, 1s, caf::get_atom::value)
      .receive(
          [&](const supervisor_status& status) {
            result.ok = status.phase == "running";
            result.detail =
                status.phase + ", " + std::to_string(status.running) + " of " +
                std::to_string(status.running + status.pending_restarts) +
                " areas running";
            if (!status.degraded.empty()) {
              result.detail += "; degraded:";
              for (const auto& d : status.degraded)
                result.detail += " " + d;
            }
          },
          [&](const caf::error& error) {
            result.detail = "root supervisor: " + system.render(error);
          });
  return result;
}

} // namespace

int run_command(const std::vector<std::string>& args) {
  std::string bad_usage;
  auto path = config_path_argument(args, bad_usage);
  if (!bad_usage.empty()) {
    std::cerr << "ferry run: " << bad_usage
              << "\nusage: ferry run [--config FILE]\n";
    return 2;
  }
  auto config = load_or_report(path);
  if (!config)
    return 1;
  mon::set_log_level(monitoring_level(config->logging.level));

  // Before any thread exists, so that every thread inherits the mask and the
  // stop signals reach only the sigwait below.
  auto signals = stop_signals();
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  mon::log_info(component, "starting",
                {{"node", config->node.id},
                 {"version", mon::build_version()},
                 {"config_file", path ? *path : "<defaults>"},
                 {"config", config::to_redacted_json(*config)}});

  prometheus::Registry registry;
  mon::register_build_info(registry);
  persistence::pg_pool pool(
      pool_options(*config,
                   static_cast<std::size_t>(config->database.pool_size),
                   "main"),
      registry);

  auto migrated = persistence::migrate(pool);
  if (!migrated) {
    mon::log_error(component, "database migration failed; not starting",
                   {{"error", persistence::db_error_text(migrated.error())}});
    return 1;
  }
  mon::log_info(
      component, "database migrated",
      {{"applied", migrated->applied}, {"version", migrated->current_version}});

  // Used by the readiness probe only; components that use Redis have their
  // own clients (one connection each, see redis_client.hpp).
  persistence::redis_client redis_for_probe(redis_options(*config));

  std::unique_ptr<mon::ops_server> ops;
  try {
    ops = std::make_unique<mon::ops_server>(
        mon::ops_server_options{config->ops.listen, 4, 2s}, registry);
  } catch (const std::exception& e) {
    mon::log_error(component, "cannot serve the ops endpoint",
                   {{"listen", config->ops.listen}, {"error", e.what()}});
    return 1;
  }

  // Webhooks are refused with 503 + Retry-After (the shop retries) once the
  // gate closes at shutdown; the consumers of the inbox feed it their
  // backlog through their supervisor.
  auto webhook_gate = std::make_shared<throttle_gate>(backlog_watermarks{
      static_cast<std::uint64_t>(config->throttle.high_watermark),
      static_cast<std::uint64_t>(config->throttle.low_watermark),
      config->throttle.max_oldest_age, config->throttle.max_oldest_age / 5,
      std::chrono::duration_cast<std::chrono::seconds>(
          config->throttle.retry_after)});
  std::atomic<bool> stopping{false};
  auto flows = std::make_shared<mon::flow_health>(registry);
  int status = 0;
  {
    caf::actor_system_config cfg;
    register_message_types(cfg);
    tune_scheduler(cfg);
    caf::actor_system system{cfg};
    component_context context{
        *config,
        registry,
        pool,
        system,
        std::make_shared<connector_directory>(),
        std::make_shared<pricing_memory>(config->pricing.cache_ttl)};
    context.flows = flows;
    auto root = spawn_supervisor(system, registry, root_settings(*config),
                                 root_children(context));

    // After the root supervisor, so that handlers find the actors they send
    // to; destroyed before the actor system (it is declared inside its
    // scope), so that no handler outlives them.
    std::unique_ptr<api_endpoint> api;
    try {
      api = std::make_unique<api_endpoint>(
          *config, pool, registry, webhook_gate.get(),
          [&context](const oauth::token_issuer& issuer, http::router& router) {
            api_context routes{context, issuer};
            add_api_routes(routes, router);
          },
          order_webhook_commit(context), flows);
    } catch (const std::exception& e) {
      mon::log_error(component, "cannot serve the API",
                     {{"listen", config->api.listen}, {"error", e.what()}});
      caf::anon_send_exit(root, caf::exit_reason::user_shutdown);
      ops.reset();
      return 1;
    }

    // All at once: /readyz answers 503 until probes exist, and must not
    // answer 200 having checked only some of them.
    ops->add_probes(
        {{"shutdown",
          [&stopping] {
            return stopping ? mon::probe_result{false, "draining"}
                            : mon::probe_result{true, "running"};
          }},
         persistence::postgres_probe(pool),
         persistence::migrations_probe(pool),
         persistence::optional_redis_probe(redis_for_probe),
         {"actors", [&system, root] { return supervisor_probe(system, root); }},
         mon::flow_health::probe(flows)});
    mon::log_info(component, "running",
                  {{"ops_port", ops->port()},
                   {"api_port", api->port()},
                   {"node", config->node.id}});

    int signal_number = 0;
    sigwait(&signals, &signal_number);
    stopping = true;
    webhook_gate->close();
    if (escalated) {
      std::lock_guard<std::mutex> guard(escalation_mutex);
      mon::log_error(component, "root supervisor escalated; stopping",
                     {{"reason", escalation_reason}});
      status = 1;
    } else {
      mon::log_info(
          component, "stopping",
          {{"signal", signal_number == SIGINT ? "SIGINT" : "SIGTERM"}});
    }

    {
      caf::scoped_actor self{system};
      self->request(root, drain_budget + 2s, drain_atom::value,
                    caf::timespan{drain_budget})
          .receive(
              [&](const drain_report& report) {
                mon::log_info(component, "drained",
                              {{"drained", report.drained},
                               {"stopped", report.stopped},
                               {"killed", report.killed}});
              },
              [&](const caf::error& error) {
                // An escalated root is already gone: nothing left to drain.
                if (!escalated)
                  mon::log_warn(component, "drain did not complete",
                                {{"error", system.render(error)}});
              });
    }
    // The API's handlers and the ops server's probes reference actors:
    // stop serving before the actor system goes away.
    api.reset();
    caf::anon_send_exit(root, caf::exit_reason::user_shutdown);
    if (!release_timers(system, 2s))
      mon::log_warn(component, "actors still running after the drain",
                    {{"running", system.registry().running()}});
    ops.reset();
  }
  mon::log_info(component, "stopped", {{"exit_status", status}});
  return status;
}

} // namespace ferry::app
