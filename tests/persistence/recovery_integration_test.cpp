// PostgreSQL and Redis of the test's own are stopped, crashed and killed
// under a running pool, Redis client and ops server: the pool recovers,
// /readyz goes 503 and back to 200, and nothing crashes.
#include "monitoring/ops_server.hpp"
#include "persistence/inbox_store.hpp"
#include "persistence/migrations.hpp"
#include "persistence/readiness.hpp"
#include "persistence/redis_client.hpp"
#include "tests/monitoring/http_get.hpp"
#include "tests/support/services.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <prometheus/registry.h>

using namespace ferry::persistence;
using ferry::test::http_get;
using ferry::test::wait_until;
using nlohmann::json;
using namespace std::chrono_literals;

namespace {

ferry::monitoring::ops_server_options ops_options() {
  ferry::monitoring::ops_server_options options;
  options.listen = "127.0.0.1:0";
  options.threads = 2;
  options.probe_timeout = 5s;
  return options;
}

int readyz(ferry::monitoring::ops_server& server) {
  return http_get(server.port(), "/readyz").status;
}

/// The /readyz entry of probe `name`.
json probe(ferry::monitoring::ops_server& server, const std::string& name) {
  auto body = json::parse(http_get(server.port(), "/readyz").body);
  for (const auto& p : body["probes"])
    if (p["name"] == name)
      return p;
  return json();
}

inbox_event event(const std::string& id) {
  return {"shop", id, "order.created", R"({"id":")" + id + "\"}"};
}

} // namespace

TEST(recovery, postgres_restart_pool_recovers_and_readyz_follows) {
  ferry::test::private_postgres pg;
  prometheus::Registry registry;
  pg_pool_options options{pg.url(), 2};
  options.connect_timeout = 1000ms;
  options.statement_timeout = 5000ms;
  pg_pool pool(options, registry);
  ferry::monitoring::ops_server server(ops_options(), registry);
  server.add_probe(postgres_probe(pool));
  server.add_probe(migrations_probe(pool));

  EXPECT_EQ(readyz(server), 503) << "not ready before migrations ran";
  EXPECT_EQ(probe(server, "migrations")["ok"], false);
  auto migrated = migrate(pool);
  ASSERT_TRUE(migrated) << db_error_text(migrated.error());
  ASSERT_TRUE(wait_until([&] { return readyz(server) == 200; }));

  inbox_store inbox(pool);
  auto first = inbox.insert_if_absent(event("before"));
  ASSERT_TRUE(first) << db_error_text(first.error());
  EXPECT_GE(pool.size(), 1u) << "an idle connection that will go stale";

  // A clean stop, then a crash: both leave stale connections in the pool.
  for (int round = 0; round < 2; ++round) {
    SCOPED_TRACE(round == 0 ? "fast stop" : "crash");
    if (round == 0)
      pg.stop();
    else
      pg.crash();

    ASSERT_TRUE(wait_until([&] { return readyz(server) == 503; }, 60s));
    auto pg_probe = probe(server, "postgresql");
    EXPECT_EQ(pg_probe["ok"], false);
    EXPECT_NE(pg_probe["detail"].get<std::string>().find("PostgreSQL"),
              std::string::npos)
        << pg_probe;
    auto during =
        inbox.insert_if_absent(event("during-" + std::to_string(round)));
    ASSERT_FALSE(during) << "writes fail as values while PostgreSQL is down";
    EXPECT_EQ(db_error_code(during.error()), db_errc::unavailable)
        << db_error_text(during.error());
    EXPECT_NE(db_error_text(during.error()).find("shop/during"),
              std::string::npos)
        << db_error_text(during.error());

    pg.start();
    ASSERT_TRUE(wait_until([&] { return readyz(server) == 200; }, 60s))
        << http_get(server.port(), "/readyz").body;
    auto after =
        inbox.insert_if_absent(event("after-" + std::to_string(round)));
    ASSERT_TRUE(after) << db_error_text(after.error());
    EXPECT_TRUE(*after);
    EXPECT_LE(pool.size(), 2u);
  }
  auto dup = inbox.insert_if_absent(event("before"));
  ASSERT_TRUE(dup);
  EXPECT_FALSE(*dup) << "data committed before the restarts is still there";

  auto metrics = http_get(server.port(), "/metrics").body;
  EXPECT_NE(metrics.find("ferry_db_pool_broken_total{pool=\"main\"}"),
            std::string::npos);
  EXPECT_EQ(metrics.find("ferry_db_pool_broken_total{pool=\"main\"} 0"),
            std::string::npos)
      << "stale connections were dropped and counted\n"
      << metrics;
}

TEST(recovery, redis_killed_readiness_reflects_it_and_recovers) {
  ferry::test::private_redis redis;
  prometheus::Registry registry;
  redis_options options;
  options.port = redis.port();
  options.timeout = 500ms;
  redis_client client(options);
  redis_client probe_client(options);
  ferry::monitoring::ops_server server(ops_options(), registry);
  server.add_probe(redis_probe(probe_client));

  ASSERT_TRUE(wait_until([&] { return readyz(server) == 200; }));
  const std::string script = "return redis.call('INCR', KEYS[1])";
  auto counted = client.run_script(script, {"recovery:n"}, {});
  ASSERT_TRUE(counted) << db_error_text(counted.error());
  EXPECT_EQ(counted->integer, 1);

  redis.kill();
  ASSERT_TRUE(wait_until([&] { return readyz(server) == 503; }, 60s));
  auto entry = probe(server, "redis");
  EXPECT_EQ(entry["ok"], false);
  EXPECT_NE(entry["detail"].get<std::string>().find("redis 127.0.0.1:"),
            std::string::npos)
      << entry;
  auto down = client.command({"GET", "recovery:n"});
  ASSERT_FALSE(down) << "commands fail as values while Redis is down";
  EXPECT_EQ(db_error_code(down.error()), db_errc::unavailable);
  EXPECT_EQ(http_get(server.port(), "/healthz").status, 200)
      << "the process stays alive";

  redis.start();
  ASSERT_TRUE(wait_until([&] { return readyz(server) == 200; }, 60s))
      << http_get(server.port(), "/readyz").body;
  // The restarted Redis lost the loaded script (and the data: no AOF):
  // run_script loads it again.
  auto again = client.run_script(script, {"recovery:n"}, {});
  ASSERT_TRUE(again) << db_error_text(again.error());
  EXPECT_EQ(again->integer, 1);
}

// What `ferry run` uses: prices fall back to PostgreSQL, so a Redis outage
// shows in the detail and keeps the node ready.
TEST(recovery, redis_killed_keeps_a_node_ready_with_the_optional_probe) {
  ferry::test::private_redis redis;
  prometheus::Registry registry;
  redis_options options;
  options.port = redis.port();
  options.timeout = 500ms;
  redis_client probe_client(options);
  ferry::monitoring::ops_server server(ops_options(), registry);
  server.add_probe(optional_redis_probe(probe_client));
  ASSERT_TRUE(wait_until([&] { return readyz(server) == 200; }));
  EXPECT_EQ(probe(server, "redis")["detail"], "ok");

  redis.kill();
  ASSERT_TRUE(wait_until(
      [&] {
        return probe(server, "redis")["detail"].get<std::string>().rfind(
                   "degraded: ", 0) == 0;
      },
      60s));
  EXPECT_EQ(readyz(server), 200);
  EXPECT_EQ(probe(server, "redis")["ok"], true);

  redis.start();
  ASSERT_TRUE(wait_until(
      [&] { return probe(server, "redis")["detail"] == "ok"; }, 60s));
}
