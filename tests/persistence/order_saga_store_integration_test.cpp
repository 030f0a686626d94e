// The order sagas' store against a migrated scratch database: transitions
// of many sagas committed at the same time (group commit) stay each its
// own committed step, with its version check, sync_log entry and release.
#include "persistence/migrations.hpp"
#include "persistence/order_saga_store.hpp"
#include "tests/support/services.hpp"

#include <future>
#include <gtest/gtest.h>
#include <pqxx/pqxx>
#include <prometheus/registry.h>
#include <thread>

using namespace ferry::persistence;
using namespace std::chrono_literals;

namespace {

class order_saga_store_test : public ::testing::Test {
protected:
  void SetUp() override {
    auto report = migrate(pool_);
    ASSERT_TRUE(report) << db_error_text(report.error());
  }

  /// The arrival of a new order `key` in state validated holding 2 of
  /// SKU-1, its saga claimed by node-a when `claim`.
  static order_arrival new_order(const std::string& key, bool claim) {
    order_arrival a;
    a.key = key;
    a.state = "validated";
    a.data = {{"grand_total", "25.00"}, {"currency", "USD"}};
    a.logs.resize(2);
    for (auto& l : a.logs) {
      l.entity = "order";
      l.entity_id = key;
      l.message = "arrived";
    }
    a.reserve = {{"SKU-1", 2}};
    a.node = "node-a";
    a.claim = claim;
    return a;
  }

  /// A new saga of `key` in state validated holding 2 of SKU-1.
  order_saga_row arrive(const std::string& key) {
    auto created = store_.arrive(new_order(key, true));
    EXPECT_TRUE(created && *created) << key;
    return created && *created ? **created : order_saga_row{};
  }

  static order_transition to_customer_ensured(const std::string& key,
                                              bool release) {
    order_transition t;
    t.to = "customer_ensured";
    t.data = {{"grand_total", "25.00"},
              {"currency", "USD"},
              {"erp_customer_no", "C-" + key}};
    t.log.entity = "order";
    t.log.entity_id = key;
    t.log.message = "validated -> customer_ensured";
    t.log.payload = {{"state", "customer_ensured"}};
    t.release = release;
    return t;
  }

  std::int64_t count(const std::string& sql) {
    pqxx::connection conn(db_.url());
    pqxx::read_transaction tx(conn);
    return tx.exec1(sql)[0].as<std::int64_t>();
  }

  ferry::test::scratch_database db_;
  prometheus::Registry registry_;
  pg_pool pool_{{db_.url(), 8}, registry_};
  order_saga_store store_{pool_};
};

} // namespace

TEST_F(order_saga_store_test, concurrent_transitions_commit_each_exactly_once) {
  constexpr int sagas = 40;
  std::vector<order_saga_row> rows;
  for (int i = 0; i < sagas; ++i)
    rows.push_back(arrive("K" + std::to_string(i)));
  // Every saga commits at the same moment from its own thread, as saga
  // actors do; even ones release their reservation with the step.
  std::promise<void> go;
  auto start = go.get_future().share();
  std::vector<std::future<caf::expected<bool>>> results;
  for (int i = 0; i < sagas; ++i)
    results.push_back(std::async(std::launch::async, [&, i] {
      start.wait();
      return store_.apply(rows[i], to_customer_ensured(rows[i].key, i % 2 == 0),
                          "node-a", 120s);
    }));
  go.set_value();
  for (int i = 0; i < sagas; ++i) {
    auto r = results[i].get();
    ASSERT_TRUE(r) << db_error_text(r.error());
    EXPECT_TRUE(*r) << rows[i].key;
  }
  EXPECT_EQ(
      count("SELECT count(*) FROM saga WHERE state = 'customer_ensured'"
            " AND version = 2 AND data->>'erp_customer_no' = 'C-' || key"),
      sagas);
  EXPECT_EQ(count("SELECT count(*) FROM sync_log"
                  " WHERE message = 'validated -> customer_ensured'"
                  " AND payload->>'state' = 'customer_ensured'"),
            sagas);
  EXPECT_EQ(count("SELECT count(*) FROM stock_reservation_order"
                  " WHERE released_at IS NOT NULL"),
            sagas / 2);
  EXPECT_EQ(count("SELECT count(*) FROM stock_reservation WHERE released"),
            sagas / 2);
  auto k0 = store_.load("K0");
  ASSERT_TRUE(k0 && *k0);
  EXPECT_EQ((*k0)->state, "customer_ensured");
}

