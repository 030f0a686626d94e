// The order saga and its intake with fake ERP and shop connectors against a
// migrated scratch database: every transition and failure branch, what is
// committed at each step, and the resumption after a crash.
#include "actors/message_types.hpp"
#include "actors/order_intake.hpp"
#include "actors/order_saga.hpp"
#include "config/values.hpp"
#include "persistence/inbox_store.hpp"
#include "persistence/inbox_wakeup.hpp"
#include "persistence/migrations.hpp"
#include "persistence/reservation_store.hpp"
#include "tests/actors/order_fakes.hpp"
#include "tests/support/services.hpp"

#include <caf/all.hpp>
#include <gtest/gtest.h>
#include <pqxx/pqxx>
#include <prometheus/registry.h>

using namespace ferry;
using namespace std::chrono_literals;

namespace {

caf::actor_system_config& config() {
  static caf::actor_system_config cfg = [] {
    caf::actor_system_config c;
    register_message_types(c);
    return c;
  }();
  return cfg;
}

shop::shop_order make_order(const std::string& increment_id,
                            const std::string& price = "12.50",
                            const std::string& qty = "3") {
  shop::shop_order o;
  o.entity_id = std::stoll(increment_id);
  o.increment_id = increment_id;
  o.created_at = "2026-11-29 04:15:00";
  o.customer_id = 42;
  o.customer_email = "Ann@Example.com";
  o.base_currency_code = "USD";
  shop::shop_order_item item;
  item.sku = "AB-1";
  item.qty_ordered = *decimal::parse(qty);
  item.price = *money::parse(price);
  item.row_total = item.price.times(item.qty_ordered);
  o.items = {item};
  o.subtotal = item.row_total;
  o.shipping_amount = *money::parse("5.00");
  o.grand_total = o.subtotal + o.shipping_amount;
  o.billing_address.firstname = "Ann";
  o.billing_address.lastname = "Lee";
  return o;
}

std::string payload_of(const shop::shop_order& o) {
  return shop::dump_exact(shop::to_json(o));
}

class order_saga_test : public ::testing::Test {
protected:
  void SetUp() override {
    auto report = persistence::migrate(pool_);
    ASSERT_TRUE(report) << persistence::db_error_text(report.error());
    connectors_->set_erp(sys_.spawn(test::fake_erp, erp_));
    connectors_->set_shop(sys_.spawn(test::fake_shop, shop_));
    settings_.node = "node-a";
    settings_.mapping.erp_time_zone = config::load_time_zone("America/Chicago");
    settings_.retry_backoff = {5ms, 20ms, 2.0};
    settings_.call_timeout = 5s;
  }

  void TearDown() override {
    caf::anon_send_exit(connectors_->erp(), caf::exit_reason::user_shutdown);
    caf::anon_send_exit(connectors_->shop(), caf::exit_reason::user_shutdown);
  }

  /// Puts `o` into the saga table as the intake does.
  void receive(const shop::shop_order& o) {
    nlohmann::json data = {{"entity_id", o.entity_id},
                           {"grand_total", o.grand_total.to_string()},
                           {"currency", o.base_currency_code},
                           {"parked", false}};
    persistence::sync_log_entry log;
    log.entity = "order";
    log.entity_id = o.increment_id;
    log.message = "received";
    auto r = store_->receive(o.increment_id, payload_of(o), data, log);
    ASSERT_TRUE(r) << persistence::db_error_text(r.error());
  }

  /// Runs the saga of `key` until its actor ends (parked or done).
  void run(const std::string& key) {
    auto saga = spawn_order_saga(sys_, key, settings_, store_, connectors_);
    caf::scoped_actor self{sys_};
    self->wait_for(saga);
  }

  persistence::order_saga_row row(const std::string& key) {
    auto r = store_->load(key);
    EXPECT_TRUE(r && *r) << key;
    return r && *r ? **r : persistence::order_saga_row{};
  }

  std::vector<std::string> messages(const std::string& key) {
    std::vector<std::string> out;
    auto h = store_->history("order", key);
    EXPECT_TRUE(h);
    if (h)
      for (auto& rec : *h)
        out.push_back(rec.entry.message);
    return out;
  }

  std::int64_t count(const std::string& sql) {
    pqxx::connection conn{db_.url()};
    pqxx::read_transaction tx{conn};
    return tx.exec1(sql)[0].as<std::int64_t>();
  }

  /// Sagas at their end: submitted, with nothing left to do.
  std::int64_t submitted_and_parked() {
    return count("SELECT count(*) FROM saga WHERE state = 'submitted' AND "
                 "(data->>'parked')::boolean");
  }

