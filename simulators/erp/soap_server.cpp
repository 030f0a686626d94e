#include "simulators/erp/soap_server.hpp"

#include "mapping/product_mapping.hpp"
#include "mapping/utf8.hpp"
#include "protocols/soap/erp_convert.hpp"
#include "protocols/soap/erp_wsdl.hpp"
#include "protocols/soap/erp_wsse.hpp"
#include "soapErpBindingService.h"
#include "wsseapi.h"

#include <cstring>
#include <deque>
#include <iostream>
#include <map>
#include <mutex>
#include <openssl/crypto.h>
#include <optional>
#include <set>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>
#include <unordered_set>

namespace ferry::sim {

namespace {

constexpr auto security_window = std::chrono::minutes{5};

// Nonces seen within the window, per the contract's replay rule (the
// gSOAP plugin's own check uses the real clock, not the ERP's).
class nonce_cache {
public:
  /// False when `nonce` was seen within the window.
  bool remember(const std::string& nonce,
                std::chrono::system_clock::time_point now) {
    std::lock_guard<std::mutex> guard{mtx_};
    // Oldest first: expiring stops at the first nonce still inside the
    // window, so a call costs O(1) however many calls the window holds.
    while (!order_.empty() &&
           now - order_.front().first > 2 * security_window) {
      seen_.erase(order_.front().second);
      order_.pop_front();
    }
    if (!seen_.insert(nonce).second)
      return false;
    order_.emplace_back(now, nonce);
    return true;
  }

private:
  std::mutex mtx_;
  std::unordered_set<std::string> seen_;
  std::deque<std::pair<std::chrono::system_clock::time_point, std::string>>
      order_;
};

// Connections open right now, so that an outage can cut them.
class connection_set {
public:
  void add(int fd) {
    std::lock_guard<std::mutex> guard{mtx_};
    fds_.insert(fd);
  }
  void remove(int fd) {
    std::lock_guard<std::mutex> guard{mtx_};
    fds_.erase(fd);
  }
  void cut_all() {
    std::lock_guard<std::mutex> guard{mtx_};
    for (int fd : fds_)
      ::shutdown(fd, SHUT_RDWR);
  }

private:
  std::mutex mtx_;
  std::set<int> fds_;
};

struct shared_state {
  sim_store* store;
  knob_board* knobs;
  sim_credentials creds;
  nonce_cache nonces;
  connection_set connections;
};

std::optional<std::chrono::system_clock::time_point>
since_of(const std::string* text, bool& bad) {
  bad = false;
  if (!text)
    return std::nullopt;
  std::chrono::system_clock::time_point t;
  if (!soap::parse_utc(*text, t)) {
    bad = true;
    return std::nullopt;
  }
  return t;
}

// The first of `fields` (name, text) that is not UTF-8, or nullptr.
const char* not_utf8(
    std::initializer_list<std::pair<const char*, const std::string*>> fields) {
  for (const auto& [name, text] : fields)
    if (!mapping::is_valid_utf8(*text))
      return name;
  return nullptr;
}

const char* not_utf8(const erp_item& x) {
  return not_utf8({{"Item.ItemCode", &x.item_code},
                   {"Item.ItemName", &x.item_name},
                   {"Item.Description", &x.description}});
}

const char* not_utf8(const erp_customer& x) {
  return not_utf8({{"Customer.CustomerNo", &x.customer_no},
                   {"Customer.Email", &x.email},
                   {"Customer.FirstName", &x.first_name},
                   {"Customer.LastName", &x.last_name},
                   {"Customer.Company", &x.company},
                   {"Customer.Phone", &x.phone},
                   {"Customer.ExternalCustomerID", &x.external_customer_id},
                   {"Customer.PriceGroup", &x.price_group}});
}

const char* not_utf8(const erp_sales_order& x) {
  if (auto* field =
          not_utf8({{"SalesOrder.ExternalOrderID", &x.external_order_id},
                    {"SalesOrder.CustomerNo", &x.customer_no},
                    {"SalesOrder.CustomerEmail", &x.customer_email},
                    {"SalesOrder.CurrencyCode", &x.currency_code}}))
    return field;
  for (const auto& line : x.lines)
    if (!mapping::is_valid_utf8(line.item_code))
      return "SalesOrder.Line.ItemCode";
  return nullptr;
}

// `text` with the bytes that are not UTF-8 replaced by U+FFFD: what the
// ERP may echo of a request it refuses.
std::string printable(const std::string& text) {
  if (mapping::is_valid_utf8(text))
    return text;
  return nlohmann::json::parse(
             nlohmann::json(text).dump(
                 -1, ' ', false, nlohmann::json::error_handler_t::replace))
      .get<std::string>();
}

// gSOAP's errors for a request that does not match the schema.
bool is_schema_error(int code) {
  switch (code) {
    case SOAP_TAG_MISMATCH:
    case SOAP_TYPE:
    case SOAP_SYNTAX_ERROR:
    case SOAP_NO_TAG:
    case SOAP_NAMESPACE:
    case SOAP_NO_METHOD:
    case SOAP_NULL:
    case SOAP_DUPLICATE_ID:
    case SOAP_MISSING_ID:
    case SOAP_HREF:
    case SOAP_REQUIRED:
    case SOAP_PROHIBITED:
    case SOAP_OCCURS:
    case SOAP_LENGTH:
    case SOAP_PATTERN:
    case SOAP_UTF_ERROR:
    case SOAP_FIXED:
    case SOAP_EMPTY:
      return true;
    default:
      return false;
  }
}

bool is_server_fault(erp_fault_code code) {
  return code == erp_fault_code::throttled ||
         code == erp_fault_code::unavailable;
}

class sim_service : public ErpBindingService {
public:
  explicit sim_service(shared_state* state)
      // UTF-8 both ways: std::string holds the UTF-8 of the XML text as it
      // is (without SOAP_C_UTFSTRING, "é" arrived as the Latin-1 byte 0xE9).
      : ErpBindingService(SOAP_IO_KEEPALIVE | SOAP_XML_STRICT |
                              SOAP_C_UTFSTRING,
                          SOAP_IO_KEEPALIVE | SOAP_C_UTFSTRING),
        state_(state) {}