TEST_F(order_saga_store_test, a_stale_version_writes_nothing_and_others_go_on) {
  auto fresh = arrive("F1");
  auto stale = arrive("S1");
  // Another node moved S1 meanwhile.
  auto moved =
      store_.apply(stale, to_customer_ensured("S1", false), "node-b", 120s);
  ASSERT_TRUE(moved && *moved);
  std::promise<void> go;
  auto start = go.get_future().share();
  auto a = std::async(std::launch::async, [&] {
    start.wait();
    return store_.apply(fresh, to_customer_ensured("F1", true), "node-a", 120s);
  });
  auto b = std::async(std::launch::async, [&] {
    start.wait();
    return store_.apply(stale, to_customer_ensured("S1", true), "node-a", 120s);
  });
  go.set_value();
  auto ra = a.get();
  auto rb = b.get();
  ASSERT_TRUE(ra && rb);
  EXPECT_TRUE(*ra);
  EXPECT_FALSE(*rb); // the version conflict, reported to its caller only
  // S1: one transition logged (node-b's), still claimed by node-b, its
  // stock still reserved; F1 released.
  EXPECT_EQ(count("SELECT count(*) FROM sync_log WHERE entity_id = 'S1'"
                  " AND message = 'validated -> customer_ensured'"),
            1);
  EXPECT_EQ(count("SELECT count(*) FROM saga WHERE key = 'S1'"
                  " AND claimed_by = 'node-b' AND version = 2"),
            1);
  EXPECT_EQ(count("SELECT count(*) FROM stock_reservation_order"
                  " WHERE order_key = 'S1' AND released_at IS NULL"),
            1);
  EXPECT_EQ(count("SELECT count(*) FROM stock_reservation_order"
                  " WHERE order_key = 'F1' AND released_at IS NOT NULL"),
            1);
}

TEST_F(order_saga_store_test, an_unclaiming_transition_gives_the_claim_up) {
  auto row = arrive("U1");
  auto t = to_customer_ensured("U1", false);
  t.unclaim = true;
  auto r = store_.apply(row, t, "node-a", 120s);
  ASSERT_TRUE(r && *r);
  EXPECT_EQ(count("SELECT count(*) FROM saga WHERE key = 'U1'"
                  " AND claimed_by IS NULL AND lease_until IS NULL"),
            1);
}

TEST_F(order_saga_store_test, two_commits_of_one_saga_at_once_one_wins) {
  auto row = arrive("D1");
  std::promise<void> go;
  auto start = go.get_future().share();
  std::vector<std::future<caf::expected<bool>>> results;
  for (int i = 0; i < 8; ++i)
    results.push_back(std::async(std::launch::async, [&] {
      start.wait();
      return store_.apply(row, to_customer_ensured("D1", true), "node-a", 120s);
    }));
  go.set_value();
  int won = 0;
  for (auto& f : results) {
    auto r = f.get();
    ASSERT_TRUE(r) << db_error_text(r.error());
    won += *r ? 1 : 0;
  }
  EXPECT_EQ(won, 1);
  EXPECT_EQ(count("SELECT count(*) FROM sync_log WHERE entity_id = 'D1'"
                  " AND message = 'validated -> customer_ensured'"),
            1);
  EXPECT_EQ(count("SELECT version FROM saga WHERE key = 'D1'"), 2);
}

