#include "simulators/shop/simulator.hpp"

#include "protocols/tls.hpp"
#include "protocols/webhook_signature.hpp"

#include <cstdlib>
#include <iostream>
#include <sys/stat.h>

namespace ferry::sim_shop {

using json = nlohmann::json;
using namespace ferry::shop;

namespace {

http::response exact(int status, const json& body) {
  http::response r;
  r.status = status;
  r.body = dump_exact(body);
  r.headers.set("Content-Type", "application/json; charset=utf-8");
  return r;
}

http::response error_response(const api_error& e) {
  return exact(e.status, e.body());
}

http::response bad(std::string message, std::vector<std::string> params = {}) {
  return error_response(api_error{400, std::move(message), std::move(params)});
}

template <class T>
json page_json(const shop_page<T>& page) {
  json items = json::array();
  for (auto& x : page.items)
    items.push_back(to_json(x));
  return {{"items", items}, {"total_count", page.total_count}};
}

json results_json(const std::vector<shop_item_result>& results) {
  json out = json::array();
  for (auto& r : results)
    out.push_back(to_json(r));
  return {{"results", out}};
}

/// Reads page_size / page / a `*_since` filter; an error response on bad
/// input.
struct list_query {
  int page_size = 20;
  int page = 1;
  std::string since;
  std::optional<http::response> error;
};

list_query read_list_query(const http::request& r, const char* since_name) {
  list_query q;
  auto number = [&](const char* name, int& out, int lo, int hi) {
    auto i = r.query.find(name);
    if (i == r.query.end())
      return true;
    try {
      std::size_t used = 0;
      auto v = std::stoll(i->second, &used);
      if (used != i->second.size() || v < lo || v > hi)
        throw std::out_of_range(name);
      out = static_cast<int>(v);
      return true;
    } catch (const std::exception&) {
      q.error = bad("\"%1\" must be a whole number from %2 to %3, not \"%4\"",
                    {name, std::to_string(lo), std::to_string(hi), i->second});
      return false;
    }
  };
  if (!number("page_size", q.page_size, 1, 500))
    return q;
  if (!number("page", q.page, 1, 1'000'000))
    return q;
  if (auto s = r.query.find(since_name); s != r.query.end()) {
    if (!is_timestamp(s->second)) {
      q.error = bad("\"%1\" must be a UTC time \"YYYY-MM-DD HH:MM:SS\", not "
                    "\"%2\"",
                    {since_name, s->second});
      return q;
    }
    q.since = s->second;
  }
  return q;
}

std::optional<std::int64_t> id_param(const http::request& r, const char* name) {
  auto i = r.params.find(name);
  if (i == r.params.end() || i->second.empty() || i->second.size() > 18)
    return std::nullopt;
  for (char c : i->second)
    if (c < '0' || c > '9')
      return std::nullopt;
  return std::stoll(i->second);
}

/// The request body parsed exactly, or the 400 to answer.
std::optional<json> body_json(const http::request& r, http::response& error) {
  auto j = parse_exact(r.body);
  if (!j) {
    error = bad("The request body is not valid JSON: %1", {j.error});
    return std::nullopt;
  }
  return *j;
}

std::int64_t epoch_second() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

template <class T>
http::response answer(const outcome<T>& o) {
  if (!o)
    return error_response(o.error);
  if constexpr (std::is_same_v<T, bool>)
    return exact(200, json(true));
  else
    return exact(200, to_json(*o.value));
}

/// A product, customer or order as the API shows it: what kind, or null.
const char* entity_kind(const json& j) {
  if (!j.is_object())
    return nullptr;
  if (j.contains("increment_id") && j.contains("entity_id"))
    return "order";
  if (j.contains("email") && j.contains("firstname"))
    return "customer";
  if (j.contains("sku") && j.contains("price") && j.contains("status"))
    return "product";
  return nullptr;
}

} // namespace

contract_variant contract_variant::of(std::uint64_t n) {
  contract_variant v;
  if (n == 0)
    return v;
  v.extra_fields = true;
  v.unicode = true;
  static const stock_answer forms[] = {
      stock_answer::true_value, stock_answer::stock_object,
      stock_answer::empty_object, stock_answer::empty_200,
      stock_answer::empty_204};
  v.stock = forms[n % 5];
  return v;
}

void simulator::add_extra_fields(json& j) const {
  if (j.is_array()) {
    for (auto& x : j)
      add_extra_fields(x);
    return;
  }
  if (!j.is_object())
    return;
  if (auto items = j.find("items"); items != j.end())
    add_extra_fields(*items);
  auto kind = entity_kind(j);
  if (!kind)
    return;
  // What Magento 2 adds beside the contract's fields, nested ones included.
  j["extension_attributes"] = {{"website_ids", {1}},
                               {"sim_variant", options_.variant}};
  j["store_id"] = 1;
  if (std::string{kind} == "product") {
    j["type_id"] = "simple";
    j["attribute_set_id"] = 4;
    j["media_gallery_entries"] = json::array();
  } else if (std::string{kind} == "customer") {
    j["website_id"] = 1;
    j["addresses"] = json::array();
    j["disable_auto_group_change"] = 0;
  } else {
    j["protect_code"] = "a1b2c3";
    j["payment"] = {{"method", "checkmo"}, {"additional_information", {}}};
  }
}

simulator::simulator(simulator_options o)
    : options_(std::move(o)),
      variant_(contract_variant::of(options_.variant)),
      limiter_(options_.rate),
      traffic_gen_(options_.seed),
      fault_rng_(options_.seed ^ 0xfa017) {
  std::unique_ptr<journal> j;
  if (!options_.data_dir.empty()) {
    ::mkdir(options_.data_dir.c_str(), 0755);
    j = std::make_unique<journal>(options_.data_dir + "/shop.journal",
                                  options_.fsync);
  }
  state_ = std::make_unique<shop_state>(&utc_now_text, std::move(j));
  tokens_ = std::make_unique<token_store>(options_.clients, options_.token_ttl,
                                          options_.seed);
  webhooks_ = std::make_unique<webhook_queue>(options_.schedule, options_.seed);
  traffic_ = options_.traffic;
  webhook_url_ = options_.webhook_url;
  http::client_settings cs;
  cs.ca_file = options_.webhook_ca_file;
  cs.verify_peer = options_.webhook_verify;
  cs.request_timeout = options_.schedule.attempt_timeout;
  client_ = std::make_unique<http::client>(cs);
}

simulator::~simulator() {
  stop();
}

std::pair<uint16_t, uint16_t> simulator::start() {
  state_->load();
  state_->seed_if_empty(options_.seed, options_.seed_products,
                        options_.seed_customers, options_.sources,
                        variant_.unicode);
  state_->set_event_sink([this](const change_event& e) { on_change(e); });
  running_ = true;
  delay_thread_ = std::thread([this] { delay_loop(); });
  webhook_thread_ = std::thread([this] { webhook_loop(); });
  traffic_thread_ = std::thread([this] { traffic_loop(); });

  http::server_settings api;
  api.address = options_.address;
  api.port = options_.port;
  api.tls = true;
  api.cert_file = options_.cert_file;
  api.key_file = options_.key_file;
  api.io_threads = 2;
  api_server_ = std::make_unique<http::server>(api, api_router());
  http::server_settings admin;
  admin.address = "127.0.0.1";
  admin.port = options_.admin_port;
  admin.tls = false;
  admin_server_ = std::make_unique<http::server>(admin, admin_router());
  auto api_port = api_server_->start();
  auto admin_port = admin_server_->start();
  return {api_port, admin_port};
}

void simulator::stop() {
  if (!running_.exchange(false))
    return;
  wake_.notify_all();
  if (api_server_)
    api_server_->stop();
  if (admin_server_)
    admin_server_->stop();
  for (auto* t : {&delay_thread_, &webhook_thread_, &traffic_thread_})
    if (t->joinable())
      t->join();
}

void simulator::respond_later(http::respond_fn respond, http::response r,
                              std::chrono::milliseconds delay) {
  if (delay.count() <= 0) {
    respond(std::move(r));
    return;
  }
  {
    std::lock_guard<std::mutex> guard{wake_mutex_};
    delayed_.emplace(std::chrono::steady_clock::now() + delay,
                     std::make_pair(std::move(respond), std::move(r)));
  }
  wake_.notify_all();
}

void simulator::delay_loop() {
  std::unique_lock<std::mutex> lock{wake_mutex_};
  while (running_) {
    auto now = std::chrono::steady_clock::now();
    while (!delayed_.empty() && delayed_.begin()->first <= now) {
      auto item = std::move(delayed_.begin()->second);
      delayed_.erase(delayed_.begin());
      lock.unlock();
      item.first(std::move(item.second));
      lock.lock();
    }
    if (delayed_.empty())
      wake_.wait_for(lock, std::chrono::milliseconds(200));
    else
      wake_.wait_until(lock, delayed_.begin()->first);
  }
}

http::handler simulator::api(sync_handler h) {
  return [this, h](http::request&& r, http::respond_fn respond) {
    auto now = std::chrono::steady_clock::now();
    fault_settings f;
    bool storm = false, fail = false;
    {
      std::lock_guard<std::mutex> guard{knobs_mutex_};
      f = faults_;
      std::uniform_real_distribution<double> share{0.0, 1.0};
      storm = now < f.storm_until && share(fault_rng_) < f.storm_share;
      fail = share(fault_rng_) < f.error_rate;
    }
    http::response challenge;
    auto client = tokens_->authenticate(r, now, challenge);
    if (!client) {
      limiter_.take("", now, epoch_second());
      respond_later(std::move(respond), std::move(challenge), f.latency);
      return;
    }
    auto d = limiter_.take(*client, now, epoch_second(), storm,
                           f.storm_retry_after_seconds);
    count_call(*client, r, !d.allowed);
    http::response out;
    if (!d.allowed) {
      out = exact(429, json{{"message", "Too many requests from client %1"},
                            {"parameters", {*client}}});
      out.headers.set("Retry-After", std::to_string(d.retry_after_seconds));
    } else if (fail) {
      out = exact(500, json{{"message", "Internal error (injected fault)"},
                            {"parameters", json::array()}});
    } else {
      try {
        out = h(r, *client);
        if (variant_.extra_fields && out.status == 200 && !out.body.empty()) {
          if (auto j = parse_exact(out.body)) {
            add_extra_fields(*j);
            out.body = dump_exact(*j);
          }
        }
      } catch (const std::exception& e) {
        out = exact(500, json{{"message", "Internal error: %1"},
                              {"parameters", {e.what()}}});
      }
    }
    out.headers.set("X-RateLimit-Limit", std::to_string(d.limit));
    out.headers.set("X-RateLimit-Remaining", std::to_string(d.remaining));
    respond_later(std::move(respond), std::move(out), f.latency);
  };
}

void simulator::count_call(const std::string& client, const http::request& r,
                           bool limited) {
  // The route's pattern back from the path: each segment that is the value
  // of a `{name}` parameter becomes `{name}`, without /rest/V1.
  std::string route = r.method + " ";
  std::string path = r.path;
  const std::string base = "/rest/V1";
  if (path.rfind(base, 0) == 0)
    path = path.substr(base.size());
  std::size_t at = 0;
  while (at < path.size()) {
    auto end = path.find('/', at + 1);
    if (end == std::string::npos)
      end = path.size();
    auto segment = path.substr(at + 1, end - at - 1);
    std::string shown = segment;
    for (const auto& [name, value] : r.params)
      if (value == segment) {
        shown = "{" + name + "}";
        break;
      }
    route += "/" + shown;
    at = end;
  }
  std::lock_guard<std::mutex> guard{calls_mutex_};
  auto& calls = calls_[client];
  ++(limited ? calls.limited : calls.served)[route];
}

http::router simulator::api_router() {
  http::router r;
  const std::string base = "/rest/V1";
  r.add("POST", "/oauth/token",
        [this](http::request&& req, http::respond_fn respond) {
          respond(tokens_->issue(req, std::chrono::steady_clock::now()));
        });
  // -- products
  r.add("GET", base + "/products",
        api([this](const http::request& req, const std::string&) {
          auto q = read_list_query(req, "updated_since");
          if (q.error)
            return *q.error;
          return exact(200, page_json(state_->list_products(
                                q.since, q.page_size, q.page)));
        }));
  r.add("GET", base + "/products/{sku}",
        api([this](const http::request& req, const std::string&) {
          return answer(state_->get_product(req.params.at("sku")));
        }));
  r.add("PUT", base + "/products/{sku}",
        api([this](const http::request& req, const std::string&) {
          http::response error;
          auto body = body_json(req, error);
          if (!body)
            return error;
          auto p = body->is_object() ? body->find("product") : body->end();
          if (p == body->end())
            return bad("\"%1\" is required. Enter and try again.", {"product"});
          return answer(state_->put_product(req.params.at("sku"), *p));
        }));
  r.add("POST", base + "/products/bulk",
        api([this](const http::request& req, const std::string&) {
          http::response error;
          auto body = body_json(req, error);
          if (!body)
            return error;
          auto ps = body->is_object() ? body->find("products") : body->end();
          if (ps == body->end() || !ps->is_array())
            return bad("\"%1\" is required and must be an array.",
                       {"products"});
          if (ps->size() > 500)
            return bad("At most %1 products per call, not %2",
                       {"500", std::to_string(ps->size())});
          return exact(200, results_json(state_->bulk_products(*ps)));
        }));
  r.add("PUT", base + "/products/{sku}/stock",
        api([this](const http::request& req, const std::string&) {
          http::response error;
          auto body = body_json(req, error);
          if (!body)
            return error;
          auto b = body->is_object() ? body->find("backorders") : body->end();
          if (b == body->end() || !b->is_number_integer())
            return bad("\"%1\" is required and must be 0 or 1.",
                       {"backorders"});
          auto sku = req.params.at("sku");
          auto set = state_->set_backorders(sku, b->get<int>());
          if (!set)
            return error_response(set.error);
          // The contract does not say what this call answers: each
          // variant answers with one of the readings a shop may choose.
          using form = contract_variant::stock_answer;
          http::response empty;
          empty.status = 200;
          switch (variant_.stock) {
            case form::true_value:
              return exact(200, json(true));
            case form::stock_object: {
              auto qty = state_->salable_quantity(sku);
              auto p = state_->get_product(sku);
              return exact(200, json{{"item_id", p ? p.value->id : 0},
                                     {"product_id", p ? p.value->id : 0},
                                     {"stock_id", 1},
                                     {"backorders", b->get<int>()},
                                     {"qty", exact_number(qty.to_string())},
                                     {"is_in_stock", qty.units() > 0},
                                     {"manage_stock", true}});
            }
            case form::empty_object:
              return exact(200, json::object());
            case form::empty_200:
              return empty;
            case form::empty_204:
              empty.status = 204;
              return empty;
          }
          return exact(200, json(true));
        }));
  // -- customers
  r.add("GET", base + "/customers/search",
        api([this](const http::request& req, const std::string&) {
          auto e = req.query.find("email");
          if (e == req.query.end() || e->second.empty())
            return bad("\"%1\" is required. Enter and try again.", {"email"});
          return exact(200, page_json(state_->search_customers(e->second)));
        }));
  r.add("GET", base + "/customers",
        api([this](const http::request& req, const std::string&) {
          auto q = read_list_query(req, "updated_since");
          if (q.error)
            return *q.error;
          return exact(200, page_json(state_->list_customers(
                                q.since, q.page_size, q.page)));
        }));
  r.add("GET", base + "/customers/{id}",
        api([this](const http::request& req, const std::string&) {
          auto id = id_param(req, "id");
          if (!id)
            return bad("\"%1\" must be a customer id, not \"%2\"",
                       {"id", req.params.at("id")});
          return answer(state_->get_customer(*id));
        }));
  r.add("PUT", base + "/customers/{id}",
        api([this](const http::request& req, const std::string&) {
          auto id = id_param(req, "id");
          if (!id)
            return bad("\"%1\" must be a customer id, not \"%2\"",
                       {"id", req.params.at("id")});
          http::response error;
          auto body = body_json(req, error);
          if (!body)
            return error;
          auto c = body->is_object() ? body->find("customer") : body->end();
          if (c == body->end())
            return bad("\"%1\" is required. Enter and try again.",
                       {"customer"});
          return answer(state_->update_customer(*id, *c));
        }));
  // -- orders
  r.add("GET", base + "/orders",
        api([this](const http::request& req, const std::string&) {
          auto q = read_list_query(req, "created_since");
          if (q.error)
            return *q.error;
          return exact(200, page_json(state_->list_orders(q.since, q.page_size,
                                                          q.page)));
        }));
  r.add("GET", base + "/orders/{id}",
        api([this](const http::request& req, const std::string&) {
          auto id = id_param(req, "id");
          if (!id)
            return bad("\"%1\" must be an order id, not \"%2\"",
                       {"entity_id", req.params.at("id")});
          return answer(state_->get_order(*id));
        }));
  r.add("POST", base + "/orders/{id}/comments",
        api([this](const http::request& req, const std::string&) {
          auto id = id_param(req, "id");
          if (!id)
            return bad("\"%1\" must be an order id, not \"%2\"",
                       {"entity_id", req.params.at("id")});
          http::response error;
          auto body = body_json(req, error);
          if (!body)
            return error;
          return answer(state_->add_comment(*id, *body));
        }));
  for (const char* op : {"hold", "unhold", "cancel"}) {
    std::string what = op;
    r.add("POST", base + "/orders/{id}/" + what,
          api([this, what](const http::request& req, const std::string&) {
            auto id = id_param(req, "id");
            if (!id)
              return bad("\"%1\" must be an order id, not \"%2\"",
                         {"entity_id", req.params.at("id")});
            if (what == "hold")
              return answer(state_->hold(*id));
            if (what == "unhold")
              return answer(state_->unhold(*id));
            return answer(state_->cancel(*id));
          }));
  }
  // -- inventory
  r.add("GET", base + "/inventory/sources",
        api([this](const http::request&, const std::string&) {
          shop_page<shop_source> page;
          page.items = state_->sources();
          page.total_count = static_cast<std::int64_t>(page.items.size());
          return exact(200, page_json(page));
        }));
  r.add("GET", base + "/inventory/source-items",
        api([this](const http::request& req, const std::string&) {
          auto s = req.query.find("sku");
          if (s == req.query.end() || s->second.empty())
            return bad("\"%1\" is required. Enter and try again.", {"sku"});
          shop_page<shop_source_item> page;
          page.items = state_->source_items(s->second);
          page.total_count = static_cast<std::int64_t>(page.items.size());
          return exact(200, page_json(page));
        }));
  r.add("POST", base + "/inventory/source-items",
        api([this](const http::request& req, const std::string&) {
          http::response error;
          auto body = body_json(req, error);
          if (!body)
            return error;
          auto items =
              body->is_object() ? body->find("sourceItems") : body->end();
          if (items == body->end() || !items->is_array())
            return bad("\"%1\" is required and must be an array.",
                       {"sourceItems"});
          if (items->size() > 1000)
            return bad("At most %1 source items per call, not %2",
                       {"1000", std::to_string(items->size())});
          return exact(200, results_json(state_->set_source_items(*items)));
        }));
  return r;
}

void simulator::on_change(const change_event& e) {
  std::string url;
  webhook_faults f;
  {
    std::lock_guard<std::mutex> guard{knobs_mutex_};
    url = webhook_url_;
    f = faults_.webhooks;
  }
  if (url.empty())
    return;
  auto resource = e.resource;
  if (variant_.extra_fields)
    add_extra_fields(resource);
  webhooks_->enqueue(e.topic, e.key, dump_exact(resource), utc_now_text(),
                     std::chrono::steady_clock::now(), f);
  wake_.notify_all();
}

void simulator::deliver(webhook_delivery d) {
  std::string url, secret = options_.webhook_secret;
  {
    std::lock_guard<std::mutex> guard{knobs_mutex_};
    url = webhook_url_;
  }
  http::client_request req;
  req.method = "POST";
  req.url = url;
  req.body = d.body;
  req.timeout = webhooks_->schedule().attempt_timeout;
  req.headers.set("Content-Type", "application/json; charset=utf-8");
  req.headers.set("X-Shop-Topic", d.topic);
  req.headers.set("X-Shop-Event-Id", d.event_id);
  req.headers.set("X-Shop-Triggered-At", d.triggered_at);
  req.headers.set("X-Shop-Hmac-Sha256", webhook::sign(secret, d.body));
  ++in_flight_webhooks_;
  client_->async_send(std::move(req), [this, d](http::client_result res) {
    bool ok = res.response && res.response->status >= 200 &&
              res.response->status < 300;
    webhooks_->on_result(d, ok, std::chrono::steady_clock::now());
    --in_flight_webhooks_;
    wake_.notify_all();
  });
}

void simulator::webhook_loop() {
  while (running_) {
    auto now = std::chrono::steady_clock::now();
    if (!webhooks_paused_)
      for (auto& d : webhooks_->take_due(now))
        deliver(std::move(d));
    std::unique_lock<std::mutex> lock{wake_mutex_};
    auto next = webhooks_->next_due();
    auto until = now + std::chrono::milliseconds(200);
    if (next && *next < until)
      until = *next;
    wake_.wait_until(lock, until);
  }
}

void simulator::traffic_loop() {
  double order_credit = 0, customer_credit = 0;
  auto last = std::chrono::steady_clock::now();
  while (running_) {
    {
      std::unique_lock<std::mutex> lock{wake_mutex_};
      wake_.wait_for(lock, std::chrono::milliseconds(50));
    }
    auto now = std::chrono::steady_clock::now();
    auto dt = std::chrono::duration<double>(now - last).count();
    last = now;
    traffic_settings t;
    {
      std::lock_guard<std::mutex> guard{knobs_mutex_};
      t = traffic_;
    }
    if (!t.enabled) {
      order_credit = customer_credit = 0;
      continue;
    }
    customer_credit += t.customers_per_second * dt;
    order_credit += t.orders_per_second * dt;
    while (customer_credit >= 1 && running_) {
      customer_credit -= 1;
      auto c = traffic_gen_.next_customer();
      state_->register_customer(c.email, c.firstname, c.lastname);
    }
    if (order_credit < 1)
      continue;
    auto catalog = state_->catalog();
    auto customers = state_->customer_ids();
    while (order_credit >= 1 && running_) {
      order_credit -= 1;
      auto plan = traffic_gen_.next_order(catalog, customers, t);
      if (!plan)
        break;
      state_->place_order(plan->customer_id, plan->guest_email, plan->lines,
                          plan->shipping_minor);
    }
  }
}

} // namespace ferry::sim_shop
