// The PostgreSQL pool against the shared server (a scratch database each).
#include "persistence/pg_pool.hpp"
#include "tests/support/services.hpp"

#include <atomic>
#include <gtest/gtest.h>
#include <pqxx/pqxx>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>
#include <thread>

using namespace ferry::persistence;
using namespace std::chrono_literals;

namespace {

std::string metrics_text(prometheus::Registry& registry) {
  std::ostringstream out;
  prometheus::TextSerializer{}.Serialize(out, registry.Collect());
  return out.str();
}

int backend_pid(pqxx::connection& conn) {
  pqxx::nontransaction tx(conn);
  return tx.exec1("SELECT pg_backend_pid()")[0].as<int>();
}

} // namespace

TEST(pg_pool, leases_are_reused_and_bounded) {
  ferry::test::scratch_database db;
  prometheus::Registry registry;
  pg_pool pool({db.url(), 2}, registry);
  EXPECT_EQ(pool.size(), 0u) << "connections open lazily";

  {
    auto a = pool.acquire(1s);
    ASSERT_TRUE(a) << db_error_text(a.error());
    auto b = pool.acquire(1s);
    ASSERT_TRUE(b);
    EXPECT_EQ(pool.in_use(), 2u);
    auto text = metrics_text(registry);
    EXPECT_NE(text.find("ferry_db_pool_in_use{pool=\"main\"} 2"),
              std::string::npos)
        << text;

    auto c = pool.acquire(200ms);
    ASSERT_FALSE(c) << "a third lease must wait for a free connection";
    EXPECT_EQ(db_error_code(c.error()), db_errc::timeout);
    EXPECT_NE(db_error_text(c.error()).find("all in use"), std::string::npos)
        << db_error_text(c.error());
  }
  EXPECT_EQ(pool.in_use(), 0u);
  EXPECT_EQ(pool.size(), 2u);
  auto again = pool.acquire(1s);
  ASSERT_TRUE(again);
  EXPECT_EQ(pool.size(), 2u) << "an idle connection is reused";

  auto text = metrics_text(registry);
  EXPECT_NE(text.find("ferry_db_pool_size{pool=\"main\"} 2"), std::string::npos)
      << text;
  EXPECT_NE(text.find("ferry_db_pool_max{pool=\"main\"} 2"), std::string::npos);
  EXPECT_NE(text.find("ferry_db_pool_wait_seconds_count{pool=\"main\"} 4"),
            std::string::npos)
      << text;
}

TEST(pg_pool, waiting_acquire_gets_a_connection_freed_meanwhile) {
  ferry::test::scratch_database db;
  prometheus::Registry registry;
  pg_pool pool({db.url(), 1}, registry);
  auto held = pool.acquire(1s);
  ASSERT_TRUE(held);
  std::atomic<bool> got{false};
  std::thread waiter([&] { got = static_cast<bool>(pool.acquire(30s)); });
  EXPECT_FALSE(got.load()) << "no connection is free while one is held";
  { auto release = std::move(*held); }
  waiter.join();
  EXPECT_TRUE(got.load());
}

TEST(pg_pool, broken_connection_is_replaced_and_work_retried_once) {
  ferry::test::scratch_database db;
  prometheus::Registry registry;
  pg_pool pool({db.url(), 1}, registry);
  int victim = 0;
  {
    auto lease = pool.acquire(1s);
    ASSERT_TRUE(lease);
    victim = backend_pid(**lease);
  }
  {
    // What a PostgreSQL restart does to an idle pooled connection.
    pqxx::connection admin(db.url());
    pqxx::nontransaction tx(admin);
    tx.exec_params("SELECT pg_terminate_backend($1)", victim);
  }
  int calls = 0;
  auto pid = pool.with_connection("test work", [&](pqxx::connection& conn) {
    ++calls;
    return backend_pid(conn);
  });
  ASSERT_TRUE(pid) << db_error_text(pid.error());
  EXPECT_NE(*pid, victim);
  EXPECT_LE(calls, 2);
  EXPECT_EQ(pool.size(), 1u);
  auto text = metrics_text(registry);
  EXPECT_NE(text.find("ferry_db_pool_broken_total{pool=\"main\"} 1"),
            std::string::npos)
      << text;
}

