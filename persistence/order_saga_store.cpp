#include "persistence/order_saga_store.hpp"

#include "persistence/dead_letter_store.hpp"
#include "persistence/inbox_store.hpp"
#include "persistence/prepared.hpp"

#include <pqxx/pqxx>

namespace ferry::persistence {

namespace {

constexpr const char* kind = "order";

std::string saga_label(const std::string& key) {
  return "order saga " + key;
}

order_saga_row row_from(const pqxx::row& r) {
  order_saga_row out;
  out.key = r["key"].as<std::string>();
  out.state = r["state"].as<std::string>();
  out.data = nlohmann::json::parse(r["data"].as<std::string>());
  out.version = r["version"].as<int>();
  out.created_at = r["created_at"].as<std::string>();
  out.updated_at = r["updated_at"].as<std::string>();
  return out;
}

constexpr const char* row_columns =
  "key, state, data::text AS data, version,"
  " to_char(created_at AT TIME ZONE 'UTC',"
  " 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') AS created_at,"
  " to_char(updated_at AT TIME ZONE 'UTC',"
  " 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') AS updated_at";

} // namespace

order_saga_store::order_saga_store(pg_pool& pool) : pool_(pool) {}

caf::expected<bool> order_saga_store::receive(const std::string& key,
                                              const nlohmann::json& data,
                                              const sync_log_entry& log) {
  return pool_.with_connection(saga_label(key) + ": receive",
                               [&](pqxx::connection& conn) {
                                 pqxx::work tx(conn);
                                 auto rows = tx.exec_params(
                                   "INSERT INTO saga (kind, key, state, data) "
                                   "VALUES ($1, $2, 'received', $3::jsonb) "
                                   "ON CONFLICT (kind, key) DO NOTHING "
                                   "RETURNING id",
                                   std::string{kind}, key, data.dump());
                                 bool created = rows.size() == 1;
                                 if (created)
                                   sync_log_store::write(tx, log);
                                 tx.commit();
                                 return created;
                               });
}

namespace {

/// Inserts the saga of `a` unless it exists; the sync_log entries of a
/// created one are added to `logs`, for the caller to write.
std::optional<order_saga_row> arrive_in(pqxx::work& tx, const order_arrival& a,
                                        std::vector<sync_log_entry>& logs) {
  static const prepared_sql sql{
    "saga_arrive",
    std::string{"INSERT INTO saga (kind, key, state, data, version,"
                " claimed_by, lease_until) "
                "VALUES ($1, $2, $3, $4::jsonb, $5, $6,"
                " CASE WHEN $6::text IS NULL THEN NULL"
                " ELSE now() + make_interval(secs => $7) END) "
                "ON CONFLICT (kind, key) DO NOTHING RETURNING "}
      + row_columns};
  auto rows = exec_prepared_sql(
    tx, sql, std::string{kind}, a.key, a.state, a.data.dump(),
    static_cast<int>(a.logs.empty() ? 0 : a.logs.size() - 1),
    a.claim ? std::optional<std::string>{a.node} : std::nullopt,
    static_cast<double>(a.lease.count()));
  std::optional<order_saga_row> created;
  if (rows.size() == 1) {
    created = row_from(rows[0]);
    logs.insert(logs.end(), a.logs.begin(), a.logs.end());
    if (!a.reserve.empty())
      reservation_store::reserve(tx, a.key, a.reserve);
  }
  return created;
}

} // namespace

caf::expected<std::optional<order_saga_row>>
order_saga_store::arrive(const order_arrival& a) {
  return pool_.with_connection(
    saga_label(a.key) + ": receive",
    [&](pqxx::connection& conn) -> std::optional<order_saga_row> {
      pqxx::work tx(conn);
      std::vector<sync_log_entry> logs;
      auto created = arrive_in(tx, a, logs);
      sync_log_store::write_all(tx, logs);
      if (a.inbox_id != 0)
        inbox_store::complete(tx, a.inbox_id, a.node);
      tx.commit();
      return created;
    });
}

caf::expected<std::vector<std::optional<order_saga_row>>>
order_saga_store::arrive_all(const std::vector<order_arrival>& all) {
  return pool_.with_connection(
    "order sagas: receive " + std::to_string(all.size()) + " orders",
    [&](pqxx::connection& conn) {
      pqxx::work tx(conn);
      std::vector<std::optional<order_saga_row>> out;
      out.reserve(all.size());
      std::vector<std::int64_t> events;
      std::vector<sync_log_entry> logs;
      for (const auto& a : all) {
        out.push_back(arrive_in(tx, a, logs));
        if (a.inbox_id != 0)
          events.push_back(a.inbox_id);
      }
      sync_log_store::write_all(tx, logs);
      // The batch's events share the node (the intake's).
      if (!all.empty())
        inbox_store::complete_all(tx, events, all.front().node);
      tx.commit();
      return out;
    });
}

caf::expected<void> order_saga_store::log_events(
  const std::vector<std::pair<std::int64_t, sync_log_entry>>& done,
  const std::string& node) {
  auto r = pool_.with_connection(
    "order events: log " + std::to_string(done.size()),
    [&](pqxx::connection& conn) {
      pqxx::work tx(conn);
      std::vector<std::int64_t> events;
      std::vector<sync_log_entry> logs;
      for (const auto& [id, entry] : done) {
        logs.push_back(entry);
        events.push_back(id);
      }
      sync_log_store::write_all(tx, logs);
      inbox_store::complete_all(tx, events, node);
      tx.commit();
    });
  if (!r)
    return r.error();
  return {};
}

caf::expected<std::optional<order_saga_row>>
order_saga_store::load(const std::string& key) {
  return pool_.with_connection(
    saga_label(key) + ": load",
    [&](pqxx::connection& conn) -> std::optional<order_saga_row> {
      pqxx::read_transaction tx(conn);
      static const prepared_sql sql{
        "saga_load", std::string{"SELECT "} + row_columns
                       + " FROM saga WHERE kind = $1 AND key = $2"};
      auto rows = exec_prepared_sql(tx, sql, std::string{kind}, key);
      if (rows.empty())
        return std::nullopt;
      return row_from(rows[0]);
    });
}

namespace {

/// The transitions that only move the row, log and maybe release the
/// reservation (nearly all of them) as one statement: one round trip, and
/// atomic without a transaction block around it.
bool apply_in_one_statement(pqxx::connection& conn, const order_saga_row& from,
                            const order_transition& t, const std::string& node,
                            std::chrono::seconds lease) {
  auto log = sync_log_store::columns_of(t.log);
  pqxx::nontransaction tx(conn);
  static const prepared_sql sql{
    "saga_apply",
    std::string{"WITH moved AS ("
                " UPDATE saga SET state = $3, data = $4::jsonb,"
                " version = version + 1, updated_at = now(),"
                " claimed_by = CASE WHEN $8 THEN NULL ELSE $6 END,"
                " lease_until = CASE WHEN $8 THEN NULL"
                "  ELSE now() + make_interval(secs => $7) END"
                " WHERE kind = $1 AND key = $2 AND version = $5 RETURNING id),"
                " logged AS (INSERT INTO sync_log ("}
      + sync_log_columns::names
      + ") SELECT $9, $10, $11, $12, $13, $14, $15, $16, $17::jsonb"
        " FROM moved), "
      + reservation_store::release_ctes("$2",
                                        "$18 AND EXISTS (SELECT 1 FROM moved)")
      + " SELECT count(*) FROM moved"};
  auto moved = exec_prepared_sql(
    tx, sql, std::string{kind}, from.key, t.to, t.data.dump(), from.version, node,
    static_cast<double>(lease.count()), t.unclaim, log.entity, log.direction,
    log.entity_id, log.external_id, log.attempt, log.latency_ms, log.outcome,
    log.message, log.payload, t.release);
  // 0: another node moved it, and nothing was written.
  return moved[0][0].as<std::int64_t>() == 1;
}

} // namespace

caf::expected<bool> order_saga_store::apply(const order_saga_row& from,
                                            const order_transition& t,
                                            const std::string& node,
                                            std::chrono::seconds lease) {
  return pool_.with_connection(
    saga_label(from.key) + ": " + from.state + " -> " + t.to,
    [&](pqxx::connection& conn) {
      if (t.reserve.empty() && !t.dead_letter_reason && !t.outbox
          && !t.audit)
        return apply_in_one_statement(conn, from, t, node, lease);
      pqxx::work tx(conn);
      auto rows = tx.exec_params(
        "UPDATE saga SET state = $3, data = $4::jsonb, version = version + 1,"
        " updated_at = now(),"
        " claimed_by = CASE WHEN $8 THEN NULL ELSE $6 END,"
        " lease_until = CASE WHEN $8 THEN NULL"
        "  ELSE now() + make_interval(secs => $7) END "
        "WHERE kind = $1 AND key = $2 AND version = $5 RETURNING id",
        std::string{kind}, from.key, t.to, t.data.dump(), from.version, node,
        static_cast<double>(lease.count()), t.unclaim);
      if (rows.size() != 1)
        return false; // another node moved it; the transaction rolls back
      sync_log_store::write(tx, t.log);
      if (!t.reserve.empty())
        reservation_store::reserve(tx, from.key, t.reserve);
      if (t.release)
        reservation_store::release(tx, from.key);
      if (t.dead_letter_reason)
        dead_letter_store::put(tx, "order_saga", kind, from.key,
                               *t.dead_letter_reason,
                               t.data.value("order", nlohmann::json{}).dump());
      if (t.outbox)
        tx.exec_params("INSERT INTO outbox (topic, key, payload) "
                       "VALUES ($1, $2, $3::jsonb)",
                       t.outbox->first, from.key, t.outbox->second.dump());
      if (t.audit)
        audit_store::record(tx, *t.audit);
      tx.commit();
      return true;
    });
}

caf::expected<std::vector<order_saga_row>>
order_saga_store::claim_runnable(const std::string& node, std::size_t limit,
                                 std::chrono::seconds lease) {
  return pool_.with_connection("order sagas: claim", [&](pqxx::connection&
                                                           conn) {
    pqxx::work tx(conn);
    // The rows come back whole: the sagas start without loading them.
    static const prepared_sql sql{
      "saga_claim_runnable",
      std::string{"WITH c AS ("
                  "  SELECT id FROM saga"
                  "  WHERE kind = $1 AND state <> 'failed'"
                  "    AND NOT coalesce((data->>'parked')::boolean, false)"
                  "    AND (claimed_by IS NULL OR lease_until < now())"
                  "  ORDER BY id LIMIT $3 FOR UPDATE SKIP LOCKED) "
                  "UPDATE saga s SET claimed_by = $2,"
                  "  lease_until = now() + make_interval(secs => $4) "
                  "FROM c WHERE s.id = c.id RETURNING s.id, "}
        + row_columns};
    auto rows = exec_prepared_sql(
      tx, sql, std::string{kind}, node, static_cast<std::int64_t>(limit),
      static_cast<double>(lease.count()));
    tx.commit();
    std::vector<std::pair<std::int64_t, order_saga_row>> claimed;
    for (const auto& r : rows)
      claimed.emplace_back(r["id"].as<std::int64_t>(), row_from(r));
    std::sort(claimed.begin(), claimed.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    std::vector<order_saga_row> out;
    for (auto& c : claimed)
      out.push_back(std::move(c.second));
    return out;
  });
}

caf::expected<void> order_saga_store::release(const std::string& key,
                                              const std::string& node) {
  auto r = pool_.with_connection(
    saga_label(key) + ": release", [&](pqxx::connection& conn) {
      pqxx::work tx(conn);
      tx.exec_params("UPDATE saga SET claimed_by = NULL, lease_until = NULL "
                     "WHERE kind = $1 AND key = $2 AND claimed_by = $3",
                     std::string{kind}, key, node);
      tx.commit();
    });
  if (!r)
    return r.error();
  return {};
}

caf::expected<std::int64_t>
order_saga_store::release_node(const std::string& node) {
  return pool_.with_connection(
    "order sagas: release claims of " + node, [&](pqxx::connection& conn) {
      pqxx::work tx(conn);
      auto r = tx.exec_params(
        "UPDATE saga SET claimed_by = NULL, lease_until = NULL "
        "WHERE kind = $1 AND claimed_by = $2",
        std::string{kind}, node);
      tx.commit();
      return static_cast<std::int64_t>(r.affected_rows());
    });
}

caf::expected<approval_outcome>
order_saga_store::decide(const std::string& key, const std::string& decision,
                         const std::string& decided_by,
                         const std::string& reason) {
  if (decision != "approve" && decision != "reject")
    return make_db_error(db_errc::rejected,
                         saga_label(key) + ": decision '" + decision
                           + "' is neither approve nor reject");
  return pool_.with_connection(
    saga_label(key) + ": " + decision, [&](pqxx::connection& conn) {
      pqxx::work tx(conn);
      approval_outcome out;
      // FOR UPDATE: two concurrent decisions queue here, the second then
      // sees the first.
      auto rows = tx.exec_params(std::string{"SELECT "} + row_columns
                                   + " FROM saga WHERE kind = $1 AND key = $2"
                                     " FOR UPDATE",
                                 std::string{kind}, key);
      if (rows.empty()) {
        out.kind = approval_outcome::not_found;
        return out;
      }
      auto saga = row_from(rows[0]);
      out.state = saga.state;
      if (auto first = saga.data.find("decision");
          first != saga.data.end() && first->is_object()) {
        out.kind = approval_outcome::already_decided;
        out.decision = first->value("decision", "");
        out.decided_by = first->value("by", "");
        out.decided_at = first->value("at", "");
        out.reason = first->value("reason", "");
        return out;
      }
      if (saga.state != "pending_approval") {
        out.kind = approval_outcome::not_pending;
        return out;
      }
      auto at = tx.exec1("SELECT to_char(now() AT TIME ZONE 'UTC',"
                         " 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')")[0]
                  .as<std::string>();
      bool approve = decision == "approve";
      auto data = saga.data;
      data["decision"] = {{"decision", decision},
                          {"by", decided_by},
                          {"at", at},
                          {"reason", reason}};
      data["parked"] = false;
      data["shop_done"] = false;
      auto to = approve ? "approved" : "rejected";
      tx.exec_params("UPDATE saga SET state = $3, data = $4::jsonb,"
                     " version = version + 1, updated_at = now() "
                     "WHERE kind = $1 AND key = $2",
                     std::string{kind}, key, std::string{to}, data.dump());
      sync_log_entry log;
      log.entity = kind;
      log.direction = sync_direction::internal;
      log.entity_id = key;
      log.outcome = sync_outcome::ok;
      log.message = "pending_approval -> " + std::string{to} + " by "
                    + decided_by + (reason.empty() ? "" : ": " + reason);
      sync_log_store::write(tx, log);
      audit_entry audit;
      audit.actor = decided_by;
      audit.action = decision;
      audit.entity = kind;
      audit.entity_id = key;
      audit.detail = {{"reason", reason},
                      {"grand_total",
                       data.value("grand_total", nlohmann::json{})},
                      {"currency", data.value("currency", nlohmann::json{})}};
      audit_store::record(tx, audit);
      if (!approve) {
        // The customer service hears of it through the outbox; the order
        // holds no stock any more.
        nlohmann::json note = {{"increment_id", key},
                               {"reason", reason},
                               {"decided_by", decided_by},
                               {"decided_at", at}};
        tx.exec_params("INSERT INTO outbox (topic, key, payload) "
                       "VALUES ('order.rejected', $1, $2::jsonb)",
                       key, note.dump());
        reservation_store::release(tx, key);
      }
      tx.commit();
      out.kind = approval_outcome::decided;
      out.decision = decision;
      out.decided_by = decided_by;
      out.decided_at = at;
      out.reason = reason;
      out.state = to;
      return out;
    });
}

caf::expected<void> order_saga_store::log(const sync_log_entry& entry) {
  auto r = pool_.with_connection("sync log of order " + entry.entity_id,
                                 [&](pqxx::connection& conn) {
                                   pqxx::work tx(conn);
                                   sync_log_store::write(tx, entry);
                                   tx.commit();
                                 });
  if (!r)
    return r.error();
  return {};
}

caf::expected<std::vector<sync_log_record>>
order_saga_store::history(const std::string& entity,
                          const std::string& entity_id, std::size_t limit) {
  return sync_log_store{pool_}.history(entity, entity_id, limit);
}

caf::expected<std::vector<std::pair<std::string, std::int64_t>>>
order_saga_store::count_by_state() {
  return pool_.with_connection("order sagas: count", [&](pqxx::connection&
                                                           conn) {
    pqxx::read_transaction tx(conn);
    auto rows = tx.exec_params(
      "SELECT state, count(*) FROM saga WHERE kind = $1 GROUP BY state "
      "ORDER BY state",
      std::string{kind});
    std::vector<std::pair<std::string, std::int64_t>> out;
    for (const auto& r : rows)
      out.emplace_back(r[0].as<std::string>(), r[1].as<std::int64_t>());
    return out;
  });
}

} // namespace ferry::persistence