  /// The intake's settings in these tests: the sagas' own, and a short
  /// poll interval.
  order_intake_settings intake_settings() const {
    order_intake_settings s;
    s.saga = settings_;
    s.poll_interval = 20ms;
    return s;
  }

  /// The intake's report; an empty one (and a failure) if it does not answer.
  order_intake_report report_of(const order_intake_actor& intake) {
    order_intake_report out;
    caf::scoped_actor self{sys_};
    self->request(intake, 5s, caf::get_atom_v)
        .receive([&](order_intake_report& r) { out = r; },
                 [&](caf::error& e) { ADD_FAILURE() << caf::to_string(e); });
    return out;
  }

  std::int64_t open_reserved(const std::string& sku) {
    persistence::reservation_store r{pool_};
    auto q = r.open_quantities({sku});
    EXPECT_TRUE(q);
    return q && q->count(sku) ? q->at(sku) : 0;
  }

  test::scratch_database db_;
  prometheus::Registry registry_;
  persistence::pg_pool pool_{{db_.url(), 8}, registry_};
  std::shared_ptr<persistence::order_saga_store> store_ =
      std::make_shared<persistence::order_saga_store>(pool_);
  caf::actor_system sys_{config()};
  std::shared_ptr<test::fake_erp_state> erp_ =
      std::make_shared<test::fake_erp_state>();
  std::shared_ptr<test::fake_shop_state> shop_ =
      std::make_shared<test::fake_shop_state>();
  std::shared_ptr<connector_directory> connectors_ =
      std::make_shared<connector_directory>();
  order_saga_settings settings_;
};

TEST_F(order_saga_test, new_customer_order_goes_to_the_erp_once) {
  receive(make_order("1001"));
  run("1001");
  auto r = row("1001");
  EXPECT_EQ(r.state, "submitted");
  EXPECT_EQ(r.data.value("sales_order_no", ""), "SO-2");
  EXPECT_EQ(r.data.value("erp_customer_no", ""), "C1");
  EXPECT_TRUE(r.data.value("parked", false));
  {
    std::lock_guard<std::mutex> guard{erp_->mutex};
    ASSERT_EQ(erp_->orders.size(), 1u);
    auto& so = erp_->orders.at("WEB-1001");
    EXPECT_EQ(so.order_date, "2026-11-28T22:15:00");
    EXPECT_EQ(so.customer_no, "C1");
    EXPECT_EQ(so.total_amount.to_string(), "42.50");
    // The customer is looked up by the normalised address.
    EXPECT_EQ(erp_->customers.count("ann@example.com"), 1u);
    EXPECT_EQ(erp_->create_customer_calls, 1);
  }
  EXPECT_EQ(shop_->comments_of(1001),
            std::vector<std::string>{"Ferry: ERP sales order SO-2"});
  {
    std::lock_guard<std::mutex> guard{shop_->mutex};
    EXPECT_EQ(shop_->erp_customer_no[42], "C1");
  }
  auto log = messages("1001");
  std::vector<std::string> expected = {
      "received", "received -> validated",
      "validated -> customer_ensured (created)",
      "customer_ensured -> submitted: SO-2 (created)",
      "ERP number commented on the shop order"};
  EXPECT_EQ(log, expected);
  EXPECT_EQ(open_reserved("AB-1"), 0) << "released when submitted";
  EXPECT_EQ(count("SELECT count(*) FROM stock_reservation_order"), 1);
  // Running it again changes nothing: it is parked.
  run("1001");
  EXPECT_EQ(row("1001").version, r.version);
  EXPECT_EQ(erp_->order_count(), 1);
}

TEST_F(order_saga_test, existing_customer_is_found_not_created) {
  erp_->customers["ann@example.com"] = "C000123";
  receive(make_order("1002"));
  run("1002");
  EXPECT_EQ(row("1002").data.value("erp_customer_no", ""), "C000123");
  EXPECT_EQ(erp_->create_customer_calls, 0);
  EXPECT_EQ(erp_->orders.at("WEB-1002").customer_no, "C000123");
}

TEST_F(order_saga_test, duplicate_customer_is_adopted) {
  erp_->duplicate_customer = 1;
  receive(make_order("1003"));
  run("1003");
  auto r = row("1003");
  EXPECT_EQ(r.state, "submitted");
  EXPECT_EQ(r.data.value("erp_customer_no", ""), "C-DUP-1");
  EXPECT_EQ(messages("1003")[2],
            "validated -> customer_ensured (adopted duplicate)");
}

TEST_F(order_saga_test, returning_customer_is_tagged_once_not_per_order) {
  auto tagged = [&] {
    std::lock_guard<std::mutex> guard{shop_->mutex};
    return std::make_pair(shop_->update_customer_calls,
                          shop_->erp_customer_no[42]);
  };
  receive(make_order("1101"));
  run("1101");
  EXPECT_EQ(tagged(), std::make_pair(1, std::string{"C1"}))
      << "the first order writes the ERP number on the shop customer";
  for (auto key : {"1102", "1103"}) {
    receive(make_order(key));
    run(key);
    EXPECT_EQ(row(key).state, "submitted") << key;
    EXPECT_EQ(row(key).data.value("erp_customer_no", ""), "C1") << key;
    EXPECT_EQ(shop_->comments_of(std::stoll(key)).size(), 1u) << key;
  }
  EXPECT_EQ(tagged(), std::make_pair(1, std::string{"C1"}))
      << "a returning customer's orders make no customer update";
  // Merged in the ERP: the customer's number changes, and is written once.
  {
    std::lock_guard<std::mutex> guard{erp_->mutex};
    erp_->customers["ann@example.com"] = "C9";
  }
  for (auto key : {"1104", "1105"}) {
    receive(make_order(key));
    run(key);
  }
  EXPECT_EQ(tagged(), std::make_pair(2, std::string{"C9"}));
  EXPECT_EQ(count("SELECT count(*) FROM saga WHERE state = 'submitted' AND "
                  "(data->>'parked')::boolean"),
            5);
}

TEST_F(order_saga_test, lost_answer_is_settled_by_get_sales_order) {
  erp_->drop_after_commit = 1;
  receive(make_order("1004"));
  run("1004");
  auto r = row("1004");
  EXPECT_EQ(r.state, "submitted");
  EXPECT_EQ(erp_->order_count(), 1);
  EXPECT_EQ(erp_->create_order_calls, 1) << "never created twice";
  EXPECT_EQ(erp_->get_order_calls, 1);
  EXPECT_EQ(r.data.value("sales_order_no", ""),
            erp_->orders.at("WEB-1004").sales_order_no);
  auto log = messages("1004");
  EXPECT_NE(std::find(log.begin(), log.end(),
                      "customer_ensured -> submitted: " +
                          r.data.value("sales_order_no", "") +
                          " (found by GetSalesOrder)"),
            log.end());
}

TEST_F(order_saga_test, duplicate_external_order_id_is_adopted) {
  erp_sales_order existing;
  existing.external_order_id = "WEB-1005";
  existing.sales_order_no = "SO-777";
  erp_->orders["WEB-1005"] = existing;
  receive(make_order("1005"));
  run("1005");
  EXPECT_EQ(row("1005").data.value("sales_order_no", ""), "SO-777");
  EXPECT_EQ(erp_->order_count(), 1);
}

TEST_F(order_saga_test, invalid_order_fails_with_reason_and_dead_letter) {
  auto o = make_order("1006");
  o.customer_email.clear();
  receive(o);
  run("1006");
  auto r = row("1006");
  EXPECT_EQ(r.state, "failed");
  EXPECT_EQ(r.data.value("reason", ""),
            "order 1006: customer_email is missing");
  EXPECT_EQ(erp_->find_customer_calls + erp_->create_order_calls, 0);
  EXPECT_EQ(count("SELECT count(*) FROM dead_letter WHERE entity = 'order' "
                  "AND entity_id = '1006' AND reason = "
                  "'order 1006: customer_email is missing'"),
            1);
  EXPECT_EQ(count("SELECT count(*) FROM sync_log WHERE entity_id = '1006' "
                  "AND outcome = 'failed'"),
            1);
  // Failed sagas are not run again.
  auto claimed = store_->claim_runnable("node-a", 10, 60s);
  ASSERT_TRUE(claimed);
  EXPECT_TRUE(claimed->empty());
}

TEST_F(order_saga_test, unknown_sku_in_the_erp_fails_the_order) {
  erp_->unknown_items.insert("AB-1");
  receive(make_order("1007"));
  run("1007");
  auto r = row("1007");
  EXPECT_EQ(r.state, "failed");
  EXPECT_NE(r.data.value("reason", "").find("AB-1 is unknown"),
            std::string::npos);
  EXPECT_EQ(open_reserved("AB-1"), 0) << "released when failed";
  EXPECT_EQ(count("SELECT count(*) FROM dead_letter WHERE entity_id='1007'"),
            1);
}

TEST_F(order_saga_test, erp_down_waits_with_stock_reserved_then_drains) {
  erp_->down = test::erp_fault(erp_error_kind::circuit_open,
                               erp_fault_code::none, "circuit open");
  receive(make_order("1008", "12.50", "3"));
  auto saga = spawn_order_saga(sys_, "1008", settings_, store_, connectors_);
  ASSERT_TRUE(test::wait_until([&] {
    return count("SELECT count(*) FROM sync_log WHERE entity_id = '1008' "
                 "AND outcome = 'retry'") >= 3;
  }));
  EXPECT_EQ(row("1008").state, "validated");
  EXPECT_EQ(open_reserved("AB-1"), 3) << "reserved while not in the ERP";
  {
    std::lock_guard<std::mutex> guard{erp_->mutex};
    erp_->down.reset();
  }
  caf::scoped_actor self{sys_};
  self->wait_for(saga);
  EXPECT_EQ(row("1008").state, "submitted");
  EXPECT_EQ(erp_->order_count(), 1);
  EXPECT_EQ(open_reserved("AB-1"), 0);
}

TEST_F(order_saga_test, shop_down_retries_the_comment) {
  shop_->down = true;
  receive(make_order("1009"));
  auto saga = spawn_order_saga(sys_, "1009", settings_, store_, connectors_);
  ASSERT_TRUE(test::wait_until([&] {
    return count("SELECT count(*) FROM sync_log WHERE entity_id = '1009' "
                 "AND outcome = 'retry'") >= 2;
  }));
  // The submission did not wait for the shop.
  EXPECT_EQ(row("1009").state, "submitted");
  EXPECT_FALSE(row("1009").data.value("shop_done", true));
  {
    std::lock_guard<std::mutex> guard{shop_->mutex};
    shop_->down = false;
  }
  caf::scoped_actor self{sys_};
  self->wait_for(saga);
  EXPECT_EQ(row("1009").state, "submitted");
  EXPECT_TRUE(row("1009").data.value("shop_done", false));
  EXPECT_EQ(shop_->comments_of(1009).size(), 1u);
  auto log = messages("1009");
  EXPECT_NE(std::find(log.begin(), log.end(),
                      "ERP number commented on the "
                      "shop order"),
            log.end());
}

TEST_F(order_saga_test, high_value_order_waits_for_approval_then_goes) {
  receive(make_order("1010", "2500.00", "2")); // 5,005.00 USD
  run("1010");
  auto r = row("1010");
  EXPECT_EQ(r.state, "pending_approval");
  EXPECT_TRUE(r.data.value("parked", false));
  EXPECT_EQ(erp_->find_customer_calls + erp_->create_order_calls, 0);
  EXPECT_EQ(shop_->actions_of(1010), std::vector<std::string>{"hold"});
  ASSERT_EQ(shop_->comments_of(1010).size(), 1u);
  EXPECT_EQ(shop_->comments_of(1010)[0],
            "Ferry: held for approval (grand total 5005.00 USD, threshold "
            "5000.00)");
  auto decided = store_->decide("1010", "approve", "boss@example.com", "");
  ASSERT_TRUE(decided);
  EXPECT_EQ(decided->kind, persistence::approval_outcome::decided);
  auto again = store_->decide("1010", "reject", "other@example.com", "no");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->kind, persistence::approval_outcome::already_decided);
  EXPECT_EQ(again->decision, "approve");
  EXPECT_EQ(again->decided_by, "boss@example.com");
  run("1010");
  EXPECT_EQ(row("1010").state, "submitted");
  EXPECT_EQ(erp_->order_count(), 1);
  EXPECT_EQ(shop_->actions_of(1010),
            (std::vector<std::string>{"hold", "unhold"}));
  EXPECT_EQ(count("SELECT count(*) FROM audit WHERE entity = 'order' AND "
                  "entity_id = '1010' AND action = 'approve'"),
            1);
}