TEST(pg_pool, sql_errors_are_rejected_values_naming_the_work) {
  ferry::test::scratch_database db;
  prometheus::Registry registry;
  pg_pool pool({db.url(), 1}, registry);
  auto result =
      pool.with_connection("order 1001 lookup", [](pqxx::connection& conn) {
        pqxx::work tx(conn);
        tx.exec("SELECT * FROM no_such_table");
        return 1;
      });
  ASSERT_FALSE(result);
  EXPECT_EQ(db_error_code(result.error()), db_errc::rejected);
  auto text = db_error_text(result.error());
  EXPECT_NE(text.find("order 1001 lookup"), std::string::npos) << text;
  EXPECT_NE(text.find("no_such_table"), std::string::npos) << text;
  EXPECT_EQ(pool.size(), 1u) << "an SQL error does not cost the connection";
}

TEST(pg_pool, statement_timeout_is_a_timeout_error) {
  ferry::test::scratch_database db;
  prometheus::Registry registry;
  pg_pool_options options{db.url(), 1};
  options.statement_timeout = 200ms;
  pg_pool pool(options, registry);
  auto result = pool.with_connection("slow query", [](pqxx::connection& conn) {
    pqxx::work tx(conn);
    tx.exec("SELECT pg_sleep(5)");
    return 1;
  });
  ASSERT_FALSE(result);
  EXPECT_EQ(db_error_code(result.error()), db_errc::timeout)
      << db_error_text(result.error());
}

TEST(pg_pool, unreachable_server_is_an_unavailable_error_without_secrets) {
  prometheus::Registry registry;
  auto port = ferry::test::free_port();
  pg_pool pool({"postgresql://ferry:hunter2@127.0.0.1:" + std::to_string(port) +
                    "/ferry",
                1},
               registry);
  auto lease = pool.acquire(1s);
  ASSERT_FALSE(lease);
  EXPECT_EQ(db_error_code(lease.error()), db_errc::unavailable);
  auto text = db_error_text(lease.error());
  EXPECT_EQ(text.find("hunter2"), std::string::npos) << text;
  EXPECT_NE(text.find("cannot connect"), std::string::npos) << text;
  EXPECT_EQ(pool.size(), 0u);
}

TEST(pg_pool, many_threads_share_a_small_pool) {
  ferry::test::scratch_database db;
  prometheus::Registry registry;
  pg_pool pool({db.url(), 3}, registry);
  ASSERT_TRUE(pool.with_connection("setup", [](pqxx::connection& conn) {
    pqxx::work tx(conn);
    tx.exec("CREATE TABLE hits (n int)");
    tx.commit();
  }));
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 25; ++i) {
        auto ok = pool.with_connection(
            "hit",
            [](pqxx::connection& conn) {
              pqxx::work tx(conn);
              tx.exec("INSERT INTO hits VALUES (1)");
              tx.commit();
            },
            30s);
        if (!ok)
          ++failures;
      }
    });
  for (auto& t : threads)
    t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_LE(pool.size(), 3u);
  EXPECT_EQ(pool.in_use(), 0u);
  auto count = pool.with_connection("count", [](pqxx::connection& conn) {
    pqxx::read_transaction tx(conn);
    return tx.exec1("SELECT count(*) FROM hits")[0].as<int>();
  });
  ASSERT_TRUE(count);
  EXPECT_EQ(*count, 200);
}

TEST(pg_pool, password_option_is_escaped_for_both_connection_string_forms) {
  ferry::test::scratch_database db;
  prometheus::Registry registry;
  // The shared server trusts local connections, so any password is
  // accepted: what is tested is that awkward characters survive escaping
  // into a URL and into a keyword/value string without breaking either.
  const std::string password = "p@ss w'rd&x=1\\%";
  pg_pool_options url_form{db.url(), 1, password};
  pg_pool by_url(url_form, registry);
  auto a = by_url.acquire(5s);
  ASSERT_TRUE(a) << db_error_text(a.error());

  auto port = db.url().substr(db.url().rfind(':') + 1);
  port = port.substr(0, port.find('/'));
  pg_pool_options keyword_form{"host=127.0.0.1 port=" + port +
                                   " user=postgres dbname=" + db.name(),
                               1, password};
  keyword_form.name = "keywords";
  pg_pool by_keywords(keyword_form, registry);
  auto b = by_keywords.acquire(5s);
  ASSERT_TRUE(b) << db_error_text(b.error());
}
