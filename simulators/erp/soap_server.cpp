#include "simulators/erp/soap_server.hpp"

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

bool is_server_fault(erp_fault_code code) {
  return code == erp_fault_code::throttled ||
         code == erp_fault_code::unavailable;
}

class sim_service : public ErpBindingService {
public:
  explicit sim_service(shared_state* state)
      : ErpBindingService(SOAP_IO_KEEPALIVE | SOAP_XML_STRICT,
                          SOAP_IO_KEEPALIVE),
        state_(state) {}
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
    std::vector<erp_item> items;
    for (const auto* x : req->Item) {
      if (!x)
        return fault({erp_fault_code::validation, "an empty Item", ""});
      erp_item item;
      std::string error;
      if (!soap::from_soap(*x, item, error))
        return fault({erp_fault_code::validation, error, ""});
      items.push_back(std::move(item));
    }
    for (const auto& r :
         state_->store->upsert_items(items, state_->knobs->now()))
      resp.Result.push_back(soap::to_soap(soap, r));
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
