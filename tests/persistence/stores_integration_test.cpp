// The inbox, dead-letter, sync-log and audit stores against a migrated
// scratch database on the shared PostgreSQL.
#include "persistence/audit_store.hpp"
#include "persistence/dead_letter_store.hpp"
#include "persistence/inbox_store.hpp"
#include "persistence/migrations.hpp"
#include "persistence/sync_log_store.hpp"
#include "tests/support/services.hpp"

#include <gtest/gtest.h>
#include <pqxx/pqxx>
#include <prometheus/registry.h>

using namespace ferry::persistence;
using namespace std::chrono_literals;

namespace {

class stores : public ::testing::Test {
protected:
  void SetUp() override {
    auto report = migrate(pool_);
    ASSERT_TRUE(report) << db_error_text(report.error());
  }

  /// Pushes the lease of inbox row `id` into the past, as if its node died.
  void expire_lease(std::int64_t id) {
    pqxx::connection conn(db_.url());
    pqxx::work tx(conn);
    tx.exec_params("UPDATE inbox SET lease_until = now() - interval '1 s' "
                   "WHERE id = $1",
                   id);
    tx.commit();
  }

  ferry::test::scratch_database db_;
  prometheus::Registry registry_;
  pg_pool pool_{{db_.url(), 4}, registry_};
};

inbox_event order_created(const std::string& id) {
  return {"shop", id, "order.created",
          R"({"id":")" + id + R"(","email":"ann@example.com"})"};
}

} // namespace

TEST_F(stores, inbox_inserts_an_event_once) {
  inbox_store inbox(pool_);
  auto first = inbox.insert_if_absent(order_created("evt-1"));
  ASSERT_TRUE(first) << db_error_text(first.error());
  EXPECT_TRUE(*first);
  auto again = inbox.insert_if_absent(order_created("evt-1"));
  ASSERT_TRUE(again) << db_error_text(again.error());
  EXPECT_FALSE(*again) << "a redelivered webhook must be recognised";
  // The same event id from another source is another event.
  auto other =
      inbox.insert_if_absent({"erp", "evt-1", "order.changed", R"({"n":1})"});
  ASSERT_TRUE(other);
  EXPECT_TRUE(*other);
  auto open = inbox.open_count();
  ASSERT_TRUE(open);
  EXPECT_EQ(*open, 2);
}

TEST_F(stores, inbox_rejects_bad_input_naming_it) {
  inbox_store inbox(pool_);
  auto bad_json = inbox.insert_if_absent({"shop", "evt-x", "t", "{not json"});
  ASSERT_FALSE(bad_json);
  EXPECT_EQ(db_error_code(bad_json.error()), db_errc::rejected);
  auto text = db_error_text(bad_json.error());
  EXPECT_NE(text.find("shop/evt-x"), std::string::npos) << text;
  EXPECT_NE(text.find("json"), std::string::npos) << text;

  auto empty = inbox.insert_if_absent({"shop", "", "t", "{}"});
  ASSERT_FALSE(empty);
  EXPECT_NE(db_error_text(empty.error()).find("event_id"), std::string::npos);
}

TEST_F(stores, inbox_claims_are_exclusive_and_expire) {
  inbox_store inbox(pool_);
  for (auto id : {"a", "b", "c"})
    ASSERT_TRUE(inbox.insert_if_absent(order_created(id)));

  auto node1 = inbox.claim("node-1", 2, 60s);
  ASSERT_TRUE(node1) << db_error_text(node1.error());
  ASSERT_EQ(node1->size(), 2u);
  EXPECT_EQ((*node1)[0].event.event_id, "a");
  EXPECT_EQ((*node1)[1].event.event_id, "b");
  EXPECT_EQ((*node1)[0].attempts, 1);
  EXPECT_NE((*node1)[0].event.payload.find("ann@example.com"),
            std::string::npos)
      << "the inbox keeps the payload as received";

  auto node2 = inbox.claim("node-2", 10, 60s);
  ASSERT_TRUE(node2);
  ASSERT_EQ(node2->size(), 1u) << "claimed events are not handed out twice";
  EXPECT_EQ((*node2)[0].event.event_id, "c");

  auto done = inbox.complete((*node1)[0].id, "node-1");
  ASSERT_TRUE(done);
  EXPECT_TRUE(*done);

  // node-1 dies holding "b": once its lease expires node-2 takes it over,
  // and node-1 can no longer complete it.
  expire_lease((*node1)[1].id);
  auto takeover = inbox.claim("node-2", 10, 60s);
  ASSERT_TRUE(takeover);
  ASSERT_EQ(takeover->size(), 1u);
  EXPECT_EQ((*takeover)[0].event.event_id, "b");
  EXPECT_EQ((*takeover)[0].attempts, 2);
  auto late = inbox.complete((*node1)[1].id, "node-1");
  ASSERT_TRUE(late);
  EXPECT_FALSE(*late);

  auto retry = inbox.retry((*takeover)[0].id, "node-2",
                           "ERP rejected customer bob@example.com");
  ASSERT_TRUE(retry);
  EXPECT_TRUE(*retry);
  auto again = inbox.claim("node-2", 10, 60s);
  ASSERT_TRUE(again);
  ASSERT_EQ(again->size(), 1u) << "a retried event is claimable again";
  EXPECT_EQ((*again)[0].attempts, 3);

  pqxx::connection conn(db_.url());
  pqxx::read_transaction tx(conn);
  auto error = tx.exec_params1("SELECT last_error FROM inbox WHERE id = $1",
                               (*again)[0].id)[0]
                   .as<std::string>();
  EXPECT_EQ(error, "ERP rejected customer b***@example.com");
}

