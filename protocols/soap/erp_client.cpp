#include "protocols/soap/erp_client.hpp"

#include "protocols/soap/erp_convert.hpp"
#include "protocols/soap/erp_wsse.hpp"
#include "soapErpBindingProxy.h"

#include <cstring>
#include <ctime>
#include <mutex>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <sstream>

namespace ferry {

namespace {

// Nesting deeper than this is not the contract's shape (a guard against
// stack exhaustion by hostile XML).
constexpr unsigned max_xml_depth = 32;

void init_openssl_once() {
  static std::once_flag flag;
  std::call_once(flag, [] { soap_ssl_init(); });
}

bool is_transport_error(int code) {
  return code == SOAP_EOF || code == SOAP_TCP_ERROR || code == SOAP_SSL_ERROR;
}

// What the I/O hooks of one soap context observed during a call.
struct io_watch {
  int (*socket_send)(struct soap*, const char*, size_t) = nullptr;
  size_t (*socket_recv)(struct soap*, char*, size_t) = nullptr;
  bool sent = false;      // a request byte reached the socket
  bool dtd = false;       // the answer carried a DTD (refused, never parsed)
  bool too_large = false; // the answer exceeded `limit` bytes
  std::size_t received = 0;
  std::size_t limit = 16u << 20;
  std::string tail; // the end of the previous chunk, for split markers

  void reset() {
    sent = false;
    dtd = false;
    too_large = false;
    received = 0;
    tail.clear();
  }