  // Every refusal is the contract's fault with its ErpFault detail, also
  // one gSOAP finds while reading the request against the schema (a
  // PageSize outside 1-1000); a request the simulator fails on is a
  // soap:Server fault, never the end of the process.
  int dispatch() override {
    int rc = SOAP_OK;
    try {
      rc = ErpBindingService::dispatch();
    } catch (const std::exception& e) {
      return fault({erp_fault_code::unavailable,
                    std::string{"the ERP failed on the request: "} + e.what(),
                    ""});
    }
    if (rc == SOAP_OK || !is_schema_error(rc))
      return rc;
    std::string element = soap->tag;
    soap_set_fault(soap);
    const char** text = soap_faultstring(soap);
    std::string what = text && *text ? *text : "not the contract's";
    auto colon = element.find(':');
    std::string field =
        colon == std::string::npos ? element : element.substr(colon + 1);
    if (field == "PageSize")
      return fault({erp_fault_code::validation,
                    "PageSize must be 1-1000 (" + printable(what) + ")", ""});
    return fault(
        {erp_fault_code::validation,
         "the request does not match the ERP's schema" +
             (field.empty() ? std::string{} : " at " + printable(field)) +
             ": " + printable(what),
         ""});
  }
  // A service with its own soap context copied from this one (socket,
  // TLS context, callbacks): one per connection thread.
  ErpBindingService* copy() override {
    auto* dup = new sim_service(state_);
    soap_done(dup->soap);
    soap_copy_context(dup->soap, soap);
    return dup;
  }

  int GetItems(_erp__GetItems* req, _erp__GetItemsResponse& resp) override {
    call c{this, "GetItems"};
    if (c.rc)
      return c.rc;
    bool bad = false;
    auto since = since_of(req->ModifiedSince, bad);
    if (bad)
      return fault({erp_fault_code::validation,
                    "ModifiedSince is not UTC xs:dateTime", ""});
    sim_fault f;
    auto page = state_->store->get_items(
        since, req->PageSize, req->PageToken ? *req->PageToken : "", f);
    if (f)
      return fault(f);
    for (const auto& x : page.rows)
      resp.Item.push_back(soap::to_soap(soap, x));
    resp.NextPageToken = soap::optional_text(soap, page.next_page_token);
    return c.done();
  }

