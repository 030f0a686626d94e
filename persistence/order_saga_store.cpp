#include "persistence/order_saga_store.hpp"

#include "persistence/customer_store.hpp"
#include "persistence/dead_letter_store.hpp"
#include "persistence/group_commit.hpp"
#include "persistence/inbox_store.hpp"
#include "persistence/inbox_wakeup.hpp"
#include "persistence/prepared.hpp"
#include "persistence/sql_array.hpp"

#include <map>
#include <pqxx/pqxx>

namespace ferry::persistence {

namespace {

constexpr const char* kind = "order";

std::string saga_label(const std::string& key) {
  return "order saga " + key;
}

/// `with_input`: the row has the `input` column (input_column).
order_saga_row row_from(const pqxx::row& r, bool with_input = false) {
  order_saga_row out;
  out.key = r["key"].as<std::string>();
  out.state = r["state"].as<std::string>();
  out.data = nlohmann::json::parse(r["data"].as<std::string>());
  out.version = r["version"].as<int>();
  out.created_at = r["created_at"].as<std::string>();
  out.updated_at = r["updated_at"].as<std::string>();
  if (with_input && !r["input"].is_null())
    out.input = r["input"].as<std::string>();
  return out;
}

/// The saga's input as a column of a statement on `saga AS alias`.
std::string input_column(const std::string& alias) {
  return "(SELECT input FROM saga_input i WHERE i.key = " + alias +
         ".key AND i.kind = " + alias + ".kind) AS input";
}

/// The saga's input as stored (the order's JSON as received), else
/// `fallback`: what the order's dead letter keeps, whole, for a replay.
std::string input_of(pqxx::transaction_base& tx, const std::string& key,
                     const std::string& fallback) {
  auto rows = tx.exec_params(
      "SELECT input FROM saga_input WHERE kind = $1 AND key = $2",
      std::string{kind}, key);
  return rows.empty() ? fallback : rows[0][0].as<std::string>();
}

constexpr const char* row_columns =
    "key, state, data::text AS data, version,"
    " to_char(created_at AT TIME ZONE 'UTC',"
    " 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') AS created_at,"
    " to_char(updated_at AT TIME ZONE 'UTC',"
    " 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') AS updated_at";

} // namespace

order_saga_store::order_saga_store(pg_pool& pool)
    : pool_(pool), transitions_(std::make_unique<transition_writer>(pool)) {}

caf::expected<bool> order_saga_store::receive(const std::string& key,
                                              const std::string& input,
                                              const nlohmann::json& data,
                                              const sync_log_entry& log) {
  return pool_.with_connection(
      saga_label(key) + ": receive", [&](pqxx::connection& conn) {
        pqxx::work tx(conn);
        auto rows = tx.exec_params("INSERT INTO saga (kind, key, state, data) "
                                   "VALUES ($1, $2, 'received', $3::jsonb) "
                                   "ON CONFLICT (kind, key) DO NOTHING "
                                   "RETURNING id",
                                   std::string{kind}, key, data.dump());
        bool created = rows.size() == 1;
        if (created) {
          tx.exec_params("INSERT INTO saga_input (kind, key,"
                         " input) VALUES ($1, $2, $3)",
                         std::string{kind}, key, input);
          sync_log_store::write(tx, log);
        }
        tx.commit();
        return created;
      });
}

namespace {

/// Inserts the saga of each of `all` unless its order has one (also an
/// earlier element of `all`), in one statement, and reserves the created
/// ones' stock in another; element i is the row created for all[i]. The
/// sync_log entries of the created ones are added to `logs`, for the
/// caller to write.
std::vector<std::optional<order_saga_row>>
arrive_all_in(pqxx::work& tx, const std::vector<const order_arrival*>& all,
              std::vector<sync_log_entry>& logs) {
  std::vector<std::optional<order_saga_row>> out(all.size());
  if (all.empty())
    return out;
  std::vector<std::string> keys, states, data, versions, claimed_by, leases,
      inputs;
  for (const auto* a : all) {
    inputs.push_back(a->input);
    keys.push_back(a->key);
    states.push_back(a->state);
    data.push_back(a->data.dump());
    versions.push_back(
        std::to_string(a->logs.empty() ? 0 : a->logs.size() - 1));
    claimed_by.push_back(a->claim ? a->node : "");
    leases.push_back(std::to_string(a->lease.count()));
  }
  static const prepared_sql sql{
      "saga_arrive_all",
      std::string{
          "WITH u AS (SELECT * FROM unnest($1::text[], $2::text[],"
          " $3::text[], $4::int[], $5::text[], $6::float8[], $7::text[])"
          " WITH ORDINALITY AS u(k, s, d, v, c, l, i, n)),"
          " created AS (INSERT INTO saga (kind, key, state, data,"
          " version, claimed_by, lease_until) SELECT '"} +
          kind +
          "', k, s, d::jsonb, v, nullif(c, ''),"
          " CASE WHEN c = '' THEN NULL"
          " ELSE now() + make_interval(secs => l) END"
          " FROM u ORDER BY n ON CONFLICT (kind, key) DO NOTHING RETURNING " +
          row_columns +
          "), inputs AS (INSERT INTO saga_input (kind, key, input)"
          " SELECT DISTINCT ON (u.k) '" +
          kind +
          "', u.k, u.i FROM u JOIN created c ON c.key = u.k WHERE u.i <> ''"
          " ORDER BY u.k, u.n) SELECT * FROM created"};
  auto rows = exec_prepared_sql(
      tx, sql, text_array_literal(keys), text_array_literal(states),
      text_array_literal(data), text_array_literal(versions),
      text_array_literal(claimed_by), text_array_literal(leases),
      text_array_literal(inputs));
  std::map<std::string, order_saga_row> created;
  for (const auto& r : rows) {
    auto row = row_from(r);
    auto key = row.key;
    created.emplace(std::move(key), std::move(row));
  }
  std::vector<std::pair<std::string, std::vector<reserved_line>>> reserve;
  for (std::size_t i = 0; i < all.size(); ++i) {
    // The first arrival of a key owns its new row; a later one in the same
    // batch is a duplicate.
    auto it = created.find(all[i]->key);
    if (it == created.end())
      continue;
    out[i] = std::move(it->second);
    out[i]->input = all[i]->input;
    created.erase(it);
    logs.insert(logs.end(), all[i]->logs.begin(), all[i]->logs.end());
    if (!all[i]->reserve.empty())
      reserve.emplace_back(all[i]->key, all[i]->reserve);
  }
  reservation_store::reserve_all(tx, reserve);
  return out;
}

} // namespace

caf::expected<std::optional<order_saga_row>>
order_saga_store::arrive(const order_arrival& a) {
  return pool_.with_connection(
      saga_label(a.key) + ": receive",
      [&](pqxx::connection& conn) -> std::optional<order_saga_row> {
        pqxx::work tx(conn);
        std::vector<sync_log_entry> logs;
        auto created = std::move(arrive_all_in(tx, {&a}, logs).front());
        sync_log_store::write_all(tx, logs);
        if (a.inbox_id != 0)
          inbox_store::complete(tx, a.inbox_id, a.node);
        tx.commit();
        return created;
      });
}

caf::expected<received_webhooks>
order_saga_store::receive_webhooks(const std::vector<inbox_event>& events,
                                   const std::vector<webhook_work>& work,
                                   const std::string& node) {
  std::vector<bool> done(events.size(), false);
  for (std::size_t i = 0; i < events.size() && i < work.size(); ++i)
    done[i] = work[i].arrival || work[i].log;
  auto committed = pool_.with_connection(
      "webhooks: insert of " + std::to_string(events.size()) + " events",
      [&](pqxx::connection& conn) -> caf::expected<received_webhooks> {
        pqxx::work tx(conn);
        std::vector<bool> refused;
        auto ids = inbox_store::insert_all_in(tx, events, done, node, &refused);
        if (!ids)
          return ids.error();
        received_webhooks out;
        std::vector<sync_log_entry> logs;
        std::vector<const order_arrival*> arrivals;
        for (std::size_t i = 0; i < events.size(); ++i) {
          auto inserted = (*ids)[i] != 0;
          out.inserted.push_back(inserted);
          if (inserted && !done[i] && !refused[i])
            ++out.pending;
          if (!inserted || !done[i] || refused[i])
            continue;
          if (work[i].arrival)
            arrivals.push_back(&*work[i].arrival);
          else
            logs.push_back(*work[i].log);
        }
        auto created = arrive_all_in(tx, arrivals, logs);
        sync_log_store::write_all(tx, logs);
        tx.commit();
        for (std::size_t i = 0; i < arrivals.size(); ++i) {
          if (!created[i]) {
            ++out.duplicates;
            out.claims_unused += arrivals[i]->claim ? 1 : 0;
          } else if (arrivals[i]->claim) {
            out.claimed.push_back(std::move(*created[i]));
          } else {
            ++out.unclaimed;
          }
        }
        return out;
      });
  if (!committed)
    return committed.error();
  if (*committed && committed->value().pending > 0)
    inbox_wakeup::instance().notify();
  return std::move(*committed);
}

sync_log_entry order_saga_store::unreadable_log(const claimed_event& event,
                                                const std::string& reason) {
  sync_log_entry log;
  log.entity = kind;
  log.entity_id = event.event.event_id;
  log.attempt = event.attempts;
  log.outcome = sync_outcome::failed;
  log.message = reason;
  return log;
}

caf::expected<taken_orders>
order_saga_store::take_arrivals(const std::string& topic, std::size_t limit,
                                const std::string& node,
                                const order_event_reader& read) {
  return pool_.with_connection(
      "order sagas: take " + topic + " events", [&](pqxx::connection& conn) {
        pqxx::work tx(conn);
        taken_orders out;
        auto events = inbox_store::take(tx, topic, limit);
        out.events = events.size();
        if (events.empty())
          return out;
        auto readings = read(events);
        // An event without a reading stays pending.
        readings.resize(std::min(readings.size(), events.size()));
        std::vector<sync_log_entry> logs;
        std::vector<std::int64_t> done;
        std::vector<const order_arrival*> arrivals;
        for (std::size_t i = 0; i < readings.size(); ++i) {
          const auto& ev = events[i];
          auto& reading = readings[i];
          if (!reading.arrival) {
            dead_letter_store::put(tx, "shop", kind, ev.event.event_id,
                                   reading.unreadable, ev.event.payload);
            logs.push_back(unreadable_log(ev, reading.unreadable));
            inbox_store::fail_taken(tx, ev.id, node, reading.unreadable);
            ++out.unreadable;
            continue;
          }
          arrivals.push_back(&*reading.arrival);
          done.push_back(ev.id);
        }
        auto created = arrive_all_in(tx, arrivals, logs);
        std::size_t next = 0;
        for (auto& reading : readings)
          if (reading.arrival)
            out.arrivals.emplace_back(std::move(*reading.arrival),
                                      std::move(created[next++]));
        sync_log_store::write_all(tx, logs);
        inbox_store::finish_taken(tx, done, node);
        tx.commit();
        return out;
      });
}

caf::expected<std::vector<sync_log_entry>> order_saga_store::take_logged(
    const std::string& topic, std::size_t limit, const std::string& node,
    const std::function<sync_log_entry(const claimed_event&)>& log) {
  return pool_.with_connection(
      "order events: take " + topic, [&](pqxx::connection& conn) {
        pqxx::work tx(conn);
        auto events = inbox_store::take(tx, topic, limit);
        std::vector<sync_log_entry> logs;
        if (events.empty())
          return logs;
        std::vector<std::int64_t> ids;
        for (const auto& ev : events) {
          logs.push_back(log(ev));
          ids.push_back(ev.id);
        }
        sync_log_store::write_all(tx, logs);
        inbox_store::finish_taken(tx, ids, node);
        tx.commit();
        return logs;
      });
}

caf::expected<std::optional<order_saga_row>>
order_saga_store::load(const std::string& key) {
  return pool_.with_connection(
      saga_label(key) + ": load",
      [&](pqxx::connection& conn) -> std::optional<order_saga_row> {
        pqxx::read_transaction tx(conn);
        static const prepared_sql sql{
            "saga_load", std::string{"SELECT "} + row_columns + ", " +
                             input_column("saga") +
                             " FROM saga WHERE kind = $1 AND key = $2"};
        auto rows = exec_prepared_sql(tx, sql, std::string{kind}, key);
        if (rows.empty())
          return std::nullopt;
        return row_from(rows[0], true);
      });
}

namespace {

/// A transition that only moves the row, logs and maybe releases the
/// reservation (nearly all of them), as the group commit queues it.
struct simple_transition {
  std::string key;
  int from_version = 0;
  std::string to;
  std::string data;
  std::string node;
  double lease_seconds = 0;
  bool unclaim = false;
  bool release = false;
  sync_log_entry log;
  /// order_transition::check_customer_tag (0: none).
  std::int64_t tag_customer_id = 0;
  std::string tag_customer_no;
};

/// Writes `all` in one statement: each row moved only if still at its
/// version, its sync_log entry and the reservation release only for the
/// rows moved. Element i: whether all[i] moved. Of two transitions of one
/// saga in a batch (not from one saga actor, which waits for each commit)
/// at most one moves; the other meets a version conflict. The check of a
/// customer's tag is answered for the rows moved.
std::vector<applied_transition>
apply_simple_in(pqxx::connection& conn,
                const std::vector<simple_transition>& all) {
  std::vector<std::string> key, to, data, version, node, lease, unclaim,
      release, tag_id, tag_no;
  sync_log_arrays logs;
  for (const auto& t : all) {
    key.push_back(t.key);
    to.push_back(t.to);
    data.push_back(t.data);
    version.push_back(std::to_string(t.from_version));
    node.push_back(t.node);
    lease.push_back(std::to_string(t.lease_seconds));
    unclaim.push_back(t.unclaim ? "t" : "f");
    release.push_back(t.release ? "t" : "f");
    tag_id.push_back(std::to_string(t.tag_customer_id));
    tag_no.push_back(t.tag_customer_no);
    logs.add(t.log);
  }
  static const prepared_sql sql{
      "saga_apply_all",
      std::string{
          "WITH u AS (SELECT * FROM unnest($1::text[], $2::text[],"
          " $3::text[], $4::int[], $5::text[], $6::float8[], $7::bool[],"
          " $8::bool[], $9::text[], $10::text[], $11::text[],"
          " $12::text[], $13::text[], $14::text[], $15::text[],"
          " $16::text[], $17::text[], $18::bigint[], $19::text[])"
          " WITH ORDINALITY AS u(key, to_state, data, from_version, node,"
          " lease, unclaim, rel, "} +
          sync_log_arrays::aliases +
          ", tag_id, tag_no, n)),"
          " moved AS (UPDATE saga s SET state = u.to_state,"
          " data = u.data::jsonb, version = s.version + 1, updated_at = now(),"
          " claimed_by = CASE WHEN u.unclaim THEN NULL ELSE u.node END,"
          " lease_until = CASE WHEN u.unclaim THEN NULL"
          "  ELSE now() + make_interval(secs => u.lease) END"
          // `key = ANY($1)` keeps the lookup on the (key, kind) index: joined
          // on u alone, the planner may hash the whole table instead.
          " FROM u WHERE s.kind = '" +
          kind +
          "' AND s.key = ANY($1::text[])"
          // RETURNING u.n names the transition that moved the row (UPDATE
          // uses one join row per target row).
          " AND s.key = u.key AND s.version = u.from_version RETURNING u.n),"
          " done AS (SELECT u.* FROM u JOIN moved USING (n)),"
          " logged AS (INSERT INTO sync_log (" +
          sync_log_columns::names + ") SELECT " + sync_log_arrays::select_list +
          " FROM done ORDER BY n), " +
          reservation_store::release_ctes(
              "ANY (SELECT key FROM done WHERE rel)", "true") +
          // The tag check rides along: no round trip of its own per order.
          " SELECT moved.n, t.shop_customer_id IS NOT NULL FROM moved"
          " JOIN u USING (n) LEFT JOIN shop_customer_tag t"
          " ON t.shop_customer_id = u.tag_id AND t.customer_no = u.tag_no"};
  pqxx::nontransaction tx(conn);
  auto p = logs.params();
  auto rows = exec_prepared_sql(
      tx, sql, text_array_literal(key), text_array_literal(to),
      text_array_literal(data), text_array_literal(version),
      text_array_literal(node), text_array_literal(lease),
      text_array_literal(unclaim), text_array_literal(release), p[0], p[1],
      p[2], p[3], p[4], p[5], p[6], p[7], p[8], text_array_literal(tag_id),
      text_array_literal(tag_no));
  std::vector<applied_transition> out(all.size());
  for (const auto& r : rows) {
    auto n = r[0].as<std::size_t>(); // 1-based ordinality
    if (n >= 1 && n <= all.size())
      out[n - 1] = {true, r[1].as<bool>()};
  }
  return out;
}

} // namespace

struct order_saga_store::transition_writer {
  explicit transition_writer(pg_pool& pool)
      : commits(
            [&pool](const std::vector<simple_transition>& all) {
              return pool.with_connection("order sagas: commit " +
                                              std::to_string(all.size()) +
                                              " transitions",
                                          [&](pqxx::connection& conn) {
                                            return apply_simple_in(conn, all);
                                          });
            },
            max_batch) {}

