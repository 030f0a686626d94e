// The inbox's group insert (`insert_all_if_absent`, the webhook intake's
// commit) against a migrated scratch database: one statement for many
// events, duplicates inside the batch and against the table, all or nothing
// when one payload is refused.
#include "persistence/inbox_store.hpp"
#include "persistence/migrations.hpp"
#include "persistence/shop_poll_store.hpp"
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

TEST_F(inbox_batch, one_invalid_event_stores_nothing_of_the_batch) {
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
      {order_created("ev-4"), order_created("ev-6")});
  ASSERT_TRUE(retried) << db_error_text(retried.error());
  EXPECT_EQ(*retried, (std::vector<bool>{true, true}));
}

// Valid JSON that jsonb cannot hold (U+0000 in a string) used to fail the
// whole statement. It is refused on its own now, kept whole in a dead
// letter, and the rest of the batch is stored.
TEST_F(inbox_batch, an_event_jsonb_cannot_hold_is_refused_alone_and_kept) {
  const std::string nul_body = R"({"id":5,"n":"a\u0000b"})";
  auto stored = inbox_.insert_all_if_absent(
      {order_created("ev-1"),
       {"shop", "ev-2", "customers/create", nul_body},
       order_created("ev-3")});
  ASSERT_TRUE(stored) << db_error_text(stored.error());
  EXPECT_EQ(*stored, (std::vector<bool>{true, true, true}));
  EXPECT_EQ(rows("status = 'pending'"), 2);
  EXPECT_EQ(rows("event_id = 'ev-2' AND status = 'failed'"
                 " AND payload->>'id' = '5'"),
            1);
  auto again = inbox_.insert_all_if_absent(
      {{"shop", "ev-2", "customers/create", nul_body}});
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, std::vector<bool>{false}) << "a redelivery is a duplicate";
  pqxx::connection conn(db_.url());
  pqxx::nontransaction tx(conn);
  auto letters = tx.exec(
      "SELECT entity, entity_id, payload_text, reason FROM dead_letter");
  ASSERT_EQ(letters.size(), 1u);
  EXPECT_EQ(letters[0][0].as<std::string>(), "customer");
  EXPECT_EQ(letters[0][1].as<std::string>(), "5");
  EXPECT_EQ(letters[0][2].as<std::string>(), nul_body);
  EXPECT_NE(letters[0][3].as<std::string>().find("field n holds"),
            std::string::npos)
      << letters[0][3].as<std::string>();
}

// The shop poller's page insert: one entity jsonb cannot hold used to fail
// the page every cycle, so catch-up stopped for everything after it.
TEST_F(inbox_batch, a_poll_page_with_one_unstorable_entity_is_enqueued) {
  shop_poll_store polls{pool_};
  std::vector<polled_change> page;
  for (int i = 1; i <= 3; ++i) {
    auto payload = i == 2 ? R"({"id":2,"updated_at":"2026-11-29 10:00:00",)"
                            R"("firstname":"Jo\u0000"})"
                          : R"({"id":)" + std::to_string(i) +
                                R"(,"updated_at":"2026-11-29 10:00:00"})";
    page.push_back(
        {{"shop", "poll:customers/update:" + std::to_string(i) + ":v1",
          "customers/update", payload},
         std::to_string(i),
         "2026-11-29 10:00:00"});
  }
  auto first = polls.enqueue_missing(page, {"customers/update"}, "updated_at");
  ASSERT_TRUE(first) << db_error_text(first.error());
  EXPECT_EQ(*first, 3u);
  EXPECT_EQ(rows("status = 'pending'"), 2);
  EXPECT_EQ(rows("status = 'failed'"), 1);
  auto second = polls.enqueue_missing(page, {"customers/update"}, "updated_at");
  ASSERT_TRUE(second) << db_error_text(second.error());
  EXPECT_EQ(*second, 0u) << "the next cycle adds nothing again";
}

TEST_F(inbox_batch, an_empty_batch_touches_nothing) {
  auto inserted = inbox_.insert_all_if_absent({});
  ASSERT_TRUE(inserted);
  EXPECT_TRUE(inserted->empty());
  EXPECT_EQ(rows(), 0);
}