  // Hooks `ctx`: counts sent bytes and refuses any DTD in the answer, so
  // that no entity (internal or external) is ever expanded.
  void attach(struct soap* ctx) {
    ctx->user = this;
    socket_send = ctx->fsend;
    socket_recv = ctx->frecv;
    ctx->fsend = [](struct soap* c, const char* data, size_t n) -> int {
      auto* self = static_cast<io_watch*>(c->user);
      self->sent = true;
      return self->socket_send(c, data, n);
    };
    ctx->frecv = [](struct soap* c, char* buf, size_t len) -> size_t {
      auto* self = static_cast<io_watch*>(c->user);
      size_t n = self->socket_recv(c, buf, len);
      self->received += n;
      if (self->received > self->limit) {
        self->too_large = true;
        return 0;
      }
      // The markers are searched in the chunk and across its seam with the
      // previous one, without copying the chunk (this runs on every read).
      std::string_view chunk{buf, n};
      char joined[16];
      auto head = std::min<std::size_t>(n, 8);
      std::memcpy(joined, self->tail.data(), self->tail.size());
      std::memcpy(joined + self->tail.size(), buf, head);
      std::string_view seam{joined, self->tail.size() + head};
      for (std::string_view marker : {"<!DOCTYPE", "<!ENTITY"})
        if (chunk.find(marker) != std::string_view::npos ||
            seam.find(marker) != std::string_view::npos) {
          self->dtd = true;
          return 0;
        }
      auto rest = n >= 8 ? chunk : seam;
      self->tail.assign(
          rest.substr(rest.size() - std::min<std::size_t>(rest.size(), 8)));
      return n;
    };
  }
};

bool ends_with(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() &&
         text.substr(text.size() - suffix.size()) == suffix;
}

// Turns the state of a failed call into a typed error. `sent` says whether
// any request byte reached the socket: a failure after that leaves the
// outcome unknown.
erp_error classify(struct soap* ctx, std::string_view operation,
                   const io_watch& io) {
  erp_error e;
  int code = ctx->error;
  bool sent = io.sent;
  std::string op{operation};
  if (io.dtd) {
    e.kind = erp_error_kind::bad_response;
    e.message = op + ": the answer carries a DTD; entities are never resolved";
    return e;
  }
  if (io.too_large) {
    e.kind = erp_error_kind::bad_response;
    e.message = op + ": the answer is larger than " + std::to_string(io.limit) +
                " bytes";
    return e;
  }
  // gSOAP reports soap:Client/soap:Server faults as SOAP_CLI_FAULT/
  // SOAP_SVR_FAULT and any other faultcode as SOAP_FAULT.
  if (code == SOAP_FAULT || code == SOAP_CLI_FAULT || code == SOAP_SVR_FAULT) {
    const char** fault_code = soap_faultcode(ctx);
    const char** fault_string = soap_faultstring(ctx);
    e.fault_code = fault_code && *fault_code ? *fault_code : "";
    std::string text = fault_string && *fault_string ? *fault_string : "";
    if (e.fault_code.find("FailedAuthentication") != std::string::npos ||
        e.fault_code.find("InvalidSecurity") != std::string::npos ||
        e.fault_code.rfind("wsse:", 0) == 0)
      e.kind = erp_error_kind::security_fault;
    else if (ends_with(e.fault_code, ":Client") || e.fault_code == "Client")
      e.kind = erp_error_kind::client_fault;
    else
      e.kind = erp_error_kind::server_fault;
    if (ctx->fault && ctx->fault->detail && ctx->fault->detail->erp__ErpFault) {
      const auto* detail = ctx->fault->detail->erp__ErpFault;
      e.code = soap::from_soap(detail->ErrorCode);
      if (!detail->Message.empty())
        text = detail->Message;
      if (detail->SalesOrderNo)
        e.existing_key = *detail->SalesOrderNo;
      else if (detail->CustomerNo)
        e.existing_key = *detail->CustomerNo;
    }
    e.message = op + ": " + e.fault_code + " fault: " + text;
    return e;
  }
  if (is_transport_error(code)) {
    e.kind = sent ? erp_error_kind::outcome_unknown
                  : erp_error_kind::connection_failed;
    const char* detail = ctx->errnum != 0 ? std::strerror(ctx->errnum)
                                          : "timed out or connection closed";
    e.message = op +
                (sent ? ": no answer after the request was sent ("
                      : ": could not reach the ERP (") +
                detail + ")";
    return e;
  }
  if (code >= 100 && code < 600) {
    // An HTTP status without a SOAP body (a proxy or an ERP in outage).
    e.kind = code >= 500 ? erp_error_kind::server_fault
                         : erp_error_kind::bad_response;
    if (code == 503)
      e.code = erp_fault_code::unavailable;
    e.message =
        op + ": HTTP status " + std::to_string(code) + " without a SOAP answer";
    return e;
  }
  e.kind = erp_error_kind::bad_response;
  const char** fault_string = soap_faultstring(ctx);
  e.message = op + ": the answer is not the contract's (gSOAP error " +
              std::to_string(code) + ": " +
              (fault_string && *fault_string ? *fault_string : "") + ")";
  return e;
}

erp_error invalid_request(std::string_view operation, std::string what) {
  erp_error e;
  e.kind = erp_error_kind::invalid_request;
  e.code = erp_fault_code::validation;
  e.message = std::string{operation} + ": " + std::move(what);
  return e;
}

bool valid_page(const erp_page_request& page) {
  return page.page_size >= 1 && page.page_size <= 1000;
}

std::string page_size_error(const erp_page_request& page) {
  return "PageSize " + std::to_string(page.page_size) + " is outside 1-1000";
}

// Text is UTF-8 both ways: std::string holds the UTF-8 of the XML text as
// it is. Without SOAP_C_UTFSTRING gSOAP reads "é" into the one Latin-1 byte
// 0xE9 (invalid UTF-8 for everything after it) and writes each byte of a
// UTF-8 sequence as a character of its own ("José" became "JosÃ©").
constexpr int input_mode =
    SOAP_IO_KEEPALIVE | SOAP_XML_STRICT | SOAP_C_UTFSTRING;
constexpr int output_mode = SOAP_IO_KEEPALIVE | SOAP_C_UTFSTRING;

void configure_limits(struct soap* ctx, std::size_t max_bytes) {
  ctx->recv_maxlength = max_bytes;
  ctx->maxlevel = max_xml_depth;
}

} // namespace

struct erp_client::impl {
  erp_client_settings settings;
  erp_client_test_hooks hooks;
  ErpBindingProxy proxy{input_mode, output_mode};
  io_watch io;
  // Random bytes for the next nonces, drawn from OpenSSL 64 calls' worth
  // at a time (one RAND_bytes per call cost more than the digest).
  unsigned char nonces[16 * 64];
  std::size_t nonces_used = sizeof(nonces);
  bool tls_ready = false;
  std::string tls_error;

