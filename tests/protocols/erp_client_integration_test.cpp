// Contract tests: erp_client against the ferry-sim-erp process over TLS on
// loopback; every operation, every fault code, WS-Security negatives, the
// fault knobs and durability across a restart.

#include "tests/protocols/erp_sim_fixture.hpp"

#include <gtest/gtest.h>
#include <set>

namespace ferry {
namespace {

using test::erp_simulator;
using test::sample_order;

class erp_contract : public ::testing::Test {
protected:
  static void SetUpTestSuite() { sim_ = new erp_simulator(); }
  static void TearDownTestSuite() {
    delete sim_;
    sim_ = nullptr;
  }
  void TearDown() override { sim_->admin("POST", "/admin/faults/reset"); }
  static erp_client client() { return erp_client{sim_->client_settings()}; }
  static std::string unique_id(const std::string& prefix) {
    static int n = 0;
    return prefix + std::to_string(::getpid()) + "-" + std::to_string(++n);
  }
  static erp_simulator* sim_;
};

erp_simulator* erp_contract::sim_ = nullptr;

TEST_F(erp_contract, serves_its_wsdl_at_the_endpoint) {
  auto answer = test::http_request("GET", sim_->endpoint() + "?wsdl", {},
                                   sim_->ca_file());
  EXPECT_EQ(answer.status, 200);
  EXPECT_NE(answer.body.find("<wsdl:definitions"), std::string::npos);
  EXPECT_NE(answer.body.find("name=\"CreateSalesOrder\""), std::string::npos);
  EXPECT_NE(answer.body.find("name=\"ErpFault\""), std::string::npos);
}

TEST_F(erp_contract, creates_and_reads_back_a_sales_order) {
  auto c = client();
  auto order = sample_order(unique_id("WEB-"));
  auto created = c.create_sales_order(order);
  ASSERT_TRUE(created) << created.error().message;
  EXPECT_EQ(created.value().sales_order_no.rfind("SO-", 0), 0u);
  EXPECT_EQ(created.value().status, erp_order_status::open);
  auto read = c.get_sales_order(order.external_order_id);
  ASSERT_TRUE(read) << read.error().message;
  const auto& o = read.value();
  EXPECT_EQ(o.sales_order_no, created.value().sales_order_no);
  EXPECT_EQ(o.status, erp_order_status::open);
  EXPECT_EQ(o.order_date, "2026-11-28T22:15:00");
  EXPECT_EQ(o.total_amount, *money::parse("40.50"));
  ASSERT_EQ(o.lines.size(), 2u);
  EXPECT_EQ(o.lines[1].quantity, *decimal::parse("1.5"));
  EXPECT_EQ(o.lines[0].line_amount, *money::parse("37.50"));
}

TEST_F(erp_contract, maps_every_sales_order_fault_to_its_typed_error) {
  auto c = client();
  auto order = sample_order(unique_id("WEB-"));
  auto first = c.create_sales_order(order);
  ASSERT_TRUE(first) << first.error().message;

  auto dup = c.create_sales_order(order);
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().kind, erp_error_kind::client_fault)
      << dup.error().message;
  EXPECT_EQ(dup.error().code, erp_fault_code::duplicate_external_order_id);
  EXPECT_EQ(dup.error().existing_key, first.value().sales_order_no);

  auto unknown_item = sample_order(unique_id("WEB-"));
  unknown_item.lines[0].item_code = "NO-SUCH";
  auto e1 = c.create_sales_order(unknown_item);
  ASSERT_FALSE(e1);
  EXPECT_EQ(e1.error().code, erp_fault_code::unknown_item);
  EXPECT_EQ(e1.error().kind, erp_error_kind::client_fault);
  EXPECT_NE(e1.error().message.find("NO-SUCH"), std::string::npos);

  auto unknown_customer = sample_order(unique_id("WEB-"));
  unknown_customer.customer_no = "C999999";
  auto e2 = c.create_sales_order(unknown_customer);
  ASSERT_FALSE(e2);
  EXPECT_EQ(e2.error().code, erp_fault_code::unknown_customer);