// A batch of webhooks committed with the work it creates: the new order's
// saga (claimed, reserved, logged), the update's sync_log entry, both
// events done; another topic pending; a redelivered event and a second
// event of a known order create nothing more.
TEST_F(order_saga_store_test, webhooks_commit_with_the_work_they_create) {
  auto event = [](const std::string& id, const std::string& topic,
                  const std::string& key) {
    return inbox_event{"shop", id, topic, R"({"increment_id":")" + key + "\"}"};
  };
  std::vector<inbox_event> events = {event("e1", "orders/create", "W1"),
                                     event("e2", "orders/create", "W2"),
                                     event("e3", "orders/updated", "W1"),
                                     event("e4", "customers/create", "-")};
  std::vector<webhook_work> work(events.size());
  work[0].arrival = new_order("W1", true);
  work[1].arrival = new_order("W2", false);
  sync_log_entry echo;
  echo.entity = "order";
  echo.entity_id = "W1";
  echo.message = "echo";
  work[2].log = echo;
  auto first = store_.receive_webhooks(events, work, "node-a");
  ASSERT_TRUE(first) << db_error_text(first.error());
  EXPECT_EQ(first->inserted, std::vector<bool>(4, true));
  ASSERT_EQ(first->claimed.size(), 1u);
  EXPECT_EQ(first->claimed[0].key, "W1");
  EXPECT_EQ(first->claimed[0].state, "validated");
  EXPECT_EQ(first->unclaimed, 1u);
  EXPECT_EQ(first->pending, 1u);
  EXPECT_EQ(count("SELECT count(*) FROM saga WHERE key = 'W1' AND "
                  "claimed_by = 'node-a'"),
            1);
  EXPECT_EQ(count("SELECT count(*) FROM saga WHERE key = 'W2' AND "
                  "claimed_by IS NULL"),
            1);
  EXPECT_EQ(count("SELECT count(*) FROM inbox WHERE status = 'done' AND "
                  "claimed_by = 'node-a' AND attempts = 1"),
            3);
  EXPECT_EQ(count("SELECT count(*) FROM inbox WHERE status = 'pending' AND "
                  "topic = 'customers/create'"),
            1);
  EXPECT_EQ(count("SELECT count(*) FROM sync_log WHERE entity_id = 'W1'"), 3);
  EXPECT_EQ(count("SELECT count(*) FROM stock_reservation"), 2);

  // The shop redelivers e1 and sends the same order again as e5.
  events = {event("e1", "orders/create", "W1"),
            event("e5", "orders/create", "W1")};
  work.assign(2, {});
  work[0].arrival = new_order("W1", true);
  work[1].arrival = new_order("W1", true);
  auto again = store_.receive_webhooks(events, work, "node-a");
  ASSERT_TRUE(again) << db_error_text(again.error());
  EXPECT_EQ(again->inserted, (std::vector<bool>{false, true}));
  EXPECT_TRUE(again->claimed.empty());
  EXPECT_EQ(again->duplicates, 1u);
  EXPECT_EQ(again->claims_unused, 1u);
  EXPECT_EQ(count("SELECT count(*) FROM saga"), 2);
  EXPECT_EQ(count("SELECT count(*) FROM sync_log WHERE entity_id = 'W1'"), 3);
}

// One refused payload refuses the batch: nothing of it is stored.
TEST_F(order_saga_store_test, a_refused_webhook_batch_stores_nothing) {
  std::vector<inbox_event> events = {
      {"shop", "e1", "orders/create", R"({"increment_id":"W1"})"},
      {"shop", "e2", "orders/create", "not json"}};
  std::vector<webhook_work> work(2);
  order_arrival a;
  a.key = "W1";
  a.state = "received";
  a.logs.resize(1);
  a.logs[0].entity = "order";
  a.logs[0].entity_id = "W1";
  work[0].arrival = a;
  auto r = store_.receive_webhooks(events, work, "node-a");
  ASSERT_FALSE(r);
  EXPECT_EQ(db_error_code(r.error()), db_errc::rejected);
  EXPECT_EQ(count("SELECT count(*) FROM inbox"), 0);
  EXPECT_EQ(count("SELECT count(*) FROM saga"), 0);
}

