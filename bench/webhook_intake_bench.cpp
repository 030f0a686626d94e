// Webhook intake throughput and ack latency (HMAC check + durable inbox
// commit over HTTPS) beside pgbench's single-row insert TPS on the same
// PostgreSQL, in the same run. pgbench gets 8 client sessions (each INSERT
// its own autocommit transaction, PostgreSQL flushing concurrent commits
// together); the intake gets 16 concurrent HTTPS senders and commits through
// one writer session (group commit, webhook_intake.hpp).
// Prints one JSON object (docs/DEVELOPING.md, "Benchmarks").
#include "actors/webhook_intake.hpp"
#include "bench/process_cpu.hpp"
#include "persistence/inbox_store.hpp"
#include "persistence/migrations.hpp"
#include "persistence/pg_pool.hpp"
#include "protocols/http/client.hpp"
#include "protocols/http/server.hpp"
#include "protocols/tls.hpp"
#include "protocols/webhook_signature.hpp"
#include "tests/support/services.hpp"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>
#include <prometheus/registry.h>
#include <regex>
#include <thread>
#include <unistd.h>
#include <vector>

using namespace ferry;
using steady = std::chrono::steady_clock;

namespace {

int env_int(const char* name, int fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? std::atoi(v) : fallback;
}

/// pgbench's TPS for a one-row INSERT of a comparable JSON payload, with
/// `sessions` clients for `seconds`.
double pgbench_tps(const std::string& url, int sessions, int seconds,
                   const std::string& dir) {
  {
    pqxx::connection c{url};
    pqxx::nontransaction tx{c};
    tx.exec("CREATE TABLE IF NOT EXISTS pgbench_rows (id bigserial PRIMARY "
            "KEY, event_id text NOT NULL UNIQUE, payload jsonb NOT NULL, "
            "received_at timestamptz NOT NULL DEFAULT now())");
  }
  std::string script = dir + "/insert.sql";
  std::ofstream(script)
      << "INSERT INTO pgbench_rows (event_id, payload) VALUES "
         "(gen_random_uuid()::text, "
         "'{\"entity_id\":1001,\"increment_id\":\"000001001\",\"status\":"
         "\"pending\",\"grand_total\":5412.40}') ON CONFLICT DO NOTHING;\n";
  std::string out = dir + "/pgbench.out";
  std::string cmd = "/usr/lib/postgresql/15/bin/pgbench -n -c " +
                    std::to_string(sessions) + " -j 2 -T " +
                    std::to_string(seconds) + " -f " + script + " '" + url +
                    "' > " + out + " 2>&1";
  if (std::system(cmd.c_str()) != 0) {
    std::ifstream in(out);
    std::cerr << "pgbench failed:\n" << in.rdbuf() << "\n";
    return 0;
  }
  std::ifstream in(out);
  std::string text((std::istreambuf_iterator<char>(in)), {});
  std::smatch m;
  if (std::regex_search(text, m, std::regex(R"(tps = ([0-9.]+))")))
    return std::stod(m[1]);
  std::cerr << "no tps in pgbench output:\n" << text << "\n";
  return 0;
}

/// Acknowledged deliveries of one phase and their ack latencies.
struct phase_result {
  std::vector<double> latencies_ms; // sorted
  long failed = 0;
  double seconds = 0;