  int UpsertItems(_erp__UpsertItems* req,
                  _erp__UpsertItemsResponse& resp) override {
    call c{this, "UpsertItems"};
    if (c.rc)
      return c.rc;
    // One Result per item, in order: a bad item is an Error result of its
    // own and the others are stored.
    std::vector<std::optional<erp_upsert_result>> refused(req->Item.size());
    std::vector<erp_item> items;
    for (std::size_t i = 0; i < req->Item.size(); ++i) {
      const auto* x = req->Item[i];
      erp_item item;
      std::string error;
      if (!x)
        error = "an empty Item";
      else if (!soap::from_soap(*x, item, error))
        error = "Item " + printable(x->ItemCode) + ": " + error;
      else if (auto* field = not_utf8(item))
        error = "Item " + printable(item.item_code) + ": " + field +
                " is not UTF-8";
      if (!error.empty()) {
        erp_upsert_result r;
        r.item_code = x ? printable(x->ItemCode) : "";
        r.outcome = erp_upsert_outcome::error;
        r.error_code = erp_fault_code::validation;
        r.message = error;
        refused[i] = r;
        continue;
      }
      items.push_back(std::move(item));
    }
    auto stored = state_->store->upsert_items(items, state_->knobs->now());
    std::size_t next = 0;
    for (const auto& r : refused)
      resp.Result.push_back(soap::to_soap(soap, r ? *r : stored.at(next++)));
    return c.done();
  }

  int FindCustomer(_erp__FindCustomer* req,
                   _erp__FindCustomerResponse& resp) override {
    call c{this, "FindCustomer"};
    if (c.rc)
      return c.rc;
    if (auto found = state_->store->find_customer(req->Email))
      resp.Customer = soap::to_soap(soap, *found);
    return c.done();
  }

  int CreateCustomer(_erp__CreateCustomer* req,
                     _erp__CreateCustomerResponse& resp) override {
    call c{this, "CreateCustomer"};
    if (c.rc)
      return c.rc;
    erp_customer customer;
    std::string error;
    if (!req->Customer || !soap::from_soap(*req->Customer, customer, error))
      return fault({erp_fault_code::validation, "Customer: " + error, ""});
    if (auto* field = not_utf8(customer))
      return fault({erp_fault_code::validation,
                    std::string{field} + " is not UTF-8", ""});
    sim_fault f;
    resp.CustomerNo =
        state_->store->create_customer(customer, state_->knobs->now(), f);
    if (f)
      return fault(f);
    return c.done();
  }

  int UpdateCustomer(_erp__UpdateCustomer* req,
                     _erp__UpdateCustomerResponse& resp) override {
    call c{this, "UpdateCustomer"};
    if (c.rc)
      return c.rc;
    erp_customer customer;
    std::string error;
    if (!req->Customer || !soap::from_soap(*req->Customer, customer, error))
      return fault({erp_fault_code::validation, "Customer: " + error, ""});
    if (auto* field = not_utf8(customer))
      return fault({erp_fault_code::validation,
                    std::string{field} + " is not UTF-8", ""});
    sim_fault f;
    resp.ModifiedAt =
        state_->store->update_customer(customer, state_->knobs->now(), f);
    if (f)
      return fault(f);
    return c.done();
  }

  int GetCustomers(_erp__GetCustomers* req,
                   _erp__GetCustomersResponse& resp) override {
    call c{this, "GetCustomers"};
    if (c.rc)
      return c.rc;
    bool bad = false;
    auto since = since_of(req->ModifiedSince, bad);
    if (bad)
      return fault({erp_fault_code::validation,
                    "ModifiedSince is not UTC xs:dateTime", ""});
    sim_fault f;
    auto page = state_->store->get_customers(
        since, req->PageSize, req->PageToken ? *req->PageToken : "", f);
    if (f)
      return fault(f);
    for (const auto& x : page.rows)
      resp.Customer.push_back(soap::to_soap(soap, x));
    resp.NextPageToken = soap::optional_text(soap, page.next_page_token);
    return c.done();
  }

