#pragma once

// Messages of the shop connector (actors/shop_connector.hpp): one request
// struct per call of contracts/SHOP-REST.md, the typed answers and the typed
// error. Type IDs 400.. (block ferry_shop).

#include "actors/money_inspect.hpp"
#include "mapping/shop_types.hpp"

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/atom.hpp>
#include <caf/error.hpp>
#include <caf/meta/load_callback.hpp>
#include <caf/meta/type_name.hpp>
#include <caf/type_id.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace ferry::shop {

// -- inspection of the shop's records (CAF 0.17) ------------------------------

/// 0.17 inspection.
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, shop_product& x) {
  return f(caf::meta::type_name("shop_product"), x.id, x.sku, x.name,
           x.description, x.price, x.weight, x.status, x.updated_at);
}

/// 0.17 inspection.
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, shop_attribute& x) {
  return f(caf::meta::type_name("shop_attribute"), x.attribute_code, x.value);
}

/// 0.17 inspection.
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, shop_customer& x) {
  return f(caf::meta::type_name("shop_customer"), x.id, x.email, x.firstname,
           x.lastname, x.group_id, x.created_at, x.updated_at,
           x.custom_attributes);
}

/// 0.17 inspection.
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, shop_order_item& x) {
  return f(caf::meta::type_name("shop_order_item"), x.sku, x.name,
           x.qty_ordered, x.price, x.row_total);
}

/// 0.17 inspection.
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, shop_address& x) {
  return f(caf::meta::type_name("shop_address"), x.firstname, x.lastname,
           x.street, x.city, x.postcode, x.country_id, x.telephone, x.email);
}

/// 0.17 inspection.
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, shop_status_history& x) {
  return f(caf::meta::type_name("shop_status_history"), x.comment, x.status,
           x.is_customer_notified, x.created_at);
}

/// 0.17 inspection; a guest order's customer id travels as -1.
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, shop_order& x) {
  std::int64_t customer = x.customer_id ? *x.customer_id : -1;
  auto load = caf::meta::load_callback([&]() -> caf::error {
    if (customer >= 0)
      x.customer_id = customer;
    else
      x.customer_id.reset();
    return caf::none;
  });
  return f(caf::meta::type_name("shop_order"), x.entity_id, x.increment_id,
           x.created_at, x.updated_at, customer, x.customer_email,
           x.base_currency_code, x.subtotal, x.shipping_amount, x.tax_amount,
           x.discount_amount, x.grand_total, x.status, x.state, x.items,
           x.billing_address, x.status_histories, load);
}

/// 0.17 inspection.
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, shop_source& x) {
  return f(caf::meta::type_name("shop_source"), x.source_code, x.name,
           x.enabled);
}

/// 0.17 inspection.
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, shop_source_item& x) {
  return f(caf::meta::type_name("shop_source_item"), x.sku, x.source_code,
           x.quantity, x.status);
}

/// 0.17 inspection.
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, shop_item_result& x) {
  return f(caf::meta::type_name("shop_item_result"), x.sku, x.status,
           x.message);
}

/// 0.17 inspection.
template <class Inspector, class T>
typename Inspector::result_type inspect(Inspector& f, shop_page<T>& x) {
  return f(caf::meta::type_name("shop_page"), x.items, x.total_count);
}

} // namespace ferry::shop

namespace ferry {

/// What went wrong with a shop call, by what the caller should do about it.
enum class shop_error_kind : std::uint8_t {
  /// 400: the request was invalid; `message` says why (no retry).
  validation,
  /// 404.
  not_found,
  /// 409: not allowed in the entity's current state.
  conflict,
  /// 401 after a fresh token, or bad client credentials (fix config).
  unauthorized,
  /// 429 still after the retries.
  rate_limited,
  /// 5xx after the retries.
  server_error,
  /// The circuit breaker is open, or the retries/budget ran out on
  /// connection errors.
  unavailable,
  /// The request went out and no answer came: it may have taken effect.
  outcome_unknown,
  /// Could not connect, TLS failed, bad URL.
  transport,
  /// A 2xx whose body is not what the contract says.
  bad_response,
};

/// "validation", "not_found", …
const char* to_string(shop_error_kind k);

/// A failed shop call.
struct shop_error {
  shop_error_kind kind = shop_error_kind::transport;
  /// HTTP status when there was a response, else 0.
  int status = 0;
  /// The shop's message with parameters substituted, or what failed.
  std::string message;
};

/// 0.17 inspection.
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, shop_error& x) {
  return f(caf::meta::type_name("shop_error"), x.kind, x.status, x.message);
}

/// The category of the connector's errors; the code is shop_error_kind + 1,
/// the context holds the shop_error.
constexpr caf::atom_value shop_error_category = caf::atom("ferry_shop");

/// `e` as a caf::error of shop_error_category.
caf::error make_shop_caf_error(shop_error e);

/// The shop_error inside a connector's caf::error; nullopt for others.
std::optional<shop_error> shop_error_of(const caf::error& e);