TEST_F(order_saga_test, customer_group_has_its_own_threshold) {
  // Group 3 waits for approval from 1,000 USD; others keep 5,000 USD.
  settings_.group_approval_thresholds[3] = {{"USD", *money::parse("1000.00")}};
  {
    std::lock_guard<std::mutex> guard{shop_->mutex};
    shop_->customer_groups[42] = 3;
    shop_->customer_groups[43] = 1;
  }
  receive(make_order("1020", "600.00", "2")); // 1,205.00 USD, customer 42
  run("1020");
  auto r = row("1020");
  EXPECT_EQ(r.state, "pending_approval");
  EXPECT_EQ(r.data.value("threshold", ""), "1000.00");
  EXPECT_EQ(r.data.value("customer_group", 0), 3);
  EXPECT_EQ(messages("1020").at(2),
            "validated -> pending_approval: grand_total 1205.00 USD >= "
            "threshold 1000.00 (customer group 3)");
  EXPECT_EQ(erp_->order_count(), 0);
  // A customer of another group: the default threshold.
  auto other = make_order("1021", "600.00", "2");
  other.customer_id = 43;
  receive(other);
  run("1021");
  EXPECT_EQ(row("1021").state, "submitted");
  // A guest has no group: no shop lookup, the default threshold.
  int lookups = 0;
  {
    std::lock_guard<std::mutex> guard{shop_->mutex};
    lookups = shop_->get_customer_calls;
  }
  auto guest = make_order("1022", "600.00", "2");
  guest.customer_id.reset();
  receive(guest);
  run("1022");
  EXPECT_EQ(row("1022").state, "submitted");
  {
    std::lock_guard<std::mutex> guard{shop_->mutex};
    EXPECT_EQ(shop_->get_customer_calls, lookups);
  }
  EXPECT_EQ(erp_->order_count(), 2);
}

