// The erp_connector actor against the ferry-sim-erp process over TLS:
// every operation through messages, typed errors, the sessions limit,
// retries within the budget, the circuit breaker, no retry of soap:Client
// faults, and outcome-unknown writes found by a lookup.

#include "actors/erp_connector.hpp"
#include "actors/message_types.hpp"
#include "tests/protocols/erp_sim_fixture.hpp"

#include <caf/all.hpp>
#include <gtest/gtest.h>
#include <prometheus/registry.h>

namespace ferry {
namespace {

using test::erp_simulator;
using test::sample_order;
using test::wait_until;

caf::actor_system_config& config() {
  static caf::actor_system_config cfg = [] {
    caf::actor_system_config c;
    register_message_types(c);
    return c;
  }();
  return cfg;
}

// Sum of a metric family's samples whose labels include `labels`.
double metric(prometheus::Registry& registry, const std::string& name,
              const std::map<std::string, std::string>& labels = {}) {
  double sum = 0;
  for (const auto& family : registry.Collect()) {
    if (family.name != name)
      continue;
    for (const auto& m : family.metric) {
      bool match = true;
      for (const auto& [k, v] : labels) {
        bool has = false;
        for (const auto& l : m.label)
          has = has || (l.name == k && l.value == v);
        match = match && has;
      }
      if (match)
        sum += m.counter.value + m.gauge.value;
    }
  }
  return sum;
}

class erp_connector_test : public ::testing::Test {
protected:
  static void SetUpTestSuite() { sim_ = new erp_simulator(); }
  static void TearDownTestSuite() {
    delete sim_;
    sim_ = nullptr;
  }
  void TearDown() override { sim_->admin("POST", "/admin/faults/reset"); }

  erp_connector_settings settings() const {
    erp_connector_settings s;
    auto cs = sim_->client_settings();
    s.endpoint = cs.endpoint;
    s.username = cs.username;
    s.password = cs.password;
    s.ca_file = cs.ca_file;
    s.connect_timeout = std::chrono::seconds{10};
    s.call_timeout = std::chrono::seconds{20};
    s.backoff.initial = std::chrono::milliseconds{5};
    s.backoff.max = std::chrono::milliseconds{50};
    return s;
  }

  // Sends `req` and waits for the answer; the error as erp_error.
  template <class R, class Req>
  std::pair<std::optional<R>, std::optional<erp_error>>
  ask(const erp_connector_actor& c, Req req) {
    std::pair<std::optional<R>, std::optional<erp_error>> out;
    caf::scoped_actor self{sys_};
    self->request(c, std::chrono::seconds{120}, std::move(req))
        .receive([&](R& r) { out.first = std::move(r); },
                 [&](caf::error& e) {
                   auto ee = erp_error_of(e);
                   out.second = ee ? *ee
                                   : erp_error{erp_error_kind::server_fault,
                                               erp_fault_code::none, "",
                                               caf::to_string(e), ""};
                 });
    return out;
  }

  erp_connector_status status(const erp_connector_actor& c) {
    erp_connector_status s;
    caf::scoped_actor self{sys_};
    self->request(c, std::chrono::seconds{30}, caf::get_atom_v)
        .receive([&](erp_connector_status& x) { s = x; }, [&](caf::error&) {});
    return s;
  }

  static std::string unique_id(const std::string& prefix) {
    static int n = 0;
    return prefix + std::to_string(::getpid()) + "-" + std::to_string(++n);
  }

