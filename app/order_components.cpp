#include "actors/order_desk.hpp"
#include "actors/order_intake.hpp"
#include "actors/order_status_poller.hpp"
#include "app/components.hpp"
#include "config/values.hpp"
#include "mapping/json_text.hpp"
#include "persistence/order_saga_store.hpp"

#include <caf/actor_cast.hpp>
#include <caf/send.hpp>
#include <mutex>
#include <nlohmann/json.hpp>

namespace ferry::app {

namespace {

/// The current order desk: the supervisor may restart it as a new actor,
/// so the routes look it up per request. Weak: a strong handle kept here
/// would keep the stopped (detached) desk alive and ~actor_system waiting
/// for it forever.
struct desk_holder {
  std::mutex mutex;
  caf::weak_actor_ptr desk;
};

desk_holder& current_desk() {
  static desk_holder holder;
  return holder;
}

order_intake_settings intake_settings(const config::ferry_config& c) {
  order_intake_settings s;
  s.saga.node = c.node.id.empty() ? "ferry" : c.node.id;
  s.saga.mapping.erp_time_zone = config::load_time_zone(c.erp.timezone);
  s.saga.mapping.charges_item_code = c.erp.charges_item_code;
  s.saga.mapping.currencies.clear();
  for (const auto& [currency, amount] : c.approvals.thresholds) {
    s.saga.mapping.currencies.insert(currency);
    (void)amount;
  }
  s.saga.approval_thresholds = c.approvals.thresholds;
  s.saga.group_approval_thresholds = c.approvals.group_thresholds;
  s.max_running = static_cast<std::size_t>(c.orders.max_running);
  s.batch = static_cast<std::size_t>(c.orders.batch);
  return s;
}

nlohmann::json log_json(const persistence::sync_log_record& r) {
  nlohmann::json j = {{"id", r.id},
                      {"at", r.at},
                      {"entity", r.entry.entity},
                      {"direction", persistence::to_string(r.entry.direction)},
                      {"entity_id", r.entry.entity_id},
                      {"external_id", r.entry.external_id},
                      {"attempt", r.entry.attempt},
                      {"outcome", persistence::to_string(r.entry.outcome)},
                      {"message", r.entry.message},
                      {"payload", r.entry.payload}};
  if (r.entry.latency_ms)
    j["latency_ms"] = *r.entry.latency_ms;
  return j;
}

/// Runs `work` on the order desk and answers with what it returns; 503
/// when the desk is not running, 500 naming the failure when it throws.
void on_desk(http::respond_fn respond, std::function<http::response()> work) {
  order_desk_actor desk;
  {
    auto& holder = current_desk();
    std::lock_guard<std::mutex> guard{holder.mutex};
    desk = caf::actor_cast<order_desk_actor>(holder.desk.lock());
  }
  if (!desk) {
    respond(http::response::error(503, "unavailable",
                                  "the order desk is not running"));
    return;
  }
  auto job = std::make_shared<order_desk_job>();
  job->run = [respond, work] {
    try {
      respond(work());
    } catch (const std::exception& e) {
      respond(http::response::error(500, "internal_error", e.what()));
    }
  };
  caf::anon_send(desk, job);
}

http::response db_failure(const caf::error& e) {
  return http::response::error(503, "database_unavailable",
                               persistence::db_error_text(e));
}

http::handler decision_handler(persistence::pg_pool& pool,
                               std::string decision) {
  return [&pool, decision](http::request&& r, http::respond_fn respond) {
    auto key = r.params["id"];
    std::string reason;
    std::string approver;
    if (!r.body.empty()) {
      auto parsed = parse_bounded_json(r.body);
      if (!parsed.error.empty() || !parsed.value.is_object()) {
        respond(http::response::error(
            400, "invalid_request",
            parsed.error.empty() ? "the body is not a JSON object"
                                 : "the body is refused: " + parsed.error));
        return;
      }
      for (auto [key, out] :
           {std::pair{"reason", &reason}, std::pair{"approver", &approver}}) {
        auto it = parsed.value.find(key);
        if (it == parsed.value.end() || it->is_null())
          continue;
        if (!it->is_string()) {
          respond(http::response::error(
              400, "invalid_request", std::string{key} + " must be a string"));
          return;
        }
        *out = it->get<std::string>();
      }
    }
    if (decision == "reject" && reason.empty()) {
      respond(http::response::error(400, "invalid_request",
                                    "reject needs a non-empty \"reason\""));
      return;
    }
    // Who decided: the authenticated client, and the person it names.
    auto decided_by = approver.empty()
                          ? r.principal
                          : approver + " (via " + r.principal + ")";
    on_desk(respond, [&pool, key, decision, decided_by, reason] {
      persistence::order_saga_store store{pool};
      auto out = store.decide(key, decision, decided_by, reason);
      if (!out)
        return db_failure(out.error());
      nlohmann::json first = {{"decision", out->decision},
                              {"decided_by", out->decided_by},
                              {"decided_at", out->decided_at},
                              {"reason", out->reason}};
      switch (out->kind) {
        case persistence::approval_outcome::decided:
          first["increment_id"] = key;
          first["state"] = out->state;
          return http::response::json(200, first);
        case persistence::approval_outcome::already_decided: {
          auto resp = http::response::error(
              409, "already_decided",
              "order " + key + " was already decided: " + out->decision);
          auto body = nlohmann::json::parse(resp.body);
          body["first_decision"] = first;
          return http::response::json(409, body);
        }
        case persistence::approval_outcome::not_pending:
          return http::response::error(
              409, "not_pending",
              "order " + key + " is not waiting for approval (state " +
                  out->state + ")");
        case persistence::approval_outcome::not_found:
          break;
      }
      return http::response::error(404, "not_found",
                                   "no order " + key + " in Ferry");
    });
  };
}

} // namespace

inbox_batch_commit order_webhook_commit(component_context& c) {
  auto settings = intake_settings(c.config);
  settings.handoff = c.orders;
  settings.saga.flows = c.flows;
  return ferry::order_webhook_commit(
      std::move(settings),
      std::make_shared<persistence::order_saga_store>(c.pool));
}

void add_order_children(component_context& c, std::vector<child_spec>& out) {
  auto directory = c.connectors;
  auto& pool = c.pool;
  auto settings = intake_settings(c.config);
  settings.handoff = c.orders;
  settings.saga.flows = c.flows;

  child_spec desk;
  desk.kind = "order_desk";
  desk.start = [](caf::actor_system& sys) {
    auto handle = spawn_order_desk(sys);
    auto& holder = current_desk();
    std::lock_guard<std::mutex> guard{holder.mutex};
    holder.desk = caf::actor_cast<caf::weak_actor_ptr>(handle);
    return caf::actor_cast<caf::actor>(handle);
  };
  out.push_back(std::move(desk));

  child_spec intake;
  intake.kind = "order_intake";
  intake.start = [directory, &pool, settings](caf::actor_system& sys) {
    return caf::actor_cast<caf::actor>(
        spawn_order_intake(sys, settings, pool, directory));
  };
  out.push_back(std::move(intake));

  order_status_poller_settings status;
  status.node = settings.saga.node;
  status.interval = c.config.erp.status_poll_interval;
  status.flows = c.flows;
  child_spec poller;
  poller.kind = "order_status_poller";
  poller.role = child_role::producer;
  poller.probe = backlog_probe::none;
  poller.start = [directory, &pool, status](caf::actor_system& sys) {
    return caf::actor_cast<caf::actor>(
        spawn_order_status_poller(sys, status, pool, directory));
  };
  out.push_back(std::move(poller));
}

void add_order_routes(api_context& c, http::router& router) {
  auto& pool = c.components.pool;
  const auto& issuer = c.issuer;
  router.add("POST", "/api/v1/approvals/{id}/approve",
             issuer.require_scopes({"approvals:decide"},
                                   decision_handler(pool, "approve")));
  router.add("POST", "/api/v1/approvals/{id}/reject",
             issuer.require_scopes({"approvals:decide"},
                                   decision_handler(pool, "reject")));
  router.add(
      "GET", "/api/v1/orders/{increment_id}",
      issuer.require_scopes({"orders:read"}, [&pool](http::request&& r,
                                                     http::respond_fn respond) {
        auto key = r.params["increment_id"];
        on_desk(respond, [&pool, key] {
          persistence::order_saga_store store{pool};
          auto saga = store.load(key);
          if (!saga)
            return db_failure(saga.error());
          if (!*saga)
            return http::response::error(404, "not_found",
                                         "no order " + key + " in Ferry");
          auto history = store.history("order", key);
          if (!history)
            return db_failure(history.error());
          const auto& row = **saga;
          nlohmann::json body = {
              {"increment_id", key},
              {"external_order_id", "WEB-" + key},
              {"state", row.state},
              {"sales_order_no", row.data.value("sales_order_no", "")},
              {"erp_customer_no", row.data.value("erp_customer_no", "")},
              {"grand_total", row.data.value("grand_total", "")},
              {"currency", row.data.value("currency", "")},
              {"reason", row.data.value("reason", "")},
              {"decision", row.data.value("decision", nlohmann::json{})},
              {"created_at", row.created_at},
              {"updated_at", row.updated_at},
              {"history", nlohmann::json::array()}};
          for (const auto& rec : *history)
            body["history"].push_back(log_json(rec));
          return http::response::json(200, body);
        });
      }));
  router.add(
      "GET", "/api/v1/sync-log",
      issuer.require_scopes({"orders:read"}, [&pool](http::request&& r,
                                                     http::respond_fn respond) {
        auto entity = r.query["entity"];
        auto id = r.query["id"];
        if (entity.empty() || id.empty()) {
          respond(http::response::error(
              400, "invalid_request",
              "sync-log needs the query parameters entity and id"));
          return;
        }
        on_desk(respond, [&pool, entity, id] {
          persistence::order_saga_store store{pool};
          auto history = store.history(entity, id);
          if (!history)
            return db_failure(history.error());
          nlohmann::json body = {{"entity", entity},
                                 {"id", id},
                                 {"entries", nlohmann::json::array()}};
          for (const auto& rec : *history)
            body["entries"].push_back(log_json(rec));
          return http::response::json(200, body);
        });
      }));
}

} // namespace ferry::app
