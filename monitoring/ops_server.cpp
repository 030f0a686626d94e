#include "monitoring/ops_server.hpp"

#include "monitoring/dashboard.hpp"

#include <CivetServer.h>
#include <condition_variable>
#include <nlohmann/json.hpp>
#include <prometheus/text_serializer.h>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace ferry::monitoring {

namespace {

void reply(mg_connection* conn, int status, const char* reason,
           const char* content_type, const std::string& body) {
  mg_printf(conn,
            "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
            "Cache-Control: no-store\r\nConnection: close\r\n\r\n",
            status, reason, content_type, body.size());
  mg_write(conn, body.data(), body.size());
}

/// The state of one probe run, shared with the thread that runs it so that
/// a probe that hangs past its time-out can finish later without harm.
struct probe_run {
  std::mutex mtx;
  std::condition_variable done_cv;
  bool done = false;
  probe_result result;
};

/// A probe plus its run in flight, if any: a hung probe is not started
/// again until its previous run ends, so threads never pile up.
struct probe_slot {
  readiness_probe probe;
  std::shared_ptr<probe_run> in_flight;
};

} // namespace

struct ops_server::impl {
  ops_server_options options;
  prometheus::Registry& registry;
  std::mutex probes_mtx;
  std::vector<std::shared_ptr<probe_slot>> probes;
  std::unique_ptr<CivetServer> server;

  struct metrics_handler : CivetHandler {
    impl* self;
    explicit metrics_handler(impl* s) : self(s) {}
    bool handleGet(CivetServer*, mg_connection* conn) override {
      std::ostringstream out;
      prometheus::TextSerializer{}.Serialize(out, self->registry.Collect());
      reply(conn, 200, "OK", "text/plain; version=0.0.4; charset=utf-8",
            out.str());
      return true;
    }
  } metrics{this};

  struct health_handler : CivetHandler {
    bool handleGet(CivetServer*, mg_connection* conn) override {
      reply(conn, 200, "OK", "text/plain", "ok");
      return true;
    }
  } health;

  struct dashboard_handler : CivetHandler {
    bool handleGet(CivetServer*, mg_connection* conn) override {
      reply(conn, 200, "OK", "text/html; charset=utf-8",
            std::string{dashboard_html()});
      return true;
    }
  } dashboard;

  struct ready_handler : CivetHandler {
    ops_server* owner;
    explicit ready_handler(ops_server* o) : owner(o) {}
    bool handleGet(CivetServer*, mg_connection* conn) override {
      auto report = owner->check_readiness();
      if (report.ready)
        reply(conn, 200, "OK", "application/json", report.to_json());
      else
        reply(conn, 503, "Service Unavailable", "application/json",
              report.to_json());
      return true;
    }
  } ready;

  impl(ops_server_options opts, prometheus::Registry& reg, ops_server* owner)
      : options(std::move(opts)), registry(reg), ready(owner) {}
};

std::string readiness_report::to_json() const {
  nlohmann::ordered_json body;
  body["ready"] = ready;
  body["probes"] = nlohmann::ordered_json::array();
  for (const auto& p : probes)
    body["probes"].push_back(
        {{"name", p.name}, {"ok", p.result.ok}, {"detail", p.result.detail}});
  return body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

ops_server::ops_server(ops_server_options options,
                       prometheus::Registry& registry)
    : impl_(std::make_unique<impl>(std::move(options), registry, this)) {
  std::vector<std::string> civet_options{
      "listening_ports", impl_->options.listen, "num_threads",
      std::to_string(std::max(1, impl_->options.threads))};
  try {
    impl_->server = std::make_unique<CivetServer>(civet_options);
  } catch (const CivetException& e) {
    throw std::runtime_error("ops server: cannot listen on '" +
                             impl_->options.listen + "': " + e.what());
  }
  impl_->server->addHandler("/metrics", impl_->metrics);
  impl_->server->addHandler("/healthz", impl_->health);
  impl_->server->addHandler("/readyz", impl_->ready);
  impl_->server->addHandler("/dashboard", impl_->dashboard);
}

ops_server::~ops_server() {
  // Stop serving before the handlers and the probes go away.
  if (impl_->server)
    impl_->server->close();
  // Probe threads use what the probes captured (pools, clients): wait for
  // runs still in flight, which their own time-outs bound, before those go.
  std::lock_guard<std::mutex> guard(impl_->probes_mtx);
  for (auto& slot : impl_->probes) {
    if (!slot->in_flight)
      continue;
    std::unique_lock<std::mutex> run_guard(slot->in_flight->mtx);
    slot->in_flight->done_cv.wait_for(run_guard, std::chrono::seconds(30),
                                      [&] { return slot->in_flight->done; });
  }
}

void ops_server::add_probe(readiness_probe probe) {
  std::vector<readiness_probe> one;
  one.push_back(std::move(probe));
  add_probes(std::move(one));
}

void ops_server::add_probes(std::vector<readiness_probe> probes) {
  std::vector<std::shared_ptr<probe_slot>> slots;
  for (auto& probe : probes) {
    auto slot = std::make_shared<probe_slot>();
    slot->probe = std::move(probe);
    slots.push_back(std::move(slot));
  }
  std::lock_guard<std::mutex> guard(impl_->probes_mtx);
  impl_->probes.insert(impl_->probes.end(), slots.begin(), slots.end());
}

int ops_server::port() const {
  auto ports = impl_->server->getListeningPorts();
  return ports.empty() ? 0 : ports.front();
}

readiness_report ops_server::check_readiness() {
  std::vector<std::shared_ptr<probe_slot>> slots;
  // Start every probe first, then wait for all: a slow dependency costs one
  // time-out, not one per probe.
  std::vector<std::shared_ptr<probe_run>> runs;
  {
    std::lock_guard<std::mutex> guard(impl_->probes_mtx);
    slots = impl_->probes;
    for (auto& slot : slots) {
      if (slot->in_flight) {
        std::lock_guard<std::mutex> run_guard(slot->in_flight->mtx);
        if (!slot->in_flight->done) {
          runs.push_back(slot->in_flight);
          continue;
        }
      }
      auto run = std::make_shared<probe_run>();
      slot->in_flight = run;
      runs.push_back(run);
      std::thread([run, check = slot->probe.check] {
        probe_result result;
        try {
          result = check();
        } catch (const std::exception& e) {
          result = {false, std::string("probe failed: ") + e.what()};
        }
        std::lock_guard<std::mutex> run_guard(run->mtx);
        run->result = std::move(result);
        run->done = true;
        run->done_cv.notify_all();
      }).detach();
    }
  }
  auto deadline =
      std::chrono::steady_clock::now() + impl_->options.probe_timeout;
  readiness_report report;
  if (slots.empty()) {
    // The server listens before the process has built what the probes
    // check; an empty report would say "ready" having checked nothing.
    report.ready = false;
    report.probes.push_back(
        {"startup", {false, "starting: no readiness checks registered yet"}});
    return report;
  }
  for (std::size_t i = 0; i < slots.size(); ++i) {
    auto& run = runs[i];
    std::unique_lock<std::mutex> run_guard(run->mtx);
    probe_report line{slots[i]->probe.name, {}};
    if (run->done_cv.wait_until(run_guard, deadline, [&] { return run->done; }))
      line.result = run->result;
    else
      line.result = {false,
                     "no answer within " +
                         std::to_string(impl_->options.probe_timeout.count()) +
                         " ms"};
    report.ready = report.ready && line.result.ok;
    report.probes.push_back(std::move(line));
  }
  return report;
}

} // namespace ferry::monitoring