  auto wrong_total = sample_order(unique_id("WEB-"));
  wrong_total.total_amount = *money::parse("1.00");
  auto e3 = c.create_sales_order(wrong_total);
  ASSERT_FALSE(e3);
  EXPECT_EQ(e3.error().code, erp_fault_code::validation);
  EXPECT_NE(e3.error().message.find("TotalAmount"), std::string::npos);

  auto missing = c.get_sales_order(unique_id("WEB-NONE-"));
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().kind, erp_error_kind::client_fault);
  EXPECT_EQ(missing.error().code, erp_fault_code::not_found);
}

// OrderDate is local time in the ERP's zone (America/Chicago by default):
// a wall-clock time that zone never shows is refused, naming the field; the
// hour that repeats when clocks go back is a real local time.
TEST_F(erp_contract, order_date_must_exist_in_the_erps_time_zone) {
  auto c = client();
  auto gap = sample_order(unique_id("WEB-"));
  gap.order_date = "2026-03-08T02:30:00"; // clocks jump 02:00 → 03:00
  auto e1 = c.create_sales_order(gap);
  ASSERT_FALSE(e1);
  EXPECT_EQ(e1.error().kind, erp_error_kind::client_fault);
  EXPECT_EQ(e1.error().code, erp_fault_code::validation);
  EXPECT_NE(e1.error().message.find("OrderDate"), std::string::npos)
      << e1.error().message;
  EXPECT_NE(e1.error().message.find("America/Chicago"), std::string::npos)
      << e1.error().message;

  auto no_such_day = sample_order(unique_id("WEB-"));
  no_such_day.order_date = "2026-02-30T10:00:00";
  auto e2 = c.create_sales_order(no_such_day);
  ASSERT_FALSE(e2);
  EXPECT_EQ(e2.error().code, erp_fault_code::validation);

  auto repeated_hour = sample_order(unique_id("WEB-"));
  repeated_hour.order_date = "2026-11-01T01:30:00"; // 01:00–02:00 twice
  auto ok = c.create_sales_order(repeated_hour);
  ASSERT_TRUE(ok) << ok.error().message;
  auto back = c.get_sales_order(repeated_hour.external_order_id);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back.value().order_date, "2026-11-01T01:30:00");
}

TEST_F(erp_contract, customers_are_unique_by_email_case_insensitively) {
  auto c = client();
  erp_customer ann;
  auto local = unique_id("ann");
  ann.email = local + "@Example.com";
  ann.first_name = "Ann";
  ann.last_name = "Lee";
  ann.external_customer_id = "42";
  auto created = c.create_customer(ann);
  ASSERT_TRUE(created) << created.error().message;
  auto found = c.find_customer(local + "@EXAMPLE.COM");
  ASSERT_TRUE(found) << found.error().message;
  ASSERT_TRUE(found.value().has_value());
  EXPECT_EQ(found.value()->customer_no, created.value());
  EXPECT_EQ(found.value()->external_customer_id, "42");
  EXPECT_FALSE(found.value()->modified_at.empty());

  auto dup = c.create_customer(ann);
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().code, erp_fault_code::duplicate_customer);
  EXPECT_EQ(dup.error().existing_key, created.value());

  auto none = c.find_customer("nobody-" + unique_id("x") + "@example.com");
  ASSERT_TRUE(none);
  EXPECT_FALSE(none.value().has_value());

  auto changed = *found.value();
  changed.phone = "+1 555 0100";
  auto modified = c.update_customer(changed);
  ASSERT_TRUE(modified) << modified.error().message;
  EXPECT_EQ(modified.value().back(), 'Z');

  auto ghost = changed;
  ghost.customer_no = "C999998";
  auto e = c.update_customer(ghost);
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().code, erp_fault_code::not_found);
}