  static erp_simulator* sim_;
  // Declared first, destroyed last: the registry outlives the actors.
  prometheus::Registry registry_;
  caf::actor_system sys_{config()};
};

erp_simulator* erp_connector_test::sim_ = nullptr;

TEST_F(erp_connector_test, answers_every_operation_with_typed_values) {
  auto c = spawn_erp_connector(sys_, settings(), registry_);
  auto order = sample_order(unique_id("WEB-A-"));
  auto created = ask<erp_created_sales_order>(c, erp_create_sales_order{order});
  ASSERT_TRUE(created.first) << created.second->message;
  auto read =
      ask<erp_sales_order>(c, erp_get_sales_order{order.external_order_id});
  ASSERT_TRUE(read.first);
  EXPECT_EQ(read.first->sales_order_no, created.first->sales_order_no);

  erp_customer cust;
  cust.email = unique_id("bob") + "@example.com";
  cust.first_name = "Bob";
  cust.last_name = "Moss";
  auto no = ask<erp_customer_no>(c, erp_create_customer{cust});
  ASSERT_TRUE(no.first) << no.second->message;
  auto found = ask<erp_customer_lookup>(c, erp_find_customer{cust.email});
  ASSERT_TRUE(found.first);
  EXPECT_TRUE(found.first->found);
  EXPECT_EQ(found.first->customer.customer_no, no.first->value);
  auto updated = found.first->customer;
  updated.company = "Moss Ltd";
  auto at = ask<erp_modified_at>(c, erp_update_customer{updated});
  ASSERT_TRUE(at.first);
  auto customers = ask<erp_page<erp_customer>>(
      c, erp_get_customers{erp_page_request{"", 1000, ""}});
  ASSERT_TRUE(customers.first);
  EXPECT_GE(customers.first->rows.size(), 7u);
  auto items =
      ask<erp_page<erp_item>>(c, erp_get_items{erp_page_request{"", 1000, ""}});
  ASSERT_TRUE(items.first);
  EXPECT_GE(items.first->rows.size(), 12u);
  auto upserted =
      ask<erp_upsert_results>(c, erp_upsert_items{{items.first->rows[0]}});
  ASSERT_TRUE(upserted.first);
  EXPECT_EQ(upserted.first->rows.at(0).outcome, erp_upsert_outcome::updated);
  auto changes = ask<erp_page<erp_status_change>>(
      c,
      erp_get_status_changes{erp_page_request{"2026-01-01T00:00:00Z", 10, ""}});
  ASSERT_TRUE(changes.first) << changes.second->message;
  auto wh = ask<erp_warehouse_list>(c, erp_get_warehouses{});
  ASSERT_TRUE(wh.first);
  EXPECT_EQ(wh.first->rows.size(), 2u);
  auto stock = ask<erp_page<erp_stock_level>>(
      c, erp_get_stock_levels{erp_page_request{"", 1000, ""}, "WH1"});
  ASSERT_TRUE(stock.first);
  EXPECT_EQ(stock.first->rows.size(), 12u);
  auto lists = ask<erp_page<erp_price_list>>(
      c, erp_get_price_lists{erp_page_request{"", 100, ""}});
  ASSERT_TRUE(lists.first);
  EXPECT_GE(lists.first->rows.size(), 1u);
  EXPECT_EQ(metric(registry_, "ferry_erp_calls_total",
                   {{"operation", "CreateSalesOrder"}, {"outcome", "ok"}}),
            1);
}

TEST_F(erp_connector_test, client_faults_are_typed_and_never_retried) {
  auto c = spawn_erp_connector(sys_, settings(), registry_);
  auto order = sample_order(unique_id("WEB-B-"));
  ASSERT_TRUE(
      ask<erp_created_sales_order>(c, erp_create_sales_order{order}).first);
  auto before = sim_->requests("CreateSalesOrder");
  auto dup = ask<erp_created_sales_order>(c, erp_create_sales_order{order});
  ASSERT_TRUE(dup.second);
  EXPECT_EQ(dup.second->kind, erp_error_kind::client_fault);
  EXPECT_EQ(dup.second->code, erp_fault_code::duplicate_external_order_id);
  EXPECT_FALSE(dup.second->existing_key.empty());
  EXPECT_EQ(sim_->requests("CreateSalesOrder"), before + 1);
  EXPECT_EQ(metric(registry_, "ferry_erp_retries_total"), 0);
  auto missing = ask<erp_sales_order>(c, erp_get_sales_order{"WEB-NOPE"});
  ASSERT_TRUE(missing.second);
  EXPECT_EQ(missing.second->code, erp_fault_code::not_found);
}

TEST_F(erp_connector_test, half_the_calls_unavailable_still_all_succeed) {
  auto s = settings();
  // A budget and a breaker sized for an ERP failing every other call:
  // retries may match calls one to one, and the breaker stays closed.
  s.retries.ratio = 1.0;
  s.breaker.failure_ratio = 0.9;
  auto c = spawn_erp_connector(sys_, s, registry_);
  sim_->faults(
      {{"error_rates",
        {{"GetWarehouses", {{"rate", 0.5}, {"fault", "Unavailable"}}}}}});
  int ok = 0;
  for (int i = 0; i < 30; ++i) {
    auto r = ask<erp_warehouse_list>(c, erp_get_warehouses{});
    if (r.first)
      ++ok;
    else
      ADD_FAILURE() << r.second->message;
  }
  EXPECT_EQ(ok, 30);
  double retries = metric(registry_, "ferry_erp_retries_total");
  // Every other attempt fails: about one retry per call, within the
  // budget of min_retries 10 + 1.0 x 30 calls.
  EXPECT_GE(retries, 25);
  EXPECT_LE(retries, 10 + 30);
}

TEST_F(erp_connector_test, breaker_opens_on_outage_probes_once_and_closes) {
  auto s = settings();
  s.max_attempts = 1;
  s.breaker.window = 4;
  s.breaker.min_calls = 4;
  s.breaker.failure_ratio = 0.5;
  s.breaker.cool_down = std::chrono::seconds{2};
  auto c = spawn_erp_connector(sys_, s, registry_);
  sim_->faults({{"outage", "503"}});
  for (int i = 0; i < 4; ++i) {
    auto r = ask<erp_warehouse_list>(c, erp_get_warehouses{});
    ASSERT_TRUE(r.second);
    EXPECT_EQ(r.second->code, erp_fault_code::unavailable);
  }
  auto reached = sim_->requests("GetWarehouses");
  for (int i = 0; i < 5; ++i) {
    auto r = ask<erp_warehouse_list>(c, erp_get_warehouses{});
    ASSERT_TRUE(r.second);
    EXPECT_EQ(r.second->kind, erp_error_kind::circuit_open);
  }
  EXPECT_EQ(sim_->requests("GetWarehouses"), reached)
      << "no call reaches the ERP while the breaker is open";
  EXPECT_EQ(status(c).breaker, "open");
  EXPECT_EQ(metric(registry_, "ferry_erp_breaker_state"), 1);

  // After the cool-down exactly one probe goes out; it fails, the breaker
  // opens again. Calls are refused without reaching the ERP until then.
  std::optional<erp_error> probe;
  ASSERT_TRUE(wait_until(
      [&] {
        auto r = ask<erp_warehouse_list>(c, erp_get_warehouses{});
        if (r.second && r.second->kind == erp_error_kind::circuit_open)
          return false;
        probe = r.second;
        return true;
      },
      std::chrono::seconds{30}, std::chrono::milliseconds{100}));
  ASSERT_TRUE(probe) << "the probe after the cool-down succeeded";
  EXPECT_EQ(probe->code, erp_fault_code::unavailable);
  EXPECT_EQ(sim_->requests("GetWarehouses"), reached + 1);
  auto still = ask<erp_warehouse_list>(c, erp_get_warehouses{});
  ASSERT_TRUE(still.second);
  EXPECT_EQ(still.second->kind, erp_error_kind::circuit_open);

  // The ERP recovers: the next probe succeeds and closes the breaker.
  sim_->admin("POST", "/admin/faults/reset");
  bool recovered = wait_until(
      [&] {
        return ask<erp_warehouse_list>(c, erp_get_warehouses{})
            .first.has_value();
      },
      std::chrono::seconds{30}, std::chrono::milliseconds{250});
  ASSERT_TRUE(recovered);
  EXPECT_EQ(status(c).breaker, "closed");
  EXPECT_EQ(sim_->requests("GetWarehouses"), reached + 2);
}

TEST_F(erp_connector_test,
       dropped_answer_is_outcome_unknown_and_found_by_lookup) {
  auto s = settings();
  s.call_timeout = std::chrono::seconds{2};
  auto c = spawn_erp_connector(sys_, s, registry_);
  sim_->faults({{"drop_response", nlohmann::json::array({"CreateSalesOrder"})},
                {"drop_hold_ms", 5000}});
  auto order = sample_order(unique_id("WEB-U-"));
  auto before = sim_->requests("CreateSalesOrder");
  auto r = ask<erp_created_sales_order>(c, erp_create_sales_order{order});
  ASSERT_TRUE(r.second);
  EXPECT_EQ(r.second->kind, erp_error_kind::outcome_unknown);
  EXPECT_EQ(sim_->requests("CreateSalesOrder"), before + 1)
      << "a write with an unknown outcome is not retried blindly";
  sim_->admin("POST", "/admin/faults/reset");
  auto found =
      ask<erp_sales_order>(c, erp_get_sales_order{order.external_order_id});
  ASSERT_TRUE(found.first) << found.second->message;
  EXPECT_EQ(found.first->external_order_id, order.external_order_id);
}

TEST_F(erp_connector_test, never_exceeds_its_sessions_so_never_throttled) {
  auto s = settings();
  s.max_sessions = 3;
  s.max_attempts = 1;
  auto c = spawn_erp_connector(sys_, s, registry_);
  sim_->faults({{"throttle_above", 3}, {"latency_ms", 150}});
  caf::scoped_actor self{sys_};
  constexpr int calls = 12;
  int ok = 0;
  int failed = 0;
  for (int i = 0; i < calls; ++i)
    self->send(c, erp_get_warehouses{});
  // Sampled while the calls are at the (slow) ERP.
  auto st = status(c);
  std::uint32_t max_in_flight = st.in_flight;
  std::uint32_t max_queued = st.queued;
  int received = 0;
  self->receive_for(received, calls)([&](erp_warehouse_list&) { ++ok; },
                                     [&](caf::error&) { ++failed; });
  EXPECT_EQ(ok, calls);
  EXPECT_EQ(failed, 0);
  EXPECT_LE(max_in_flight, 3u);
  EXPECT_GT(max_queued, 0u) << "calls beyond the sessions wait in the queue";
  EXPECT_EQ(metric(registry_, "ferry_erp_calls_total",
                   {{"operation", "GetWarehouses"}, {"outcome", "ok"}}),
            calls);
}

} // namespace
} // namespace ferry
