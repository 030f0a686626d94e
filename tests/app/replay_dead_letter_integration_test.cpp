// `ferry replay dead-letter ID` as an operator runs it, beside a running
// `ferry run` and both simulators: an order the ERP refused for good (a SKU
// it did not know) is replayed once the cause is fixed and reaches the ERP
// exactly once with the same ExternalOrderID; a second replay, an unknown
// ID and a dead letter of another kind are refused; an order that reached
// the ERP meanwhile is adopted, not created twice.
#include "tests/actors/order_sim_env.hpp"

#include <gtest/gtest.h>
#include <pqxx/pqxx>

using namespace std::chrono_literals;
using ferry::test::json;
using ferry::test::order_sim_env;

namespace {

struct command_result {
  int status = -1;
  std::string output;
};

/// `ferry replay dead-letter ID --config <env's>` as a separate process.
command_result replay(order_sim_env& env, const std::string& id) {
  ferry::test::child_process ferry(
      {FERRY_BIN, "replay", "dead-letter", id, "--config", env.config_path()},
      {{"FERRY_ERP_PASSWORD", order_sim_env::erp_password}});
  command_result out;
  out.status = ferry.wait(60);
  out.output = ferry.log();
  return out;
}

/// The first column of the first row of `sql` ("" for none or NULL).
std::string text(const std::string& url, const std::string& sql) {
  pqxx::connection conn{url};
  pqxx::work tx{conn};
  auto rows = tx.exec(sql);
  tx.commit();
  return rows.empty() || rows[0][0].is_null() ? std::string{}
                                              : rows[0][0].as<std::string>();
}

std::string saga_state(order_sim_env& env, const std::string& key) {
  return text(env.database_url(),
              "SELECT state FROM saga WHERE kind = 'order' AND key = '" + key +
                  "'");
}

/// The open dead letter of the failed order `key`.
std::string dead_letter_of(order_sim_env& env, const std::string& key) {
  return text(env.database_url(),
              "SELECT id FROM dead_letter WHERE source = 'order_saga' AND "
              "entity = 'order' AND entity_id = '" +
                  key + "' AND replayed_at IS NULL");
}

/// What the database holds of the orders, for a failed wait.
std::string diagnosis(order_sim_env& env) {
  auto log = env.ferry().log();
  return "sagas: " +
         text(env.database_url(),
              "SELECT string_agg(key || ' ' || state || ' ' || data::text,"
              " '; ') FROM saga") +
         "\ndead letters: " +
         text(env.database_url(),
              "SELECT string_agg(id || ' ' || entity_id || ' ' || reason || "
              "' replayed_at=' || coalesce(replayed_at::text, '-'), '; ') "
              "FROM dead_letter") +
         "\nend of Ferry's log:\n" +
         log.substr(log.size() > 4000 ? log.size() - 4000 : 0);
}

ferry::erp_item item(const std::string& code, std::int64_t cents) {
  ferry::erp_item it;
  it.item_code = code;
  it.item_name = "Item " + code;
  it.base_price = ferry::money::from_minor(cents);
  it.weight = ferry::decimal::from_int(1);
  return it;
}

} // namespace

