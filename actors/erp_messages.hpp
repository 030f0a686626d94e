#pragma once

// Messages of the ERP connector (actors/erp_connector.hpp): one request
// struct per ERP operation, the typed answers, the connector's status, and
// the typed error. Type IDs 300.. (block ferry_erp).

#include "actors/money_inspect.hpp"
#include "mapping/erp_types.hpp"

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

namespace ferry {

// -- inspection of the ERP records (CAF 0.17) ---------------------------------

/// 0.17 inspection.
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, erp_item& x) {
  return f(caf::meta::type_name("erp_item"), x.item_code, x.item_name,
           x.description, x.base_price, x.weight, x.weight_unit, x.is_active,
           x.modified_at);
}

/// 0.17 inspection.
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, erp_upsert_result& x) {
  return f(caf::meta::type_name("erp_upsert_result"), x.item_code, x.outcome,
           x.error_code, x.message);
}

/// 0.17 inspection.
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, erp_customer& x) {
  return f(caf::meta::type_name("erp_customer"), x.customer_no, x.email,
           x.first_name, x.last_name, x.company, x.phone,
           x.external_customer_id, x.price_group, x.is_active, x.modified_at);
}

/// 0.17 inspection.
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, erp_sales_order_line& x) {
  return f(caf::meta::type_name("erp_sales_order_line"), x.item_code,
           x.quantity, x.base_price, x.line_amount);
}

/// 0.17 inspection.
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, erp_sales_order& x) {
  return f(caf::meta::type_name("erp_sales_order"), x.sales_order_no, x.status,
           x.external_order_id, x.order_date, x.customer_no, x.customer_email,
           x.currency_code, x.total_amount, x.lines);
}

/// 0.17 inspection.
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f,
                                        erp_created_sales_order& x) {
  return f(caf::meta::type_name("erp_created_sales_order"), x.sales_order_no,
           x.status);
}

/// 0.17 inspection.
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, erp_status_change& x) {
  return f(caf::meta::type_name("erp_status_change"), x.sales_order_no,
           x.external_order_id, x.status, x.tracking_no, x.changed_at);
}

/// 0.17 inspection.
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, erp_warehouse& x) {
  return f(caf::meta::type_name("erp_warehouse"), x.warehouse_code, x.name,
           x.is_active);
}

/// 0.17 inspection.
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, erp_stock_level& x) {
  return f(caf::meta::type_name("erp_stock_level"), x.item_code,
           x.warehouse_code, x.on_hand, x.reserved, x.available,
           x.allow_backorder, x.modified_at);
}

/// 0.17 inspection.
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, erp_price_line& x) {
  return f(caf::meta::type_name("erp_price_line"), x.item_code, x.min_quantity,
           x.has_unit_price, x.unit_price, x.discount_percent);
}

/// 0.17 inspection.
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, erp_price_list& x) {
  return f(caf::meta::type_name("erp_price_list"), x.price_list_code,
           x.customer_no, x.price_group, x.currency_code, x.valid_from,
           x.valid_to, x.modified_at, x.lines);
}

/// 0.17 inspection.
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, erp_page_request& x) {
  return f(caf::meta::type_name("erp_page_request"), x.modified_since,
           x.page_size, x.page_token);
}

/// 0.17 inspection.
template <class Inspector, class T>
typename Inspector::result_type inspect(Inspector& f, erp_page<T>& x) {
  return f(caf::meta::type_name("erp_page"), x.rows, x.next_page_token);
}

/// 0.17 inspection.
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, erp_error& x) {
  return f(caf::meta::type_name("erp_error"), x.kind, x.code, x.fault_code,
           x.message, x.existing_key);
}

// -- requests: one per ERP operation -----------------------------------------

/// CreateSalesOrder → erp_created_sales_order.
struct erp_create_sales_order {
  erp_sales_order order;
};

/// GetSalesOrder → erp_sales_order.
struct erp_get_sales_order {
  std::string external_order_id;
};

/// FindCustomer → erp_customer_lookup.
struct erp_find_customer {
  std::string email;
};

/// CreateCustomer → erp_customer_no.
struct erp_create_customer {
  erp_customer customer;
};

/// UpdateCustomer → erp_modified_at.
struct erp_update_customer {
  erp_customer customer;
};

