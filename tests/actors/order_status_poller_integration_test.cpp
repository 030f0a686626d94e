// ERP status back into the shop with both simulators and `ferry run` as
// separate processes: Released, Shipped (tracking number), Invoiced and
// Cancelled reach the shop order once, and the orders/updated echoes of
// Ferry's own comments change nothing.
#include "tests/actors/order_sim_env.hpp"

#include <gtest/gtest.h>
#include <pqxx/pqxx>

using namespace std::chrono_literals;
using ferry::test::json;
using ferry::test::order_sim_env;

namespace {

std::int64_t count(const std::string& url, const std::string& sql) {
  pqxx::connection conn{url};
  pqxx::read_transaction tx{conn};
  return tx.exec1(sql)[0].as<std::int64_t>();
}

} // namespace

TEST(order_status_poller_integration, status_reaches_the_shop_without_echo) {
  order_sim_env env;
  ASSERT_TRUE(env.wait_ready()) << env.ferry().log();
  env.add_product("IT-00001", "10.00");
  auto place = [&](const std::string& email) {
    return env.place_order({{"guest_email", email},
                            {"lines", {{{"sku", "IT-00001"}, {"qty", 1}}}}});
  };
  auto shipped = place("ship@example.com");
  auto cancelled = place("cancel@example.com");
  auto later = place("later@example.com");
  auto id = [](const json& o) { return o.value("increment_id", ""); };
  auto shop_order = [&](const json& o) {
    return env.shop_admin("GET", "/admin/orders/" +
                                     std::to_string(o.value("entity_id", 0)));
  };
  auto commented = [&](const json& o, const std::string& text) {
    return shop_order(o).dump().find(text) != std::string::npos;
  };
  ASSERT_TRUE(ferry::test::wait_until(
      [&] {
        return commented(shipped, "Ferry: ERP sales order SO-") &&
               commented(cancelled, "Ferry: ERP sales order SO-") &&
               commented(later, "Ferry: ERP sales order SO-");
      },
      60s))
      << env.ferry().log().substr(0, 4000);

  env.erp_admin("POST", "/admin/orders/WEB-" + id(shipped) + "/status",
                {{"Status", "Released"}});
  env.erp_admin("POST", "/admin/orders/WEB-" + id(shipped) + "/status",
                {{"Status", "Shipped"}, {"TrackingNo", "1Z999AA10123456784"}});
  env.erp_admin("POST", "/admin/orders/WEB-" + id(cancelled) + "/status",
                {{"Status", "Cancelled"}});
  ASSERT_TRUE(ferry::test::wait_until(
      [&] {
        return shop_order(shipped).value("status", "") == "complete" &&
               shop_order(cancelled).value("status", "") == "canceled";
      },
      60s))
      << shop_order(shipped).dump();
  EXPECT_TRUE(commented(shipped, "tracking number 1Z999AA10123456784"));
  auto writes = shop_order(shipped)["status_histories"].size();

  // Later rounds (proven by a later change being mirrored) and the
  // orders/updated echoes of Ferry's comments change nothing more.
  env.erp_admin("POST", "/admin/orders/WEB-" + id(later) + "/status",
                {{"Status", "Invoiced"}});
  ASSERT_TRUE(ferry::test::wait_until(
      [&] { return shop_order(later).value("status", "") == "complete"; },
      60s));
  ASSERT_TRUE(ferry::test::wait_until(
      [&] {
        return count(env.database_url(),
                     "SELECT count(*) FROM sync_log WHERE message = "
                     "'orders/updated is the echo of Ferry''s own write'") >= 3;
      },
      60s));
  EXPECT_EQ(shop_order(shipped)["status_histories"].size(), writes);
  EXPECT_EQ(
      count(env.database_url(), "SELECT count(*) FROM saga WHERE key = '" +
                                    id(later) + "' AND state = 'closed'"),
      1);
  EXPECT_EQ(count(env.database_url(),
                  "SELECT count(*) FROM saga WHERE key = '" + id(shipped) +
                      "' AND state = 'status_mirrored'"),
            1);
}