TEST_F(order_saga_test, rejected_order_is_cancelled_and_never_in_the_erp) {
  receive(make_order("1011", "6000.00", "1"));
  run("1011");
  ASSERT_EQ(row("1011").state, "pending_approval");
  EXPECT_EQ(open_reserved("AB-1"), 1);
  auto decided = store_->decide("1011", "reject", "boss@example.com",
                                "customer credit limit");
  ASSERT_TRUE(decided);
  EXPECT_EQ(decided->state, "rejected");
  EXPECT_EQ(open_reserved("AB-1"), 0);
  run("1011");
  auto r = row("1011");
  EXPECT_EQ(r.state, "rejected");
  EXPECT_TRUE(r.data.value("parked", false));
  EXPECT_EQ(erp_->order_count(), 0);
  EXPECT_EQ(erp_->find_customer_calls, 0);
  EXPECT_EQ(shop_->actions_of(1011),
            (std::vector<std::string>{"hold", "unhold", "cancel"}));
  auto comments = shop_->comments_of(1011);
  ASSERT_EQ(comments.size(), 2u);
  EXPECT_EQ(comments[1], "Ferry: order rejected by boss@example.com: "
                         "customer credit limit");
  EXPECT_EQ(count("SELECT count(*) FROM outbox WHERE topic = "
                  "'order.rejected' AND key = '1011'"),
            1);
}