TEST(replay_dead_letter_integration, a_refused_order_reaches_the_erp_once) {
  order_sim_env env;
  ASSERT_TRUE(env.wait_ready()) << env.ferry().log();
  // Sold in the shop, unknown to the ERP: CreateSalesOrder answers
  // UnknownItem and the orders fail.
  env.add_product("NEW-0001", "5.00");
  env.add_product("NEW-0002", "7.00");
  auto first = env.place_order({{"guest_email", "first@example.com"},
                                {"lines", {{{"sku", "NEW-0001"}, {"qty", 2}}}}})
                   .value("increment_id", "");
  auto second =
      env.place_order({{"guest_email", "second@example.com"},
                       {"lines", {{{"sku", "NEW-0002"}, {"qty", 1}}}}})
          .value("increment_id", "");
  ASSERT_TRUE(ferry::test::wait_until(
      [&] {
        return !dead_letter_of(env, first).empty() &&
               !dead_letter_of(env, second).empty();
      },
      90s))
      << diagnosis(env);
  EXPECT_EQ(saga_state(env, first), "failed");
  auto first_letter = dead_letter_of(env, first);
  auto second_letter = dead_letter_of(env, second);

  // The cause is fixed: the ERP gets the items.
  ferry::erp_client erp{env.erp_settings()};
  auto upserted =
      erp.upsert_items({item("NEW-0001", 500), item("NEW-0002", 700)});
  ASSERT_TRUE(upserted.ok()) << upserted.error().message;

  auto replayed = replay(env, first_letter);
  EXPECT_EQ(replayed.status, 0) << replayed.output;
  EXPECT_NE(replayed.output.find("WEB-" + first), std::string::npos)
      << replayed.output;
  // The running node takes the order up through its claim of runnable
  // sagas.
  ASSERT_TRUE(ferry::test::wait_until(
      [&] {
        return saga_state(env, first) == "submitted" &&
               env.erp_orders().count("WEB-" + first) == 1;
      },
      90s))
      << diagnosis(env);
  int duplicates = 0;
  auto orders = env.erp_orders(&duplicates);
  EXPECT_EQ(duplicates, 0);
  EXPECT_EQ(json::parse(orders["WEB-" + first].value("TotalAmount", "null")),
            json(10.0))
      << orders["WEB-" + first].dump();
  EXPECT_FALSE(
      text(env.database_url(),
           "SELECT replayed_at FROM dead_letter WHERE id = " + first_letter)
          .empty());
  EXPECT_FALSE(text(env.database_url(),
                    "SELECT actor FROM audit WHERE action = 'replay' AND "
                    "entity = 'dead_letter' AND entity_id = '" +
                        first_letter + "'")
                   .empty())
      << "the audit names who replayed it";

  // Once is enough: a second replay is refused.
  auto again = replay(env, first_letter);
  EXPECT_EQ(again.status, 1) << again.output;
  EXPECT_NE(again.output.find("replayed already"), std::string::npos)
      << again.output;

  // Meanwhile someone entered the second order in the ERP by hand, with its
  // ExternalOrderID: the replay adopts it (DuplicateExternalOrderID).
  ferry::erp_sales_order by_hand;
  by_hand.external_order_id = "WEB-" + second;
  by_hand.order_date = "2026-01-02T10:00:00";
  by_hand.customer_no = text(env.database_url(),
                             "SELECT data->>'erp_customer_no' FROM saga WHERE "
                             "key = '" +
                                 second + "'");
  by_hand.customer_email = "second@example.com";
  by_hand.currency_code = "USD";
  by_hand.total_amount = ferry::money::from_minor(700);
  by_hand.lines.push_back({"NEW-0002", ferry::decimal::from_int(1),
                           ferry::money::from_minor(700),
                           ferry::money::from_minor(700)});
  auto created = erp.create_sales_order(by_hand);
  ASSERT_TRUE(created.ok()) << created.error().message;
  auto adopted = replay(env, second_letter);
  EXPECT_EQ(adopted.status, 0) << adopted.output;
  ASSERT_TRUE(ferry::test::wait_until(
      [&] { return saga_state(env, second) == "submitted"; }, 90s))
      << diagnosis(env);
  EXPECT_EQ(text(env.database_url(),
                 "SELECT data->>'sales_order_no' FROM saga WHERE key = '" +
                     second + "'"),
            created.value().sales_order_no);
  EXPECT_EQ(text(env.database_url(),
                 "SELECT count(*) FROM sync_log WHERE entity = 'order' AND "
                 "entity_id = '" +
                     second +
                     "' AND message LIKE '%-> submitted: % (already in the "
                     "ERP)'"),
            "1")
      << "CreateSalesOrder answered DuplicateExternalOrderID\n"
      << diagnosis(env);
  orders = env.erp_orders(&duplicates);
  EXPECT_EQ(duplicates, 0);
  EXPECT_EQ(orders.size(), 2u);

  // No such dead letter; one that is no failed order.
  auto unknown = replay(env, "999999");
  EXPECT_EQ(unknown.status, 1) << unknown.output;
  EXPECT_NE(unknown.output.find("dead letter 999999 does not exist"),
            std::string::npos)
      << unknown.output;
  auto product_letter = text(
      env.database_url(),
      "INSERT INTO dead_letter (source, entity, entity_id, reason, payload)"
      " VALUES ('shop', 'product', 'SKU-1', 'price is negative',"
      " '{\"sku\": \"SKU-1\"}') RETURNING id");
  auto other_kind = replay(env, product_letter);
  EXPECT_EQ(other_kind.status, 1) << other_kind.output;
  EXPECT_NE(other_kind.output.find("only failed orders (source order_saga, "
                                   "entity order) can be replayed"),
            std::string::npos)
      << other_kind.output;
  EXPECT_EQ(text(env.database_url(),
                 "SELECT count(*) FROM audit WHERE action = 'replay'"),
            "2");
}