// -- requests (one per contract call) ----------------------------------------

/// GET /products/{sku} → shop_product.
struct shop_get_product {
  std::string sku;
};
/// PUT /products/{sku} → shop_product.
struct shop_put_product {
  shop::shop_product product;
};
/// POST /products/bulk, split into calls of 500 → shop_bulk_results.
struct shop_bulk_products {
  std::vector<shop::shop_product> products;
};
/// GET /products?updated_since → shop_product_page.
struct shop_list_products {
  std::string updated_since;
  int page_size = 100;
  int page = 1;
};
/// GET /customers/{id} → shop_customer.
struct shop_get_customer {
  std::int64_t id = 0;
};
/// GET /customers/search?email → shop_customer_page.
struct shop_search_customers {
  std::string email;
};
/// GET /customers?updated_since → shop_customer_page.
struct shop_list_customers {
  std::string updated_since;
  int page_size = 100;
  int page = 1;
};
/// PUT /customers/{id}: empty names / group 0 stay unchanged; attributes
/// merge by code → shop_customer.
struct shop_update_customer {
  std::int64_t id = 0;
  std::string firstname;
  std::string lastname;
  int group_id = 0;
  std::vector<shop::shop_attribute> custom_attributes;
};
/// GET /orders/{entity_id} → shop_order.
struct shop_get_order {
  std::int64_t entity_id = 0;
};
/// GET /orders?created_since → shop_order_page.
struct shop_list_orders {
  std::string created_since;
  int page_size = 100;
  int page = 1;
};
/// POST /orders/{id}/comments → bool (true). Not retried once sent (a
/// repeat would add a second history entry).
struct shop_comment_order {
  std::int64_t entity_id = 0;
  std::string comment;
  /// Empty: keep the status.
  std::string status;
  bool notify_customer = false;
};
/// POST /orders/{id}/hold|unhold|cancel → bool (true).
struct shop_order_action {
  std::int64_t entity_id = 0;
  /// "hold", "unhold" or "cancel".
  std::string action;
};
/// GET /inventory/sources → shop_source_list.
struct shop_get_sources {};
/// GET /inventory/source-items?sku → shop_source_item_list.
struct shop_get_source_items {
  std::string sku;
};
/// POST /inventory/source-items, split into calls of 1000 →
/// shop_bulk_results.
struct shop_set_source_items {
  std::vector<shop::shop_source_item> items;
};
/// PUT /products/{sku}/stock → bool (true).
struct shop_set_backorders {
  std::string sku;
  int backorders = 0;
};

// -- answers ------------------------------------------------------------------

using shop_product_page = shop::shop_page<shop::shop_product>;
using shop_customer_page = shop::shop_page<shop::shop_customer>;
using shop_order_page = shop::shop_page<shop::shop_order>;

/// Per-item results of a bulk call, in request order; an item of a chunk
/// whose call failed as a whole carries status "error" and that failure.
struct shop_bulk_results {
  std::vector<shop::shop_item_result> results;
};
/// All sources.
struct shop_source_list {
  std::vector<shop::shop_source> sources;
};
/// A product's stock per source.
struct shop_source_item_list {
  std::vector<shop::shop_source_item> items;
};

/// 0.17 inspection of the requests and answers.
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, shop_get_product& x) {
  return f(caf::meta::type_name("shop_get_product"), x.sku);
}
/// 0.17 inspection.
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, shop_put_product& x) {
  return f(caf::meta::type_name("shop_put_product"), x.product);
}
/// 0.17 inspection.
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, shop_bulk_products& x) {
  return f(caf::meta::type_name("shop_bulk_products"), x.products);
}
/// 0.17 inspection.
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, shop_list_products& x) {
  return f(caf::meta::type_name("shop_list_products"), x.updated_since,
           x.page_size, x.page);
}
/// 0.17 inspection.
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, shop_get_customer& x) {
  return f(caf::meta::type_name("shop_get_customer"), x.id);
}
/// 0.17 inspection.
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f,
                                        shop_search_customers& x) {
  return f(caf::meta::type_name("shop_search_customers"), x.email);
}
/// 0.17 inspection.
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, shop_list_customers& x) {
  return f(caf::meta::type_name("shop_list_customers"), x.updated_since,
           x.page_size, x.page);
}
/// 0.17 inspection.
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, shop_update_customer& x) {
  return f(caf::meta::type_name("shop_update_customer"), x.id, x.firstname,
           x.lastname, x.group_id, x.custom_attributes);
}
/// 0.17 inspection.
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, shop_get_order& x) {
  return f(caf::meta::type_name("shop_get_order"), x.entity_id);
}
/// 0.17 inspection.
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, shop_list_orders& x) {
  return f(caf::meta::type_name("shop_list_orders"), x.created_since,
           x.page_size, x.page);
}
/// 0.17 inspection.
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, shop_comment_order& x) {
  return f(caf::meta::type_name("shop_comment_order"), x.entity_id, x.comment,
           x.status, x.notify_customer);
}
/// 0.17 inspection.
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, shop_order_action& x) {
  return f(caf::meta::type_name("shop_order_action"), x.entity_id, x.action);
}
/// 0.17 inspection.
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, shop_get_sources&) {
  return f(caf::meta::type_name("shop_get_sources"));
}
/// 0.17 inspection.
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f,
                                        shop_get_source_items& x) {
  return f(caf::meta::type_name("shop_get_source_items"), x.sku);
}
/// 0.17 inspection.
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f,
                                        shop_set_source_items& x) {
  return f(caf::meta::type_name("shop_set_source_items"), x.items);
}
/// 0.17 inspection.
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, shop_set_backorders& x) {
  return f(caf::meta::type_name("shop_set_backorders"), x.sku, x.backorders);
}
/// 0.17 inspection.
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, shop_bulk_results& x) {
  return f(caf::meta::type_name("shop_bulk_results"), x.results);
}
/// 0.17 inspection.
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, shop_source_list& x) {
  return f(caf::meta::type_name("shop_source_list"), x.sources);
}
/// 0.17 inspection.
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f,
                                        shop_source_item_list& x) {
  return f(caf::meta::type_name("shop_source_item_list"), x.items);
}