TEST_F(order_saga_test, decisions_need_a_pending_order) {
  receive(make_order("1012"));
  auto early = store_->decide("1012", "approve", "boss@example.com", "");
  ASSERT_TRUE(early);
  EXPECT_EQ(early->kind, persistence::approval_outcome::not_pending);
  auto missing = store_->decide("9999", "approve", "boss@example.com", "");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->kind, persistence::approval_outcome::not_found);
  EXPECT_FALSE(store_->decide("1012", "maybe", "boss@example.com", ""));
}

TEST_F(order_saga_test, each_state_resumes_after_a_crash) {
  // Sagas left behind in every intermediate state by a node that died.
  struct left_behind {
    const char* key;
    const char* state;
  };
  const left_behind rows[] = {{"2001", "received"},
                              {"2002", "validated"},
                              {"2003", "approved"},
                              {"2004", "customer_ensured"},
                              {"2005", "submitted"}};
  for (auto& lb : rows) {
    receive(make_order(lb.key));
    pqxx::connection conn{db_.url()};
    pqxx::work tx{conn};
    tx.exec_params(
        "UPDATE saga SET state = $2, claimed_by = 'node-a', lease_until = "
        "now() + interval '1 hour', data = data || $3::jsonb WHERE key = $1",
        std::string{lb.key}, std::string{lb.state},
        std::string{lb.state} == "submitted"
            ? std::
                  string{R"({"sales_order_no":"SO-OLD","erp_customer_no":"C9"})"}
            : std::string{R"({"erp_customer_no":"C9"})"});
    tx.commit();
  }
  // Before the crash the ERP had already created 2004's order.
  erp_sales_order before;
  before.external_order_id = "WEB-2004";
  before.sales_order_no = "SO-2004";
  erp_->orders["WEB-2004"] = before;
  auto s = intake_settings();
  auto intake = spawn_order_intake(sys_, s, pool_, connectors_);
  ASSERT_TRUE(test::wait_until([&] { return submitted_and_parked() == 5; }));
  EXPECT_EQ(erp_->order_count(), 4) << "2005 was already submitted";
  EXPECT_EQ(row("2004").data.value("sales_order_no", ""), "SO-2004");
  EXPECT_EQ(shop_->comments_of(2005),
            std::vector<std::string>{"Ferry: ERP sales order SO-OLD"});
  caf::anon_send_exit(intake, caf::exit_reason::user_shutdown);
}

