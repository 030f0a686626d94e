#include "actors/shop_connector.hpp"

#include "actors/retry_policy.hpp"
#include "persistence/errors.hpp"
#include "persistence/shop_rate_budget.hpp"
#include "protocols/http/client.hpp"
#include "protocols/http/codec.hpp"
#include "protocols/oauth/client_credentials.hpp"

#include <algorithm>
#include <caf/all.hpp>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <thread>
#include <vector>

namespace ferry {

const char* to_string(shop_error_kind k) {
  switch (k) {
    case shop_error_kind::validation:
      return "validation";
    case shop_error_kind::not_found:
      return "not_found";
    case shop_error_kind::conflict:
      return "conflict";
    case shop_error_kind::unauthorized:
      return "unauthorized";
    case shop_error_kind::rate_limited:
      return "rate_limited";
    case shop_error_kind::server_error:
      return "server_error";
    case shop_error_kind::unavailable:
      return "unavailable";
    case shop_error_kind::outcome_unknown:
      return "outcome_unknown";
    case shop_error_kind::transport:
      return "transport";
    case shop_error_kind::bad_response:
      return "bad_response";
  }
  return "unknown";
}

caf::error make_shop_caf_error(shop_error e) {
  auto code = static_cast<std::uint8_t>(static_cast<int>(e.kind) + 1);
  return caf::error{code, shop_error_category, caf::make_message(std::move(e))};
}

std::optional<shop_error> shop_error_of(const caf::error& e) {
  if (!e || e.category() != shop_error_category)
    return std::nullopt;
  const auto& ctx = e.context();
  if (ctx.match_elements<shop_error>())
    return ctx.get_as<shop_error>(0);
  return std::nullopt;
}

/// One call: the HTTP request, how to answer the caller, and its attempts.
struct shop_job {
  std::string operation;
  std::string method;
  /// Below /rest/V1, with the query.
  std::string path;
  std::string body;
  /// Whether repeating the call after a lost answer is harmless.
  bool repeatable = true;
  int attempt = 0;
  int rate_waits = 0;
  std::chrono::steady_clock::time_point attempt_started;
  oauth::authorized_result result;
  /// On the connector: parse the 2xx body and answer the caller.
  std::function<void(const http::response&)> on_ok;
  /// On the connector: answer the caller with the error.
  std::function<void(shop_error)> on_fail;
};

namespace {

using json = nlohmann::json;

/// The HTTP side: a dispatcher thread that takes a token from the shared
/// budget (blocking on Redis, never on a scheduler thread) and starts each
/// request; the answer comes back to the actor as a message.
class wire {
public:
  wire(const shop_connector_settings& s, prometheus::Registry& registry,
       caf::weak_actor_ptr self)
      : self_(std::move(self)) {
    http::client_settings cs;
    cs.ca_file = s.ca_file;
    cs.connect_timeout = s.connect_timeout;
    cs.request_timeout = s.call_timeout;
    cs.max_connections_per_host = s.max_connections;
    client_ = std::make_unique<http::client>(cs);
    oauth::client_credentials_settings os;
    os.token_url =
        s.token_url.empty() ? s.base_url + "/oauth/token" : s.token_url;
    os.client_id = s.client_id;
    os.client_secret = s.client_secret;
    credentials_ =
        std::make_unique<oauth::client_credentials>(os, *client_, registry);
    if (!s.redis_host.empty()) {
      persistence::shop_rate_budget_settings rs;
      rs.host = s.redis_host;
      rs.port = s.redis_port;
      rs.key = s.rate_key;
      rs.rate_per_second = s.rate_per_second;
      rs.burst = s.rate_burst;
      budget_ = std::make_unique<persistence::shop_rate_budget>(rs);
    }
    base_ = s.base_url + "/rest/V1";
    timeout_ = s.call_timeout;
    thread_ = std::thread([this] { run(); });
  }

