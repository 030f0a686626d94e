#pragma once

#include "mapping/money.hpp"

#include <string>
#include <string_view>
#include <vector>

/// The ERP's records as plain structs of our own (see
/// docs/contracts.md). No gSOAP type appears here:
/// protocols/soap converts these to and from the generated bindings.
/// An absent optional text field of the contract is an empty string.
/// Date-times are the ERP's literal text: `OrderDate` is ERP local time
/// without offset, every `ModifiedAt`/`ChangedAt` is UTC with `Z`.
namespace ferry {

/// `WeightUnit` of an item.
enum class erp_weight_unit { kg, g, lb, oz };

/// `Status` of a sales order.
enum class erp_order_status { open, released, shipped, invoiced, cancelled };

/// `Outcome` of one row of `UpsertItems`.
enum class erp_upsert_outcome { created, updated, error };

/// The contract's `ErrorCode`; `none` where a fault carries no code.
enum class erp_fault_code {
  none,
  validation,
  not_found,
  duplicate_external_order_id,
  duplicate_customer,
  unknown_item,
  unknown_customer,
  throttled,
  unavailable,
};

/// The contract's spelling ("KG", "Open", "DuplicateCustomer", …).
const char* to_string(erp_weight_unit x);
/// The contract's spelling.
const char* to_string(erp_order_status x);
/// The contract's spelling.
const char* to_string(erp_upsert_outcome x);
/// The contract's spelling; "" for none.
const char* to_string(erp_fault_code x);

/// Parses the contract's spelling; false for anything else.
bool from_string(std::string_view text, erp_weight_unit& out);
/// Parses the contract's spelling; false for anything else.
bool from_string(std::string_view text, erp_order_status& out);
/// Parses the contract's spelling; false for anything else.
bool from_string(std::string_view text, erp_fault_code& out);

/// `Item` (a product).
struct erp_item {
  std::string item_code;   ///< ≤ 20 characters
  std::string item_name;   ///< ≤ 400 characters
  std::string description; ///< HTML allowed
  money base_price;
  decimal weight;
  erp_weight_unit weight_unit = erp_weight_unit::kg;
  bool is_active = true;
  std::string modified_at; ///< set by the ERP
};

/// One row of the `UpsertItems` answer.
struct erp_upsert_result {
  std::string item_code;
  erp_upsert_outcome outcome = erp_upsert_outcome::created;
  erp_fault_code error_code = erp_fault_code::none;
  std::string message;
};

/// `Customer`.
struct erp_customer {
  std::string customer_no; ///< the ERP's key; empty in CreateCustomer
  std::string email;       ///< unique, case-insensitive
  std::string first_name;
  std::string last_name;
  std::string company;
  std::string phone;
  std::string external_customer_id; ///< the shop's id
  std::string price_group;
  bool is_active = true;
  std::string modified_at; ///< set by the ERP
};

/// One `Line` of a sales order.
struct erp_sales_order_line {
  std::string item_code;
  decimal quantity;
  money base_price;
  money line_amount;
};

/// `SalesOrder`.
struct erp_sales_order {
  std::string sales_order_no; ///< set by the ERP; empty in CreateSalesOrder
  erp_order_status status = erp_order_status::open; ///< set by the ERP
  std::string external_order_id; ///< "WEB-" + shop increment_id, unique
  std::string order_date;        ///< ERP local time, no offset
  std::string customer_no;
  std::string customer_email;
  std::string currency_code;
  money total_amount;
  std::vector<erp_sales_order_line> lines;
};

/// The answer of `CreateSalesOrder`.
struct erp_created_sales_order {
  std::string sales_order_no;
  erp_order_status status = erp_order_status::open;
};

/// One `StatusChange`.
struct erp_status_change {
  std::string sales_order_no;
  std::string external_order_id;
  erp_order_status status = erp_order_status::open;
  std::string tracking_no;
  std::string changed_at;
};

/// `Warehouse`.
struct erp_warehouse {
  std::string warehouse_code;
  std::string name;
  bool is_active = true;
};

/// `StockLevel`; `available` = on_hand − reserved, may be negative.
struct erp_stock_level {
  std::string item_code;
  std::string warehouse_code;
  decimal on_hand;
  decimal reserved;
  decimal available;
  bool allow_backorder = false;
  std::string modified_at;
};

/// One `PriceLine`: either a unit price or a discount off `BasePrice`.
struct erp_price_line {
  std::string item_code;
  decimal min_quantity;
  bool has_unit_price = true; ///< false: `discount_percent` applies
  money unit_price;
  decimal discount_percent;
};

/// `PriceList`: for one customer (`customer_no`) or a price group.
struct erp_price_list {
  std::string price_list_code;
  std::string customer_no; ///< set for negotiated prices
  std::string price_group; ///< set for a tier of customers
  std::string currency_code;
  std::string valid_from;
  std::string valid_to;
  std::string modified_at;
  std::vector<erp_price_line> lines;
};

/// The common parameters of every paged read.
struct erp_page_request {
  std::string modified_since; ///< inclusive; empty: from the start
  int page_size = 100;        ///< 1–1000
  std::string page_token;     ///< empty: the first page
};

/// One page of a paged read; `next_page_token` empty on the last page.
template <class T>
struct erp_page {
  std::vector<T> rows;
  std::string next_page_token;
};

/// How a call to the ERP went wrong.
enum class erp_error_kind {
  /// A `soap:Client` fault: the request is wrong; never retried as is.
  client_fault,
  /// A `soap:Server` fault (includes Throttled and Unavailable): may retry.
  server_fault,
  /// A WS-Security fault (`wsse:FailedAuthentication`,
  /// `wsse:InvalidSecurity`): credentials or clock are wrong.
  security_fault,
  /// The request went out and no answer came back (time-out or connection
  /// lost): the ERP may or may not have done it. Look it up before retrying.
  outcome_unknown,
  /// The ERP could not be reached (refused, TLS or DNS failure, connect
  /// time-out): the request was never sent.
  connection_failed,
  /// The answer was not the contract's (malformed or oversized XML, an
  /// unexpected element, a DTD or entity).
  bad_response,
  /// The request was refused before sending (our own validation).
  invalid_request,
  /// The circuit breaker is open: the call was not attempted.
  circuit_open,
  /// The connector's queue is full: the call was not attempted.
  overloaded,
};

/// The spelling used in logs and metrics ("client_fault", …).
const char* to_string(erp_error_kind x);

/// A failed ERP call, as a value.
struct erp_error {
  erp_error_kind kind = erp_error_kind::server_fault;
  erp_fault_code code = erp_fault_code::none; ///< the contract's ErrorCode
  std::string fault_code;   ///< the SOAP faultcode as sent, e.g.
                            ///< "wsse:FailedAuthentication"
  std::string message;      ///< names the operation and what went wrong
  std::string existing_key; ///< SalesOrderNo/CustomerNo of Duplicate faults

  /// Whether the same request may be sent again safely: server faults
  /// (Throttled, Unavailable, …) and connection failures. Never client,
  /// security or validation errors; outcome_unknown only for reads, which
  /// the caller decides.
  bool retryable() const;
};

} // namespace ferry