TEST_F(order_saga_test, intake_makes_one_saga_per_order_from_the_inbox) {
  persistence::inbox_store inbox{pool_};
  // 20 orders; every third delivered twice under another event id (the
  // poller's), every fifth with a redelivery of the same event id.
  for (int i = 0; i < 20; ++i) {
    auto id = std::to_string(3000 + i);
    auto payload = payload_of(make_order(id));
    ASSERT_TRUE(inbox.insert_if_absent(
        {"shop", "evt-" + id, "orders/create", payload}));
    if (i % 3 == 0) {
      ASSERT_TRUE(inbox.insert_if_absent(
          {"shop", "poll:" + id, "orders/create", payload}));
    }
    if (i % 5 == 0) {
      ASSERT_TRUE(inbox.insert_if_absent(
          {"shop", "evt-" + id, "orders/create", payload}));
    }
  }
  // Another topic is not the intake's; an unreadable order is
  // dead-lettered.
  ASSERT_TRUE(inbox.insert_if_absent(
      {"shop", "cust-1", "customers/create", R"({"id":1})"}));
  ASSERT_TRUE(inbox.insert_if_absent(
      {"shop", "bad-1", "orders/create", R"({"entity_id":"x"})"}));
  auto s = intake_settings();
  s.batch = 7;
  s.max_running = 4;
  auto intake = spawn_order_intake(sys_, s, pool_, connectors_);
  ASSERT_TRUE(test::wait_until([&] { return submitted_and_parked() == 20; }));
  EXPECT_EQ(erp_->order_count(), 20);
  EXPECT_EQ(erp_->create_order_calls, 20);
  auto r = report_of(intake);
  EXPECT_EQ(r.events, 27u);
  EXPECT_EQ(r.duplicates, 7u);
  EXPECT_EQ(r.unreadable, 1u);
  EXPECT_EQ(count("SELECT count(*) FROM inbox WHERE topic = 'orders/create' "
                  "AND status = 'done'"),
            27);
  EXPECT_EQ(count("SELECT count(*) FROM inbox WHERE event_id = 'bad-1' AND "
                  "status = 'failed'"),
            1);
  EXPECT_EQ(count("SELECT count(*) FROM inbox WHERE topic = "
                  "'customers/create' AND status = 'pending'"),
            1);
  EXPECT_EQ(count("SELECT count(*) FROM dead_letter WHERE entity_id = "
                  "'bad-1'"),
            1);
  caf::anon_send_exit(intake, caf::exit_reason::user_shutdown);
}

// Webhooks committed with their work (order_webhook_commit): each new
// order's saga is created in the webhook's transaction and run by the
// intake, claimed at once while it has free slots and claimed later when
// not; the echo of Ferry's comment is logged at once; a redelivery creates
// nothing; an unreadable order and another topic stay pending, and the
// intake dead-letters the unreadable one.
TEST_F(order_saga_test, webhooks_start_their_sagas_without_an_inbox_round) {
  auto s = intake_settings();
  s.max_running = 2;
  s.handoff = std::make_shared<order_handoff>();
  auto commit = order_webhook_commit(s, store_);
  auto intake = spawn_order_intake(sys_, s, pool_, connectors_);
  // The intake attaches on its own thread; until then new sagas are runnable.
  ASSERT_TRUE(test::wait_until([&] {
    auto slots = s.handoff->reserve(1);
    s.handoff->release(slots);
    return slots == 1;
  }));
  std::vector<persistence::inbox_event> events;
  for (int i = 0; i < 6; ++i) {
    auto id = std::to_string(5000 + i);
    events.push_back(
        {"shop", "evt-" + id, "orders/create", payload_of(make_order(id))});
  }
  auto echo = make_order("5000");
  echo.status_histories.push_back({});
  echo.status_histories.back().comment = erp_number_comment("SO-1");
  events.push_back({"shop", "upd-5000", "orders/updated", payload_of(echo)});
  events.push_back({"shop", "bad-2", "orders/create", R"({"entity_id":"x"})"});
  events.push_back({"shop", "cust-2", "customers/create", R"({"id":2})"});
  auto first = commit(events);
  ASSERT_TRUE(first) << persistence::db_error_text(first.error());
  EXPECT_EQ(*first, std::vector<bool>(events.size(), true));
  auto again = commit({events[0]});
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, std::vector<bool>{false});
  ASSERT_TRUE(test::wait_until([&] { return submitted_and_parked() == 6; }));
  EXPECT_EQ(erp_->order_count(), 6);
  EXPECT_EQ(erp_->create_order_calls, 6);
  EXPECT_EQ(count("SELECT count(*) FROM sync_log WHERE entity_id = '5000' "
                  "AND outcome = 'skipped' AND message LIKE '%echo%'"),
            1);
  ASSERT_TRUE(test::wait_until([&] {
    return count(
               "SELECT count(*) FROM dead_letter WHERE entity_id = 'bad-2'") ==
           1;
  }));
  EXPECT_EQ(count("SELECT count(*) FROM inbox WHERE status = 'done'"), 7);
  EXPECT_EQ(count("SELECT count(*) FROM inbox WHERE topic = "
                  "'customers/create' AND status = 'pending'"),
            1);
  auto r = report_of(intake);
  EXPECT_EQ(r.events, 6u);
  EXPECT_EQ(r.echoes, 1u);
  EXPECT_EQ(r.unreadable, 1u);
  EXPECT_EQ(r.sagas_started, 6u);
  caf::anon_send_exit(intake, caf::exit_reason::user_shutdown);
}