  ~wire() {
    {
      std::lock_guard<std::mutex> guard{mutex_};
      stopping_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }

  void submit(shop_job_ptr job) {
    {
      std::lock_guard<std::mutex> guard{mutex_};
      queue_.push_back(std::move(job));
    }
    cv_.notify_all();
  }

private:
  void run() {
    std::unique_lock<std::mutex> lock{mutex_};
    while (true) {
      cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (stopping_)
        return;
      auto job = std::move(queue_.front());
      queue_.pop_front();
      lock.unlock();
      take_budget();
      lock.lock();
      if (stopping_)
        return;
      lock.unlock();
      send(job);
      lock.lock();
    }
  }

  void take_budget() {
    if (!budget_)
      return;
    while (true) {
      auto wait = budget_->try_take();
      // Without Redis every node falls back to the shop's own 429s.
      if (!wait || wait->count() == 0)
        return;
      std::unique_lock<std::mutex> lock{mutex_};
      if (cv_.wait_for(lock, *wait, [this] { return stopping_; }))
        return;
    }
  }

  void send(const shop_job_ptr& job) {
    http::client_request r;
    r.method = job->method;
    r.url = base_ + job->path;
    r.body = job->body;
    r.timeout = timeout_;
    r.headers.set("Accept", "application/json");
    if (!job->body.empty())
      r.headers.set("Content-Type", "application/json; charset=utf-8");
    credentials_->async_send(
        std::move(r), [self = self_, job](oauth::authorized_result res) {
          job->result = std::move(res);
          if (auto strong = self.lock())
            caf::anon_send(caf::actor_cast<shop_connector_actor>(strong),
                           shop_done_atom::value, job);
        });
  }

  caf::weak_actor_ptr self_;
  std::unique_ptr<http::client> client_;
  std::unique_ptr<oauth::client_credentials> credentials_;
  std::unique_ptr<persistence::shop_rate_budget> budget_;
  std::string base_;
  std::chrono::milliseconds timeout_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<shop_job_ptr> queue_;
  bool stopping_ = false;
  std::thread thread_;
};

struct metrics {
  prometheus::Family<prometheus::Counter>& calls;
  prometheus::Family<prometheus::Histogram>& latency;
  prometheus::Family<prometheus::Counter>& retries;
  prometheus::Gauge& breaker;
  prometheus::Gauge& in_flight;

