// kill -9 of Ferry at random moments while orders flow: after each restart
// every unfinished saga resumes from its last committed state, and in the
// end each shop order is in the ERP exactly once and no saga is stuck.
#include "tests/actors/order_sim_env.hpp"

#include <atomic>
#include <gtest/gtest.h>
#include <pqxx/pqxx>
#include <random>
#include <signal.h>
#include <thread>

using namespace std::chrono_literals;
using ferry::test::json;
using ferry::test::order_sim_env;

namespace {

// The run: 2,000 orders while Ferry is killed every 2–5 s at
// random.
constexpr int order_count = 2000;
constexpr auto chaos_duration = 45s;

std::int64_t count(const std::string& url, const std::string& sql) {
  pqxx::connection conn{url};
  pqxx::read_transaction tx{conn};
  return tx.exec1(sql)[0].as<std::int64_t>();
}

} // namespace

TEST(order_saga_chaos, kill_9_loop_loses_and_duplicates_nothing) {
  order_sim_env env;
  ASSERT_TRUE(env.wait_ready()) << env.ferry().log();
  const char* skus[] = {"IT-00001", "IT-00002", "IT-00003"};
  env.add_product(skus[0], "12.50");
  env.add_product(skus[1], "3.99");
  env.add_product(skus[2], "100.00");
  std::vector<std::int64_t> customers;
  for (int i = 0; i < 5; ++i)
    customers.push_back(
        env.shop_admin("POST", "/admin/customers",
                       {{"email", "chaos" + std::to_string(i) + "@example.com"},
                        {"firstname", "Chaos"},
                        {"lastname", std::to_string(i)}})
            .value("id", std::int64_t{0}));

  std::atomic<int> placed{0};
  std::thread shop_users([&] {
    for (int i = 0; i < order_count; ++i) {
      json body = {{"lines", {{{"sku", skus[i % 3]}, {"qty", 1 + i % 4}}}}};
      if (i % 3 == 0)
        body["guest_email"] = "g" + std::to_string(i) + "@example.com";
      else
        body["customer_id"] = customers[static_cast<std::size_t>(i) % 5];
      env.place_order(body);
      ++placed;
      // Spread the orders over the chaos period.
      std::this_thread::sleep_for(chaos_duration / order_count / 2);
    }
  });

  std::mt19937 rng{20261129};
  std::uniform_int_distribution<int> pause_ms{2000, 5000};
  int kills = 0;
  auto chaos_end = std::chrono::steady_clock::now() + chaos_duration;
  while (std::chrono::steady_clock::now() < chaos_end) {
    // The chaos schedule itself, not a wait for a condition.
    std::this_thread::sleep_for(std::chrono::milliseconds(pause_ms(rng)));
    env.ferry().signal(SIGKILL);
    env.ferry().wait(10);
    ++kills;
    env.start_ferry();
  }
  shop_users.join();
  ASSERT_EQ(placed.load(), order_count);
  ASSERT_TRUE(env.wait_ready()) << env.ferry().log();

  const auto n = static_cast<std::size_t>(order_count);
  EXPECT_TRUE(ferry::test::wait_until(
      [&] { return env.erp_orders().size() >= n; }, 150s, 500ms))
      << env.erp_orders().size() << " of " << n << " in the ERP after " << kills
      << " kills";
  int duplicates = 0;
  auto erp = env.erp_orders(&duplicates);
  EXPECT_EQ(duplicates, 0);
  EXPECT_EQ(erp.size(), n);
  EXPECT_GE(kills, 8);
  // None stuck: every saga ends submitted with its shop comment done.
  EXPECT_TRUE(ferry::test::wait_until(
      [&] {
        return count(
                   env.database_url(),
                   "SELECT count(*) FROM saga WHERE kind = 'order' AND state = "
                   "'submitted' AND (data->>'parked')::boolean") == order_count;
      },
      60s))
      << count(env.database_url(),
               "SELECT count(*) FROM saga WHERE kind = 'order' AND state = "
               "'submitted' AND (data->>'parked')::boolean");
  EXPECT_EQ(count(env.database_url(),
                  "SELECT count(*) FROM saga WHERE state = 'failed'"),
            0);
}
