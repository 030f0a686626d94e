// The inbox's group insert (`insert_all_if_absent`, the webhook intake's
// commit) against a migrated scratch database: one statement for many
// events, duplicates inside the batch and against the table, all or nothing
// when one payload is refused.
#include "persistence/inbox_store.hpp"
#include "persistence/migrations.hpp"
#include "tests/support/services.hpp"

#include <gtest/gtest.h>
#include <pqxx/pqxx>
#include <prometheus/registry.h>

using namespace ferry::persistence;

namespace {

class inbox_batch : public ::testing::Test {
protected:
  void SetUp() override {
    auto report = migrate(pool_);
    ASSERT_TRUE(report) << db_error_text(report.error());
  }

  long rows(const std::string& where = "true") {
    pqxx::connection conn(db_.url());
    pqxx::nontransaction tx(conn);
    return tx.exec1("SELECT count(*) FROM inbox WHERE " + where)[0].as<long>();
  }

  ferry::test::scratch_database db_;
  prometheus::Registry registry_;
  pg_pool pool_{{db_.url(), 2}, registry_};
  inbox_store inbox_{pool_};
};

inbox_event order_created(const std::string& id, int n = 1) {
  return {"shop", id, "orders/create",
          R"({"entity_id":)" + std::to_string(n) +
              R"(,"note":"quote \" and backslash \\ kept"})"};
}

} // namespace

TEST_F(inbox_batch, stores_every_new_event_in_arrival_order) {
  std::vector<inbox_event> events;
  for (int i = 0; i < 40; ++i)
    events.push_back(order_created("ev-" + std::to_string(i), i));
  auto inserted = inbox_.insert_all_if_absent(events);
  ASSERT_TRUE(inserted) << db_error_text(inserted.error());
  EXPECT_EQ(*inserted, std::vector<bool>(40, true));
  EXPECT_EQ(rows(), 40);
  // Payloads arrive as sent (quotes and backslashes survive the array
  // encoding) and ids follow the order of the batch, which claims use.
  pqxx::connection conn(db_.url());
  pqxx::nontransaction tx(conn);
  auto stored = tx.exec("SELECT event_id, payload->>'note', topic FROM inbox "
                        "ORDER BY id");
  ASSERT_EQ(stored.size(), 40u);
  for (std::size_t i = 0; i < stored.size(); ++i) {
    EXPECT_EQ(stored[i][0].as<std::string>(), "ev-" + std::to_string(i));
    EXPECT_EQ(stored[i][1].as<std::string>(), "quote \" and backslash \\ kept");
    EXPECT_EQ(stored[i][2].as<std::string>(), "orders/create");
  }
}

TEST_F(inbox_batch, duplicates_in_the_batch_and_in_the_table_are_false) {
  auto earlier = inbox_.insert_if_absent(order_created("ev-old"));
  ASSERT_TRUE(earlier && *earlier);
  auto inserted = inbox_.insert_all_if_absent(
      {order_created("ev-a"), order_created("ev-old"), order_created("ev-a"),
       inbox_event{"erp", "ev-a", "order.changed", "{}"},
       order_created("ev-b")});
  ASSERT_TRUE(inserted) << db_error_text(inserted.error());
  EXPECT_EQ(*inserted, (std::vector<bool>{true, false, false, true, true}));
  EXPECT_EQ(rows("source = 'shop' AND event_id = 'ev-a'"), 1);
  EXPECT_EQ(rows("source = 'erp' AND event_id = 'ev-a'"), 1);
  EXPECT_EQ(rows("event_id = 'ev-old'"), 1);
  EXPECT_EQ(rows(), 4);
}

TEST_F(inbox_batch, one_refused_payload_stores_nothing_of_the_batch) {
  auto nul = inbox_.insert_all_if_absent(
      {order_created("ev-1"),
       {"shop", "ev-2", "orders/create", R"({"n":"a\u0000b"})"},
       order_created("ev-3")});
  ASSERT_FALSE(nul);
  EXPECT_EQ(db_error_code(nul.error()), db_errc::rejected);
  auto not_json = inbox_.insert_all_if_absent(
      {order_created("ev-4"), {"shop", "ev-5", "orders/create", "{not json"}});
  ASSERT_FALSE(not_json);
  EXPECT_EQ(db_error_code(not_json.error()), db_errc::rejected);
  auto empty = inbox_.insert_all_if_absent(
      {order_created("ev-6"), {"shop", "", "orders/create", "{}"}});
  ASSERT_FALSE(empty);
  EXPECT_EQ(db_error_code(empty.error()), db_errc::rejected);
  EXPECT_NE(db_error_text(empty.error()).find("event_id"), std::string::npos);
  EXPECT_EQ(rows(), 0);
  // Nothing half-stored means the same batch without the bad one goes in
  // whole afterwards.
  auto retried = inbox_.insert_all_if_absent(
      {order_created("ev-1"), order_created("ev-3")});
  ASSERT_TRUE(retried) << db_error_text(retried.error());
  EXPECT_EQ(*retried, (std::vector<bool>{true, true}));
}

TEST_F(inbox_batch, an_empty_batch_touches_nothing) {
  auto inserted = inbox_.insert_all_if_absent({});
  ASSERT_TRUE(inserted);
  EXPECT_TRUE(inserted->empty());
  EXPECT_EQ(rows(), 0);
}
