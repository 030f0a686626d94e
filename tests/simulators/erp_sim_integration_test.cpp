// Conformance of ferry-sim-erp to the ERP contract where a client other
// than Ferry's would notice: requests written by hand (as another
// implementation of the contract sends them), answers read as bytes. The
// simulator must be as strict as the contract, never looser.

#include "tests/protocols/erp_sim_fixture.hpp"

#include <gtest/gtest.h>
#include <string>
#include <vector>

namespace ferry {
namespace {

using test::erp_simulator;
using test::xml_element_text;

const std::string soap_envelope_ns =
    "http://schemas.xmlsoap.org/soap/envelope/";

/// The fault of an answer: faultcode (with its prefix resolved), ErrorCode
/// and Message of detail/erp:ErpFault.
struct fault_seen {
  long status = 0;
  std::string faultcode_ns; ///< namespace of the faultcode's prefix
  std::string faultcode_local;
  std::string error_code;
  std::string message;
};

fault_seen fault_of(const test::http_answer& answer) {
  fault_seen f;
  f.status = answer.status;
  const auto& body = answer.body;
  auto open = body.find("<faultcode>");
  if (open == std::string::npos)
    return f;
  open += 11;
  auto close = body.find("</faultcode>", open);
  auto code = body.substr(open, close - open);
  auto colon = code.find(':');
  if (colon != std::string::npos) {
    auto prefix = code.substr(0, colon);
    auto decl = body.find("xmlns:" + prefix + "=\"");
    if (decl != std::string::npos) {
      decl += prefix.size() + 8;
      f.faultcode_ns = body.substr(decl, body.find('"', decl) - decl);
    }
    f.faultcode_local = code.substr(colon + 1);
  }
  auto detail = body.find("ErpFault");
  if (detail != std::string::npos) {
    f.error_code = xml_element_text(body, "ErrorCode", detail);
    f.message = xml_element_text(body, "Message", detail);
  }
  return f;
}

void expect_client_fault(const test::http_answer& answer,
                         const std::string& error_code,
                         const std::string& message_names,
                         const std::string& what) {
  auto f = fault_of(answer);
  EXPECT_EQ(f.status, 500) << what << "\n" << answer.body;
  EXPECT_EQ(f.faultcode_ns, soap_envelope_ns) << what << "\n" << answer.body;
  EXPECT_EQ(f.faultcode_local, "Client") << what << "\n" << answer.body;
  EXPECT_EQ(f.error_code, error_code) << what << "\n" << answer.body;
  EXPECT_NE(f.message.find(message_names), std::string::npos)
      << what << ": the message does not name " << message_names << "\n"
      << answer.body;
}

class erp_sim_conformance : public ::testing::Test {
protected:
  static void SetUpTestSuite() { sim_ = new erp_simulator(); }
  static void TearDownTestSuite() {
    delete sim_;
    sim_ = nullptr;
  }
  static erp_client client() { return erp_client{sim_->client_settings()}; }
  static erp_simulator* sim_;
};

erp_simulator* erp_sim_conformance::sim_ = nullptr;

TEST_F(erp_sim_conformance, serves_a_well_formed_request_written_by_hand) {
  auto answer = sim_->soap("GetWarehouses", "<erp:GetWarehouses/>");
  EXPECT_EQ(answer.status, 200) << answer.body;
  EXPECT_EQ(xml_element_text(answer.body, "WarehouseCode"), "WH1")
      << answer.body;
}

TEST_F(erp_sim_conformance,
       a_page_size_outside_1_to_1000_is_a_validation_fault) {
  struct paged {
    const char* operation;
    const char* before; // elements before PageSize
  };
  const std::vector<paged> operations = {
      {"GetItems", ""},
      {"GetCustomers", ""},
      {"GetSalesOrderStatusChanges",
       "<erp:Since>2026-01-01T00:00:00Z</erp:Since>"},
      {"GetStockLevels", ""},
      {"GetPriceLists", ""},
  };
  for (const auto& op : operations)
    for (const char* size : {"1001", "0"}) {
      std::string body = std::string{"<erp:"} + op.operation + ">" + op.before +
                         "<erp:PageSize>" + size +
                         "</erp:PageSize></erp:" + op.operation + ">";
      expect_client_fault(sim_->soap(op.operation, body), "Validation",
                          "PageSize",
                          std::string{op.operation} + " PageSize=" + size);
    }
  // The limits themselves are served.
  auto ok = sim_->soap(
      "GetItems",
      "<erp:GetItems><erp:PageSize>1000</erp:PageSize></erp:GetItems>");
  EXPECT_EQ(ok.status, 200) << ok.body;
}

TEST_F(erp_sim_conformance, a_wrong_or_missing_soap_action_is_refused) {
  auto wrong = sim_->soap("GetItems", "<erp:GetWarehouses/>");
  expect_client_fault(wrong, "Validation", "GetWarehouses",
                      "SOAPAction GetItems for GetWarehouses");
  auto missing = sim_->soap("", "<erp:GetWarehouses/>", false);
  expect_client_fault(missing, "Validation", "GetWarehouses",
                      "no SOAPAction header");
  auto empty = sim_->soap("", "<erp:GetWarehouses/>");
  expect_client_fault(empty, "Validation", "GetWarehouses",
                      "an empty SOAPAction");
  // Ferry's client names every operation right: one call of each kind.
  auto c = client();
  erp_page_request page{"", 10, ""};
  EXPECT_TRUE(c.get_items(page));
  EXPECT_TRUE(c.get_customers(page));
  EXPECT_TRUE(c.get_price_lists(page));
  EXPECT_TRUE(c.get_stock_levels(page));
  EXPECT_TRUE(c.get_warehouses());
  EXPECT_TRUE(c.find_customer("customer1@example.com"));
  EXPECT_TRUE(c.get_sales_order_status_changes(
      erp_page_request{"2026-01-01T00:00:00Z", 10, ""}));
  auto order = test::sample_order("WEB-ACTION-" + std::to_string(::getpid()));
  auto created = c.create_sales_order(order);
  EXPECT_TRUE(created) << created.error().message;
  auto read = c.get_sales_order(order.external_order_id);
  EXPECT_TRUE(read) << read.error().message;
  erp_customer zoe;
  zoe.email = "zoe-" + std::to_string(::getpid()) + "@example.com";
  zoe.first_name = "Zoe";
  zoe.last_name = "Ash";
  auto no = c.create_customer(zoe);
  ASSERT_TRUE(no) << no.error().message;
  zoe.customer_no = no.value();
  auto updated = c.update_customer(zoe);
  EXPECT_TRUE(updated) << updated.error().message;
  erp_item item;
  item.item_code = "ACT-1";
  item.item_name = "Action";
  item.base_price = *money::parse("1.00");
  item.weight = *decimal::parse("1");
  auto upserted = c.upsert_items({item});
  EXPECT_TRUE(upserted) << upserted.error().message;
}

TEST_F(erp_sim_conformance, stock_of_an_unknown_warehouse_is_not_found) {
  auto c = client();
  auto r = c.get_stock_levels(erp_page_request{"", 100, ""}, "NO-SUCH-WH");
  ASSERT_FALSE(r) << r.value().rows.size() << " rows";
  EXPECT_EQ(r.error().kind, erp_error_kind::client_fault) << r.error().message;
  EXPECT_EQ(r.error().code, erp_fault_code::not_found) << r.error().message;
  EXPECT_NE(r.error().message.find("NO-SUCH-WH"), std::string::npos)
      << r.error().message;
  auto known = c.get_stock_levels(erp_page_request{"", 100, ""}, "WH2");
  ASSERT_TRUE(known) << known.error().message;
  EXPECT_FALSE(known.value().rows.empty());
}

TEST_F(erp_sim_conformance,
       a_bad_item_gets_its_own_error_result_in_upsert_items) {
  auto item = [](const std::string& code, const std::string& price) {
    return "<erp:Item><erp:ItemCode>" + code +
           "</erp:ItemCode><erp:ItemName>Name of " + code +
           "</erp:ItemName><erp:Description></erp:Description>"
           "<erp:BasePrice>" +
           price +
           "</erp:BasePrice><erp:Weight>1</erp:Weight>"
           "<erp:WeightUnit>KG</erp:WeightUnit>"
           "<erp:IsActive>true</erp:IsActive></erp:Item>";
  };
  auto code = "UP-" + std::to_string(::getpid() % 100000);
  auto answer = sim_->soap("UpsertItems",
                           "<erp:UpsertItems>" + item(code + "A", "2.50") +
                               item(code + "B", "1.234") +
                               item("IT-00001", "3.00") + "</erp:UpsertItems>");
  ASSERT_EQ(answer.status, 200) << answer.body;
  std::vector<std::size_t> results;
  for (auto at = answer.body.find("<erp:Result>"); at != std::string::npos;
       at = answer.body.find("<erp:Result>", at + 1))
    results.push_back(at);
  ASSERT_EQ(results.size(), 3u) << answer.body;
  EXPECT_EQ(xml_element_text(answer.body, "ItemCode", results[0]), code + "A");
  EXPECT_EQ(xml_element_text(answer.body, "Outcome", results[0]), "Created");
  EXPECT_EQ(xml_element_text(answer.body, "ItemCode", results[1]), code + "B");
  EXPECT_EQ(xml_element_text(answer.body, "Outcome", results[1]), "Error");
  EXPECT_EQ(xml_element_text(answer.body, "ErrorCode", results[1]),
            "Validation");
  EXPECT_NE(
      xml_element_text(answer.body, "Message", results[1]).find("BasePrice"),
      std::string::npos)
      << answer.body;
  EXPECT_EQ(xml_element_text(answer.body, "ItemCode", results[2]), "IT-00001");
  EXPECT_EQ(xml_element_text(answer.body, "Outcome", results[2]), "Updated");
  auto state = sim_->admin("GET", "/admin/state");
  bool good_stored = false;
  bool bad_stored = false;
  for (const auto& i : state["items"]) {
    good_stored = good_stored || i["ItemCode"] == code + "A";
    bad_stored = bad_stored || i["ItemCode"] == code + "B";
  }
  EXPECT_TRUE(good_stored);
  EXPECT_FALSE(bad_stored);
}

// UTF-8 both ways, read and written by hand: what another client of the
// contract sends and receives.
TEST_F(erp_sim_conformance, text_is_utf8_on_the_wire_both_ways) {
  const std::string name = "Café au lait 東京 🍰 שלום e\u0301";
  long status = 0;
  sim_->admin("POST", "/admin/items/IT-00004", {{"ItemName", name}}, &status);
  ASSERT_EQ(status, 200);
  auto items = sim_->soap(
      "GetItems",
      "<erp:GetItems><erp:PageSize>1000</erp:PageSize></erp:GetItems>");
  ASSERT_EQ(items.status, 200) << items.body;
  auto at = items.body.find("<erp:ItemCode>IT-00004</erp:ItemCode>");
  ASSERT_NE(at, std::string::npos) << items.body;
  EXPECT_EQ(xml_element_text(items.body, "ItemName", at), name);

  auto email = "jose-" + std::to_string(::getpid()) + "@example.com";
  auto created =
      sim_->soap("CreateCustomer",
                 "<erp:CreateCustomer><erp:Customer><erp:Email>" + email +
                     "</erp:Email><erp:FirstName>José</erp:FirstName>"
                     "<erp:LastName>Müller-Øst</erp:LastName>"
                     "<erp:IsActive>true</erp:IsActive></erp:Customer>"
                     "</erp:CreateCustomer>");
  ASSERT_TRUE(sim_->running()) << "the simulator ended: " << sim_->log();
  ASSERT_EQ(created.status, 200) << created.body;
  auto found = client().find_customer(email);
  ASSERT_TRUE(found) << found.error().message;
  ASSERT_TRUE(found.value());
  EXPECT_EQ(found.value()->first_name, "José");
  EXPECT_EQ(found.value()->last_name, "Müller-Øst");
}

// A document that says UTF-8 but carries a Latin-1 byte (what a careless
// client sends): the byte is read as its Latin-1 character, what the ERP
// stores is UTF-8, and the ERP keeps serving.
TEST_F(erp_sim_conformance, a_byte_that_is_not_utf8_never_stops_the_erp) {
  auto email = "latin1-" + std::to_string(::getpid()) + "@example.com";
  auto answer =
      sim_->soap("CreateCustomer",
                 "<erp:CreateCustomer><erp:Customer><erp:Email>" + email +
                     "</erp:Email><erp:FirstName>Jos\xE9</erp:FirstName>"
                     "<erp:LastName>Lee</erp:LastName>"
                     "<erp:IsActive>true</erp:IsActive></erp:Customer>"
                     "</erp:CreateCustomer>");
  ASSERT_TRUE(sim_->running()) << "the simulator ended: " << sim_->log();
  EXPECT_EQ(answer.status, 200) << answer.body;
  auto found = client().find_customer(email);
  ASSERT_TRUE(found) << found.error().message;
  ASSERT_TRUE(found.value());
  EXPECT_EQ(found.value()->first_name, "José");
  auto state = sim_->admin("GET", "/admin/state");
  EXPECT_FALSE(state["customers"].empty());
}

// --variant N serves the readings the contract leaves open differently;
// 0 is the plain seed.
TEST(erp_sim_variants, a_variant_changes_the_seeded_data_as_documented) {
  auto is_ascii = [](const std::string& s) {
    for (unsigned char c : s)
      if (c >= 0x80)
        return false;
    return true;
  };
  erp_simulator plain;
  auto state = plain.admin("GET", "/admin/state");
  for (const auto& item : state["items"])
    EXPECT_TRUE(is_ascii(item["ItemName"].get<std::string>()));
  ASSERT_FALSE(state["price_lists"].empty());
  EXPECT_EQ(state["price_lists"][0]["ValidFrom"], "2026-01-01T00:00:00Z");

  for (int variant : {1, 2}) {
    erp_simulator sim{{"--variant", std::to_string(variant)}};
    auto seeded = sim.admin("GET", "/admin/state");
    for (const char* kind : {"items", "customers"}) {
      ASSERT_FALSE(seeded[kind].empty()) << kind;
      for (const auto& row : seeded[kind]) {
        if (row.value("ItemCode", "") == "SHIPPING")
          continue;
        std::vector<std::string> fields =
            std::string{kind} == "items"
                ? std::vector<std::string>{"ItemName", "Description"}
                : std::vector<std::string>{"FirstName", "LastName", "Company"};
        for (const auto& field : fields)
          EXPECT_FALSE(is_ascii(row[field].get<std::string>()))
              << "variant " << variant << " " << kind << "." << field << ": "
              << row.dump();
      }
    }
    const auto& list = seeded["price_lists"][0];
    if (variant == 1) {
      EXPECT_EQ(list["ValidFrom"], "2026-01-01") << list.dump();
      EXPECT_EQ(list["ValidTo"], "2099-12-31") << list.dump();
    } else {
      EXPECT_EQ(list["ValidFrom"], "2026-01-01T00:00:00Z") << list.dump();
      EXPECT_EQ(list["ValidTo"], "2099-12-31T23:59:59Z") << list.dump();
    }
    // The seeded text comes through the contract intact.
    erp_client c{sim.client_settings()};
    auto items = c.get_items(erp_page_request{"", 1000, ""});
    ASSERT_TRUE(items) << items.error().message;
    ASSERT_EQ(items.value().rows.size(), seeded["items"].size());
    for (std::size_t i = 0; i < items.value().rows.size(); ++i) {
      const auto& row = items.value().rows[i];
      bool matched = false;
      for (const auto& j : seeded["items"])
        if (j["ItemCode"] == row.item_code) {
          matched = true;
          EXPECT_EQ(j["ItemName"], row.item_name);
          EXPECT_EQ(j["Description"], row.description);
        }
      EXPECT_TRUE(matched) << row.item_code;
    }
    auto customers = c.get_customers(erp_page_request{"", 1000, ""});
    ASSERT_TRUE(customers) << customers.error().message;
    for (const auto& row : customers.value().rows)
      for (const auto& j : seeded["customers"])
        if (j["CustomerNo"] == row.customer_no) {
          EXPECT_EQ(j["FirstName"], row.first_name);
          EXPECT_EQ(j["LastName"], row.last_name);
          EXPECT_EQ(j["Company"], row.company);
        }
    auto lists = c.get_price_lists(erp_page_request{"", 100, ""});
    ASSERT_TRUE(lists) << lists.error().message;
    ASSERT_FALSE(lists.value().rows.empty());
    EXPECT_EQ(lists.value().rows[0].valid_from, list["ValidFrom"]);
  }
}

} // namespace
} // namespace ferry