  int CreateSalesOrder(_erp__CreateSalesOrder* req,
                       _erp__CreateSalesOrderResponse& resp) override {
    call c{this, "CreateSalesOrder"};
    if (c.rc)
      return c.rc;
    erp_sales_order order;
    std::string error;
    if (!req->SalesOrder || !soap::from_soap(*req->SalesOrder, order, error))
      return fault({erp_fault_code::validation, error, ""});
    if (auto* field = not_utf8(order))
      return fault({erp_fault_code::validation,
                    std::string{field} + " is not UTF-8", ""});
    sim_fault f;
    auto created =
        state_->store->create_sales_order(order, state_->knobs->now(), f);
    if (f)
      return fault(f);
    resp.SalesOrderNo = created.sales_order_no;
    resp.Status = soap::to_soap(created.status);
    return c.done();
  }

  int GetSalesOrder(_erp__GetSalesOrder* req,
                    _erp__GetSalesOrderResponse& resp) override {
    call c{this, "GetSalesOrder"};
    if (c.rc)
      return c.rc;
    sim_fault f;
    auto order = state_->store->get_sales_order(req->ExternalOrderID, f);
    if (f)
      return fault(f);
    resp.SalesOrder = soap::to_soap(soap, order);
    return c.done();
  }

  int GetSalesOrderStatusChanges(
      _erp__GetSalesOrderStatusChanges* req,
      _erp__GetSalesOrderStatusChangesResponse& resp) override {
    call c{this, "GetSalesOrderStatusChanges"};
    if (c.rc)
      return c.rc;
    std::chrono::system_clock::time_point since;
    if (!soap::parse_utc(req->Since, since))
      return fault(
          {erp_fault_code::validation, "Since is not UTC xs:dateTime", ""});
    sim_fault f;
    auto page = state_->store->get_status_changes(
        since, req->PageSize, req->PageToken ? *req->PageToken : "", f);
    if (f)
      return fault(f);
    for (const auto& x : page.rows)
      resp.StatusChange.push_back(soap::to_soap(soap, x));
    resp.NextPageToken = soap::optional_text(soap, page.next_page_token);
    return c.done();
  }

  int GetWarehouses(_erp__GetWarehouses*,
                    _erp__GetWarehousesResponse& resp) override {
    call c{this, "GetWarehouses"};
    if (c.rc)
      return c.rc;
    for (const auto& x : state_->store->get_warehouses())
      resp.Warehouse.push_back(soap::to_soap(soap, x));
    return c.done();
  }

  int GetStockLevels(_erp__GetStockLevels* req,
                     _erp__GetStockLevelsResponse& resp) override {
    call c{this, "GetStockLevels"};
    if (c.rc)
      return c.rc;
    bool bad = false;
    auto since = since_of(req->ModifiedSince, bad);
    if (bad)
      return fault({erp_fault_code::validation,
                    "ModifiedSince is not UTC xs:dateTime", ""});
    sim_fault f;
    auto page = state_->store->get_stock_levels(
        since, req->WarehouseCode ? *req->WarehouseCode : "", req->PageSize,
        req->PageToken ? *req->PageToken : "", f);
    if (f)
      return fault(f);
    for (const auto& x : page.rows)
      resp.StockLevel.push_back(soap::to_soap(soap, x));
    resp.NextPageToken = soap::optional_text(soap, page.next_page_token);
    return c.done();
  }

  int GetPriceLists(_erp__GetPriceLists* req,
                    _erp__GetPriceListsResponse& resp) override {
    call c{this, "GetPriceLists"};
    if (c.rc)
      return c.rc;
    bool bad = false;
    auto since = since_of(req->ModifiedSince, bad);
    if (bad)
      return fault({erp_fault_code::validation,
                    "ModifiedSince is not UTC xs:dateTime", ""});
    sim_fault f;
    auto page = state_->store->get_price_lists(
        since, req->PageSize, req->PageToken ? *req->PageToken : "", f);
    if (f)
      return fault(f);
    for (const auto& x : page.rows)
      resp.PriceList.push_back(soap::to_soap(soap, x));
    resp.NextPageToken = soap::optional_text(soap, page.next_page_token);
    return c.done();
  }