  explicit metrics(prometheus::Registry& r)
      : calls(
            prometheus::BuildCounter()
                .Name("ferry_connector_calls_total")
                .Help("Connector calls by system, operation and final outcome")
                .Register(r)),
        latency(prometheus::BuildHistogram()
                    .Name("ferry_connector_call_seconds")
                    .Help("Duration of one connector call attempt")
                    .Register(r)),
        retries(prometheus::BuildCounter()
                    .Name("ferry_connector_retries_total")
                    .Help("Connector call attempts beyond the first")
                    .Register(r)),
        breaker(prometheus::BuildGauge()
                    .Name("ferry_connector_breaker_state")
                    .Help("Circuit breaker: 0 closed, 1 open, 2 half-open")
                    .Register(r)
                    .Add({{"system", "shop"}})),
        in_flight(prometheus::BuildGauge()
                      .Name("ferry_connector_in_flight")
                      .Help("Connector calls in progress")
                      .Register(r)
                      .Add({{"system", "shop"}})) {}
};

struct connector_state {
  shop_connector_settings settings;
  std::unique_ptr<circuit_breaker> breaker;
  std::unique_ptr<retry_policy> retries;
  std::unique_ptr<metrics> m;
  std::unique_ptr<wire> w;
  std::int64_t in_flight = 0;
  static inline const char* name = "shop_connector";
};

using connector_ptr = shop_connector_actor::stateful_pointer<connector_state>;

void update_gauges(connector_ptr self) {
  auto& st = self->state;
  st.m->breaker.Set(gauge_value(st.breaker->current()));
  st.m->in_flight.Set(static_cast<double>(st.in_flight));
}

void count(connector_ptr self, const shop_job& job, const char* outcome) {
  self->state.m->calls
      .Add({{"system", "shop"},
            {"operation", job.operation},
            {"outcome", outcome}})
      .Increment();
}

void fail(connector_ptr self, const shop_job_ptr& job, shop_error e) {
  count(self, *job, to_string(e.kind));
  job->on_fail(std::move(e));
}

void attempt(connector_ptr self, shop_job_ptr job) {
  auto& st = self->state;
  auto now = std::chrono::steady_clock::now();
  if (!st.breaker->allow(now)) {
    update_gauges(self);
    fail(self, job,
         {shop_error_kind::unavailable, 0,
          "shop circuit breaker is open; " + job->operation + " not sent"});
    return;
  }
  job->attempt_started = now;
  ++st.in_flight;
  update_gauges(self);
  st.w->submit(std::move(job));
}

/// Retries after a transient failure, or fails with `e` when the attempts
/// or the retry budget are spent.
void retry_or_fail(connector_ptr self, shop_job_ptr job, shop_error e) {
  auto& st = self->state;
  auto now = std::chrono::steady_clock::now();
  if (auto delay = st.retries->next_delay(job->attempt, now)) {
    ++job->attempt;
    st.m->retries.Add({{"system", "shop"}, {"operation", job->operation}})
        .Increment();
    self->delayed_send(self, *delay, shop_retry_atom::value, std::move(job));
    return;
  }
  fail(self, job, std::move(e));
}

void finish(connector_ptr self, shop_job_ptr job) {
  auto& st = self->state;
  auto now = std::chrono::steady_clock::now();
  --st.in_flight;
  st.m->latency
      .Add({{"system", "shop"}, {"operation", job->operation}},
           prometheus::Histogram::BucketBoundaries{0.01, 0.025, 0.05, 0.1, 0.25,
                                                   0.5, 1, 2.5, 5, 10})
      .Observe(
          std::chrono::duration<double>(now - job->attempt_started).count());
  auto& r = job->result;
  if (r.token_failure) {
    if (*r.token_failure == oauth::token_error::invalid_client ||
        *r.token_failure == oauth::token_error::rejected) {
      fail(self, job,
           {shop_error_kind::unauthorized, 0,
            "the shop refused Ferry's client credentials (" +
                std::string{oauth::to_string(*r.token_failure)} + ")"});
    } else {
      st.breaker->record_failure(now);
      retry_or_fail(self, job,
                    {shop_error_kind::unavailable, 0,
                     "no OAuth token: " + r.token_detail});
    }
    update_gauges(self);
    return;
  }
  if (!r.http.response) {
    auto e = r.http.error.value_or(http::client_error::protocol_error);
    auto detail = std::string{http::to_string(e)} + ": " + r.http.error_detail;
    st.breaker->record_failure(now);
    update_gauges(self);
    if (e == http::client_error::invalid_url) {
      fail(self, job, {shop_error_kind::transport, 0, detail});
    } else if (e == http::client_error::timeout_after_send ||
               e == http::client_error::connection_closed) {
      shop_error unknown{shop_error_kind::outcome_unknown, 0,
                         job->operation + " sent, no answer: " + detail};
      if (job->repeatable)
        retry_or_fail(self, job, unknown);
      else
        fail(self, job, unknown);
    } else {
      retry_or_fail(self, job, {shop_error_kind::transport, 0, detail});
    }
    return;
  }
  auto& resp = *r.http.response;
  auto status = resp.status;
  if (status >= 200 && status < 300) {
    st.breaker->record_success(now);
    update_gauges(self);
    count(self, *job, "ok");
    job->on_ok(resp);
    return;
  }
  auto message = shop::error_message_from_body(resp.body);
  if (status == 429) {
    // The shop is up and asks for patience: not a breaker failure, and the
    // wait is the shop's, not our backoff's.
    st.breaker->record_success(now);
    update_gauges(self);
    if (++job->rate_waits > st.settings.max_rate_limited_waits) {
      fail(self, job, {shop_error_kind::rate_limited, status, message});
      return;
    }
    std::chrono::milliseconds wait{1000};
    if (auto ra = resp.headers.get("Retry-After")) {
      try {
        wait = std::chrono::seconds{std::max(0L, std::stol(*ra))};
      } catch (const std::exception&) {
        // A date or garbage: keep one second.
      }
    }
    self->delayed_send(self, wait, shop_retry_atom::value, std::move(job));
    return;
  }
  if (status >= 500) {
    st.breaker->record_failure(now);
    update_gauges(self);
    auto kind = status == 503 ? shop_error_kind::unavailable
                              : shop_error_kind::server_error;
    retry_or_fail(self, job, {kind, status, message});
    return;
  }
  st.breaker->record_success(now);
  update_gauges(self);
  auto kind = status == 404                    ? shop_error_kind::not_found
              : status == 409                  ? shop_error_kind::conflict
              : status == 401 || status == 403 ? shop_error_kind::unauthorized
                                               : shop_error_kind::validation;
  fail(self, job, {kind, status, message});
}

/// Starts a call answered by `parse` from the 2xx body.
template <class R, class Parse>
caf::typed_response_promise<R>
submit(connector_ptr self, std::string operation, std::string method,
       std::string path, std::string body, bool repeatable, Parse parse) {
  auto promise = self->template make_response_promise<R>();
  auto job = std::make_shared<shop_job>();
  job->operation = std::move(operation);
  job->method = std::move(method);
  job->path = std::move(path);
  job->body = std::move(body);
  job->repeatable = repeatable;
  job->on_fail = [promise](shop_error e) mutable {
    promise.deliver(make_shop_caf_error(std::move(e)));
  };
  job->on_ok = [promise, parse,
                op = job->operation](const http::response& resp) mutable {
    auto j = shop::parse_exact(resp.body);
    if (!j) {
      promise.deliver(make_shop_caf_error(
          {shop_error_kind::bad_response, resp.status, op + ": " + j.error}));
      return;
    }
    shop::parsed<R> r = parse(*j);
    if (!r) {
      promise.deliver(make_shop_caf_error(
          {shop_error_kind::bad_response, resp.status, op + ": " + r.error}));
      return;
    }
    promise.deliver(std::move(*r));
  };
  self->state.retries->record_call(std::chrono::steady_clock::now());
  attempt(self, std::move(job));
  return promise;
}

/// Starts a call whose answer the contract does not describe (`PUT
/// /products/{sku}/stock`): any 2xx is success, whatever its body (true,
/// the product's stock object, {}, or none), so that Ferry does not come to
/// depend on one shop's reading. See docs/contract-readings-shop.md.
caf::typed_response_promise<bool>
submit_unread(connector_ptr self, std::string operation, std::string method,
              std::string path, std::string body, bool repeatable) {
  auto promise = self->make_response_promise<bool>();
  auto job = std::make_shared<shop_job>();
  job->operation = std::move(operation);
  job->method = std::move(method);
  job->path = std::move(path);
  job->body = std::move(body);
  job->repeatable = repeatable;
  job->on_fail = [promise](shop_error e) mutable {
    promise.deliver(make_shop_caf_error(std::move(e)));
  };
  job->on_ok = [promise](const http::response&) mutable {
    promise.deliver(true);
  };
  self->state.retries->record_call(std::chrono::steady_clock::now());
  attempt(self, std::move(job));
  return promise;
}

/// The answer of the calls the contract says answer `true` (comments,
/// hold, unhold, cancel).
shop::parsed<bool> parse_true(const json& j) {
  if (j.is_boolean() && j.get<bool>())
    return shop::parsed<bool>::ok(true);
  return shop::parsed<bool>::fail("expected true, got " + shop::dump_exact(j));
}

std::string query(const std::string& since_name, const std::string& since,
                  int page_size, int page) {
  std::string q = "?page_size=" + std::to_string(page_size) +
                  "&page=" + std::to_string(page);
  if (!since.empty())
    q += "&" + since_name + "=" + http::percent_encode(since);
  return q;
}

template <class T, class F>
auto page_parser(F item) {
  return [item](const json& j) { return shop::page_from_json<T>(j, item); };
}

/// Collects the per-item results of a bulk call split into chunks.
struct bulk_collector {
  caf::typed_response_promise<shop_bulk_results> promise;
  shop_bulk_results out;
  std::size_t pending = 0;