TEST_F(stores, an_event_given_back_with_a_delay_waits_it_out) {
  inbox_store inbox(pool_);
  ASSERT_TRUE(inbox.insert_if_absent({"shop", "a", "customers/create", "{}"}));
  auto first = inbox.claim("node-1", 10, 60s);
  ASSERT_TRUE(first);
  ASSERT_EQ(first->size(), 1u);
  // A delay of a fraction of a second more than an hour.
  auto retry = inbox.retry((*first)[0].id, "node-1", "shop down", 3600500ms);
  ASSERT_TRUE(retry);
  EXPECT_TRUE(*retry);
  auto early = inbox.claim("node-2", 10, 60s);
  ASSERT_TRUE(early);
  EXPECT_TRUE(early->empty()) << "claimed again before its delay passed";
  auto open = inbox.open_count();
  ASSERT_TRUE(open);
  EXPECT_EQ(*open, 1) << "a delayed event is still open work";

  expire_lease((*first)[0].id); // the delay has passed
  auto later = inbox.claim("node-2", 10, 60s);
  ASSERT_TRUE(later);
  ASSERT_EQ(later->size(), 1u);
  EXPECT_EQ((*later)[0].attempts, 2);

  auto failed = inbox.fail((*later)[0].id, "node-2", "refused");
  ASSERT_TRUE(failed);
  EXPECT_TRUE(*failed);
  expire_lease((*later)[0].id);
  auto none = inbox.claim("node-3", 10, 60s);
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty()) << "a failed event is never claimed again";
}

TEST_F(stores, inbox_claim_by_topic) {
  inbox_store inbox(pool_);
  ASSERT_TRUE(inbox.insert_if_absent({"shop", "1", "order.created", "{}"}));
  ASSERT_TRUE(inbox.insert_if_absent({"shop", "2", "customer.created", "{}"}));
  auto claimed = inbox.claim("n", 10, 60s, std::string("customer.created"));
  ASSERT_TRUE(claimed);
  ASSERT_EQ(claimed->size(), 1u);
  EXPECT_EQ((*claimed)[0].event.event_id, "2");
}

TEST_F(stores, dead_letters_are_listed_and_marked_replayed) {
  dead_letter_store dead(pool_);
  auto first = dead.put("shop", "order", "1001", "line 2: sku missing",
                        R"({"id":1001})");
  ASSERT_TRUE(first) << db_error_text(first.error());
  auto second =
      dead.put("erp", "customer", "C-7", "email invalid", "not json at all");
  ASSERT_TRUE(second) << db_error_text(second.error());

  auto open = dead.list(10);
  ASSERT_TRUE(open);
  ASSERT_EQ(open->size(), 2u);
  EXPECT_EQ((*open)[0].id, *second) << "newest first";
  EXPECT_EQ((*open)[0].payload, "\"not json at all\"")
      << "text that is not JSON is kept as a JSON string";
  EXPECT_EQ((*open)[1].reason, "line 2: sku missing");
  EXPECT_EQ((*open)[1].payload, R"({"id": 1001})");
  EXPECT_EQ((*open)[1].at.size(), 24u) << (*open)[1].at;

  auto orders = dead.list(10, false, std::string("order"));
  ASSERT_TRUE(orders);
  ASSERT_EQ(orders->size(), 1u);

  auto marked = dead.mark_replayed(*first);
  ASSERT_TRUE(marked);
  EXPECT_TRUE(*marked);
  auto still_open = dead.list(10);
  ASSERT_TRUE(still_open);
  ASSERT_EQ(still_open->size(), 1u);
  EXPECT_EQ((*still_open)[0].id, *second);
  auto replayed = dead.get(*first);
  ASSERT_TRUE(replayed);
  EXPECT_EQ(replayed->replay_count, 1);
  EXPECT_FALSE(replayed->replayed_at.empty());
  auto all = dead.list(10, true);
  ASSERT_TRUE(all);
  EXPECT_EQ(all->size(), 2u);

  auto missing = dead.mark_replayed(999999);
  ASSERT_TRUE(missing);
  EXPECT_FALSE(*missing);
  auto unknown = dead.get(999999);
  ASSERT_FALSE(unknown);
  EXPECT_NE(db_error_text(unknown.error()).find("999999"), std::string::npos);
  auto no_reason = dead.put("shop", "order", "1", "", "{}");
  ASSERT_FALSE(no_reason);
  EXPECT_NE(db_error_text(no_reason.error()).find("reason"), std::string::npos);
}

