#include "mapping/shop_types.hpp"

#include <gtest/gtest.h>

using namespace ferry;
using namespace ferry::shop;

namespace {

nlohmann::json must_parse(std::string_view text) {
  auto j = parse_exact(text);
  EXPECT_TRUE(j) << j.error;
  return j ? *j : nlohmann::json{};
}

} // namespace

TEST(shop_json, keeps_number_text_exact_and_writes_it_back) {
  auto j = must_parse(R"({"a":5412.40,"b":0.1,"c":17,"d":[1.10,"x"]})");
  EXPECT_EQ(number_text(j["a"]), "5412.40");
  EXPECT_EQ(number_text(j["b"]), "0.1");
  EXPECT_EQ(number_text(j["c"]), "17");
  EXPECT_EQ(dump_exact(j), R"({"a":5412.40,"b":0.1,"c":17,"d":[1.10,"x"]})");
}

TEST(shop_json, malformed_text_names_the_offset) {
  auto j = parse_exact(R"({"a":1,)");
  ASSERT_FALSE(j);
  EXPECT_NE(j.error.find("malformed JSON at byte"), std::string::npos)
      << j.error;
  EXPECT_FALSE(parse_exact("1e999"));
}

TEST(shop_product, reads_price_without_a_double) {
  // 0.1 + 0.2 style values that a double would not hold exactly.
  auto p = product_from_json(must_parse(
      R"({"id":17,"sku":"AB-1","name":"Bolt","description":"plain","price":12.5,
        "weight":0.25,"status":1,"updated_at":"2026-01-02 03:04:05"})"));
  ASSERT_TRUE(p) << p.error;
  EXPECT_EQ(p->price, money::from_minor(1250));
  EXPECT_EQ(p->weight, decimal::parse("0.25"));
  EXPECT_EQ(p->id, 17);
  EXPECT_EQ(dump_exact(to_json(*p)),
            R"({"description":"plain","id":17,"name":"Bolt","price":12.50,)"
            R"("sku":"AB-1","status":1,"updated_at":"2026-01-02 03:04:05",)"
            R"("weight":0.25})");
}

TEST(shop_product, errors_name_the_field) {
  struct row {
    const char* body;
    const char* error;
  };
  const row rows[] = {
      {R"({"name":"x","price":1})", "product.sku: missing"},
      {R"({"sku":"A","price":1})", "product.name: missing"},
      {R"({"sku":"A","name":"x","price":"abc"})",
       "product.price: not an amount with at most two decimals: abc"},
      {R"({"sku":"A","name":"x","price":1.234})",
       "product.price: not an amount with at most two decimals: 1.234"},
      {R"({"sku":"A","name":"x","price":1,"status":3})",
       "product.status: must be 1 (enabled) or 2 (disabled), not 3"},
      {R"({"sku":"A","name":"x","price":1,"updated_at":"2026-02-30 00:00:00"})",
       "product.updated_at: not a timestamp \"YYYY-MM-DD HH:MM:SS\": "
       "2026-02-30 00:00:00"},
      {R"([1])", "product: not an object"},
  };
  for (auto& r : rows) {
    auto p = product_from_json(must_parse(r.body));
    ASSERT_FALSE(p) << r.body;
    EXPECT_EQ(p.error, r.error) << r.body;
  }
}