  void chunk_done() {
    if (--pending == 0)
      promise.deliver(std::move(out));
  }
};

/// Splits `items` into calls of at most `max` and answers with every
/// item's result in request order.
template <class T, class ToJson>
caf::typed_response_promise<shop_bulk_results>
bulk(connector_ptr self, const char* operation, const char* path,
     const char* field, std::vector<T> items, std::size_t max,
     ToJson to_json_item) {
  auto collector = std::make_shared<bulk_collector>();
  collector->promise = self->make_response_promise<shop_bulk_results>();
  auto promise = collector->promise;
  collector->out.results.resize(items.size());
  if (items.empty()) {
    collector->promise.deliver(shop_bulk_results{});
    return promise;
  }
  collector->pending = (items.size() + max - 1) / max;
  for (std::size_t first = 0; first < items.size(); first += max) {
    auto last = std::min(items.size(), first + max);
    json array = json::array();
    std::vector<std::string> skus;
    for (auto i = first; i < last; ++i) {
      array.push_back(to_json_item(items[i]));
      skus.push_back(items[i].sku);
    }
    auto job = std::make_shared<shop_job>();
    job->operation = operation;
    job->method = "POST";
    job->path = path;
    job->body = shop::dump_exact(json{{field, array}});
    job->repeatable = true; // upserts: repeating them is harmless
    job->on_fail = [collector, first, skus](shop_error e) {
      for (std::size_t k = 0; k < skus.size(); ++k)
        collector->out.results[first + k] = {skus[k], "error",
                                             std::string{to_string(e.kind)} +
                                                 ": " + e.message};
      collector->chunk_done();
    };
    job->on_ok = [collector, first, skus](const http::response& resp) {
      auto j = shop::parse_exact(resp.body);
      auto r =
          j ? shop::item_results_from_json(*j)
            : shop::parsed<std::vector<shop::shop_item_result>>::fail(j.error);
      for (std::size_t k = 0; k < skus.size(); ++k) {
        if (r && r->size() == skus.size())
          collector->out.results[first + k] = (*r)[k];
        else
          collector->out.results[first + k] = {
              skus[k], "error",
              "bad_response: " +
                  (r ? std::string{"results do not match the items sent"}
                     : r.error)};
      }
      collector->chunk_done();
    };
    self->state.retries->record_call(std::chrono::steady_clock::now());
    attempt(self, std::move(job));
  }
  return promise;
}

shop_connector_actor::behavior_type
shop_connector(connector_ptr self, shop_connector_settings settings,
               prometheus::Registry* registry) {
  auto& st = self->state;
  st.settings = std::move(settings);
  st.breaker = std::make_unique<circuit_breaker>(st.settings.breaker);
  st.retries = std::make_unique<retry_policy>(
      st.settings.max_attempts, st.settings.backoff, st.settings.retries);
  st.m = std::make_unique<metrics>(*registry);
  st.w = std::make_unique<wire>(st.settings, *registry,
                                caf::weak_actor_ptr{self->ctrl()});
  update_gauges(self);
  auto product = [](const json& j) { return shop::product_from_json(j); };
  auto customer = [](const json& j) { return shop::customer_from_json(j); };
  auto order = [](const json& j) { return shop::order_from_json(j); };
  return {
      [self, product](shop_get_product& req) {
        return submit<shop::shop_product>(
            self, "get_product", "GET",
            "/products/" + http::percent_encode(req.sku), "", true, product);
      },
      [self, product](shop_put_product& req) {
        auto sku = req.product.sku;
        return submit<shop::shop_product>(
            self, "put_product", "PUT",
            "/products/" + http::percent_encode(sku),
            shop::dump_exact(json{{"product", shop::to_json(req.product)}}),
            true, product);
      },
      [self](shop_bulk_products& req) {
        return bulk(
            self, "bulk_products", "/products/bulk", "products",
            std::move(req.products), 500,
            [](const shop::shop_product& p) { return shop::to_json(p); });
      },
      [self](shop_list_products& req) {
        return submit<shop_product_page>(
            self, "list_products", "GET",
            "/products" + query("updated_since", req.updated_since,
                                req.page_size, req.page),
            "", true,
            page_parser<shop::shop_product>(
                [](const json& j, const std::string& path) {
                  return shop::product_from_json(j, path);
                }));
      },
      [self, customer](shop_get_customer& req) {
        return submit<shop::shop_customer>(
            self, "get_customer", "GET", "/customers/" + std::to_string(req.id),
            "", true, customer);
      },
      [self](shop_search_customers& req) {
        return submit<shop_customer_page>(
            self, "search_customers", "GET",
            "/customers/search?email=" + http::percent_encode(req.email), "",
            true,
            page_parser<shop::shop_customer>(
                [](const json& j, const std::string& path) {
                  return shop::customer_from_json(j, path);
                }));
      },
      [self](shop_list_customers& req) {
        return submit<shop_customer_page>(
            self, "list_customers", "GET",
            "/customers" + query("updated_since", req.updated_since,
                                 req.page_size, req.page),
            "", true,
            page_parser<shop::shop_customer>(
                [](const json& j, const std::string& path) {
                  return shop::customer_from_json(j, path);
                }));
      },
      [self, customer](shop_update_customer& req) {
        json c = json::object();
        if (!req.firstname.empty())
          c["firstname"] = req.firstname;
        if (!req.lastname.empty())
          c["lastname"] = req.lastname;
        if (req.group_id != 0)
          c["group_id"] = req.group_id;
        if (!req.custom_attributes.empty()) {
          c["custom_attributes"] = json::array();
          for (auto& a : req.custom_attributes)
            c["custom_attributes"].push_back(
                {{"attribute_code", a.attribute_code}, {"value", a.value}});
        }
        return submit<shop::shop_customer>(
            self, "update_customer", "PUT",
            "/customers/" + std::to_string(req.id),
            shop::dump_exact(json{{"customer", c}}), true, customer);
      },
      [self, order](shop_get_order& req) {
        return submit<shop::shop_order>(
            self, "get_order", "GET",
            "/orders/" + std::to_string(req.entity_id), "", true, order);
      },
      [self](shop_list_orders& req) {
        return submit<shop_order_page>(
            self, "list_orders", "GET",
            "/orders" + query("created_since", req.created_since, req.page_size,
                              req.page),
            "", true,
            page_parser<shop::shop_order>(
                [](const json& j, const std::string& path) {
                  return shop::order_from_json(j, path);
                }));
      },
      [self](shop_comment_order& req) {
        json h = {{"comment", req.comment},
                  {"is_customer_notified", req.notify_customer ? 1 : 0}};
        if (!req.status.empty())
          h["status"] = req.status;
        return submit<bool>(
            self, "comment_order", "POST",
            "/orders/" + std::to_string(req.entity_id) + "/comments",
            json{{"statusHistory", h}}.dump(), false, parse_true);
      },
      [self](shop_order_action& req) -> caf::typed_response_promise<bool> {
        if (req.action != "hold" && req.action != "unhold" &&
            req.action != "cancel") {
          auto p = self->make_response_promise<bool>();
          p.deliver(make_shop_caf_error(
              {shop_error_kind::validation, 0,
               "order action must be hold, unhold or cancel, not \"" +
                   req.action + "\""}));
          return p;
        }
        // A repeat after a lost answer would meet 409: not repeated.
        return submit<bool>(self, req.action + "_order", "POST",
                            "/orders/" + std::to_string(req.entity_id) + "/" +
                                req.action,
                            "", false, parse_true);
      },
      [self](shop_get_sources&) {
        return submit<shop_source_list>(
            self, "get_sources", "GET", "/inventory/sources", "", true,
            [](const json& j) {
              auto page = shop::page_from_json<shop::shop_source>(
                  j, [](const json& x, const std::string& path) {
                    return shop::source_from_json(x, path);
                  });
              if (!page)
                return shop::parsed<shop_source_list>::fail(page.error);
              return shop::parsed<shop_source_list>::ok(
                  shop_source_list{std::move(page->items)});
            });
      },
      [self](shop_get_source_items& req) {
        return submit<shop_source_item_list>(
            self, "get_source_items", "GET",
            "/inventory/source-items?sku=" + http::percent_encode(req.sku), "",
            true, [](const json& j) {
              auto page = shop::page_from_json<shop::shop_source_item>(
                  j, [](const json& x, const std::string& path) {
                    return shop::source_item_from_json(x, path);
                  });
              if (!page)
                return shop::parsed<shop_source_item_list>::fail(page.error);
              return shop::parsed<shop_source_item_list>::ok(
                  shop_source_item_list{std::move(page->items)});
            });
      },
      [self](shop_set_source_items& req) {
        return bulk(
            self, "set_source_items", "/inventory/source-items", "sourceItems",
            std::move(req.items), 1000,
            [](const shop::shop_source_item& i) { return shop::to_json(i); });
      },
      [self](shop_set_backorders& req) {
        if (req.backorders != 0 && req.backorders != 1) {
          auto p = self->make_response_promise<bool>();
          p.deliver(make_shop_caf_error(
              {shop_error_kind::validation, 0,
               "product " + req.sku + ": backorders must be 0 or 1, not " +
                   std::to_string(req.backorders)}));
          return p;
        }
        return submit_unread(self, "set_backorders", "PUT",
                             "/products/" + http::percent_encode(req.sku) +
                                 "/stock",
                             json{{"backorders", req.backorders}}.dump(), true);
      },
      [self](shop_done_atom, shop_job_ptr job) {
        finish(self, std::move(job));
      },
      [self](shop_retry_atom, shop_job_ptr job) {
        attempt(self, std::move(job));
      },
  };
}

} // namespace

shop_connector_actor spawn_shop_connector(caf::actor_system& sys,
                                          shop_connector_settings settings,
                                          prometheus::Registry& registry) {
  return sys.spawn(shop_connector, std::move(settings), &registry);
}

} // namespace ferry