TEST_F(stores, sync_log_is_masked_on_write) {
  sync_log_store log(pool_);
  sync_log_entry entry;
  entry.entity = "customer";
  entry.direction = sync_direction::shop_to_erp;
  entry.entity_id = "ann.lee@example.com";
  entry.external_id = "C-42";
  entry.attempt = 2;
  entry.latency_ms = 180;
  entry.outcome = sync_outcome::failed;
  entry.message = "ERP refused ann.lee@example.com: field Phone too long";
  entry.payload = {{"email", "ann.lee@example.com"},
                   {"first_name", "Ann"},
                   {"phone", "+49 170 1234567"},
                   {"total", 1999}};
  auto id = log.write(entry);
  ASSERT_TRUE(id) << db_error_text(id.error());

  auto recent = log.recent(5, std::string("customer"));
  ASSERT_TRUE(recent) << db_error_text(recent.error());
  ASSERT_EQ(recent->size(), 1u);
  const auto& got = (*recent)[0].entry;
  EXPECT_EQ(got.entity_id, "a***@example.com");
  EXPECT_EQ(got.external_id, "C-42");
  EXPECT_EQ(got.message, "ERP refused a***@example.com: field Phone too long");
  EXPECT_EQ(got.payload["email"], "a***@example.com");
  EXPECT_EQ(got.payload["first_name"], "A**");
  EXPECT_EQ(got.payload["phone"], "+** *** *****67");
  EXPECT_EQ(got.payload["total"], 1999);
  EXPECT_EQ(got.outcome, sync_outcome::failed);
  EXPECT_EQ(got.direction, sync_direction::shop_to_erp);
  EXPECT_EQ(got.attempt, 2);
  ASSERT_TRUE(got.latency_ms);
  EXPECT_EQ(*got.latency_ms, 180);

  pqxx::connection conn(db_.url());
  pqxx::read_transaction tx(conn);
  auto raw = tx.exec1("SELECT message || payload::text || entity_id "
                      "FROM sync_log")[0]
                 .as<std::string>();
  EXPECT_EQ(raw.find("ann.lee"), std::string::npos)
      << "no personal data may reach the table: " << raw;
}

TEST_F(stores, sync_log_batches_keep_order_nulls_and_masking) {
  sync_log_entry first;
  first.entity = "order";
  first.entity_id = "1001";
  first.external_id = "WEB-1001";
  first.latency_ms = 12;
  first.message = "received from bob@example.com";
  first.payload = {{"email", "bob@example.com"}, {"state", "received"}};
  sync_log_entry second;
  second.entity = "order";
  second.entity_id = "1001";
  second.attempt = 3;
  second.outcome = sync_outcome::retry;
  sync_log_entry third = first;
  third.message = "with \"quotes\", {braces} and a \\ backslash";
  third.payload = nullptr;
  {
    pqxx::connection conn(db_.url());
    pqxx::work tx(conn);
    sync_log_store::write_all(tx, {first, second, third});
    tx.commit();
  }
  auto got = sync_log_store{pool_}.history("order", "1001", 10);
  ASSERT_TRUE(got) << db_error_text(got.error());
  ASSERT_EQ(got->size(), 3u);
  const auto& a = (*got)[0].entry;
  EXPECT_EQ(a.external_id, "WEB-1001");
  ASSERT_TRUE(a.latency_ms);
  EXPECT_EQ(*a.latency_ms, 12);
  EXPECT_EQ(a.message, "received from b***@example.com");
  EXPECT_EQ(a.payload["email"], "b***@example.com");
  const auto& b = (*got)[1].entry;
  // What `write` stores as NULL comes back the same way.
  EXPECT_EQ(b.external_id, "");
  EXPECT_FALSE(b.latency_ms);
  EXPECT_EQ(b.message, "");
  EXPECT_TRUE(b.payload.is_null());
  EXPECT_EQ(b.attempt, 3);
  EXPECT_EQ(b.outcome, sync_outcome::retry);
  EXPECT_EQ((*got)[2].entry.message, third.message);
}

TEST_F(stores, audit_is_masked_on_write) {
  audit_store audit(pool_);
  auto id = audit.record(
      {"sales.manager@example.com",
       "approve",
       "order",
       "1001",
       {{"customer_email", "bob@example.com"}, {"total_minor", 250000}}});
  ASSERT_TRUE(id) << db_error_text(id.error());
  auto history = audit.history("order", "1001");
  ASSERT_TRUE(history);
  ASSERT_EQ(history->size(), 1u);
  EXPECT_EQ((*history)[0].entry.actor, "s***@example.com");
  EXPECT_EQ((*history)[0].entry.action, "approve");
  EXPECT_EQ((*history)[0].entry.detail["customer_email"], "b***@example.com");
  EXPECT_EQ((*history)[0].entry.detail["total_minor"], 250000);
  auto missing = audit.record({"", "approve", "order", "1", nullptr});
  ASSERT_FALSE(missing);
  EXPECT_NE(db_error_text(missing.error()).find("actor"), std::string::npos);
}