/// What the lost-webhook poller did so far (answer to caf::get_atom).
struct shop_poll_report {
  /// Finished poll cycles (all three resources walked).
  std::uint64_t cycles = 0;
  /// Events put into the inbox because it lacked them.
  std::uint64_t enqueued = 0;
  /// Failed list calls or inbox writes (the cursor then stays).
  std::uint64_t errors = 0;
  std::string last_error;
};

/// 0.17 inspection.
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, shop_poll_report& x) {
  return f(caf::meta::type_name("shop_poll_report"), x.cycles, x.enqueued,
           x.errors, x.last_error);
}

/// One call travelling between the connector and its dispatcher thread
/// (internal; local only, never serialized).
struct shop_job;
using shop_job_ptr = std::shared_ptr<shop_job>;

} // namespace ferry

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(ferry::shop_job_ptr)

CAF_BEGIN_TYPE_ID_BLOCK(ferry_shop, 400)

CAF_ADD_TYPE_ID(ferry_shop, (ferry::shop_error))
CAF_ADD_TYPE_ID(ferry_shop, (ferry::shop::shop_product))
CAF_ADD_TYPE_ID(ferry_shop, (ferry::shop::shop_customer))
CAF_ADD_TYPE_ID(ferry_shop, (ferry::shop::shop_order))
CAF_ADD_TYPE_ID(ferry_shop, (ferry::shop_product_page))
CAF_ADD_TYPE_ID(ferry_shop, (ferry::shop_customer_page))
CAF_ADD_TYPE_ID(ferry_shop, (ferry::shop_order_page))
CAF_ADD_TYPE_ID(ferry_shop, (ferry::shop_bulk_results))
CAF_ADD_TYPE_ID(ferry_shop, (ferry::shop_source_list))
CAF_ADD_TYPE_ID(ferry_shop, (ferry::shop_source_item_list))
CAF_ADD_TYPE_ID(ferry_shop, (ferry::shop_get_product))
CAF_ADD_TYPE_ID(ferry_shop, (ferry::shop_put_product))
CAF_ADD_TYPE_ID(ferry_shop, (ferry::shop_bulk_products))
CAF_ADD_TYPE_ID(ferry_shop, (ferry::shop_list_products))
CAF_ADD_TYPE_ID(ferry_shop, (ferry::shop_get_customer))
CAF_ADD_TYPE_ID(ferry_shop, (ferry::shop_search_customers))
CAF_ADD_TYPE_ID(ferry_shop, (ferry::shop_list_customers))
CAF_ADD_TYPE_ID(ferry_shop, (ferry::shop_update_customer))
CAF_ADD_TYPE_ID(ferry_shop, (ferry::shop_get_order))
CAF_ADD_TYPE_ID(ferry_shop, (ferry::shop_list_orders))
CAF_ADD_TYPE_ID(ferry_shop, (ferry::shop_comment_order))
CAF_ADD_TYPE_ID(ferry_shop, (ferry::shop_order_action))
CAF_ADD_TYPE_ID(ferry_shop, (ferry::shop_get_sources))
CAF_ADD_TYPE_ID(ferry_shop, (ferry::shop_get_source_items))
CAF_ADD_TYPE_ID(ferry_shop, (ferry::shop_set_source_items))
CAF_ADD_TYPE_ID(ferry_shop, (ferry::shop_set_backorders))
CAF_ADD_TYPE_ID(ferry_shop, (ferry::shop_poll_report))

CAF_ADD_ATOM(ferry_shop, ferry, shop_done_atom, "shop_done")
CAF_ADD_ATOM(ferry_shop, ferry, shop_retry_atom, "shop_retry")
CAF_ADD_ATOM(ferry_shop, ferry, shop_poll_atom, "shop_poll")

CAF_END_TYPE_ID_BLOCK(ferry_shop)
