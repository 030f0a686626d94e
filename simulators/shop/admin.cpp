// The simulator's admin API (plain HTTP on loopback): read everything the
// shop holds, change it as shop users would, and turn the fault knobs. See
// README.md for each route.
#include "simulators/shop/simulator.hpp"

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

http::response fail(int status, std::string message) {
  return exact(status, json{{"error", std::move(message)}});
}

template <class T>
http::response answer(const outcome<T>& o) {
  if (!o)
    return exact(o.error.status, o.error.body());
  if constexpr (std::is_same_v<T, bool>)
    return exact(200, json(true));
  else
    return exact(200, to_json(*o.value));
}

using admin_fn =
    std::function<http::response(const http::request&, const json& body)>;

/// Runs `f` with the parsed body; a bad body or a thrown error is a 400 that
/// names what was wrong.
http::handler admin(admin_fn f) {
  return [f](http::request&& r, http::respond_fn respond) {
    json body = json::object();
    if (!r.body.empty()) {
      auto j = parse_exact(r.body);
      if (!j) {
        respond(fail(400, "body: " + j.error));
        return;
      }
      body = *j;
    }
    try {
      respond(f(r, body));
    } catch (const std::exception& e) {
      respond(fail(400, e.what()));
    }
  };
}

double share_of(const json& body, const char* key, double current) {
  auto i = body.find(key);
  if (i == body.end())
    return current;
  auto text = number_text(*i);
  if (!text)
    throw std::invalid_argument(std::string{key} + ": not a number");
  auto v = std::stod(*text);
  if (v < 0 || v > 1)
    throw std::invalid_argument(std::string{key} + ": must be in [0, 1], not " +
                                *text);
  return v;
}

double positive_of(const json& body, const char* key, double current) {
  auto i = body.find(key);
  if (i == body.end())
    return current;
  auto text = number_text(*i);
  if (!text)
    throw std::invalid_argument(std::string{key} + ": not a number");
  auto v = std::stod(*text);
  if (v < 0)
    throw std::invalid_argument(std::string{key} + ": must not be negative");
  return v;
}

std::int64_t id_of(const http::request& r) {
  auto& s = r.params.at("id");
  std::size_t used = 0;
  auto v = std::stoll(s, &used);
  if (used != s.size())
    throw std::invalid_argument("id: not a number: " + s);
  return v;
}

} // namespace