/// GetCustomers → erp_page<erp_customer>.
struct erp_get_customers {
  erp_page_request page;
};

/// GetItems → erp_page<erp_item>.
struct erp_get_items {
  erp_page_request page;
};

/// UpsertItems → erp_upsert_results.
struct erp_upsert_items {
  std::vector<erp_item> items;
};

/// GetSalesOrderStatusChanges (page.modified_since is `Since`) →
/// erp_page<erp_status_change>.
struct erp_get_status_changes {
  erp_page_request page;
};

/// GetWarehouses → erp_warehouse_list.
struct erp_get_warehouses {};

/// GetStockLevels → erp_page<erp_stock_level>.
struct erp_get_stock_levels {
  erp_page_request page;
  std::string warehouse_code; ///< empty: every warehouse
};

/// GetPriceLists → erp_page<erp_price_list>.
struct erp_get_price_lists {
  erp_page_request page;
};

// -- answers -----------------------------------------------------------------

/// The answer to FindCustomer.
struct erp_customer_lookup {
  bool found = false;
  erp_customer customer;
};

/// The answer to CreateCustomer.
struct erp_customer_no {
  std::string value;
};

/// The answer to UpdateCustomer.
struct erp_modified_at {
  std::string value;
};

/// The answer to UpsertItems.
struct erp_upsert_results {
  std::vector<erp_upsert_result> rows;
};

/// The answer to GetWarehouses.
struct erp_warehouse_list {
  std::vector<erp_warehouse> rows;
};

/// The connector's state, for /readyz detail and tests.
struct erp_connector_status {
  std::string breaker;         ///< "closed", "open" or "half_open"
  std::uint32_t in_flight = 0; ///< calls at the ERP now
  std::uint32_t queued = 0;    ///< calls waiting for a session
  std::uint32_t sessions = 0;  ///< max_sessions
};

/// 0.17 inspection.
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f,
                                        erp_create_sales_order& x) {
  return f(caf::meta::type_name("erp_create_sales_order"), x.order);
}

/// 0.17 inspection.
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, erp_get_sales_order& x) {
  return f(caf::meta::type_name("erp_get_sales_order"), x.external_order_id);
}

/// 0.17 inspection.
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, erp_find_customer& x) {
  return f(caf::meta::type_name("erp_find_customer"), x.email);
}

/// 0.17 inspection.
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, erp_create_customer& x) {
  return f(caf::meta::type_name("erp_create_customer"), x.customer);
}

/// 0.17 inspection.
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, erp_update_customer& x) {
  return f(caf::meta::type_name("erp_update_customer"), x.customer);
}

/// 0.17 inspection.
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, erp_get_customers& x) {
  return f(caf::meta::type_name("erp_get_customers"), x.page);
}

/// 0.17 inspection.
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, erp_get_items& x) {
  return f(caf::meta::type_name("erp_get_items"), x.page);
}

/// 0.17 inspection.
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, erp_upsert_items& x) {
  return f(caf::meta::type_name("erp_upsert_items"), x.items);
}

/// 0.17 inspection.
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f,
                                        erp_get_status_changes& x) {
  return f(caf::meta::type_name("erp_get_status_changes"), x.page);
}

/// 0.17 inspection.
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, erp_get_warehouses&) {
  return f(caf::meta::type_name("erp_get_warehouses"));
}

/// 0.17 inspection.
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, erp_get_stock_levels& x) {
  return f(caf::meta::type_name("erp_get_stock_levels"), x.page,
           x.warehouse_code);
}

/// 0.17 inspection.
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, erp_get_price_lists& x) {
  return f(caf::meta::type_name("erp_get_price_lists"), x.page);
}

/// 0.17 inspection.
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, erp_customer_lookup& x) {
  return f(caf::meta::type_name("erp_customer_lookup"), x.found, x.customer);
}

/// 0.17 inspection.
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, erp_customer_no& x) {
  return f(caf::meta::type_name("erp_customer_no"), x.value);
}

/// 0.17 inspection.
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, erp_modified_at& x) {
  return f(caf::meta::type_name("erp_modified_at"), x.value);
}

/// 0.17 inspection.
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, erp_upsert_results& x) {
  return f(caf::meta::type_name("erp_upsert_results"), x.rows);
}

/// 0.17 inspection.
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, erp_warehouse_list& x) {
  return f(caf::meta::type_name("erp_warehouse_list"), x.rows);
}