TEST_F(erp_contract, paged_walk_never_skips_a_row_changed_meanwhile) {
  auto c = client();
  std::set<std::string> seen;
  erp_page_request page;
  page.page_size = 5;
  bool changed = false;
  int pages = 0;
  for (;;) {
    auto r = c.get_items(page);
    ASSERT_TRUE(r) << r.error().message;
    for (const auto& item : r.value().rows)
      seen.insert(item.item_code);
    ++pages;
    if (!changed) {
      // IT-00001 was on the first page; an ERP user changes it now.
      long status = 0;
      sim_->admin("POST", "/admin/items/IT-00001", {{"BasePrice", "99.99"}},
                  &status);
      ASSERT_EQ(status, 200);
      changed = true;
    }
    if (r.value().next_page_token.empty())
      break;
    page.page_token = r.value().next_page_token;
  }
  EXPECT_GE(seen.size(), 12u);
  EXPECT_GE(pages, 3);
  // The changed item came again, with its new price, at the end.
  auto again = c.get_items(erp_page_request{"", 1000, page.page_token});
  ASSERT_TRUE(again);
  bool found = false;
  for (const auto& item : again.value().rows)
    if (item.item_code == "IT-00001") {
      found = true;
      EXPECT_EQ(item.base_price, *money::parse("99.99"));
    }
  EXPECT_TRUE(found);

  auto bad = c.get_items(erp_page_request{"", 5, "garbage"});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, erp_fault_code::validation);
  auto too_big = c.get_items(erp_page_request{"", 1001, ""});
  ASSERT_FALSE(too_big);
  EXPECT_EQ(too_big.error().kind, erp_error_kind::invalid_request);
}

TEST_F(erp_contract, upserts_items_row_by_row) {
  auto c = client();
  erp_item fresh;
  fresh.item_code = "NEW-" + std::to_string(::getpid() % 100000);
  fresh.item_name = "New thing";
  fresh.base_price = *money::parse("5.25");
  fresh.weight = *decimal::parse("0.125");
  erp_item existing = fresh;
  existing.item_code = "IT-00003";
  erp_item invalid = fresh;
  invalid.item_code = "WAY-TOO-LONG-ITEM-CODE-X";
  auto r = c.upsert_items({fresh, existing, invalid});
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r.value().size(), 3u);
  EXPECT_EQ(r.value()[0].outcome, erp_upsert_outcome::created);
  EXPECT_EQ(r.value()[1].outcome, erp_upsert_outcome::updated);
  EXPECT_EQ(r.value()[2].outcome, erp_upsert_outcome::error);
  EXPECT_EQ(r.value()[2].error_code, erp_fault_code::validation);
}

// Text is UTF-8 on the wire (what any other client of the ERP reads) and
// in what Ferry's client returns: accents, CJK, emoji, right-to-left text
// and a combining mark.
TEST_F(erp_contract,
       an_item_name_in_any_script_comes_through_get_items_intact) {
  const std::string name = "Café au lait 東京 🍰 שלום e\u0301";
  const std::string description = "<p>" + name + " &amp; more</p>";
  long status = 0;
  sim_->admin("POST", "/admin/items/IT-00006",
              {{"ItemName", name}, {"Description", description}}, &status);
  ASSERT_EQ(status, 200);

  auto wire = sim_->soap(
      "GetItems",
      "<erp:GetItems><erp:PageSize>1000</erp:PageSize></erp:GetItems>");
  ASSERT_EQ(wire.status, 200) << wire.body;
  auto at = wire.body.find("<erp:ItemCode>IT-00006</erp:ItemCode>");
  ASSERT_NE(at, std::string::npos) << wire.body;
  EXPECT_EQ(test::xml_element_text(wire.body, "ItemName", at), name);

  auto items = client().get_items(erp_page_request{"", 1000, ""});
  ASSERT_TRUE(items) << items.error().message;
  bool found = false;
  for (const auto& item : items.value().rows)
    if (item.item_code == "IT-00006") {
      found = true;
      EXPECT_EQ(item.item_name, name);
      EXPECT_EQ(item.description, description);
    }
  EXPECT_TRUE(found);
}

