#pragma once

#include "mapping/erp_types.hpp"

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace ferry {

/// A value or the erp_error saying why there is none.
template <class T>
class erp_result {
public:
  /// A success.
  erp_result(T value) : v_(std::move(value)) {}
  /// A failure.
  erp_result(erp_error error) : v_(std::move(error)) {}
  /// Whether the call succeeded.
  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  /// The value; only when ok().
  T& value() { return std::get<0>(v_); }
  /// The value; only when ok().
  const T& value() const { return std::get<0>(v_); }
  /// The error; only when !ok().
  const erp_error& error() const { return std::get<1>(v_); }

private:
  std::variant<T, erp_error> v_;
};

/// How to reach the ERP. The password never appears in a log or an error.
struct erp_client_settings {
  /// `https://host:port/path` of the ERP's SOAP endpoint.
  std::string endpoint;
  std::string username;
  std::string password;
  /// PEM file of the CA that signed the ERP's certificate (the simulator's
  /// self-signed certificate in tests); empty: the system's CAs.
  std::string ca_file;
  /// TCP connect plus TLS handshake.
  std::chrono::milliseconds connect_timeout{5000};
  /// Sending the request and receiving the whole answer, after connecting.
  std::chrono::milliseconds call_timeout{10000};
  /// Answers larger than this are refused as bad_response.
  std::size_t max_response_bytes = 16u << 20;
};

/// Deliberate deviations from the WS-Security profile, for the tests that
/// check the ERP rejects them. Production code never sets these.
struct erp_client_test_hooks {
  /// Sends no wsse:Security header at all.
  bool omit_security_header = false;
  /// Added to the clock for `wsu:Created` (stale or future timestamps).
  std::chrono::seconds created_offset{0};
  /// Raw nonce bytes to use instead of fresh random ones (replays).
  std::string fixed_nonce;
};

/// A blocking client of the ERP's SOAP API (docs/contracts.md),
/// one method per operation. Each call carries a WS-Security UsernameToken
/// with a fresh 16-byte nonce from OpenSSL's CSPRNG. One instance is one ERP
/// session (one kept-alive TLS connection): not thread-safe, use one per
/// thread. Never call it on an actor scheduler thread.
class erp_client {
public:
  /// A client for `settings`; connects lazily on the first call.
  explicit erp_client(erp_client_settings settings,
                      erp_client_test_hooks hooks = {});
  ~erp_client();
  erp_client(const erp_client&) = delete;
  erp_client& operator=(const erp_client&) = delete;

  /// GetItems: items modified since `page.modified_since`, oldest first.
  erp_result<erp_page<erp_item>> get_items(const erp_page_request& page);
  /// UpsertItems: 1–1000 items; one result per item.
  erp_result<std::vector<erp_upsert_result>>
  upsert_items(const std::vector<erp_item>& items);
  /// FindCustomer: the customer with this email (case-insensitive), if any.
  erp_result<std::optional<erp_customer>> find_customer(std::string_view email);
  /// CreateCustomer: the new CustomerNo.
  erp_result<std::string> create_customer(const erp_customer& customer);
  /// UpdateCustomer: the new ModifiedAt.
  erp_result<std::string> update_customer(const erp_customer& customer);
  /// GetCustomers: customers modified since `page.modified_since`.
  erp_result<erp_page<erp_customer>>
  get_customers(const erp_page_request& page);
  /// CreateSalesOrder: the ERP's SalesOrderNo and Status.
  erp_result<erp_created_sales_order>
  create_sales_order(const erp_sales_order& order);
  /// GetSalesOrder: the order with this ExternalOrderID (NotFound fault if
  /// none).
  erp_result<erp_sales_order>
  get_sales_order(std::string_view external_order_id);
  /// GetSalesOrderStatusChanges: `page.modified_since` is `Since` (required).
  erp_result<erp_page<erp_status_change>>
  get_sales_order_status_changes(const erp_page_request& page);
  /// GetWarehouses.
  erp_result<std::vector<erp_warehouse>> get_warehouses();
  /// GetStockLevels, of one warehouse when `warehouse_code` is not empty.
  erp_result<erp_page<erp_stock_level>>
  get_stock_levels(const erp_page_request& page,
                   std::string_view warehouse_code = {});
  /// GetPriceLists.
  erp_result<erp_page<erp_price_list>>
  get_price_lists(const erp_page_request& page);

  /// Closes the kept-alive connection (the next call reconnects).
  void disconnect();

  /// The endpoint this client talks to.
  const std::string& endpoint() const;

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

/// Decodes `bytes` as the complete HTTP answer to `operation`
/// ("CreateSalesOrder", "GetItems", …) without any network: erp_client's
/// response path, for the fuzz target and the bad-input tests. Returns the
/// error the client would report, or nullopt when the answer decoded.
std::optional<erp_error> decode_erp_response(std::string_view operation,
                                             std::string_view bytes);

} // namespace ferry
