#pragma once

// The operations HTTP endpoint: GET /metrics, /healthz and /readyz on one
// port. prometheus::Exposer can serve only its metrics path, so this uses
// civetweb (CivetServer) directly — the same embedded server the Exposer
// is built on — and serialises the registry with prometheus::TextSerializer.

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <prometheus/registry.h>
#include <string>
#include <vector>

namespace ferry::monitoring {

/// The outcome of one readiness check.
struct probe_result {
  /// Whether the dependency is usable.
  bool ok = false;
  /// Why not (or a short note when ok); never contains secrets.
  std::string detail;
};

/// A named readiness check, e.g. {"postgresql", ...}. It must bound its own
/// work by time-outs; the server also stops waiting for it after the probe
/// time-out and reports it as not ready.
struct readiness_probe {
  /// Shown in the /readyz body.
  std::string name;
  /// The check; may be called from several threads at once.
  std::function<probe_result()> check;
};

/// One probe's line in a readiness report.
struct probe_report {
  /// The probe's name.
  std::string name;
  /// Its result.
  probe_result result;
};

/// All probes' results.
struct readiness_report {
  /// Whether every probe passed. False while none is registered: a process
  /// still starting has checked nothing and must not get traffic.
  bool ready = true;
  /// In registration order.
  std::vector<probe_report> probes;
  /// {"ready":bool,"probes":[{"name":..,"ok":..,"detail":..}]}
  std::string to_json() const;
};

/// How the ops server listens.
struct ops_server_options {
  /// civetweb's listening_ports syntax: "127.0.0.1:9464", "0.0.0.0:9464";
  /// port 0 picks a free port (read it with `port()`).
  std::string listen = "127.0.0.1:9464";
  /// Request threads.
  int threads = 4;
  /// How long /readyz waits for a probe before reporting it not ready.
  std::chrono::milliseconds probe_timeout{2000};
};

/// Serves GET /metrics (Prometheus text format of `registry`), /healthz
/// (200 "ok" while the process runs), /readyz (200 when every probe
/// passes, else 503; JSON body listing each probe; 503 with a "startup"
/// line until the first probe is registered) and /dashboard (the page
/// of monitoring/dashboard.hpp, which reads the other two). Starts listening in
/// the constructor; the destructor stops serving and waits (up to 30 s) for
/// probe runs still in flight, so what probes capture may be destroyed
/// right after the server.
class ops_server {
public:
  /// Listens on `options.listen`; throws std::runtime_error naming the
  /// address when it cannot. `registry` must outlive the server.
  ops_server(ops_server_options options, prometheus::Registry& registry);
  ~ops_server();
  ops_server(const ops_server&) = delete;
  ops_server& operator=(const ops_server&) = delete;

  /// Adds a readiness check; safe while serving.
  void add_probe(readiness_probe probe);

  /// Adds several checks at once, so that no /readyz answer is computed
  /// from only some of them (a node must not look ready because its
  /// database probe was not registered yet).
  void add_probes(std::vector<readiness_probe> probes);

  /// The bound port (the real one when listening on port 0).
  int port() const;

  /// Runs every probe concurrently, each bounded by the probe time-out; what
  /// /readyz answers.
  readiness_report check_readiness();

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace ferry::monitoring