TEST_F(erp_contract, a_customer_created_with_accents_arrives_intact) {
  auto c = client();
  erp_customer jose;
  jose.email = unique_id("jose") + "@example.com";
  jose.first_name = "José";
  jose.last_name = "Müller-Øst";
  jose.company = "Øst & Søn 株式会社";
  auto created = c.create_customer(jose);
  ASSERT_TRUE(created) << created.error().message;
  ASSERT_TRUE(sim_->running()) << sim_->log();

  // What the ERP holds.
  auto state = sim_->admin("GET", "/admin/state");
  bool stored = false;
  for (const auto& row : state["customers"])
    if (row["CustomerNo"] == created.value()) {
      stored = true;
      EXPECT_EQ(row["FirstName"], "José");
      EXPECT_EQ(row["LastName"], "Müller-Øst");
      EXPECT_EQ(row["Company"], "Øst & Søn 株式会社");
    }
  EXPECT_TRUE(stored);

  // What another client of the ERP reads.
  auto wire =
      sim_->soap("FindCustomer", "<erp:FindCustomer><erp:Email>" + jose.email +
                                     "</erp:Email></erp:FindCustomer>");
  ASSERT_EQ(wire.status, 200) << wire.body;
  EXPECT_EQ(test::xml_element_text(wire.body, "FirstName"), "José");
  EXPECT_EQ(test::xml_element_text(wire.body, "LastName"), "Müller-Øst");

  // What Ferry reads back.
  auto found = c.find_customer(jose.email);
  ASSERT_TRUE(found) << found.error().message;
  ASSERT_TRUE(found.value());
  EXPECT_EQ(found.value()->first_name, "José");
  EXPECT_EQ(found.value()->last_name, "Müller-Øst");
  auto all = c.get_customers(erp_page_request{"", 1000, ""});
  ASSERT_TRUE(all) << all.error().message;
  bool listed = false;
  for (const auto& row : all.value().rows)
    if (row.customer_no == created.value()) {
      listed = true;
      EXPECT_EQ(row.first_name, "José");
      EXPECT_EQ(row.company, "Øst & Søn 株式会社");
    }
  EXPECT_TRUE(listed);
}

TEST_F(erp_contract, reads_warehouses_stock_and_price_lists) {
  auto c = client();
  auto wh = c.get_warehouses();
  ASSERT_TRUE(wh) << wh.error().message;
  ASSERT_EQ(wh.value().size(), 2u);
  EXPECT_EQ(wh.value()[0].warehouse_code, "WH1");

  long status = 0;
  sim_->admin("POST", "/admin/stock",
              {{"ItemCode", "IT-00004"},
               {"WarehouseCode", "WH2"},
               {"OnHand", "3"},
               {"Reserved", "5"}},
              &status);
  ASSERT_EQ(status, 200);
  auto stock = c.get_stock_levels(erp_page_request{"", 1000, ""}, "WH2");
  ASSERT_TRUE(stock) << stock.error().message;
  EXPECT_EQ(stock.value().rows.size(), 12u);
  bool found = false;
  for (const auto& s : stock.value().rows) {
    EXPECT_EQ(s.warehouse_code, "WH2");
    if (s.item_code == "IT-00004") {
      found = true;
      EXPECT_EQ(s.available, *decimal::parse("-2"));
    }
  }
  EXPECT_TRUE(found);

  sim_->admin("POST", "/admin/price-lists",
              {{"PriceListCode", "PL-C1"},
               {"CustomerNo", "C000001"},
               {"CurrencyCode", "USD"},
               {"ValidFrom", "2026-01-01T00:00:00Z"},
               {"PriceLine",
                {{{"ItemCode", "IT-00002"},
                  {"MinQuantity", "1"},
                  {"UnitPrice", "1.75"}}}}},
              &status);
  ASSERT_EQ(status, 200);
  auto lists = c.get_price_lists(erp_page_request{"", 100, ""});
  ASSERT_TRUE(lists) << lists.error().message;
  bool customer_list = false;
  bool group_list = false;
  for (const auto& pl : lists.value().rows) {
    if (pl.price_list_code == "PL-C1") {
      customer_list = true;
      EXPECT_EQ(pl.customer_no, "C000001");
      ASSERT_EQ(pl.lines.size(), 1u);
      EXPECT_TRUE(pl.lines[0].has_unit_price);
      EXPECT_EQ(pl.lines[0].unit_price, *money::parse("1.75"));
    }
    if (pl.price_list_code == "PL-WHOLESALE") {
      group_list = true;
      EXPECT_EQ(pl.price_group, "WHOLESALE");
      ASSERT_EQ(pl.lines.size(), 1u);
      EXPECT_FALSE(pl.lines[0].has_unit_price);
    }
  }
  EXPECT_TRUE(customer_list);
  EXPECT_TRUE(group_list);
}