// The intake's slots bound the sagas running at once: with the shop down
// the first two sagas keep retrying their comment, and no other starts
// however many poll rounds pass; once the shop is back all finish.
TEST_F(order_saga_test, intake_runs_no_more_sagas_than_its_slots) {
  shop_->down = true;
  for (int i = 0; i < 8; ++i)
    receive(make_order(std::to_string(6000 + i)));
  auto s = intake_settings();
  s.max_running = 2;
  auto intake = spawn_order_intake(sys_, s, pool_, connectors_);
  // Many poll rounds: each running saga retries its comment several times.
  ASSERT_TRUE(test::wait_until([&] {
    return count("SELECT count(*) FROM sync_log WHERE outcome = 'retry'") >= 10;
  }));
  auto busy = report_of(intake);
  EXPECT_EQ(busy.sagas_started, 2u);
  EXPECT_EQ(busy.running, 2u);
  {
    std::lock_guard<std::mutex> guard{shop_->mutex};
    shop_->down = false;
  }
  ASSERT_TRUE(test::wait_until([&] { return submitted_and_parked() == 8; }));
  EXPECT_EQ(erp_->order_count(), 8);
  caf::anon_send_exit(intake, caf::exit_reason::user_shutdown);
}

TEST_F(order_saga_test, arrival_commits_received_and_validated_at_once) {
  persistence::inbox_store inbox{pool_};
  auto o = make_order("4001");
  ASSERT_TRUE(inbox.insert_if_absent(
      {"shop", "evt-4001", "orders/create", payload_of(o)}));
  auto claimed = inbox.claim("node-a", 10, 60s, std::string{"orders/create"});
  ASSERT_TRUE(claimed);
  ASSERT_EQ(claimed->size(), 1u);
  auto valid = validate_on_arrival("4001", o, settings_);
  ASSERT_TRUE(valid);
  persistence::order_arrival a;
  a.key = "4001";
  a.state = "validated";
  a.data = {{"parked", false}};
  a.input = payload_of(o);
  persistence::sync_log_entry received;
  received.entity = "order";
  received.entity_id = "4001";
  received.message = "received";
  a.logs = {received, valid->log};
  a.reserve = valid->reserve;
  a.inbox_id = claimed->front().id;
  a.node = "node-a";
  a.claim = true;
  auto created = store_->arrive(a);
  ASSERT_TRUE(created) << persistence::db_error_text(created.error());
  ASSERT_TRUE(*created);
  EXPECT_EQ((*created)->state, "validated");
  EXPECT_EQ((*created)->version, 1) << "two transitions";
  EXPECT_EQ(messages("4001"),
            (std::vector<std::string>{"received", "received -> validated"}));
  EXPECT_EQ(open_reserved("AB-1"), 3);
  EXPECT_EQ(count("SELECT count(*) FROM inbox WHERE status = 'done'"), 1);
  EXPECT_EQ(count("SELECT count(*) FROM saga WHERE key = '4001' AND "
                  "claimed_by = 'node-a' AND lease_until > now()"),
            1);
  // The same order again (another event): nothing but that event is done.
  ASSERT_TRUE(inbox.insert_if_absent(
      {"shop", "poll:4001", "orders/create", payload_of(o)}));
  claimed = inbox.claim("node-a", 10, 60s, std::string{"orders/create"});
  ASSERT_TRUE(claimed && claimed->size() == 1u);
  a.inbox_id = claimed->front().id;
  created = store_->arrive(a);
  ASSERT_TRUE(created);
  EXPECT_FALSE(*created);
  EXPECT_EQ(messages("4001").size(), 2u);
  EXPECT_EQ(open_reserved("AB-1"), 3);
  EXPECT_EQ(count("SELECT count(*) FROM inbox WHERE status = 'done'"), 2);
  // An order that fails validation gets no validated step.
  auto bad = make_order("4002");
  bad.items.clear();
  EXPECT_FALSE(validate_on_arrival("4002", bad, settings_));
}