  impl(erp_client_settings s, erp_client_test_hooks h)
      : settings(std::move(s)), hooks(std::move(h)) {
    init_openssl_once();
    struct soap* ctx = proxy.soap;
    soap::use_erp_namespaces(ctx);
    io.attach(ctx);
    io.limit = settings.max_response_bytes;
    configure_limits(ctx, settings.max_response_bytes);
    auto usec = [](std::chrono::milliseconds ms) {
      return -static_cast<int>(ms.count() * 1000);
    };
    ctx->connect_timeout = usec(settings.connect_timeout);
    ctx->send_timeout = usec(settings.call_timeout);
    ctx->recv_timeout = usec(settings.call_timeout);
    ctx->transfer_timeout = usec(settings.call_timeout);
    // The proxy keeps the endpoint pointer: it points into `settings`,
    // which lives as long as the proxy.
    proxy.soap_endpoint = settings.endpoint.c_str();
    const char* ca_file =
        settings.ca_file.empty() ? nullptr : settings.ca_file.c_str();
    const char* ca_path = ca_file ? nullptr : "/etc/ssl/certs";
    if (soap_ssl_client_context(ctx,
                                SOAP_SSL_REQUIRE_SERVER_AUTHENTICATION |
                                    SOAP_TLSv1_2 | SOAP_TLSv1_3,
                                nullptr, nullptr, ca_file, ca_path,
                                nullptr) != SOAP_OK) {
      const char** s = soap_faultstring(ctx);
      tls_error = "TLS set-up failed for CA file '" + settings.ca_file +
                  "': " + (s && *s ? *s : "unknown error");
    } else {
      tls_ready = true;
    }
  }

  void add_security_header() {
    struct soap* ctx = proxy.soap;
    proxy.soap_noheader();
    if (hooks.omit_security_header)
      return;
    std::string nonce_bytes;
    if (!hooks.fixed_nonce.empty()) {
      nonce_bytes = hooks.fixed_nonce;
    } else {
      constexpr std::size_t nonce_size = 16;
      if (nonces_used == sizeof(nonces)) {
        if (RAND_bytes(nonces, sizeof(nonces)) != 1)
          throw std::runtime_error("OpenSSL RAND_bytes failed");
        nonces_used = 0;
      }
      nonce_bytes.assign(reinterpret_cast<char*>(nonces + nonces_used),
                         nonce_size);
      nonces_used += nonce_size;
    }
    auto now = std::chrono::system_clock::now() + hooks.created_offset;
    std::string created = soap::format_utc(now);
    std::string digest =
        soap::password_digest(nonce_bytes, created, settings.password);
    soap::add_username_token(ctx, settings.username, digest, nonce_bytes,
                             created);
  }

  void cleanup() {
    soap_destroy(proxy.soap);
    soap_end(proxy.soap);
    proxy.soap_noheader();
  }

  // Runs one call: `send` performs the gSOAP call and returns its code;
  // `decode` turns the answer into the result while it is still alive.
  template <class T, class Send, class Decode>
  erp_result<T> run(std::string_view operation, Send send, Decode decode) {
    if (!tls_ready) {
      erp_error e;
      e.kind = erp_error_kind::connection_failed;
      e.message = std::string{operation} + ": " + tls_error;
      cleanup();
      return e;
    }
    io.reset();
    add_security_header();
    int rc = send();
    if (rc != SOAP_OK) {
      auto e = classify(proxy.soap, operation, io);
      // A failed exchange leaves the connection in an unknown state.
      proxy.soap_force_close_socket();
      cleanup();
      return e;
    }
    erp_result<T> result = decode();
    cleanup();
    return result;
  }