  double percentile(double p) const {
    if (latencies_ms.empty())
      return 0.0;
    auto i =
        static_cast<std::size_t>(p * static_cast<double>(latencies_ms.size()));
    return latencies_ms[std::min(latencies_ms.size() - 1, i)];
  }
  double rate() const {
    return seconds > 0 ? static_cast<double>(latencies_ms.size()) / seconds
                       : 0.0;
  }
};

/// `senders` threads post signed webhooks back to back for `seconds`; each
/// event id is unique to (phase, sender, sequence number).
phase_result run_phase(http::client& client, const std::string& url,
                       const std::string& phase, int senders, int seconds) {
  std::atomic<bool> stop{false};
  std::atomic<long> failed{0};
  std::vector<std::vector<double>> latencies(senders);
  std::vector<std::thread> threads;
  auto started = steady::now();
  for (int t = 0; t < senders; ++t) {
    threads.emplace_back([&, t] {
      for (long i = 0; !stop.load(); ++i) {
        std::string body = nlohmann::json{
            {"entity_id", t * 10'000'000 + i},
            {"increment_id", std::to_string(i)},
            {"status", "pending"},
            {"grand_total",
             5412.40}}.dump();
        http::client_request req{"POST", url, {}, body, {}};
        req.headers.set("Content-Type", "application/json");
        req.headers.set("X-Shop-Topic", "orders/create");
        req.headers.set("X-Shop-Event-Id", "bench-" + phase + "-" +
                                               std::to_string(t) + "-" +
                                               std::to_string(i));
        req.headers.set("X-Shop-Hmac-Sha256",
                        webhook::sign("bench-secret", body));
        auto sent = steady::now();
        auto res = client.send(std::move(req));
        auto took =
            std::chrono::duration<double, std::milli>(steady::now() - sent)
                .count();
        if (res.response && res.response->status == 200)
          latencies[t].push_back(took);
        else
          ++failed;
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::seconds(seconds));
  stop = true;
  for (auto& th : threads)
    th.join();
  phase_result out;
  out.seconds = std::chrono::duration<double>(steady::now() - started).count();
  out.failed = failed.load();
  for (auto& v : latencies)
    out.latencies_ms.insert(out.latencies_ms.end(), v.begin(), v.end());
  std::sort(out.latencies_ms.begin(), out.latencies_ms.end());
  return out;
}

/// Webhooks per inbox commit, over the whole run.
double batch_mean(prometheus::Registry& registry) {
  for (const auto& family : registry.Collect())
    if (family.name == "ferry_webhook_batch_size" && !family.metric.empty()) {
      const auto& h = family.metric[0].histogram;
      return h.sample_count > 0
                 ? h.sample_sum / static_cast<double>(h.sample_count)
                 : 0.0;
    }
  return 0.0;
}

} // namespace

int main() {
  const int seconds = env_int("FERRY_BENCH_SECONDS", 10);
  const int sessions = 8; // database sessions on both sides
  const int senders = 16; // concurrent deliveries in flight
  test::scratch_database db;
  test::temp_dir dir;
  auto certs = tls::ensure_self_signed_certificate(dir.path() + "/certs");

  double baseline = pgbench_tps(db.url(), sessions, seconds, dir.path());

  prometheus::Registry registry;
  persistence::pg_pool_options po;
  po.url = db.url();
  po.max_size = sessions;
  persistence::pg_pool pool{po, registry};
  if (auto m = persistence::migrate(pool); !m) {
    std::cerr << "migrations failed: " << persistence::db_error_text(m.error())
              << "\n";
    return 1;
  }
  persistence::inbox_store store{pool};
  webhook_intake_settings ws;
  ws.secrets = {"bench-secret"};
  // Group commit: one writer takes every webhook waiting and commits them
  // in one statement (FERRY_BENCH_WRITERS to compare with more).
  ws.workers = static_cast<std::size_t>(env_int("FERRY_BENCH_WRITERS", 1));
  ws.max_queued = 1024;
  webhook_intake intake{ws, store, nullptr, registry};
  http::router r;
  intake.add_routes(r);
  http::server_settings ss;
  ss.cert_file = certs.cert_file;
  ss.key_file = certs.key_file;
  ss.io_threads = 2;
  http::server server{ss, std::move(r)};
  auto port = server.start();
  http::client_settings cs;
  cs.ca_file = certs.ca_file;
  cs.max_connections_per_host = senders;
  http::client client{cs};
  std::string url =
      "https://localhost:" + std::to_string(port) + "/webhooks/shop";

  // The CPU of this process (senders and intake) and of PostgreSQL per
  // delivery: what a webhook costs the machine, whatever its load.
  int postmaster = 0;
  {
    pqxx::connection c{db.url()};
    pqxx::nontransaction tx{c};
    postmaster =
        bench::parent_pid(tx.exec1("SELECT pg_backend_pid()")[0].as<int>());
  }
  auto machine_cpu = [&] {
    return bench::own_cpu_seconds(::getpid()) +
           bench::tree_cpu_seconds(postmaster);
  };

  // Throughput with deliveries queueing, then the ack latency a shop sees
  // when it sends one or a few at a time (the p50 goal is about the latter:
  // under 16 concurrent senders p50 is mostly queueing).
  auto cpu_before = machine_cpu();
  auto loaded = run_phase(client, url, "loaded", senders, seconds);
  double cpu_ms_per_webhook =
      (machine_cpu() - cpu_before) * 1000 /
      std::max<double>(1, static_cast<double>(loaded.latencies_ms.size()));
  std::vector<std::pair<int, phase_result>> light;
  for (int few : {1, 4})
    light.emplace_back(few,
                       run_phase(client, url, "light" + std::to_string(few),
                                 few, std::max(2, seconds / 2)));
  server.stop();

  double rps = loaded.rate();
  long acknowledged = static_cast<long>(loaded.latencies_ms.size());
  long failed = loaded.failed;
  nlohmann::json low_concurrency = nlohmann::json::object();
  for (const auto& [few, phase] : light) {
    acknowledged += static_cast<long>(phase.latencies_ms.size());
    failed += phase.failed;
    low_concurrency[std::to_string(few) + "_senders"] = {
        {"ack_p50_ms", phase.percentile(0.50)},
        {"ack_p99_ms", phase.percentile(0.99)},
        {"req_per_s", phase.rate()}};
  }
  long stored = 0;
  {
    pqxx::connection c{db.url()};
    pqxx::nontransaction tx{c};
    stored = tx.exec1("SELECT count(*) FROM inbox")[0].as<long>();
  }
  nlohmann::json result{
      {"name", "webhook_intake"},
      {"subject",
       {{"label", "webhook intake (HTTPS + HMAC + inbox commit)"},
        {"value", rps},
        {"unit", "req/s"}}},
      {"baseline",
       {{"label", "pgbench single-row insert"},
        {"value", baseline},
        {"unit", "tps"}}},
      {"ratio", baseline > 0 ? rps / baseline : 0.0},
      {"goal", ">= 0.5 of pgbench TPS; ack p50 < 5 ms at 1-4 senders"},
      {"extra",
       {{"ack_p50_ms", loaded.percentile(0.50)},
        {"ack_p99_ms", loaded.percentile(0.99)},
        {"cpu_ms_per_webhook", cpu_ms_per_webhook},
        {"low_concurrency", low_concurrency},
        {"acknowledged", acknowledged},
        {"failed", failed},
        {"inbox_rows", stored},
        {"db_sessions", sessions},
        {"writers", ws.workers},
        {"mean_batch", batch_mean(registry)},
        {"concurrent_senders", senders},
        {"seconds", seconds}}}};
  std::cout << result.dump() << std::endl;
  // Every acknowledged delivery must be durable; anything else is a bug
  // worth failing the bench run for.
  return stored == acknowledged ? 0 : 1;
}
