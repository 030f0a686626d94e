// The ops server over real sockets on port 0, with probe callbacks standing
// in for PostgreSQL and Redis.
#include "monitoring/metrics.hpp"
#include "monitoring/ops_server.hpp"
#include "tests/monitoring/http_get.hpp"
#include "tests/support/test_env.hpp"

#include <atomic>
#include <chrono>
#include <future>
#include <gtest/gtest.h>
#include <mutex>
#include <nlohmann/json.hpp>
#include <prometheus/counter.h>
#include <prometheus/registry.h>
#include <thread>
#include <vector>

using namespace ferry::monitoring;
using ferry::test::http_get;
using nlohmann::json;
using namespace std::chrono_literals;

namespace {

ops_server_options any_port(std::chrono::milliseconds probe_timeout = 2s) {
  ops_server_options options;
  options.listen = "127.0.0.1:0";
  options.threads = 2;
  options.probe_timeout = probe_timeout;
  return options;
}

} // namespace

TEST(ops_server, healthz_answers_ok) {
  prometheus::Registry registry;
  ops_server server(any_port(), registry);
  ASSERT_GT(server.port(), 0);
  auto answer = http_get(server.port(), "/healthz");
  EXPECT_EQ(answer.status, 200);
  EXPECT_EQ(answer.body, "ok");
}

TEST(ops_server, metrics_serves_the_registry_in_text_format) {
  prometheus::Registry registry;
  register_build_info(registry, "9.8.7", "abc123");
  actor_metrics actors(registry);
  actors.restarted("order_saga");
  actors.restarted("order_saga");
  actors.backlog("shop_connector", 12, 0.5);
  ops_server server(any_port(), registry);

  auto answer = http_get(server.port(), "/metrics");
  EXPECT_EQ(answer.status, 200);
  EXPECT_NE(answer.headers.find("text/plain; version=0.0.4"),
            std::string::npos);
  const auto& body = answer.body;
  EXPECT_NE(
      body.find("ferry_build_info{commit=\"abc123\",version=\"9.8.7\"} 1"),
      std::string::npos)
      << body;
  EXPECT_NE(body.find("ferry_actor_restarts_total{kind=\"order_saga\"} 2"),
            std::string::npos)
      << body;
  EXPECT_NE(
      body.find("ferry_actor_backlog_messages{kind=\"shop_connector\"} 12"),
      std::string::npos)
      << body;
  EXPECT_NE(
      body.find(
          "ferry_actor_backlog_oldest_seconds{kind=\"shop_connector\"} 0.5"),
      std::string::npos)
      << body;
}

TEST(ops_server, build_info_defaults_to_this_build) {
  prometheus::Registry registry;
  register_build_info(registry);
  ops_server server(any_port(), registry);
  auto body = http_get(server.port(), "/metrics").body;
  EXPECT_NE(body.find(std::string("version=\"") + build_version() + "\""),
            std::string::npos)
      << body;
  EXPECT_STRNE(build_version(), "unknown");
}

TEST(ops_server, readyz_is_200_when_every_probe_passes) {
  prometheus::Registry registry;
  ops_server server(any_port(), registry);
  server.add_probe({"postgresql", [] { return probe_result{true, "ok"}; }});
  server.add_probe({"redis", [] { return probe_result{true, "ok"}; }});
  auto answer = http_get(server.port(), "/readyz");
  EXPECT_EQ(answer.status, 200);
  auto body = json::parse(answer.body);
  EXPECT_EQ(body["ready"], true);
  ASSERT_EQ(body["probes"].size(), 2u);
  EXPECT_EQ(body["probes"][0]["name"], "postgresql");
  EXPECT_EQ(body["probes"][1]["name"], "redis");
  EXPECT_EQ(body["probes"][1]["ok"], true);
}

TEST(ops_server, readyz_is_503_naming_the_failing_probe) {
  prometheus::Registry registry;
  ops_server server(any_port(), registry);
  std::atomic<bool> redis_up{false};
  server.add_probe({"postgresql", [] { return probe_result{true, "ok"}; }});
  server.add_probe({"redis", [&] {
                      return redis_up
                                 ? probe_result{true, "ok"}
                                 : probe_result{false, "connection refused"};
                    }});
  server.add_probe(
      {"throws", []() -> probe_result { throw std::runtime_error("boom"); }});

  auto answer = http_get(server.port(), "/readyz");
  EXPECT_EQ(answer.status, 503);
  auto body = json::parse(answer.body);
  EXPECT_EQ(body["ready"], false);
  EXPECT_EQ(body["probes"][0]["ok"], true);
  EXPECT_EQ(body["probes"][1]["ok"], false);
  EXPECT_EQ(body["probes"][1]["detail"], "connection refused");
  EXPECT_EQ(body["probes"][2]["ok"], false);
  EXPECT_EQ(body["probes"][2]["detail"], "probe failed: boom");
}