  // The contract's fault: soap:Client or soap:Server with ErpFault detail.
  int fault(const sim_fault& f) {
    if (is_server_fault(f.code))
      soap_receiver_fault(soap, f.message.c_str(), nullptr);
    else
      soap_sender_fault(soap, f.message.c_str(), nullptr);
    auto* detail = soap_new_SOAP_ENV__Detail(soap);
    auto* erp = soap_new__erp__ErpFault(soap);
    erp->ErrorCode = soap::to_soap(f.code);
    erp->Message = f.message;
    if (f.code == erp_fault_code::duplicate_external_order_id)
      erp->SalesOrderNo = soap::optional_text(soap, f.existing_key);
    if (f.code == erp_fault_code::duplicate_customer)
      erp->CustomerNo = soap::optional_text(soap, f.existing_key);
    detail->erp__ErpFault = erp;
    soap->fault->detail = detail;
    return SOAP_FAULT;
  }

private:
  // Everything common to a call: counting, outage, throttling,
  // WS-Security, added latency and injected faults; done() applies
  // "commit but drop the response".
  struct call {
    sim_service* self;
    std::string operation;
    int rc = SOAP_OK;
    bool counted = false;

    call(sim_service* s, std::string op) : self(s), operation(std::move(op)) {
      auto* st = self->state_;
      st->knobs->count_request(operation);
      auto knobs = st->knobs->get();
      if (knobs.outage == "503") {
        soap_send_empty_response(self->soap, 503);
        rc = SOAP_STOP;
        return;
      }
      counted = true;
      int now_in_flight = ++st->knobs->in_flight;
      if (now_in_flight > knobs.throttle_above) {
        rc = self->fault({erp_fault_code::throttled,
                          "more than " + std::to_string(knobs.throttle_above) +
                              " concurrent sessions",
                          ""});
        soap::drop_security_header(self->soap);
        return;
      }
      // SOAPAction is the operation's name (gSOAP has taken the quotes
      // off); the body's element alone does not make the call.
      const char* action = self->soap->action;
      if (!action || operation != action) {
        rc = self->fault({erp_fault_code::validation,
                          "SOAPAction must be \"" + operation + "\" for " +
                              operation +
                              (action ? ", got \"" + printable(action) + "\""
                                      : std::string{", got none"}),
                          ""});
        soap::drop_security_header(self->soap);
        return;
      }
      rc = self->check_security();
      soap::drop_security_header(self->soap);
      if (rc)
        return;
      auto delay = st->knobs->draw_latency();
      if (delay.count() > 0)
        std::this_thread::sleep_for(delay);
      auto injected = st->knobs->draw_fault(operation);
      if (injected != erp_fault_code::none)
        rc = self->fault({injected,
                          "injected " + std::string{to_string(injected)} +
                              " fault for " + operation,
                          ""});
    }
    ~call() {
      if (counted)
        --self->state_->knobs->in_flight;
    }

    int done() {
      auto knobs = self->state_->knobs->get();
      if (!knobs.drop_response.count(operation))
        return SOAP_OK;
      // The effect is committed; the caller never hears of it.
      std::this_thread::sleep_for(
          std::chrono::milliseconds{knobs.drop_hold_ms});
      ::shutdown(self->soap->socket, SHUT_RDWR);
      return SOAP_STOP;
    }
  };

  int security_fault(const char* code, const std::string& message) {
    return soap_sender_fault_subcode(soap, code, message.c_str(), nullptr);
  }

  int check_security() {
    auto token = soap::read_username_token(soap);
    if (!token.present)
      return security_fault(
          "wsse:InvalidSecurity",
          "the wsse:Security header with a UsernameToken is missing");
    const auto& creds = state_->creds;
    std::string nonce;
    std::chrono::system_clock::time_point created;
    if (token.username != creds.username || !token.digest ||
        !soap::base64_decode(token.nonce_base64, nonce) || nonce.size() < 16 ||
        !soap::parse_utc(token.created, created))
      return security_fault("wsse:FailedAuthentication",
                            "the security token could not be authenticated");
    auto expected = soap::password_digest(nonce, token.created, creds.password);
    if (expected.size() != token.password.size() ||
        CRYPTO_memcmp(expected.data(), token.password.data(),
                      expected.size()) != 0)
      return security_fault("wsse:FailedAuthentication",
                            "the security token could not be authenticated");
    auto now = state_->knobs->now();
    if (created > now + security_window || created < now - security_window)
      return security_fault(
          "wsse:FailedAuthentication",
          "wsu:Created is more than 5 minutes from the ERP's clock");
    if (!state_->nonces.remember(token.nonce_base64, now))
      return security_fault("wsse:FailedAuthentication",
                            "the nonce was already used");
    return SOAP_OK;
  }

