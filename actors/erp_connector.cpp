#include "actors/erp_connector.hpp"

#include "actors/backlog.hpp"
#include "actors/retry_policy.hpp"
#include "protocols/soap/erp_client.hpp"

#include <caf/all.hpp>
#include <deque>
#include <functional>
#include <optional>
#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <vector>

namespace ferry {

caf::error make_erp_caf_error(erp_error e) {
  auto code = static_cast<std::uint8_t>(static_cast<int>(e.kind) + 1);
  return caf::error{code, erp_error_category, caf::make_message(std::move(e))};
}

std::optional<erp_error> erp_error_of(const caf::error& e) {
  if (!e || e.category() != erp_error_category)
    return std::nullopt;
  const auto& ctx = e.context();
  if (ctx.match_elements<erp_error>())
    return ctx.get_as<erp_error>(0);
  return std::nullopt;
}

/// One call: what to run on a session and how to answer the caller.
struct erp_job {
  virtual ~erp_job() = default;
  std::string operation;
  bool read_only = true;
  int attempt = 0;
  std::chrono::steady_clock::time_point started;
  bool ok = false;
  erp_error error;
  /// On a session worker: the blocking SOAP call.
  virtual void run(erp_client& client) = 0;
  /// On the connector: the answer to the caller.
  virtual void deliver() = 0;
  /// On the connector: the error to the caller.
  virtual void fail(caf::error e) = 0;
};

namespace {

template <class R>
struct typed_job : erp_job {
  caf::typed_response_promise<R> promise;
  std::function<erp_result<R>(erp_client&)> call;
  R result;

  void run(erp_client& client) override {
    auto r = call(client);
    ok = r.ok();
    if (ok)
      result = std::move(r.value());
    else
      error = r.error();
  }
  void deliver() override { promise.deliver(std::move(result)); }
  void fail(caf::error e) override { promise.deliver(std::move(e)); }
};

// Converts a client result to the connector's answer type.
template <class R, class T, class F>
erp_result<R> convert(erp_result<T>&& r, F f) {
  if (!r.ok())
    return r.error();
  return f(std::move(r.value()));
}

struct metrics {
  prometheus::Family<prometheus::Counter>& calls;
  prometheus::Family<prometheus::Histogram>& latency;
  prometheus::Family<prometheus::Counter>& retries;
  prometheus::Gauge& breaker;
  prometheus::Gauge& in_flight;
  prometheus::Gauge& queued;