TEST_F(order_saga_test, saga_run_ends_with_its_claim_given_up) {
  receive(make_order("4003"));
  ASSERT_TRUE(store_->claim_runnable("node-a", 10, 60s));
  run("4003");
  EXPECT_EQ(row("4003").state, "submitted");
  EXPECT_EQ(count("SELECT count(*) FROM saga WHERE key = '4003' AND "
                  "claimed_by IS NULL"),
            1);
}

TEST_F(order_saga_test, an_order_the_database_refuses_holds_up_no_other) {
  // The database refuses the saga of order 4002 (a trigger stands for,
  // say, a constraint added by an operator): the round's batch cannot
  // commit, so its events are claimed and committed one by one, and the
  // refused one ends in the dead-letter table.
  {
    pqxx::connection conn{db_.url()};
    pqxx::work tx{conn};
    tx.exec("CREATE FUNCTION refuse_4002() RETURNS trigger AS $$ BEGIN"
            " IF NEW.key = '4002' THEN RAISE EXCEPTION 'order 4002 refused';"
            " END IF; RETURN NEW; END $$ LANGUAGE plpgsql");
    tx.exec("CREATE TRIGGER refuse_4002 BEFORE INSERT ON saga FOR EACH ROW"
            " EXECUTE FUNCTION refuse_4002()");
    tx.commit();
  }
  persistence::inbox_store inbox{pool_};
  for (int i = 0; i < 5; ++i) {
    auto id = std::to_string(4000 + i);
    ASSERT_TRUE(inbox.insert_if_absent(
        {"shop", "evt-" + id, "orders/create", payload_of(make_order(id))}));
  }
  auto s = intake_settings();
  s.max_event_attempts = 3;
  auto intake = spawn_order_intake(sys_, s, pool_, connectors_);
  ASSERT_TRUE(test::wait_until([&] { return submitted_and_parked() == 4; }));
  EXPECT_EQ(erp_->create_order_calls, 4);
  // 4002 is tried again, then dead-lettered with the database's reason on
  // its third attempt; it never reaches the ERP.
  // The dead letter is written before the event is failed: wait for both.
  ASSERT_TRUE(test::wait_until([&] {
    return count("SELECT count(*) FROM dead_letter WHERE entity_id = "
                 "'evt-4002' AND reason LIKE '%refused 3 times%'"
                 " AND reason LIKE '%order 4002 refused%'") == 1 &&
           count("SELECT count(*) FROM inbox WHERE event_id = 'evt-4002'"
                 " AND status = 'failed' AND attempts = 3") == 1;
  }));
  EXPECT_EQ(count("SELECT count(*) FROM sync_log WHERE entity_id = "
                  "'evt-4002' AND outcome = 'failed'"),
            1);
  EXPECT_EQ(count("SELECT count(*) FROM inbox WHERE topic = 'orders/create'"
                  " AND status = 'done'"),
            4);
  EXPECT_EQ(erp_->create_order_calls, 4);
  caf::anon_send_exit(intake, caf::exit_reason::user_shutdown);
}

TEST_F(order_saga_test, intake_starts_on_the_inbox_commit_not_at_its_poll) {
  auto s = intake_settings();
  // Far beyond the deadline below: only the commit's wake-up can start it.
  s.poll_interval = std::chrono::hours(1);
  auto intake = spawn_order_intake(sys_, s, pool_, connectors_);
  caf::scoped_actor self{sys_};
  // Whether the commit comes before the intake's first round (which then
  // finds it) or while it waits (which it ends), the order goes through.
  persistence::inbox_store inbox{pool_};
  ASSERT_TRUE(inbox.insert_if_absent(
      {"shop", "evt-4004", "orders/create", payload_of(make_order("4004"))}));
  EXPECT_TRUE(test::wait_until([&] { return submitted_and_parked() == 1; }));
  EXPECT_EQ(erp_->order_count(), 1);
  // The intake never blocks: it reads the exit message at once, and its
  // listener goes with it (a later commit sends it nothing).
  self->monitor(intake);
  caf::anon_send_exit(intake, caf::exit_reason::user_shutdown);
  bool down = false;
  self->receive([&](caf::down_msg&) { down = true; },
                caf::after(std::chrono::seconds(30)) >> [] {});
  EXPECT_TRUE(down);
  persistence::inbox_wakeup::instance().notify();
}

} // namespace