  const char* endpoint() const { return settings.endpoint.c_str(); }
};

erp_client::erp_client(erp_client_settings settings,
                       erp_client_test_hooks hooks)
    : impl_(std::make_unique<impl>(std::move(settings), std::move(hooks))) {}

erp_client::~erp_client() = default;

const std::string& erp_client::endpoint() const {
  return impl_->settings.endpoint;
}

void erp_client::disconnect() {
  impl_->proxy.soap_force_close_socket();
}

namespace {

erp_error decode_error(std::string_view operation, const std::string& what) {
  erp_error e;
  e.kind = erp_error_kind::bad_response;
  e.message =
      std::string{operation} + ": the answer is not the contract's: " + what;
  return e;
}

template <class Out, class In>
bool decode_rows(const std::vector<In*>& in, std::vector<Out>& out,
                 std::string& error) {
  out.reserve(in.size());
  for (const auto* row : in) {
    if (!row) {
      error = "an empty row";
      return false;
    }
    Out x;
    if (!soap::from_soap(*row, x, error))
      return false;
    out.push_back(std::move(x));
  }
  return true;
}

} // namespace

erp_result<erp_page<erp_item>>
erp_client::get_items(const erp_page_request& page) {
  constexpr std::string_view op = "GetItems";
  if (!valid_page(page))
    return invalid_request(op, page_size_error(page));
  auto* ctx = impl_->proxy.soap;
  _erp__GetItems req;
  req.ModifiedSince = soap::optional_text(ctx, page.modified_since);
  req.PageSize = page.page_size;
  req.PageToken = soap::optional_text(ctx, page.page_token);
  _erp__GetItemsResponse resp;
  return impl_->run<erp_page<erp_item>>(
      op,
      [&] {
        return impl_->proxy.GetItems(impl_->endpoint(), nullptr, &req, resp);
      },
      [&]() -> erp_result<erp_page<erp_item>> {
        erp_page<erp_item> result;
        std::string error;
        if (!decode_rows(resp.Item, result.rows, error))
          return decode_error(op, error);
        result.next_page_token = resp.NextPageToken ? *resp.NextPageToken : "";
        return result;
      });
}

erp_result<std::vector<erp_upsert_result>>
erp_client::upsert_items(const std::vector<erp_item>& items) {
  constexpr std::string_view op = "UpsertItems";
  if (items.empty() || items.size() > 1000)
    return invalid_request(op, "takes 1-1000 items, got " +
                                   std::to_string(items.size()));
  auto* ctx = impl_->proxy.soap;
  _erp__UpsertItems req;
  for (const auto& item : items)
    req.Item.push_back(soap::to_soap(ctx, item));
  _erp__UpsertItemsResponse resp;
  return impl_->run<std::vector<erp_upsert_result>>(
      op,
      [&] {
        return impl_->proxy.UpsertItems(impl_->endpoint(), nullptr, &req, resp);
      },
      [&]() -> erp_result<std::vector<erp_upsert_result>> {
        std::vector<erp_upsert_result> result;
        std::string error;
        if (!decode_rows(resp.Result, result, error))
          return decode_error(op, error);
        return result;
      });
}

erp_result<std::optional<erp_customer>>
erp_client::find_customer(std::string_view email) {
  constexpr std::string_view op = "FindCustomer";
  if (email.empty())
    return invalid_request(op, "Email is empty");
  _erp__FindCustomer req;
  req.Email = std::string{email};
  _erp__FindCustomerResponse resp;
  return impl_->run<std::optional<erp_customer>>(
      op,
      [&] {
        return impl_->proxy.FindCustomer(impl_->endpoint(), nullptr, &req,
                                         resp);
      },
      [&]() -> erp_result<std::optional<erp_customer>> {
        if (!resp.Customer)
          return std::optional<erp_customer>{};
        erp_customer c;
        std::string error;
        if (!soap::from_soap(*resp.Customer, c, error))
          return decode_error(op, error);
        return std::optional<erp_customer>{std::move(c)};
      });
}

erp_result<std::string>
erp_client::create_customer(const erp_customer& customer) {
  constexpr std::string_view op = "CreateCustomer";
  if (customer.email.empty())
    return invalid_request(op, "Customer.Email is empty");
  auto* ctx = impl_->proxy.soap;
  _erp__CreateCustomer req;
  req.Customer = soap::to_soap(ctx, customer);
  req.Customer->CustomerNo = nullptr;
  req.Customer->ModifiedAt = nullptr;
  _erp__CreateCustomerResponse resp;
  return impl_->run<std::string>(
      op,
      [&] {
        return impl_->proxy.CreateCustomer(impl_->endpoint(), nullptr, &req,
                                           resp);
      },
      [&]() -> erp_result<std::string> {
        if (resp.CustomerNo.empty())
          return decode_error(op, "CustomerNo is empty");
        return resp.CustomerNo;
      });
}

erp_result<std::string>
erp_client::update_customer(const erp_customer& customer) {
  constexpr std::string_view op = "UpdateCustomer";
  if (customer.customer_no.empty())
    return invalid_request(op, "Customer.CustomerNo is empty");
  auto* ctx = impl_->proxy.soap;
  _erp__UpdateCustomer req;
  req.Customer = soap::to_soap(ctx, customer);
  req.Customer->ModifiedAt = nullptr;
  _erp__UpdateCustomerResponse resp;
  return impl_->run<std::string>(
      op,
      [&] {
        return impl_->proxy.UpdateCustomer(impl_->endpoint(), nullptr, &req,
                                           resp);
      },
      [&]() -> erp_result<std::string> { return resp.ModifiedAt; });
}

erp_result<erp_page<erp_customer>>
erp_client::get_customers(const erp_page_request& page) {
  constexpr std::string_view op = "GetCustomers";
  if (!valid_page(page))
    return invalid_request(op, page_size_error(page));
  auto* ctx = impl_->proxy.soap;
  _erp__GetCustomers req;
  req.ModifiedSince = soap::optional_text(ctx, page.modified_since);
  req.PageSize = page.page_size;
  req.PageToken = soap::optional_text(ctx, page.page_token);
  _erp__GetCustomersResponse resp;
  return impl_->run<erp_page<erp_customer>>(
      op,
      [&] {
        return impl_->proxy.GetCustomers(impl_->endpoint(), nullptr, &req,
                                         resp);
      },
      [&]() -> erp_result<erp_page<erp_customer>> {
        erp_page<erp_customer> result;
        std::string error;
        if (!decode_rows(resp.Customer, result.rows, error))
          return decode_error(op, error);
        result.next_page_token = resp.NextPageToken ? *resp.NextPageToken : "";
        return result;
      });
}

erp_result<erp_created_sales_order>
erp_client::create_sales_order(const erp_sales_order& order) {
  constexpr std::string_view op = "CreateSalesOrder";
  if (order.external_order_id.empty())
    return invalid_request(op, "SalesOrder.ExternalOrderID is empty");
  if (order.lines.empty())
    return invalid_request(op, "SalesOrder " + order.external_order_id +
                                   " has no Line");
  auto* ctx = impl_->proxy.soap;
  _erp__CreateSalesOrder req;
  auto copy = order;
  copy.sales_order_no.clear(); // set by the ERP: omitted in the request
  req.SalesOrder = soap::to_soap(ctx, copy);
  _erp__CreateSalesOrderResponse resp;
  return impl_->run<erp_created_sales_order>(
      op,
      [&] {
        return impl_->proxy.CreateSalesOrder(impl_->endpoint(), nullptr, &req,
                                             resp);
      },
      [&]() -> erp_result<erp_created_sales_order> {
        if (resp.SalesOrderNo.empty())
          return decode_error(op, "SalesOrderNo is empty");
        return erp_created_sales_order{resp.SalesOrderNo,
                                       soap::from_soap(resp.Status)};
      });
}

erp_result<erp_sales_order>
erp_client::get_sales_order(std::string_view external_order_id) {
  constexpr std::string_view op = "GetSalesOrder";
  if (external_order_id.empty())
    return invalid_request(op, "ExternalOrderID is empty");
  _erp__GetSalesOrder req;
  req.ExternalOrderID = std::string{external_order_id};
  _erp__GetSalesOrderResponse resp;
  return impl_->run<erp_sales_order>(
      op,
      [&] {
        return impl_->proxy.GetSalesOrder(impl_->endpoint(), nullptr, &req,
                                          resp);
      },
      [&]() -> erp_result<erp_sales_order> {
        if (!resp.SalesOrder)
          return decode_error(op, "SalesOrder is missing");
        erp_sales_order result;
        std::string error;
        if (!soap::from_soap(*resp.SalesOrder, result, error))
          return decode_error(op, error);
        return result;
      });
}

erp_result<erp_page<erp_status_change>>
erp_client::get_sales_order_status_changes(const erp_page_request& page) {
  constexpr std::string_view op = "GetSalesOrderStatusChanges";
  if (!valid_page(page))
    return invalid_request(op, page_size_error(page));
  if (page.modified_since.empty())
    return invalid_request(op, "Since is empty");
  auto* ctx = impl_->proxy.soap;
  _erp__GetSalesOrderStatusChanges req;
  req.Since = page.modified_since;
  req.PageSize = page.page_size;
  req.PageToken = soap::optional_text(ctx, page.page_token);
  _erp__GetSalesOrderStatusChangesResponse resp;
  return impl_->run<erp_page<erp_status_change>>(
      op,
      [&] {
        return impl_->proxy.GetSalesOrderStatusChanges(impl_->endpoint(),
                                                       nullptr, &req, resp);
      },
      [&]() -> erp_result<erp_page<erp_status_change>> {
        erp_page<erp_status_change> result;
        std::string error;
        if (!decode_rows(resp.StatusChange, result.rows, error))
          return decode_error(op, error);
        result.next_page_token = resp.NextPageToken ? *resp.NextPageToken : "";
        return result;
      });
}

erp_result<std::vector<erp_warehouse>> erp_client::get_warehouses() {
  constexpr std::string_view op = "GetWarehouses";
  _erp__GetWarehouses req;
  _erp__GetWarehousesResponse resp;
  return impl_->run<std::vector<erp_warehouse>>(
      op,
      [&] {
        return impl_->proxy.GetWarehouses(impl_->endpoint(), nullptr, &req,
                                          resp);
      },
      [&]() -> erp_result<std::vector<erp_warehouse>> {
        std::vector<erp_warehouse> result;
        std::string error;
        if (!decode_rows(resp.Warehouse, result, error))
          return decode_error(op, error);
        return result;
      });
}

erp_result<erp_page<erp_stock_level>>
erp_client::get_stock_levels(const erp_page_request& page,
                             std::string_view warehouse_code) {
  constexpr std::string_view op = "GetStockLevels";
  if (!valid_page(page))
    return invalid_request(op, page_size_error(page));
  auto* ctx = impl_->proxy.soap;
  _erp__GetStockLevels req;
  req.ModifiedSince = soap::optional_text(ctx, page.modified_since);
  req.WarehouseCode = soap::optional_text(ctx, std::string{warehouse_code});
  req.PageSize = page.page_size;
  req.PageToken = soap::optional_text(ctx, page.page_token);
  _erp__GetStockLevelsResponse resp;
  return impl_->run<erp_page<erp_stock_level>>(
      op,
      [&] {
        return impl_->proxy.GetStockLevels(impl_->endpoint(), nullptr, &req,
                                           resp);
      },
      [&]() -> erp_result<erp_page<erp_stock_level>> {
        erp_page<erp_stock_level> result;
        std::string error;
        if (!decode_rows(resp.StockLevel, result.rows, error))
          return decode_error(op, error);
        result.next_page_token = resp.NextPageToken ? *resp.NextPageToken : "";
        return result;
      });
}

erp_result<erp_page<erp_price_list>>
erp_client::get_price_lists(const erp_page_request& page) {
  constexpr std::string_view op = "GetPriceLists";
  if (!valid_page(page))
    return invalid_request(op, page_size_error(page));
  auto* ctx = impl_->proxy.soap;
  _erp__GetPriceLists req;
  req.ModifiedSince = soap::optional_text(ctx, page.modified_since);
  req.PageSize = page.page_size;
  req.PageToken = soap::optional_text(ctx, page.page_token);
  _erp__GetPriceListsResponse resp;
  return impl_->run<erp_page<erp_price_list>>(
      op,
      [&] {
        return impl_->proxy.GetPriceLists(impl_->endpoint(), nullptr, &req,
                                          resp);
      },
      [&]() -> erp_result<erp_page<erp_price_list>> {
        erp_page<erp_price_list> result;
        std::string error;
        if (!decode_rows(resp.PriceList, result.rows, error))
          return decode_error(op, error);
        result.next_page_token = resp.NextPageToken ? *resp.NextPageToken : "";
        return result;
      });
}

std::optional<erp_error> decode_erp_response(std::string_view operation,
                                             std::string_view bytes) {
  ErpBindingProxy proxy{input_mode, output_mode};
  struct soap* ctx = proxy.soap;
  soap::use_erp_namespaces(ctx);
  configure_limits(ctx, 16u << 20);
  std::istringstream in{std::string{bytes}};
  ctx->is = &in;
  io_watch io;
  io.attach(ctx);
  io.sent = true;
  int rc = SOAP_OK;
  std::string error;
  // Each branch reads the answer of one operation as the client would.
  auto check = [&](auto& resp, auto decode) {
    if (rc == SOAP_OK)
      decode(resp);
  };
  if (operation == "CreateSalesOrder") {
    _erp__CreateSalesOrderResponse resp;
    rc = proxy.recv_CreateSalesOrder(resp);
  } else if (operation == "GetSalesOrder") {
    _erp__GetSalesOrderResponse resp;
    rc = proxy.recv_GetSalesOrder(resp);
    check(resp, [&](auto& r) {
      erp_sales_order o;
      if (!r.SalesOrder)
        error = "SalesOrder is missing";
      else
        soap::from_soap(*r.SalesOrder, o, error);
    });
  } else if (operation == "GetItems") {
    _erp__GetItemsResponse resp;
    rc = proxy.recv_GetItems(resp);
    check(resp, [&](auto& r) {
      std::vector<erp_item> rows;
      decode_rows(r.Item, rows, error);
    });
  } else if (operation == "GetPriceLists") {
    _erp__GetPriceListsResponse resp;
    rc = proxy.recv_GetPriceLists(resp);
    check(resp, [&](auto& r) {
      std::vector<erp_price_list> rows;
      decode_rows(r.PriceList, rows, error);
    });
  } else if (operation == "GetStockLevels") {
    _erp__GetStockLevelsResponse resp;
    rc = proxy.recv_GetStockLevels(resp);
    check(resp, [&](auto& r) {
      std::vector<erp_stock_level> rows;
      decode_rows(r.StockLevel, rows, error);
    });
  } else if (operation == "FindCustomer") {
    _erp__FindCustomerResponse resp;
    rc = proxy.recv_FindCustomer(resp);
  } else {
    return invalid_request(operation, "no decoder for this operation");
  }
  std::optional<erp_error> result;
  if (rc != SOAP_OK)
    result = classify(ctx, operation, io);
  else if (!error.empty())
    result = decode_error(operation, error);
  soap_destroy(ctx);
  soap_end(ctx);
  ctx->is = nullptr;
  return result;
}

} // namespace ferry