TEST_F(erp_contract, reports_status_changes_made_in_the_erp) {
  auto c = client();
  auto order = sample_order(unique_id("WEB-"));
  ASSERT_TRUE(c.create_sales_order(order));
  long status = 0;
  sim_->admin("POST", "/admin/orders/" + order.external_order_id + "/status",
              {{"Status", "Shipped"}, {"TrackingNo", "1Z999"}}, &status);
  ASSERT_EQ(status, 200);
  auto changes = c.get_sales_order_status_changes(
      erp_page_request{"2026-01-01T00:00:00Z", 1000, ""});
  ASSERT_TRUE(changes) << changes.error().message;
  bool found = false;
  for (const auto& ch : changes.value().rows)
    if (ch.external_order_id == order.external_order_id) {
      found = true;
      EXPECT_EQ(ch.status, erp_order_status::shipped);
      EXPECT_EQ(ch.tracking_no, "1Z999");
      EXPECT_EQ(ch.changed_at.back(), 'Z');
    }
  EXPECT_TRUE(found);
  auto read = c.get_sales_order(order.external_order_id);
  ASSERT_TRUE(read);
  EXPECT_EQ(read.value().status, erp_order_status::shipped);
}

TEST_F(erp_contract, throttled_and_unavailable_are_server_faults) {
  auto c = client();
  sim_->faults(
      {{"error_rates",
        {{"GetWarehouses", {{"rate", 1.0}, {"fault", "Throttled"}}}}}});
  auto t = c.get_warehouses();
  ASSERT_FALSE(t);
  EXPECT_EQ(t.error().kind, erp_error_kind::server_fault);
  EXPECT_EQ(t.error().code, erp_fault_code::throttled);
  EXPECT_TRUE(t.error().retryable());
  sim_->faults(
      {{"error_rates", {{"*", {{"rate", 1.0}, {"fault", "Unavailable"}}}}}});
  auto u = c.find_customer("customer1@example.com");
  ASSERT_FALSE(u);
  EXPECT_EQ(u.error().kind, erp_error_kind::server_fault);
  EXPECT_EQ(u.error().code, erp_fault_code::unavailable);
}

TEST_F(erp_contract,
       ws_security_rejects_bad_tokens_and_still_serves_good_ones) {
  auto settings = sim_->client_settings();
  auto expect_fault = [](const erp_result<std::vector<erp_warehouse>>& r,
                         const std::string& code) {
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().kind, erp_error_kind::security_fault);
    EXPECT_EQ(r.error().fault_code, code);
    EXPECT_FALSE(r.error().retryable());
  };
  auto wrong = settings;
  wrong.password = "not-the-password";
  expect_fault(erp_client{wrong}.get_warehouses(), "wsse:FailedAuthentication");

  auto unknown_user = settings;
  unknown_user.username = "mallory";
  expect_fault(erp_client{unknown_user}.get_warehouses(),
               "wsse:FailedAuthentication");

  erp_client_test_hooks stale;
  stale.created_offset = std::chrono::minutes{-6};
  expect_fault(erp_client{settings, stale}.get_warehouses(),
               "wsse:FailedAuthentication");

  erp_client_test_hooks future;
  future.created_offset = std::chrono::minutes{6};
  expect_fault(erp_client{settings, future}.get_warehouses(),
               "wsse:FailedAuthentication");

  erp_client_test_hooks missing;
  missing.omit_security_header = true;
  expect_fault(erp_client{settings, missing}.get_warehouses(),
               "wsse:InvalidSecurity");

  erp_client_test_hooks replay;
  replay.fixed_nonce = "0123456789abcdef-" + std::to_string(::getpid());
  erp_client replayer{settings, replay};
  // Created has whole seconds: the digest differs per second, the nonce
  // does not, and the ERP remembers the nonce.
  auto first = replayer.get_warehouses();
  ASSERT_TRUE(first) << first.error().message;
  expect_fault(replayer.get_warehouses(), "wsse:FailedAuthentication");

  // The ERP's clock skewed by 10 minutes rejects an honest client too.
  sim_->faults({{"clock_skew_s", 600}});
  expect_fault(client().get_warehouses(), "wsse:FailedAuthentication");
  sim_->admin("POST", "/admin/faults/reset");

  auto ok = client().get_warehouses();
  ASSERT_TRUE(ok) << ok.error().message;
}