http::router simulator::admin_router() {
  http::router r;
  r.add("GET", "/admin/products", admin([this](auto&, auto&) {
          json items = json::array();
          for (auto& p : state_->list_products("", 500, 1).items)
            items.push_back(to_json(p));
          auto page = state_->list_products("", 1, 1);
          int pages = static_cast<int>((page.total_count + 499) / 500);
          for (int i = 2; i <= pages; ++i)
            for (auto& p : state_->list_products("", 500, i).items)
              items.push_back(to_json(p));
          return exact(
              200, json{{"items", items}, {"total_count", page.total_count}});
        }));
  r.add("GET", "/admin/product-writes", admin([this](auto&, auto&) {
          auto writes = state_->product_writes();
          json repeated = json::object();
          std::int64_t total = 0;
          for (auto& [sku, n] : writes) {
            if (n > 1)
              repeated[sku] = n;
            total += n;
          }
          return exact(200, json{{"total", total},
                                 {"skus", writes.size()},
                                 {"repeated", repeated}});
        }));
  r.add("GET", "/admin/products/{sku}", admin([this](auto& req, auto&) {
          auto& sku = req.params.at("sku");
          auto p = state_->get_product(sku);
          if (!p)
            return answer(p);
          json stock = json::array();
          for (auto& i : state_->source_items(sku))
            stock.push_back(to_json(i));
          auto j = to_json(*p.value);
          j["backorders"] = state_->backorders(sku).value_or(0);
          j["backorder_writes"] = state_->backorder_writes(sku);
          j["source_items"] = stock;
          j["salable_quantity"] =
              exact_number(state_->salable_quantity(sku).to_string());
          return exact(200, j);
        }));
  r.add("PUT", "/admin/products/{sku}", admin([this](auto& req, auto& body) {
          auto p = body.find("product");
          return answer(state_->put_product(req.params.at("sku"),
                                            p == body.end() ? body : *p));
        }));
  r.add("GET", "/admin/customers", admin([this](auto&, auto&) {
          json items = json::array();
          for (int page = 1;; ++page) {
            auto part = state_->list_customers("", 500, page);
            for (auto& c : part.items)
              items.push_back(to_json(c));
            if (part.items.size() < 500)
              break;
          }
          return exact(200,
                       json{{"items", items}, {"total_count", items.size()}});
        }));
  r.add("POST", "/admin/customers", admin([this](auto&, auto& body) {
          return answer(state_->register_customer(
              body.value("email", ""), body.value("firstname", ""),
              body.value("lastname", ""), body.value("group_id", 1)));
        }));
  r.add("PUT", "/admin/customers/{id}", admin([this](auto& req, auto& body) {
          return answer(state_->update_customer(id_of(req), body));
        }));
  r.add("GET", "/admin/orders", admin([this](auto&, auto&) {
          json items = json::array();
          for (int page = 1;; ++page) {
            auto part = state_->list_orders("", 500, page);
            for (auto& o : part.items)
              items.push_back(to_json(o));
            if (part.items.size() < 500)
              break;
          }
          return exact(200,
                       json{{"items", items}, {"total_count", items.size()}});
        }));
  r.add("GET", "/admin/orders/{id}", admin([this](auto& req, auto&) {
          return answer(state_->get_order(id_of(req)));
        }));
  r.add("POST", "/admin/orders", admin([this](auto&, auto& body) {
          std::optional<std::int64_t> customer;
          if (auto c = body.find("customer_id");
              c != body.end() && !c->is_null())
            customer = c->template get<std::int64_t>();
          std::vector<cart_line> lines;
          for (auto& l : body.value("lines", json::array()))
            lines.push_back({l.at("sku").template get<std::string>(),
                             l.value("qty", std::int64_t{1})});
          std::int64_t shipping = 0;
          if (auto s = body.find("shipping_amount"); s != body.end()) {
            auto text = number_text(*s);
            auto m = text ? money::parse(*text) : std::nullopt;
            if (!m)
              throw std::invalid_argument("shipping_amount: not an amount");
            shipping = m->minor();
          }
          return answer(state_->place_order(
              customer, body.value("guest_email", ""), lines, shipping));
        }));
  r.add("POST", "/admin/orders/{id}/{op}", admin([this](auto& req, auto& b) {
          auto id = id_of(req);
          auto& op = req.params.at("op");
          if (op == "comments")
            return answer(state_->add_comment(id, b));
          if (op == "hold")
            return answer(state_->hold(id));
          if (op == "unhold")
            return answer(state_->unhold(id));
          if (op == "cancel")
            return answer(state_->cancel(id));
          return fail(404, "unknown order action: " + op);
        }));
  r.add("GET", "/admin/sources", admin([this](auto&, auto&) {
          json items = json::array();
          for (auto& s : state_->sources())
            items.push_back(to_json(s));
          return exact(200, json{{"items", items}});
        }));
  r.add("POST", "/admin/sources/{code}", admin([this](auto& req, auto& b) {
          return answer(state_->set_source_enabled(req.params.at("code"),
                                                   b.value("enabled", true)));
        }));
  r.add("POST", "/admin/stock", admin([this](auto&, auto& body) {
          json out = json::array();
          for (auto& x : state_->set_source_items(
                   body.value("sourceItems", json::array())))
            out.push_back(to_json(x));
          return exact(200, json{{"results", out}});
        }));
  r.add(
      "GET", "/admin/faults", admin([this](auto&, auto&) {
        std::lock_guard<std::mutex> guard{knobs_mutex_};
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                        faults_.storm_until - std::chrono::steady_clock::now())
                        .count();
        return exact(
            200, json{{"latency_ms", faults_.latency.count()},
                      {"error_rate", faults_.error_rate},
                      {"storm_ms_left", std::max<std::int64_t>(0, left)},
                      {"storm_share", faults_.storm_share},
                      {"storm_retry_after", faults_.storm_retry_after_seconds},
                      {"webhook_duplicate", faults_.webhooks.duplicate},
                      {"webhook_reorder", faults_.webhooks.reorder},
                      {"webhook_loss", faults_.webhooks.loss}});
      }));
  r.add("POST", "/admin/faults", admin([this](auto&, auto& b) {
          std::lock_guard<std::mutex> guard{knobs_mutex_};
          auto f = faults_;
          f.latency =
              std::chrono::milliseconds{static_cast<std::int64_t>(positive_of(
                  b, "latency_ms", static_cast<double>(f.latency.count())))};
          f.error_rate = share_of(b, "error_rate", f.error_rate);
          f.storm_share = share_of(b, "storm_share", f.storm_share);
          f.storm_retry_after_seconds = static_cast<int>(
              positive_of(b, "storm_retry_after", f.storm_retry_after_seconds));
          if (b.contains("storm_seconds"))
            f.storm_until = std::chrono::steady_clock::now() +
                            std::chrono::milliseconds{static_cast<std::int64_t>(
                                positive_of(b, "storm_seconds", 0) * 1000)};
          f.webhooks.duplicate =
              share_of(b, "webhook_duplicate", f.webhooks.duplicate);
          f.webhooks.reorder =
              share_of(b, "webhook_reorder", f.webhooks.reorder);
          f.webhooks.loss = share_of(b, "webhook_loss", f.webhooks.loss);
          faults_ = f;
          return exact(200, json(true));
        }));
  r.add("POST", "/admin/tokens/expire", admin([this](auto&, auto&) {
          tokens_->expire_all();
          return exact(200, json(true));
        }));
  r.add("GET", "/admin/tokens", admin([this](auto&, auto&) {
          return exact(200, json{{"issued", tokens_->issued_counts()}});
        }));
  r.add("GET", "/admin/rate", admin([this](auto& req, auto&) {
          auto c = req.query.find("client");
          auto client = c == req.query.end() ? std::string{"ferry"} : c->second;
          json seconds = json::array();
          for (auto& s : limiter_.history(client))
            seconds.push_back({{"second", s.epoch_second}, {"count", s.count}});
          auto set = limiter_.current();
          return exact(200, json{{"client", client},
                                 {"peak_per_second", limiter_.peak(client)},
                                 {"rate_per_second", set.rate_per_second},
                                 {"burst", set.burst},
                                 {"seconds", seconds}});
        }));
  r.add("POST", "/admin/rate", admin([this](auto&, auto& b) {
          auto set = limiter_.current();
          set.rate_per_second =
              positive_of(b, "rate_per_second", set.rate_per_second);
          set.burst = positive_of(b, "burst", set.burst);
          if (set.rate_per_second <= 0 || set.burst < 1)
            throw std::invalid_argument("rate_per_second must be > 0 and "
                                        "burst >= 1");
          limiter_.configure(set);
          if (b.value("reset_counts", false)) {
            limiter_.reset_counts();
            std::lock_guard<std::mutex> guard{calls_mutex_};
            calls_.clear();
          }
          return exact(200, json(true));
        }));
  r.add("GET", "/admin/calls", admin([this](auto& req, auto&) {
          auto c = req.query.find("client");
          auto client = c == req.query.end() ? std::string{"ferry"} : c->second;
          std::lock_guard<std::mutex> guard{calls_mutex_};
          auto& calls = calls_[client];
          std::int64_t total = 0;
          for (auto& [route, n] : calls.served)
            total += n;
          return exact(200, json{{"client", client},
                                 {"total", total},
                                 {"routes", calls.served},
                                 {"rate_limited", calls.limited}});
        }));
  r.add("GET", "/admin/webhooks", admin([this](auto& req, auto&) {
          auto fate = req.query.find("fate");
          json events = json::array();
          for (auto& w : webhooks_->records()) {
            if (fate != req.query.end() && w.fate != fate->second)
              continue;
            events.push_back({{"event_id", w.event_id},
                              {"topic", w.topic},
                              {"key", w.key},
                              {"fate", w.fate},
                              {"attempts", w.attempts},
                              {"copies", w.copies},
                              {"reordered", w.reordered}});
          }
          return exact(200, json{{"stats", webhooks_->stats()},
                                 {"paused", webhooks_paused_.load()},
                                 {"events", events}});
        }));
  r.add("POST", "/admin/webhooks", admin([this](auto&, auto& b) {
          auto s = webhooks_->schedule();
          s.time_scale = positive_of(b, "time_scale", s.time_scale);
          webhooks_->set_schedule(s);
          if (auto u = b.find("url"); u != b.end()) {
            std::lock_guard<std::mutex> guard{knobs_mutex_};
            webhook_url_ = u->template get<std::string>();
          }
          if (auto p = b.find("paused"); p != b.end()) {
            if (!p->is_boolean())
              throw std::invalid_argument("paused must be true or false");
            webhooks_paused_ = p->template get<bool>();
            wake_.notify_all();
          }
          return exact(200, json(true));
        }));
  r.add("GET", "/admin/traffic", admin([this](auto&, auto&) {
          // Counted before taking the knobs' lock: the state's lock is
          // taken first elsewhere (a change's webhook reads the knobs).
          auto orders = state_->order_count();
          std::lock_guard<std::mutex> guard{knobs_mutex_};
          return exact(
              200,
              json{{"enabled", traffic_.enabled},
                   {"orders_per_second", traffic_.orders_per_second},
                   {"customers_per_second", traffic_.customers_per_second},
                   {"high_value_share", traffic_.high_value_share},
                   {"guest_share", traffic_.guest_share},
                   {"threshold", exact_number(traffic_.threshold.to_string())},
                   {"orders", orders}});
        }));
  r.add("POST", "/admin/traffic", admin([this](auto&, auto& b) {
          std::lock_guard<std::mutex> guard{knobs_mutex_};
          auto t = traffic_;
          t.enabled = b.value("enabled", t.enabled);
          t.orders_per_second =
              positive_of(b, "orders_per_second", t.orders_per_second);
          t.customers_per_second =
              positive_of(b, "customers_per_second", t.customers_per_second);
          t.high_value_share =
              share_of(b, "high_value_share", t.high_value_share);
          t.guest_share = share_of(b, "guest_share", t.guest_share);
          if (auto th = b.find("threshold"); th != b.end()) {
            auto text = number_text(*th);
            auto m = text ? money::parse(*text) : std::nullopt;
            if (!m)
              throw std::invalid_argument("threshold: not an amount");
            t.threshold = *m;
          }
          traffic_ = t;
          return exact(200, json(true));
        }));
  return r;
}

} // namespace ferry::sim_shop
