#pragma once

#include "mapping/shop_types.hpp"
#include "simulators/shop/journal.hpp"

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <string>
#include <vector>

namespace ferry::sim_shop {

/// An error the shop answers with: the HTTP status and Magento's body
/// `{"message":"… %1 …","parameters":[…]}`.
struct api_error {
  int status = 400;
  std::string message;
  std::vector<std::string> parameters;

  /// The JSON body of the error.
  nlohmann::json body() const;
};

/// A value or the error the shop answers with.
template <class T>
struct outcome {
  std::optional<T> value;
  api_error error;

  static outcome ok(T v) { return outcome{std::move(v), {}}; }
  static outcome fail(api_error e) {
    return outcome{std::nullopt, std::move(e)};
  }
  explicit operator bool() const { return value.has_value(); }
};

/// A change that fires a webhook: the topic and the resource as GET returns
/// it.
struct change_event {
  std::string topic;
  nlohmann::json resource;
  /// "sku", customer id or order entity_id, for logs and the admin view.
  std::string key;
};

/// One line of a new order, as a shop user adds it to the cart.
struct cart_line {
  std::string sku;
  std::int64_t qty = 1;
};

/// Every entity the shop holds and the contract's rules on them (unique
/// emails, the order state machine, per-item bulk results), durable through
/// a journal. Thread-safe: one mutex around the state.
class shop_state {
public:
  /// Returns the current UTC time as "YYYY-MM-DD HH:MM:SS".
  using clock_fn = std::function<std::string()>;
  /// Receives each change after it is durable (called under the lock: must
  /// not call back into the state).
  using event_sink = std::function<void(const change_event&)>;

  /// `journal` may be null (in-memory only, for unit tests).
  shop_state(clock_fn now, std::unique_ptr<journal> j);

  /// Replays the journal; returns the number of records applied.
  std::size_t load();

  void set_event_sink(event_sink sink);

  /// Creates `products` products, `customers` customers and `sources`
  /// sources with stock, deterministically from `seed`, unless the state
  /// already holds products (a restart keeps what it had).
  /// With `unicode`, every seeded name, description and customer carries
  /// non-ASCII text (accents, CJK, emoji, right-to-left, combining marks).
  void seed_if_empty(std::uint64_t seed, int products, int customers,
                     int sources, bool unicode = false);

  // -- products ------------------------------------------------------------

  outcome<shop::shop_product> get_product(const std::string& sku) const;
  /// Create or replace; `body` is the `product` object of the request.
  outcome<shop::shop_product> put_product(const std::string& sku,
                                          const nlohmann::json& body);
  /// Upsert many: one result per entry, one bad item does not fail others.
  std::vector<shop::shop_item_result>
  bulk_products(const nlohmann::json& products);
  shop::shop_page<shop::shop_product>
  list_products(const std::string& updated_since, int page_size,
                int page) const;
  outcome<bool> set_backorders(const std::string& sku, int backorders);
  std::optional<int> backorders(const std::string& sku) const;
  /// `PUT /products/{sku}/stock` calls taken for `sku` since start (0 when
  /// none): lets tests prove a sync does not repeat them. Not journaled.
  std::int64_t backorder_writes(const std::string& sku) const;
  /// Product writes through the API and admin (PUT, bulk) since start, per
  /// SKU: lets tests prove a sync wrote nothing twice. Not journaled.
  std::map<std::string, std::int64_t> product_writes() const;

  // -- customers -----------------------------------------------------------

  outcome<shop::shop_customer> get_customer(std::int64_t id) const;
  shop::shop_page<shop::shop_customer>
  search_customers(const std::string& email) const;
  shop::shop_page<shop::shop_customer>
  list_customers(const std::string& updated_since, int page_size,
                 int page) const;
  /// Partial update (names, group, custom attributes merged by code).
  outcome<shop::shop_customer> update_customer(std::int64_t id,
                                               const nlohmann::json& body);
  /// A customer registering in the storefront.
  outcome<shop::shop_customer> register_customer(std::string email,
                                                 std::string firstname,
                                                 std::string lastname,
                                                 int group_id = 1);

  // -- orders --------------------------------------------------------------

  outcome<shop::shop_order> get_order(std::int64_t id) const;
  shop::shop_page<shop::shop_order>
  list_orders(const std::string& created_since, int page_size, int page) const;
  /// A customer (or a guest with `customer_id` empty) placing an order.
  outcome<shop::shop_order> place_order(std::optional<std::int64_t> customer_id,
                                        const std::string& guest_email,
                                        const std::vector<cart_line>& lines,
                                        std::int64_t shipping_minor);
  outcome<bool> add_comment(std::int64_t id, const nlohmann::json& body);
  outcome<bool> hold(std::int64_t id);
  outcome<bool> unhold(std::int64_t id);
  outcome<bool> cancel(std::int64_t id);

  // -- inventory -----------------------------------------------------------

  std::vector<shop::shop_source> sources() const;
  outcome<bool> set_source_enabled(const std::string& code, bool enabled);
  std::vector<shop::shop_source_item>
  source_items(const std::string& sku) const;
  std::vector<shop::shop_item_result>
  set_source_items(const nlohmann::json& items);
  /// Sum of quantities over enabled sources.
  decimal salable_quantity(const std::string& sku) const;

  // -- for the traffic generator and admin ---------------------------------

  std::vector<std::string> skus() const;
  /// (sku, price) of every enabled product.
  std::vector<std::pair<std::string, money>> catalog() const;
  std::vector<std::int64_t> customer_ids() const;
  std::size_t order_count() const;

private:
  struct product_entry {
    shop::shop_product product;
    int backorders = 0;
  };
  struct order_entry {
    shop::shop_order order;
    std::string status_before_hold;
  };

  void record(const nlohmann::json& line);
  void apply(const nlohmann::json& line);
  void emit(std::string topic, nlohmann::json resource, std::string key);
  /// Stores `e` and journals it; `v` is to_json(e.order), made once for
  /// the journal line and the webhook.
  void record_order(order_entry e, const nlohmann::json& v);
  outcome<shop::shop_product> put_product_locked(const std::string& sku,
                                                 const nlohmann::json& body);
  outcome<bool> set_status(std::int64_t id, const char* op);

  clock_fn now_;
  std::unique_ptr<journal> journal_;
  event_sink sink_;
  mutable std::mutex mutex_;
  std::map<std::string, product_entry> products_;
  std::map<std::string, std::int64_t> product_writes_;
  std::map<std::string, std::int64_t> backorder_writes_;
  std::map<std::int64_t, shop::shop_customer> customers_;
  std::map<std::int64_t, order_entry> orders_;
  std::map<std::string, shop::shop_source> sources_;
  /// (sku, source_code) → item.
  std::map<std::pair<std::string, std::string>, shop::shop_source_item> items_;
  std::int64_t next_product_id_ = 1;
  std::int64_t next_customer_id_ = 1;
  std::int64_t next_order_id_ = 1001;
};

/// "YYYY-MM-DD HH:MM:SS" of the system clock in UTC.
std::string utc_now_text();

/// Lower-cases ASCII.
std::string lower(std::string s);

} // namespace ferry::sim_shop
