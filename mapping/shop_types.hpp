#pragma once

#include "mapping/money.hpp"

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

/// The shop's JSON (contracts/SHOP-REST.md) as plain structs of our own, and
/// back. Used by the shop connector and by ferry-sim-shop.
///
/// Money never passes through a double: `parse_exact` reads JSON with a SAX
/// handler that keeps the text of every non-integer number (nlohmann hands
/// the lexer's text to `number_float`) and stores it as a tagged binary
/// value, which `money::parse` / `decimal::parse` then read exactly;
/// `dump_exact` writes such values back as the very same number text.
namespace ferry::shop {

/// The result of reading shop JSON: a value, or an error that names the
/// field ("order.items[1].price: …").
template <class T>
struct parsed {
  std::optional<T> value;
  std::string error;

  static parsed ok(T v) { return parsed{std::move(v), {}}; }
  static parsed fail(std::string e) {
    return parsed{std::nullopt, std::move(e)};
  }
  explicit operator bool() const { return value.has_value(); }
  T& operator*() { return *value; }
  const T& operator*() const { return *value; }
  T* operator->() { return &*value; }
  const T* operator->() const { return &*value; }
};

/// Parses JSON text keeping non-integer numbers as their exact text (see
/// `exact_number`); an error names the byte offset.
parsed<nlohmann::json> parse_exact(std::string_view text);

/// A JSON number written exactly as `text` (e.g. "12.50"), for `dump_exact`.
nlohmann::json exact_number(std::string_view text);

/// JSON text of `value`, writing `exact_number`s as their text.
std::string dump_exact(const nlohmann::json& value);

/// The number text of `value` if it is a JSON number (exact or integer).
std::optional<std::string> number_text(const nlohmann::json& value);

/// Whether `text` is a timestamp of the contract's form
/// "YYYY-MM-DD HH:MM:SS" with a valid date and time.
bool is_timestamp(std::string_view text);

/// `timestamp` ("YYYY-MM-DD HH:MM:SS", UTC) moved by `seconds` (negative:
/// earlier); nullopt when `timestamp` is not of that form.
std::optional<std::string> shift_timestamp(std::string_view timestamp,
                                           std::int64_t seconds);

/// A product (`status` 1 enabled, 2 disabled; `weight` in kg).
struct shop_product {
  std::int64_t id = 0;
  std::string sku;
  std::string name;
  std::string description;
  money price;
  decimal weight;
  int status = 1;
  std::string updated_at;
};

/// One `custom_attributes` entry.
struct shop_attribute {
  std::string attribute_code;
  std::string value;
};

/// A customer; emails are unique per shop, compared case-insensitively.
struct shop_customer {
  std::int64_t id = 0;
  std::string email;
  std::string firstname;
  std::string lastname;
  int group_id = 1;
  std::string created_at;
  std::string updated_at;
  std::vector<shop_attribute> custom_attributes;

  /// The value of custom attribute `code`, if present.
  std::optional<std::string> attribute(std::string_view code) const;
};

/// One order line.
struct shop_order_item {
  std::string sku;
  std::string name;
  decimal qty_ordered;
  money price;
  money row_total;
};

/// An order's billing address (the fields Ferry uses).
struct shop_address {
  std::string firstname;
  std::string lastname;
  std::vector<std::string> street;
  std::string city;
  std::string postcode;
  std::string country_id;
  std::string telephone;
  std::string email;
};

/// One `status_histories` entry.
struct shop_status_history {
  std::string comment;
  std::string status;
  int is_customer_notified = 0;
  std::string created_at;
};

/// An order; `customer_id` is empty for a guest order.
struct shop_order {
  std::int64_t entity_id = 0;
  std::string increment_id;
  std::string created_at;
  std::string updated_at;
  std::optional<std::int64_t> customer_id;
  std::string customer_email;
  std::string base_currency_code = "USD";
  money subtotal;
  money shipping_amount;
  money tax_amount;
  /// Magento's `discount_amount` (negative for a discount); the contract
  /// does not list it, so it is read when a shop sends it, else 0.
  money discount_amount;
  money grand_total;
  std::string status = "pending";
  std::string state = "new";
  std::vector<shop_order_item> items;
  shop_address billing_address;
  std::vector<shop_status_history> status_histories;
};

/// A source (warehouse).
struct shop_source {
  std::string source_code;
  std::string name;
  bool enabled = true;
};

/// Stock of one SKU at one source; `status` 1 in stock, 0 out of stock.
struct shop_source_item {
  std::string sku;
  std::string source_code;
  decimal quantity;
  int status = 1;
};

/// One entry of a bulk call's `results`.
struct shop_item_result {
  std::string sku;
  /// "ok" or "error".
  std::string status;
  std::string message;
};

/// One page of a list call.
template <class T>
struct shop_page {
  std::vector<T> items;
  std::int64_t total_count = 0;
};

/// An error body `{"message":"… %1 …","parameters":[…]}` with the
/// parameters substituted, e.g. `Product with SKU "AB-1" not found`.
std::string error_message_from_body(std::string_view body);

/// The contract's JSON for each type (money as exact numbers).
nlohmann::json to_json(const shop_product& x);
nlohmann::json to_json(const shop_customer& x);
nlohmann::json to_json(const shop_order& x);
nlohmann::json to_json(const shop_source& x);
nlohmann::json to_json(const shop_source_item& x);
nlohmann::json to_json(const shop_item_result& x);

/// Reads each type from a DOM made by `parse_exact`; `path` prefixes the
/// field names in errors. Unknown fields are ignored, as the shop may add
/// fields.
parsed<shop_product> product_from_json(const nlohmann::json& j,
                                       const std::string& path = "product");
parsed<shop_customer> customer_from_json(const nlohmann::json& j,
                                         const std::string& path = "customer");
parsed<shop_order> order_from_json(const nlohmann::json& j,
                                   const std::string& path = "order");
parsed<shop_source> source_from_json(const nlohmann::json& j,
                                     const std::string& path = "source");
parsed<shop_source_item>
source_item_from_json(const nlohmann::json& j,
                      const std::string& path = "sourceItem");
parsed<shop_item_result>
item_result_from_json(const nlohmann::json& j,
                      const std::string& path = "result");

/// Reads `{"items":[…],"total_count":N}` with `item` for each entry.
template <class T, class F>
parsed<shop_page<T>> page_from_json(const nlohmann::json& j, F item) {
  if (!j.is_object())
    return parsed<shop_page<T>>::fail("page: not an object");
  auto items = j.find("items");
  if (items == j.end() || !items->is_array())
    return parsed<shop_page<T>>::fail("page.items: missing or not an array");
  auto total = j.find("total_count");
  if (total == j.end() || !total->is_number_integer())
    return parsed<shop_page<T>>::fail(
        "page.total_count: missing or not an integer");
  shop_page<T> page;
  page.total_count = total->template get<std::int64_t>();
  std::size_t index = 0;
  for (auto& entry : *items) {
    auto r = item(entry, "items[" + std::to_string(index++) + "]");
    if (!r)
      return parsed<shop_page<T>>::fail(std::move(r.error));
    page.items.push_back(std::move(*r));
  }
  return parsed<shop_page<T>>::ok(std::move(page));
}

/// Reads a bulk call's `{"results":[…]}`.
parsed<std::vector<shop_item_result>>
item_results_from_json(const nlohmann::json& j);

} // namespace ferry::shop