TEST_F(order_saga_store_test,
       a_failed_order_is_dead_lettered_whole_and_replayed_once) {
  auto arrival = new_order("7001", true);
  arrival.input = R"({"increment_id":"7001","items":[{"sku":"SKU-1"}]})";
  arrival.data["event_id"] = "ev-7001";
  auto created = store_.arrive(arrival);
  ASSERT_TRUE(created && *created);
  auto row = **created;
  order_transition fail = to_customer_ensured("7001", true);
  fail.to = "failed";
  fail.data["reason"] = "a SKU is unknown in the ERP";
  fail.data["parked"] = true;
  fail.data["event_id"] = "ev-7001";
  fail.dead_letter_reason = "a SKU is unknown in the ERP";
  fail.unclaim = true;
  ASSERT_TRUE(*store_.apply(row, fail, "node-a", 60s));

  pqxx::connection conn(db_.url());
  auto letter = pqxx::read_transaction(conn).exec1(
      "SELECT id, payload::text FROM dead_letter WHERE source = 'order_saga'"
      " AND entity_id = '7001'");
  EXPECT_EQ(nlohmann::json::parse(letter[1].as<std::string>()),
            nlohmann::json::parse(arrival.input));
  auto id = letter[0].as<std::int64_t>();

  auto replayed = store_.replay(id, "ops.person");
  ASSERT_TRUE(replayed) << db_error_text(replayed.error());
  EXPECT_EQ(replayed->kind, dead_letter_replay::replayed);
  EXPECT_EQ(replayed->entity_id, "7001");
  auto saga = store_.load("7001");
  ASSERT_TRUE(saga && *saga);
  EXPECT_EQ((*saga)->state, "received");
  EXPECT_EQ((*saga)->input, arrival.input);
  EXPECT_EQ((*saga)->data, (nlohmann::json{{"grand_total", "25.00"},
                                           {"currency", "USD"},
                                           {"event_id", "ev-7001"},
                                           {"parked", false}}));
  EXPECT_EQ(count("SELECT count(*) FROM saga WHERE key = '7001' AND"
                  " claimed_by IS NULL"),
            1);
  EXPECT_EQ(count("SELECT count(*) FROM audit WHERE action = 'replay' AND"
                  " actor = 'ops.person' AND entity_id = '" +
                  std::to_string(id) + "'"),
            1);

  // Replayed once; the saga, no longer failed, is not replayed by another
  // open dead letter either.
  EXPECT_EQ(store_.replay(id, "ops.person")->kind,
            dead_letter_replay::already_replayed);
  pqxx::work tx(conn);
  auto other = tx.exec1("INSERT INTO dead_letter (source, entity, entity_id,"
                        " reason) VALUES ('order_saga', 'order', '7001',"
                        " 'earlier') RETURNING id")[0]
                   .as<std::int64_t>();
  auto missing = tx.exec1("INSERT INTO dead_letter (source, entity,"
                          " entity_id, reason) VALUES ('order_saga', 'order',"
                          " 'no-such-order', 'gone') RETURNING id")[0]
                     .as<std::int64_t>();
  tx.commit();
  auto not_failed = store_.replay(other, "ops.person");
  EXPECT_EQ(not_failed->kind, dead_letter_replay::not_failed);
  EXPECT_EQ(not_failed->state, "received");
  EXPECT_EQ(store_.replay(missing, "ops.person")->kind,
            dead_letter_replay::no_saga);
  EXPECT_EQ(store_.replay(id + 1000, "ops.person")->kind,
            dead_letter_replay::not_found);
  EXPECT_EQ(count("SELECT count(*) FROM dead_letter WHERE replayed_at IS NOT"
                  " NULL"),
            1);
}