  /// Transitions of more sagas than run at once on a node never wait for
  /// a second statement.
  static constexpr std::size_t max_batch = 256;
  group_commit<simple_transition, applied_transition> commits;
};

order_saga_store::~order_saga_store() = default;

caf::expected<bool> order_saga_store::apply(const order_saga_row& from,
                                            const order_transition& t,
                                            const std::string& node,
                                            std::chrono::seconds lease) {
  auto r = apply_checked(from, t, node, lease);
  if (!r)
    return r.error();
  return r->moved;
}

caf::expected<void>
order_saga_store::record_customer_tag(std::int64_t shop_customer_id,
                                      const std::string& customer_no) {
  auto r = pool_.with_connection(
      "shop customer " + std::to_string(shop_customer_id) + ": tagged",
      [&](pqxx::connection& conn) {
        pqxx::work tx(conn);
        customer_store::record_shop_tag(tx, shop_customer_id, customer_no);
        tx.commit();
      });
  if (!r)
    return r.error();
  return {};
}

caf::expected<applied_transition> order_saga_store::apply_checked(
    const order_saga_row& from, const order_transition& t,
    const std::string& node, std::chrono::seconds lease) {
  if (t.reserve.empty() && !t.dead_letter_reason && !t.outbox && !t.audit) {
    simple_transition q;
    q.key = from.key;
    q.from_version = from.version;
    q.to = t.to;
    q.data = t.data.dump();
    q.node = node;
    q.lease_seconds = static_cast<double>(lease.count());
    q.unclaim = t.unclaim;
    q.release = t.release;
    q.log = t.log;
    if (t.check_customer_tag) {
      q.tag_customer_id = t.check_customer_tag->first;
      q.tag_customer_no = t.check_customer_tag->second;
    }
    return transitions_->commits.commit(std::move(q));
  }
  return pool_.with_connection(
      saga_label(from.key) + ": " + from.state + " -> " + t.to,
      [&](pqxx::connection& conn) {
        pqxx::work tx(conn);
        auto rows = tx.exec_params(
            "UPDATE saga SET state = $3, data = $4::jsonb, version = version + "
            "1,"
            " updated_at = now(),"
            " claimed_by = CASE WHEN $8 THEN NULL ELSE $6 END,"
            " lease_until = CASE WHEN $8 THEN NULL"
            "  ELSE now() + make_interval(secs => $7) END "
            "WHERE kind = $1 AND key = $2 AND version = $5 RETURNING id",
            std::string{kind}, from.key, t.to, t.data.dump(), from.version,
            node, static_cast<double>(lease.count()), t.unclaim);
        applied_transition out;
        if (rows.size() != 1)
          return out; // another node moved it; the transaction rolls back
        out.moved = true;
        sync_log_store::write(tx, t.log);
        if (!t.reserve.empty())
          reservation_store::reserve(tx, from.key, t.reserve);
        if (t.release)
          reservation_store::release(tx, from.key);
        if (t.dead_letter_reason)
          dead_letter_store::put(tx, "order_saga", kind, from.key,
                                 *t.dead_letter_reason,
                                 input_of(tx, from.key, from.input));
        if (t.outbox)
          tx.exec_params("INSERT INTO outbox (topic, key, payload) "
                         "VALUES ($1, $2, $3::jsonb)",
                         t.outbox->first, from.key, t.outbox->second.dump());
        if (t.audit)
          audit_store::record(tx, *t.audit);
        if (t.check_customer_tag)
          out.customer_tagged =
              !tx.exec_params("SELECT 1 FROM shop_customer_tag WHERE "
                              "shop_customer_id = $1 AND customer_no = $2",
                              t.check_customer_tag->first,
                              t.check_customer_tag->second)
                   .empty();
        tx.commit();
        return out;
      });
}

caf::expected<std::vector<order_saga_row>>
order_saga_store::claim_runnable(const std::string& node, std::size_t limit,
                                 std::chrono::seconds lease) {
  return pool_.with_connection(
      "order sagas: claim", [&](pqxx::connection& conn) {
        pqxx::work tx(conn);
        // The rows come back whole: the sagas start without loading them.
        // The kind is in the text, not a parameter: a generic plan can then use
        // the runnable sagas' partial index, and the statement is not planned
        // again at every call.
        static const prepared_sql sql{
            "saga_claim_runnable",
            std::string{"WITH c AS ("
                        "  SELECT id FROM saga"
                        "  WHERE kind = '"} +
                kind +
                "' AND state <> 'failed'"
                "    AND NOT coalesce((data->>'parked')::boolean, false)"
                "    AND (claimed_by IS NULL OR lease_until < now())"
                "  ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED) "
                "UPDATE saga s SET claimed_by = $1,"
                "  lease_until = now() + make_interval(secs => $3) "
                "FROM c WHERE s.id = c.id RETURNING s.id, " +
                row_columns + ", " + input_column("s")};
        auto rows =
            exec_prepared_sql(tx, sql, node, static_cast<std::int64_t>(limit),
                              static_cast<double>(lease.count()));
        tx.commit();
        std::vector<std::pair<std::int64_t, order_saga_row>> claimed;
        for (const auto& r : rows)
          claimed.emplace_back(r["id"].as<std::int64_t>(), row_from(r, true));
        std::sort(
            claimed.begin(), claimed.end(),
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
                         saga_label(key) + ": decision '" + decision +
                             "' is neither approve nor reject");
  return pool_.with_connection(
      saga_label(key) + ": " + decision, [&](pqxx::connection& conn) {
        pqxx::work tx(conn);
        approval_outcome out;
        // FOR UPDATE: two concurrent decisions queue here, the second then
        // sees the first.
        auto rows = tx.exec_params(std::string{"SELECT "} + row_columns +
                                       " FROM saga WHERE kind = $1 AND key = $2"
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
        log.message = "pending_approval -> " + std::string{to} + " by " +
                      decided_by + (reason.empty() ? "" : ": " + reason);
        sync_log_store::write(tx, log);
        audit_entry audit;
        audit.actor = decided_by;
        audit.action = decision;
        audit.entity = kind;
        audit.entity_id = key;
        audit.detail = {
            {"reason", reason},
            {"grand_total", data.value("grand_total", nlohmann::json{})},
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

caf::expected<dead_letter_replay>
order_saga_store::replay(std::int64_t id, const std::string& by) {
  return pool_.with_connection(
      "dead letter " + std::to_string(id) + ": replay",
      [&](pqxx::connection& conn) {
        pqxx::work tx(conn);
        dead_letter_replay out;
        // FOR UPDATE: of two replays at once, the second sees the first.
        auto letters =
            tx.exec_params("SELECT source, entity, entity_id,"
                           " coalesce(to_char(replayed_at AT TIME ZONE 'UTC',"
                           " 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), ''),"
                           " coalesce(payload::text, payload_text), reason"
                           " FROM dead_letter WHERE id = $1 FOR UPDATE",
                           id);
        if (letters.empty())
          return out;
        const auto& letter = letters[0];
        out.source = letter[0].as<std::string>();
        out.entity = letter[1].as<std::string>();
        out.entity_id = letter[2].as<std::string>();
        out.replayed_at = letter[3].as<std::string>();
        if (!out.replayed_at.empty()) {
          out.kind = dead_letter_replay::already_replayed;
          return out;
        }
        if (out.source != "order_saga" || out.entity != kind) {
          out.kind = dead_letter_replay::not_replayable;
          return out;
        }
        const auto& key = out.entity_id;
        auto rows = tx.exec_params(std::string{"SELECT "} + row_columns +
                                       " FROM saga WHERE kind = $1 AND key = $2"
                                       " FOR UPDATE",
                                   std::string{kind}, key);
        if (rows.empty()) {
          out.kind = dead_letter_replay::no_saga;
          return out;
        }
        auto saga = row_from(rows[0]);
        out.state = saga.state;
        if (saga.state != "failed") {
          out.kind = dead_letter_replay::not_failed;
          return out;
        }
        // The saga starts from its input; a dead letter from before the
        // input had a table of its own may be the only copy.
        auto input = input_of(tx, key, "");
        if (input.empty()) {
          // Dead letters from before the fix keep a JSON null.
          if (letter[4].is_null() || letter[4].as<std::string>() == "null") {
            out.kind = dead_letter_replay::no_order;
            return out;
          }
          tx.exec_params("INSERT INTO saga_input (kind, key, input)"
                         " VALUES ($1, $2, $3)",
                         std::string{kind}, key, letter[4].as<std::string>());
        }
        // What the order arrived with; what later steps added (the ERP
        // customer, a decision, the reason of the failure) is done again:
        // an order over the approval threshold waits for a new decision.
        nlohmann::json data = {{"parked", false}};
        for (const char* field : {"entity_id", "grand_total", "currency",
                                  "event_id", "customer_id"})
          if (auto it = saga.data.find(field); it != saga.data.end())
            data[field] = *it;
        tx.exec_params("UPDATE saga SET state = 'received', data = $3::jsonb,"
                       " version = version + 1, updated_at = now(),"
                       " claimed_by = NULL, lease_until = NULL "
                       "WHERE kind = $1 AND key = $2",
                       std::string{kind}, key, data.dump());
        out.replayed_at =
            tx.exec_params1("UPDATE dead_letter SET replayed_at = now(),"
                            " replay_count = replay_count + 1 WHERE id = $1"
                            " RETURNING to_char(replayed_at AT TIME ZONE"
                            " 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')",
                            id)[0]
                .as<std::string>();
        sync_log_entry log;
        log.entity = kind;
        log.direction = sync_direction::internal;
        log.entity_id = key;
        log.outcome = sync_outcome::ok;
        log.message = "failed -> received: dead letter " + std::to_string(id) +
                      " replayed by " + by;
        log.payload = {{"state", "received"}, {"dead_letter", id}};
        sync_log_store::write(tx, log);
        audit_entry audit;
        audit.actor = by;
        audit.action = "replay";
        audit.entity = "dead_letter";
        audit.entity_id = std::to_string(id);
        audit.detail = {{"source", out.source},
                        {"entity", out.entity},
                        {"entity_id", key},
                        {"reason", letter[5].as<std::string>()}};
        audit_store::record(tx, audit);
        tx.commit();
        out.kind = dead_letter_replay::replayed;
        out.state = "received";
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
  return pool_.with_connection(
      "order sagas: count", [&](pqxx::connection& conn) {
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