TEST_F(erp_contract, dropped_response_is_outcome_unknown_and_the_order_exists) {
  auto settings = sim_->client_settings();
  settings.call_timeout = std::chrono::seconds{2};
  erp_client c{settings};
  sim_->faults({{"drop_response", nlohmann::json::array({"CreateSalesOrder"})},
                {"drop_hold_ms", 5000}});
  auto order = sample_order(unique_id("WEB-DROP-"));
  auto r = c.create_sales_order(order);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, erp_error_kind::outcome_unknown);
  EXPECT_FALSE(r.error().retryable());
  sim_->admin("POST", "/admin/faults/reset");
  auto found = client().get_sales_order(order.external_order_id);
  ASSERT_TRUE(found) << found.error().message;
  EXPECT_EQ(found.value().external_order_id, order.external_order_id);
}

TEST_F(erp_contract, outages_are_connection_failures_or_unavailable) {
  auto c = client();
  ASSERT_TRUE(c.get_warehouses());
  sim_->faults({{"outage", "refuse"}});
  auto refused = c.get_warehouses();
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().kind, erp_error_kind::connection_failed)
      << refused.error().message;
  EXPECT_TRUE(refused.error().retryable());
  sim_->faults({{"outage", "503"}});
  auto unavailable = c.get_warehouses();
  ASSERT_FALSE(unavailable);
  EXPECT_EQ(unavailable.error().kind, erp_error_kind::server_fault)
      << unavailable.error().message;
  EXPECT_EQ(unavailable.error().code, erp_fault_code::unavailable);
  sim_->admin("POST", "/admin/faults/reset");
  auto back = c.get_warehouses();
  EXPECT_TRUE(back) << back.error().message;
}

TEST_F(erp_contract, admin_errors_name_the_field) {
  long status = 0;
  auto answer =
      sim_->admin("POST", "/admin/faults", {{"latency_ms", -1}}, &status);
  EXPECT_EQ(status, 400);
  EXPECT_NE(answer["error"].get<std::string>().find("latency_ms"),
            std::string::npos);
  answer = sim_->admin("POST", "/admin/items/NO-SUCH", {{"BasePrice", "1"}},
                       &status);
  EXPECT_EQ(status, 404);
}

TEST(erp_simulator_durability, keeps_its_data_across_a_restart) {
  test::erp_simulator sim;
  auto order = sample_order("WEB-DURABLE-1");
  {
    erp_client c{sim.client_settings()};
    auto r = c.create_sales_order(order);
    ASSERT_TRUE(r) << r.error().message;
  }
  sim.restart();
  erp_client c{sim.client_settings()};
  auto read = c.get_sales_order(order.external_order_id);
  ASSERT_TRUE(read) << read.error().message << "\n" << sim.log();
  auto dup = c.create_sales_order(order);
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().code, erp_fault_code::duplicate_external_order_id);
}

TEST(erp_client_settings_test, a_missing_ca_file_is_a_clear_connection_error) {
  erp_client_settings s;
  s.endpoint = "https://localhost:1/erp/soap";
  s.username = "ferry";
  s.password = "x";
  s.ca_file = "/nonexistent/ca.pem";
  erp_client c{s};
  auto r = c.get_warehouses();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, erp_error_kind::connection_failed);
  EXPECT_NE(r.error().message.find("/nonexistent/ca.pem"), std::string::npos);
  EXPECT_EQ(r.error().message.find("x\""), std::string::npos);
}

} // namespace
} // namespace ferry