  explicit metrics(prometheus::Registry& r)
      : calls(prometheus::BuildCounter()
                  .Name("ferry_erp_calls_total")
                  .Help("ERP calls by operation and final outcome")
                  .Register(r)),
        latency(prometheus::BuildHistogram()
                    .Name("ferry_erp_call_duration_seconds")
                    .Help("Duration of one ERP call attempt")
                    .Register(r)),
        retries(prometheus::BuildCounter()
                    .Name("ferry_erp_retries_total")
                    .Help("ERP call attempts beyond the first")
                    .Register(r)),
        breaker(prometheus::BuildGauge()
                    .Name("ferry_erp_breaker_state")
                    .Help("ERP circuit breaker: 0 closed, 1 open, 2 half-open")
                    .Register(r)
                    .Add({})),
        in_flight(prometheus::BuildGauge()
                      .Name("ferry_erp_sessions_in_flight")
                      .Help("ERP calls in progress (sessions in use)")
                      .Register(r)
                      .Add({})),
        queued(prometheus::BuildGauge()
                   .Name("ferry_erp_queue_length")
                   .Help("ERP calls waiting for a session")
                   .Register(r)
                   .Add({})) {}
};

struct connector_state {
  erp_connector_settings settings;
  std::unique_ptr<circuit_breaker> breaker;
  std::unique_ptr<retry_policy> retries;
  /// Each session worker and the calls handed to it (running + waiting in
  /// its mailbox).
  std::vector<std::pair<caf::actor, std::uint32_t>> sessions;
  std::deque<erp_job_ptr> queue;
  /// Sessions with a call running: never more than max_sessions.
  std::uint32_t in_flight = 0;
  std::unique_ptr<metrics> m;
  static inline const char* name = "erp_connector";
};

using connector_ptr = erp_connector_actor::stateful_pointer<connector_state>;

caf::behavior erp_session(caf::event_based_actor*, erp_client_settings s) {
  auto client = std::make_shared<erp_client>(std::move(s));
  return {
      [client](erp_run_atom, erp_job_ptr job) {
        // Timed here, not when handed over: it may have waited for the call
        // before it on this session.
        job->started = std::chrono::steady_clock::now();
        job->run(*client);
        return job;
      },
  };
}

erp_error simple_error(erp_error_kind kind, const std::string& operation,
                       const std::string& what) {
  erp_error e;
  e.kind = kind;
  e.message = operation + ": " + what;
  return e;
}

void update_gauges(connector_ptr self) {
  auto& st = self->state;
  st.m->breaker.Set(gauge_value(st.breaker->current()));
  st.m->in_flight.Set(st.in_flight);
  st.m->queued.Set(static_cast<double>(st.queue.size()));
}

void finish(connector_ptr self, const erp_job_ptr& job,
            const std::string& outcome) {
  self->state.m->calls
      .Add({{"operation", job->operation}, {"outcome", outcome}})
      .Increment();
}

void on_done(connector_ptr self, std::size_t worker, const erp_job_ptr& job);

// A session is handed its next call while the current one runs, so that it
// starts the next one without waiting for a round trip through this actor:
// the calls still run one at a time per session.
constexpr std::uint32_t calls_per_session = 2;

// The least loaded session that can take another call.
std::optional<std::size_t> free_session(connector_ptr self) {
  auto& sessions = self->state.sessions;
  std::optional<std::size_t> best;
  for (std::size_t i = 0; i < sessions.size(); ++i)
    if (sessions[i].second < calls_per_session &&
        (!best || sessions[i].second < sessions[*best].second))
      best = i;
  return best;
}

void pump(connector_ptr self) {
  auto& st = self->state;
  for (auto worker = free_session(self); worker && !st.queue.empty();
       worker = free_session(self)) {
    auto job = st.queue.front();
    st.queue.pop_front();
    auto now = std::chrono::steady_clock::now();
    if (!st.breaker->allow(now)) {
      finish(self, job, to_string(erp_error_kind::circuit_open));
      job->fail(make_erp_caf_error(simple_error(
          erp_error_kind::circuit_open, job->operation,
          "the ERP circuit breaker is open after repeated failures")));
      continue;
    }
    if (st.sessions[*worker].second++ == 0)
      ++st.in_flight;
    self->request(st.sessions[*worker].first, caf::infinite, erp_run_atom_v,
                  job)
        .then([self, worker = *worker](
                  erp_job_ptr& done) { on_done(self, worker, done); },
              [self, worker = *worker, job](caf::error& err) {
                // The session worker died: count it as a failed attempt.
                job->ok = false;
                job->error = simple_error(
                    erp_error_kind::outcome_unknown, job->operation,
                    "the session worker failed: " + caf::to_string(err));
                on_done(self, worker, job);
              });
  }
  update_gauges(self);
}

void on_done(connector_ptr self, std::size_t worker, const erp_job_ptr& job) {
  auto& st = self->state;
  if (--st.sessions[worker].second == 0)
    --st.in_flight;
  auto now = std::chrono::steady_clock::now();
  std::chrono::duration<double> took = now - job->started;
  st.m->latency
      .Add({{"operation", job->operation}},
           prometheus::Histogram::BucketBoundaries{0.01, 0.025, 0.05, 0.1, 0.25,
                                                   0.5, 1, 2.5, 5, 10, 30})
      .Observe(took.count());
  if (job->ok) {
    st.breaker->record_success(now);
    finish(self, job, "ok");
    job->deliver();
  } else {
    const auto& e = job->error;
    bool erp_trouble = e.kind == erp_error_kind::server_fault ||
                       e.kind == erp_error_kind::connection_failed ||
                       e.kind == erp_error_kind::outcome_unknown ||
                       e.kind == erp_error_kind::bad_response;
    if (erp_trouble)
      st.breaker->record_failure(now);
    else
      st.breaker->record_success(now);
    bool may_retry =
        e.retryable() ||
        (e.kind == erp_error_kind::outcome_unknown && job->read_only);
    auto delay =
        may_retry ? st.retries->next_delay(job->attempt, now) : std::nullopt;
    if (delay) {
      ++job->attempt;
      st.m->retries.Add({{"operation", job->operation}}).Increment();
      self->delayed_send(self, *delay, erp_retry_atom_v, job);
    } else {
      finish(self, job, to_string(e.kind));
      job->fail(make_erp_caf_error(e));
    }
  }
  pump(self);
}

template <class R>
caf::typed_response_promise<R>
submit(connector_ptr self, std::string operation, bool read_only,
       std::function<erp_result<R>(erp_client&)> call) {
  auto& st = self->state;
  auto job = std::make_shared<typed_job<R>>();
  job->operation = std::move(operation);
  job->read_only = read_only;
  job->call = std::move(call);
  job->promise = self->template make_response_promise<R>();
  auto promise = job->promise;
  if (st.queue.size() >= st.settings.max_queue) {
    finish(self, job, to_string(erp_error_kind::overloaded));
    job->fail(make_erp_caf_error(
        simple_error(erp_error_kind::overloaded, job->operation,
                     "more than " + std::to_string(st.settings.max_queue) +
                         " ERP calls are waiting")));
    return promise;
  }
  st.retries->record_call(std::chrono::steady_clock::now());
  st.queue.push_back(job);
  pump(self);
  return promise;
}

erp_connector_actor::behavior_type
erp_connector(connector_ptr self, erp_connector_settings settings,
              prometheus::Registry* registry) {
  auto& st = self->state;
  st.settings = std::move(settings);
  st.breaker = std::make_unique<circuit_breaker>(st.settings.breaker);
  st.retries = std::make_unique<retry_policy>(
      st.settings.max_attempts, st.settings.backoff, st.settings.retries);
  st.m = std::make_unique<metrics>(*registry);
  erp_client_settings cs;
  cs.endpoint = st.settings.endpoint;
  cs.username = st.settings.username;
  cs.password = st.settings.password;
  cs.ca_file = st.settings.ca_file;
  cs.connect_timeout = st.settings.connect_timeout;
  cs.call_timeout = st.settings.call_timeout;
  for (std::size_t i = 0;
       i < std::max<std::size_t>(1, st.settings.max_sessions); ++i)
    st.sessions.emplace_back(
        self->spawn<caf::detached + caf::linked>(erp_session, cs), 0);
  update_gauges(self);
  return {
      [self](erp_create_sales_order& req) {
        return submit<erp_created_sales_order>(
            self, "CreateSalesOrder", false,
            [order = std::move(req.order)](erp_client& c) {
              return c.create_sales_order(order);
            });
      },
      [self](erp_get_sales_order& req) {
        return submit<erp_sales_order>(
            self, "GetSalesOrder", true,
            [id = std::move(req.external_order_id)](erp_client& c) {
              return c.get_sales_order(id);
            });
      },
      [self](erp_find_customer& req) {
        return submit<erp_customer_lookup>(
            self, "FindCustomer", true,
            [email = std::move(req.email)](erp_client& c) {
              return convert<erp_customer_lookup>(
                  c.find_customer(email), [](std::optional<erp_customer>&& x) {
                    erp_customer_lookup r;
                    r.found = x.has_value();
                    if (x)
                      r.customer = std::move(*x);
                    return r;
                  });
            });
      },
      [self](erp_create_customer& req) {
        return submit<erp_customer_no>(
            self, "CreateCustomer", false,
            [customer = std::move(req.customer)](erp_client& c) {
              return convert<erp_customer_no>(
                  c.create_customer(customer), [](std::string&& no) {
                    return erp_customer_no{std::move(no)};
                  });
            });
      },
      [self](erp_update_customer& req) {
        return submit<erp_modified_at>(
            self, "UpdateCustomer", false,
            [customer = std::move(req.customer)](erp_client& c) {
              return convert<erp_modified_at>(
                  c.update_customer(customer), [](std::string&& at) {
                    return erp_modified_at{std::move(at)};
                  });
            });
      },
      [self](erp_get_customers& req) {
        return submit<erp_page<erp_customer>>(
            self, "GetCustomers", true,
            [page = req.page](erp_client& c) { return c.get_customers(page); });
      },
      [self](erp_get_items& req) {
        return submit<erp_page<erp_item>>(
            self, "GetItems", true,
            [page = req.page](erp_client& c) { return c.get_items(page); });
      },
      [self](erp_upsert_items& req) {
        // Upserting the same items again is harmless: retried like a read.
        return submit<erp_upsert_results>(
            self, "UpsertItems", true,
            [items = std::move(req.items)](erp_client& c) {
              return convert<erp_upsert_results>(
                  c.upsert_items(items),
                  [](std::vector<erp_upsert_result>&& rows) {
                    return erp_upsert_results{std::move(rows)};
                  });
            });
      },
      [self](erp_get_status_changes& req) {
        return submit<erp_page<erp_status_change>>(
            self, "GetSalesOrderStatusChanges", true,
            [page = req.page](erp_client& c) {
              return c.get_sales_order_status_changes(page);
            });
      },
      [self](erp_get_warehouses&) {
        return submit<erp_warehouse_list>(
            self, "GetWarehouses", true, [](erp_client& c) {
              return convert<erp_warehouse_list>(
                  c.get_warehouses(), [](std::vector<erp_warehouse>&& rows) {
                    return erp_warehouse_list{std::move(rows)};
                  });
            });
      },
      [self](erp_get_stock_levels& req) {
        return submit<erp_page<erp_stock_level>>(
            self, "GetStockLevels", true,
            [page = req.page, wh = req.warehouse_code](erp_client& c) {
              return c.get_stock_levels(page, wh);
            });
      },
      [self](erp_get_price_lists& req) {
        return submit<erp_page<erp_price_list>>(
            self, "GetPriceLists", true, [page = req.page](erp_client& c) {
              return c.get_price_lists(page);
            });
      },
      [self](caf::get_atom) {
        auto& st = self->state;
        erp_connector_status s;
        s.breaker = to_string(st.breaker->current());
        s.in_flight = st.in_flight;
        s.queued = static_cast<std::uint32_t>(st.queue.size());
        s.sessions = static_cast<std::uint32_t>(st.settings.max_sessions);
        return s;
      },
      [self](backlog_atom) -> std::uint64_t {
        return self->state.queue.size() + mailbox_backlog(self);
      },
      [self](erp_retry_atom, erp_job_ptr job) {
        self->state.queue.push_back(std::move(job));
        pump(self);
      },
  };
}

} // namespace

erp_connector_actor spawn_erp_connector(caf::actor_system& sys,
                                        erp_connector_settings settings,
                                        prometheus::Registry& registry) {
  return sys.spawn(erp_connector, std::move(settings), &registry);
}

} // namespace ferry