TEST(shop_order, reads_the_contract_example_and_checks_the_total) {
  auto text = R"({"entity_id":1001,"increment_id":"000001001",
    "created_at":"2026-03-01 10:00:00","customer_id":null,
    "customer_email":"ann@example.com","base_currency_code":"USD",
    "subtotal":5400.00,"shipping_amount":12.40,"tax_amount":0.00,
    "grand_total":5412.40,"status":"pending","state":"new",
    "items":[{"sku":"AB-1","name":"Bolt","qty_ordered":3,"price":1800.00,
              "row_total":5400.00}],
    "billing_address":{"firstname":"Ann","street":["1 Main St"]},
    "status_histories":[]})";
  auto o = order_from_json(must_parse(text));
  ASSERT_TRUE(o) << o.error;
  EXPECT_FALSE(o->customer_id.has_value());
  EXPECT_EQ(o->grand_total, money::from_minor(541240));
  EXPECT_EQ(o->items.at(0).qty_ordered, decimal::from_int(3));
  EXPECT_EQ(o->billing_address.street.at(0), "1 Main St");
  auto again = order_from_json(must_parse(dump_exact(to_json(*o))));
  ASSERT_TRUE(again) << again.error;
  EXPECT_EQ(again->grand_total, o->grand_total);

  std::string wrong = text;
  wrong.replace(wrong.find("5412.40"), 7, "5412.41");
  auto bad = order_from_json(must_parse(wrong));
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error, "order.grand_total: 5412.41 is not subtotal + "
                       "shipping_amount + tax_amount");
}

TEST(shop_order, item_errors_carry_the_index) {
  auto o = order_from_json(must_parse(R"({"entity_id":1,
    "created_at":"2026-03-01 10:00:00","customer_email":"a@b.c",
    "subtotal":1,"grand_total":1,"status":"pending",
    "items":[{"sku":"A","qty_ordered":1,"price":1},{"sku":"B","price":1}]})"));
  ASSERT_FALSE(o);
  EXPECT_EQ(o.error, "order.items[1].qty_ordered: missing");
}

TEST(shop_customer, reads_custom_attributes) {
  auto c = customer_from_json(must_parse(R"({"id":42,"email":"ann@example.com",
    "firstname":"Ann","lastname":"Lee","group_id":1,
    "custom_attributes":[{"attribute_code":"erp_customer_no","value":"C000123"}]})"));
  ASSERT_TRUE(c) << c.error;
  EXPECT_EQ(c->attribute("erp_customer_no"), "C000123");
  EXPECT_FALSE(c->attribute("other"));
  auto bad = customer_from_json(must_parse(R"({"email":"nope"})"));
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error, "customer.email: not an email address");
}

TEST(shop_page, reads_items_and_total) {
  auto page = page_from_json<shop_source_item>(
      must_parse(R"({"items":[{"sku":"A","source_code":"us-east","quantity":12,
      "status":1}],"total_count":1})"),
      [](const nlohmann::json& j, const std::string& path) {
        return source_item_from_json(j, path);
      });
  ASSERT_TRUE(page) << page.error;
  EXPECT_EQ(page->total_count, 1);
  EXPECT_EQ(page->items.at(0).quantity, decimal::from_int(12));
  auto bad = page_from_json<shop_source_item>(
      must_parse(R"({"items":[{"sku":"A"}],"total_count":1})"),
      [](const nlohmann::json& j, const std::string& path) {
        return source_item_from_json(j, path);
      });
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error, "items[0].source_code: missing");
}

TEST(shop_errors, substitutes_parameters) {
  EXPECT_EQ(
      error_message_from_body(
          R"({"message":"Product with SKU \"%1\" not found","parameters":["AB-1"]})"),
      "Product with SKU \"AB-1\" not found");
  EXPECT_EQ(
      error_message_from_body(
          R"({"message":"\"%fieldName\" is required","parameters":{"fieldName":"name"}})"),
      "\"name\" is required");
  EXPECT_EQ(error_message_from_body("not json"), "not json");
}

TEST(shop_bulk, reads_per_item_results) {
  auto r = item_results_from_json(must_parse(
      R"({"results":[{"sku":"AB-1","status":"ok"},{"sku":"X","status":"error","message":"bad"}]})"));
  ASSERT_TRUE(r) << r.error;
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[1].message, "bad");
}

TEST(shop_time, shifts_timestamps_across_days_and_refuses_bad_text) {
  EXPECT_EQ(shift_timestamp("2026-03-01 00:00:30", -60), "2026-02-28 23:59:30");
  EXPECT_EQ(shift_timestamp("2024-02-28 23:59:59", 1), "2024-02-29 00:00:00");
  EXPECT_FALSE(shift_timestamp("2026-03-01T00:00:30", -60));
}