  shared_state* state_;
};

int serve_wsdl(struct soap* ctx) {
  std::string path = ctx->path;
  auto q = path.find('?');
  if (q == std::string::npos || path.substr(q + 1) != "wsdl")
    return 404;
  const char* doc = soap::erp_wsdl_document();
  ctx->http_content = "text/xml; charset=utf-8";
  if (soap_response(ctx, SOAP_FILE) || soap_send(ctx, doc) ||
      soap_end_send(ctx))
    return soap_closesock(ctx);
  return SOAP_OK;
}

} // namespace

struct soap_server::impl {
  shared_state state;
  sim_service service;
  std::string key_file;
  int port = 0;
  bool listening = false;
  std::atomic<bool> stopping{false};

  impl(sim_store& store, knob_board& knobs, sim_credentials creds,
       std::string key)
      : state{&store, &knobs, std::move(creds), {}, {}},
        service(&state),
        key_file(std::move(key)) {}
};

soap_server::soap_server(sim_store& store, knob_board& knobs,
                         sim_credentials creds, std::string key_file)
    : impl_(new impl(store, knobs, std::move(creds), std::move(key_file))) {
  soap_ssl_init();
  struct soap* ctx = impl_->service.soap;
  soap::use_erp_namespaces(ctx);
  ctx->bind_flags = SO_REUSEADDR;
  ctx->accept_timeout = -200000; // 200 ms: the loop re-checks the outage knob
  ctx->recv_timeout = 120;
  ctx->send_timeout = 60;
  ctx->max_keep_alive = 100000;
  ctx->fget = serve_wsdl;
  if (soap_ssl_server_context(ctx,
                              SOAP_SSL_DEFAULT | SOAP_TLSv1_2 | SOAP_TLSv1_3,
                              impl_->key_file.c_str(), nullptr, nullptr,
                              nullptr, nullptr, nullptr, nullptr)) {
    char buf[512];
    soap_sprint_fault(ctx, buf, sizeof(buf));
    throw std::runtime_error("TLS server set-up failed with key file " +
                             impl_->key_file + ": " + buf);
  }
}

soap_server::~soap_server() {
  delete impl_;
}

int soap_server::bind(int port) {
  auto& s = impl_->service;
  if (!soap_valid_socket(s.bind("127.0.0.1", port, 128))) {
    char buf[512];
    soap_sprint_fault(s.soap, buf, sizeof(buf));
    throw std::runtime_error("cannot bind the SOAP port " +
                             std::to_string(port) + ": " + buf);
  }
  if (port == 0) {
    sockaddr_in addr{};
    socklen_t len = sizeof(addr);
    ::getsockname(s.soap->master, reinterpret_cast<sockaddr*>(&addr), &len);
    port = ntohs(addr.sin_port);
  }
  impl_->port = port;
  impl_->listening = true;
  return port;
}

void soap_server::stop() {
  impl_->stopping = true;
}

void soap_server::run() {
  auto& s = impl_->service;
  auto& state = impl_->state;
  while (!impl_->stopping) {
    bool refuse = state.knobs->get().outage == "refuse";
    if (refuse && impl_->listening) {
      ::close(s.soap->master);
      s.soap->master = SOAP_INVALID_SOCKET;
      impl_->listening = false;
      state.connections.cut_all();
    } else if (!refuse && !impl_->listening) {
      if (soap_valid_socket(s.bind("127.0.0.1", impl_->port, 128)))
        impl_->listening = true;
    }
    if (!impl_->listening) {
      std::this_thread::sleep_for(std::chrono::milliseconds{50});
      continue;
    }
    SOAP_SOCKET fd = s.accept();
    if (!soap_valid_socket(fd))
      continue; // time-out (re-check the knobs) or a failed accept
    state.knobs->count_connection();
    auto* conn = static_cast<sim_service*>(s.copy());
    std::thread([conn, &state] {
      int fd = conn->soap->socket;
      state.connections.add(fd);
      if (conn->ssl_accept() == SOAP_OK)
        conn->serve();
      state.connections.remove(fd);
      conn->destroy();
      delete conn;
    }).detach();
  }
}

} // namespace ferry::sim