// `ferry run` listens before it has built what the probes check; until
// they are registered /readyz must not say ready (a CI run read a 200
// without the "postgresql" line right after the first 200).
TEST(ops_server, readyz_is_503_until_the_probes_are_registered) {
  prometheus::Registry registry;
  ops_server server(any_port(), registry);
  auto starting = http_get(server.port(), "/readyz");
  EXPECT_EQ(starting.status, 503);
  auto body = json::parse(starting.body);
  EXPECT_EQ(body["ready"], false);
  EXPECT_EQ(body["probes"][0]["name"], "startup");
  EXPECT_EQ(body["probes"][0]["detail"],
            "starting: no readiness checks registered yet");

  server.add_probes({{"postgresql",
                      [] {
                        return probe_result{true, "ok"};
                      }},
                     {"redis", [] {
                        return probe_result{true, "ok"};
                      }}});
  auto ready = http_get(server.port(), "/readyz");
  EXPECT_EQ(ready.status, 200);
  body = json::parse(ready.body);
  ASSERT_EQ(body["probes"].size(), 2u) << ready.body;
  EXPECT_EQ(body["probes"][0]["name"], "postgresql");
  EXPECT_EQ(body["probes"][1]["name"], "redis");
}

TEST(ops_server, a_hanging_probe_costs_one_timeout_and_is_not_restarted) {
  prometheus::Registry registry;
  std::promise<void> release;
  auto released = release.get_future().share();
  auto started = std::make_shared<std::atomic<int>>(0);
  ops_server server(any_port(300ms), registry);
  server.add_probe({"stuck", [started, released] {
                      ++*started;
                      released.wait();
                      return probe_result{true, "late"};
                    }});

  auto first = http_get(server.port(), "/readyz");
  EXPECT_EQ(first.status, 503);
  auto body = json::parse(first.body);
  EXPECT_EQ(body["probes"][0]["detail"], "no answer within 300 ms");
  auto second = http_get(server.port(), "/readyz");
  EXPECT_EQ(second.status, 503);
  EXPECT_EQ(started->load(), 1) << "a probe still running is not started again";

  release.set_value();
  EXPECT_TRUE(ferry::test::wait_until([&] {
    return http_get(server.port(), "/readyz").status == 200;
  })) << "once the probe answers again, /readyz recovers";
}

TEST(ops_server, unknown_path_is_404) {
  prometheus::Registry registry;
  ops_server server(any_port(), registry);
  EXPECT_EQ(http_get(server.port(), "/nope").status, 404);
}

TEST(ops_server, taken_port_is_an_error_naming_the_address) {
  prometheus::Registry registry;
  ops_server first(any_port(), registry);
  auto taken = "127.0.0.1:" + std::to_string(first.port());
  ops_server_options options;
  options.listen = taken;
  try {
    ops_server second(options, registry);
    FAIL() << "a second server on " << taken << " must not start";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(taken), std::string::npos) << e.what();
  }
}

TEST(ops_server, dashboard_is_a_page_that_reads_readiness_and_metrics) {
  prometheus::Registry registry;
  ops_server server(any_port(), registry);
  auto answer = http_get(server.port(), "/dashboard");
  EXPECT_EQ(answer.status, 200);
  EXPECT_NE(answer.headers.find("text/html"), std::string::npos);
  EXPECT_NE(answer.body.find("fetch(\"/readyz\")"), std::string::npos);
  EXPECT_NE(answer.body.find("fetch(\"/metrics\")"), std::string::npos);
}

// A scraper and a load balancer polling /readyz at once, while probe runs
// are in flight, overlap and sometimes outlive the time-out: every answer
// must be a whole HTTP response (status line, Content-Length matching the
// body, the JSON report naming every probe), never an empty one.
TEST(ops_server, concurrent_readyz_requests_all_get_a_whole_answer) {
  prometheus::Registry registry;
  auto options = any_port(150ms);
  options.threads = 4; // as `ferry run` configures it
  ops_server server(options, registry);
  auto calls = std::make_shared<std::atomic<int>>(0);
  server.add_probe({"fast", [] { return probe_result{true, "ok"}; }});
  server.add_probe({"jittery", [calls] {
                      // Every fourth run outlives the time-out.
                      auto n = ++*calls;
                      std::this_thread::sleep_for(n % 4 == 0 ? 200ms : 5ms);
                      return probe_result{true, "ok"};
                    }});

  constexpr int senders = 12;
  constexpr int requests_each = 15;
  std::mutex failures_mtx;
  std::vector<std::string> failures;
  std::vector<std::thread> threads;
  for (int s = 0; s < senders; ++s)
    threads.emplace_back([&] {
      for (int i = 0; i < requests_each; ++i) {
        std::string problem;
        try {
          auto answer = http_get(server.port(), "/readyz");
          auto length = answer.headers.find("Content-Length: ");
          if (answer.status != 200 && answer.status != 503)
            problem = "status " + std::to_string(answer.status);
          else if (length == std::string::npos ||
                   std::stoul(answer.headers.substr(length + 16)) !=
                       answer.body.size())
            problem = "body length does not match Content-Length";
          else if (auto body = json::parse(answer.body, nullptr, false);
                   body.is_discarded() || body["probes"].size() != 2)
            problem = "not the whole report";
          if (!problem.empty())
            problem +=
                " (headers: " + answer.headers + ", body: " + answer.body + ")";
        } catch (const std::exception& e) {
          problem = e.what();
        }
        if (!problem.empty()) {
          std::lock_guard<std::mutex> guard(failures_mtx);
          failures.push_back(problem);
        }
      }
    });
  for (auto& t : threads)
    t.join();
  EXPECT_TRUE(failures.empty())
      << failures.size() << " of " << senders * requests_each
      << " answers broken; first: " << failures.front();
}