/// 0.17 inspection.
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, erp_connector_status& x) {
  return f(caf::meta::type_name("erp_connector_status"), x.breaker, x.in_flight,
           x.queued, x.sessions);
}

// -- errors ------------------------------------------------------------------

/// The category atom of the connector's caf::error values: the code is
/// erp_error_kind + 1, the context holds the erp_error.
constexpr caf::atom_value erp_error_category = caf::atom("ferry_erp");

/// `e` as a caf::error of erp_error_category.
caf::error make_erp_caf_error(erp_error e);

/// The erp_error inside a connector's caf::error; nullopt for other errors
/// (e.g. the connector went down).
std::optional<erp_error> erp_error_of(const caf::error& e);

/// One call travelling between the connector and its session workers
/// (internal; local only, never serialized).
struct erp_job;

/// Shared ownership of a job while it moves between actors.
using erp_job_ptr = std::shared_ptr<erp_job>;

} // namespace ferry

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(ferry::erp_job_ptr)

CAF_BEGIN_TYPE_ID_BLOCK(ferry_erp, 300)

CAF_ADD_TYPE_ID(ferry_erp, (ferry::erp_error))
CAF_ADD_TYPE_ID(ferry_erp, (ferry::erp_item))
CAF_ADD_TYPE_ID(ferry_erp, (ferry::erp_customer))
CAF_ADD_TYPE_ID(ferry_erp, (ferry::erp_sales_order))
CAF_ADD_TYPE_ID(ferry_erp, (ferry::erp_created_sales_order))
CAF_ADD_TYPE_ID(ferry_erp, (ferry::erp_page_request))
CAF_ADD_TYPE_ID(ferry_erp, (ferry::erp_page<ferry::erp_item>))
CAF_ADD_TYPE_ID(ferry_erp, (ferry::erp_page<ferry::erp_customer>))
CAF_ADD_TYPE_ID(ferry_erp, (ferry::erp_page<ferry::erp_status_change>))
CAF_ADD_TYPE_ID(ferry_erp, (ferry::erp_page<ferry::erp_stock_level>))
CAF_ADD_TYPE_ID(ferry_erp, (ferry::erp_page<ferry::erp_price_list>))
CAF_ADD_TYPE_ID(ferry_erp, (ferry::erp_create_sales_order))
CAF_ADD_TYPE_ID(ferry_erp, (ferry::erp_get_sales_order))
CAF_ADD_TYPE_ID(ferry_erp, (ferry::erp_find_customer))
CAF_ADD_TYPE_ID(ferry_erp, (ferry::erp_create_customer))
CAF_ADD_TYPE_ID(ferry_erp, (ferry::erp_update_customer))
CAF_ADD_TYPE_ID(ferry_erp, (ferry::erp_get_customers))
CAF_ADD_TYPE_ID(ferry_erp, (ferry::erp_get_items))
CAF_ADD_TYPE_ID(ferry_erp, (ferry::erp_upsert_items))
CAF_ADD_TYPE_ID(ferry_erp, (ferry::erp_get_status_changes))
CAF_ADD_TYPE_ID(ferry_erp, (ferry::erp_get_warehouses))
CAF_ADD_TYPE_ID(ferry_erp, (ferry::erp_get_stock_levels))
CAF_ADD_TYPE_ID(ferry_erp, (ferry::erp_get_price_lists))
CAF_ADD_TYPE_ID(ferry_erp, (ferry::erp_customer_lookup))
CAF_ADD_TYPE_ID(ferry_erp, (ferry::erp_customer_no))
CAF_ADD_TYPE_ID(ferry_erp, (ferry::erp_modified_at))
CAF_ADD_TYPE_ID(ferry_erp, (ferry::erp_upsert_results))
CAF_ADD_TYPE_ID(ferry_erp, (ferry::erp_warehouse_list))
CAF_ADD_TYPE_ID(ferry_erp, (ferry::erp_connector_status))

/// Connector → session worker: run this job.
CAF_ADD_ATOM(ferry_erp, ferry, erp_run_atom, "erp_run")
/// Connector → itself: a job's backoff delay has passed.
CAF_ADD_ATOM(ferry_erp, ferry, erp_retry_atom, "erp_retry")

CAF_END_TYPE_ID_BLOCK(ferry_erp)
