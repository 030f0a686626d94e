#include "persistence/inbox_store.hpp"

#include "mapping/json_text.hpp"
#include "mapping/masking.hpp"
#include "mapping/utf8.hpp"
#include "monitoring/log.hpp"
#include "persistence/inbox_wakeup.hpp"
#include "persistence/prepared.hpp"
#include "persistence/sql_array.hpp"

#include <algorithm>
#include <map>
#include <pqxx/pqxx>

namespace ferry::persistence {

namespace {

/// Events a node may take: pending (once its retry delay, if any, has passed),
/// or processing with an expired lease (its node died or hangs).
constexpr const char* open_events =
    "((status = 'pending' AND (lease_until IS NULL OR lease_until < now()))"
    " OR (status = 'processing' AND lease_until < now()))";

/// A row of (id, source, event_id, topic, payload, attempts).
claimed_event event_of(const pqxx::row& row) {
  return claimed_event{
      row[0].as<std::int64_t>(),
      inbox_event{row[1].as<std::string>(), row[2].as<std::string>(),
                  row[3].as<std::string>(), row[4].as<std::string>()},
      row[5].as<int>()};
}

caf::error check_event(const inbox_event& event) {
  const char* missing = event.source.empty()     ? "source"
                        : event.event_id.empty() ? "event_id"
                        : event.topic.empty()    ? "topic"
                        : event.payload.empty()  ? "payload"
                                                 : nullptr;
  if (missing != nullptr)
    return make_db_error(db_errc::rejected, std::string("inbox event: field ") +
                                                missing + " is empty");
  return caf::none;
}

std::string event_label(const inbox_event& event) {
  return "inbox event " + event.source + "/" + event.event_id;
}

// "orders/create" → "order": the dead letter's entity.
std::string entity_of_topic(const std::string& topic) {
  auto kind = topic.substr(0, topic.find('/'));
  if (!kind.empty() && kind.back() == 's')
    kind.pop_back();
  return kind.empty() ? std::string{"event"} : kind;
}

// The resource's own key where the payload has one, else the event's id.
std::string entity_id_of(const nlohmann::json& resource,
                         const inbox_event& event) {
  if (resource.is_object())
    for (const char* key : {"increment_id", "sku", "id", "entity_id"}) {
      auto it = resource.find(key);
      if (it == resource.end())
        continue;
      if (it->is_string() && nul_character_path(*it).empty())
        return it->get<std::string>();
      if (it->is_number_integer())
        return it->dump();
    }
  return event.event_id;
}

// What the refused inbox row keeps of the resource: its keys and version,
// so that the shop poller's look-up by id and updated_at finds it and does
// not refuse the same change a second time.
std::string refused_row_payload(const nlohmann::json& resource) {
  nlohmann::json row{{"refused", true}};
  if (resource.is_object())
    for (const char* key : {"id", "entity_id", "increment_id", "sku",
                            "updated_at", "created_at"}) {
      auto it = resource.find(key);
      if (it != resource.end() && (it->is_number() || it->is_string()) &&
          nul_character_path(*it).empty())
        row[key] = *it;
    }
  return row.dump();
}

} // namespace

std::optional<std::int64_t>
inbox_store::refuse_unstorable(pqxx::transaction_base& tx,
                               const inbox_event& event) {
  bool undecodable = !mapping::is_valid_utf8(event.payload);
  if (!undecodable && !holds_nul_escape(event.payload))
    return std::nullopt;
  // Text PostgreSQL can store: bad bytes as U+FFFD.
  auto text = undecodable ? mapping::replace_invalid_utf8(event.payload)
                          : event.payload;
  auto resource = nlohmann::json::parse(text, nullptr, false);
  std::string field = "(unreadable)";
  if (!resource.is_discarded())
    field = undecodable ? character_path(resource, "\xEF\xBF\xBD")
                        : nul_character_path(resource);
  auto reason =
      event.topic + " event " + event.event_id + ": field " + field +
      (undecodable ? " is not valid UTF-8 (its bad bytes are kept as"
                     " U+FFFD)"
                   : " holds the character U+0000, which neither"
                     " PostgreSQL's jsonb nor the ERP's XML can carry");
  // One statement, so the refusal and its dead letter are one commit even
  // outside a transaction block; a redelivery conflicts and adds nothing.
  auto rows = tx.exec_params(
      "WITH refused AS ("
      " INSERT INTO inbox (source, event_id, topic, payload, status,"
      "  attempts, last_error, finished_at)"
      " VALUES ($1, $2, $3, $8::jsonb, 'failed', 1, $4, now())"
      " ON CONFLICT (source, event_id) DO NOTHING RETURNING id),"
      " letter AS ("
      " INSERT INTO dead_letter (source, entity, entity_id, reason,"
      "  payload_text)"
      " SELECT $1, $5, $6, $4, $7 FROM refused RETURNING id) "
      "SELECT refused.id FROM refused, letter",
      event.source, event.event_id, event.topic, reason,
      entity_of_topic(event.topic), entity_id_of(resource, event), text,
      refused_row_payload(resource));
  if (rows.empty())
    return std::int64_t{0};
  monitoring::log_warn("inbox", "event refused and dead-lettered",
                       {{"source", event.source},
                        {"event_id", event.event_id},
                        {"topic", event.topic},
                        {"field", field}});
  return rows[0][0].as<std::int64_t>();
}

inbox_store::inbox_store(pg_pool& pool) : pool_(pool) {}

bool inbox_store::insert_if_absent(pqxx::transaction_base& tx,
                                   const inbox_event& event) {
  if (auto refused = refuse_unstorable(tx, event))
    return *refused != 0;
  auto rows =
      tx.exec_params("INSERT INTO inbox (source, event_id, topic, payload) "
                     "VALUES ($1, $2, $3, $4::jsonb) "
                     "ON CONFLICT (source, event_id) DO NOTHING RETURNING id",
                     event.source, event.event_id, event.topic, event.payload);
  return rows.size() == 1;
}

caf::expected<bool> inbox_store::insert_if_absent(const inbox_event& event) {
  if (auto err = check_event(event))
    return err;
  return pool_.with_connection(event_label(event) + ": insert",
                               [&](pqxx::connection& conn) {
                                 pqxx::work tx(conn);
                                 bool inserted = insert_if_absent(tx, event);
                                 tx.commit();
                                 if (inserted)
                                   inbox_wakeup::instance().notify();
                                 return inserted;
                               });
}

caf::expected<std::vector<std::int64_t>> inbox_store::insert_all_in(
    pqxx::transaction_base& tx, const std::vector<inbox_event>& events,
    const std::vector<bool>& done, const std::string& node,
    std::vector<bool>* refused) {
  std::vector<std::int64_t> ids(events.size(), 0);
  if (refused != nullptr)
    refused->assign(events.size(), false);
  if (events.empty())
    return ids;
  for (const auto& event : events)
    if (auto err = check_event(event))
      return err;
  // A key twice in `events` (the shop redelivered while the first was
  // waiting) is sent once; the later copies are duplicates of it.
  std::map<std::pair<std::string, std::string>, std::size_t> first;
  std::vector<std::string> sources, event_ids, topics, payloads, finished;
  for (std::size_t i = 0; i < events.size(); ++i) {
    const auto& e = events[i];
    if (!first.emplace(std::make_pair(e.source, e.event_id), i).second)
      continue;
    if (auto id = refuse_unstorable(tx, e)) {
      ids[i] = *id;
      if (refused != nullptr)
        (*refused)[i] = true;
      first.erase({e.source, e.event_id});
      continue;
    }
    sources.push_back(e.source);
    event_ids.push_back(e.event_id);
    topics.push_back(e.topic);
    payloads.push_back(e.payload);
    finished.push_back(i < done.size() && done[i] ? "t" : "f");
  }
  // Done events never enter the open-events indexes.
  static const prepared_sql sql{
      "inbox_insert_all",
      "INSERT INTO inbox (source, event_id, topic, payload, status,"
      " claimed_by, attempts, finished_at) "
      "SELECT s, e, t, p::jsonb, CASE WHEN d THEN 'done' ELSE 'pending' END,"
      " CASE WHEN d THEN $6 END, CASE WHEN d THEN 1 ELSE 0 END,"
      " CASE WHEN d THEN now() END"
      " FROM unnest($1::text[], $2::text[], $3::text[], $4::text[],"
      "  $5::bool[]) WITH ORDINALITY AS u(s, e, t, p, d, n) "
      "ORDER BY n "
      "ON CONFLICT (source, event_id) DO NOTHING "
      "RETURNING id, source, event_id"};
  auto rows = exec_prepared_sql(
      tx, sql, text_array_literal(sources), text_array_literal(event_ids),
      text_array_literal(topics), text_array_literal(payloads),
      text_array_literal(finished), node);
  for (const auto& row : rows) {
    auto at = first.find({row[1].as<std::string>(), row[2].as<std::string>()});
    if (at != first.end())
      ids[at->second] = row[0].as<std::int64_t>();
  }
  return ids;
}

caf::expected<std::vector<bool>>
inbox_store::insert_all_if_absent(const std::vector<inbox_event>& events) {
  auto ids = pool_.with_connection(
      "inbox: insert of " + std::to_string(events.size()) + " events",
      [&](pqxx::connection& conn) {
        // One statement outside BEGIN/COMMIT is a transaction of its own,
        // committed and flushed before its result is sent: one round trip
        // instead of three. Retried by the pool after a lost connection it
        // is still right: rows the lost attempt committed come back as
        // duplicates.
        pqxx::nontransaction tx(conn);
        return insert_all_in(tx, events, {}, "");
      });
  if (!ids)
    return ids.error();
  if (!*ids)
    return ids->error();
  std::vector<bool> inserted;
  for (auto id : **ids)
    inserted.push_back(id != 0);
  if (std::find(inserted.begin(), inserted.end(), true) != inserted.end())
    inbox_wakeup::instance().notify();
  return inserted;
}

caf::expected<std::vector<claimed_event>>
inbox_store::claim(const std::string& node, std::size_t limit,
                   std::chrono::seconds lease,
                   const std::optional<std::string>& topic) {
  return pool_.with_connection("inbox: claim", [&](pqxx::connection& conn) {
    pqxx::work tx(conn);
    // A statement of its own with and without the topic, so that each
    // keeps a plan that fits it (the topic one uses inbox_open_topic).
    auto sql = [](const char* topic_filter) {
      return std::string{"WITH c AS (SELECT id FROM inbox WHERE "} +
             open_events + topic_filter +
             "  ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED) "
             "UPDATE inbox i SET status = 'processing', claimed_by = $1,"
             "  lease_until = now() + make_interval(secs => $4),"
             "  attempts = i.attempts + 1 "
             "FROM c WHERE i.id = c.id "
             "RETURNING i.id, i.source, i.event_id, i.topic,"
             "  i.payload::text, i.attempts";
    };
    static const prepared_sql by_topic{"inbox_claim_topic",
                                       sql(" AND topic = $3")};
    static const prepared_sql any_topic{"inbox_claim",
                                        sql(" AND $3::text IS NULL")};
    auto rows = exec_prepared_sql(tx, topic ? by_topic : any_topic, node,
                                  static_cast<std::int64_t>(limit), topic,
                                  static_cast<double>(lease.count()));
    tx.commit();
    std::vector<claimed_event> out;
    out.reserve(rows.size());
    for (const auto& row : rows)
      out.push_back(event_of(row));
    std::sort(out.begin(), out.end(),
              [](const claimed_event& a, const claimed_event& b) {
                return a.id < b.id;
              });
    return out;
  });
}

std::vector<claimed_event> inbox_store::take(pqxx::transaction_base& tx,
                                             const std::string& topic,
                                             std::size_t limit) {
  static const prepared_sql sql{
      "inbox_take",
      std::string{"SELECT id, source, event_id, topic, payload::text,"
                  " attempts + 1 FROM inbox WHERE "} +
          open_events +
          " AND topic = $1 ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED"};
  auto rows =
      exec_prepared_sql(tx, sql, topic, static_cast<std::int64_t>(limit));
  std::vector<claimed_event> out;
  out.reserve(rows.size());
  for (const auto& row : rows)
    out.push_back(event_of(row));
  return out;
}

void inbox_store::finish_taken(pqxx::transaction_base& tx,
                               const std::vector<std::int64_t>& ids,
                               const std::string& node) {
  if (ids.empty())
    return;
  std::vector<std::string> texts;
  texts.reserve(ids.size());
  for (auto id : ids)
    texts.push_back(std::to_string(id));
  static const prepared_sql sql{
      "inbox_finish_taken",
      "UPDATE inbox SET status = 'done', finished_at = now(),"
      " lease_until = NULL, claimed_by = $2, attempts = attempts + 1"
      " WHERE id = ANY($1::text[]::bigint[])"};
  exec_prepared_sql(tx, sql, text_array_literal(texts), node);
}

void inbox_store::fail_taken(pqxx::transaction_base& tx, std::int64_t id,
                             const std::string& node,
                             const std::string& error) {
  tx.exec_params("UPDATE inbox SET status = 'failed', finished_at = now(),"
                 " lease_until = NULL, claimed_by = $2,"
                 " attempts = attempts + 1, last_error = $3 WHERE id = $1",
                 id, node, mapping::mask_text(error));
}

bool inbox_store::complete(pqxx::transaction_base& tx, std::int64_t id,
                           const std::string& node) {
  static const prepared_sql sql{
      "inbox_complete",
      "UPDATE inbox SET status = 'done', finished_at = now(), lease_until = "
      "NULL "
      "WHERE id = $1 AND status = 'processing' AND claimed_by = $2 "
      "RETURNING id"};
  auto rows = exec_prepared_sql(tx, sql, id, node);
  return rows.size() == 1;
}

caf::expected<bool> inbox_store::complete(std::int64_t id,
                                          const std::string& node) {
  return pool_.with_connection("inbox: complete " + std::to_string(id),
                               [&](pqxx::connection& conn) {
                                 pqxx::work tx(conn);
                                 bool done = complete(tx, id, node);
                                 tx.commit();
                                 return done;
                               });
}

caf::expected<bool> inbox_store::fail(std::int64_t id, const std::string& node,
                                      const std::string& error) {
  return pool_.with_connection(
      "inbox: fail " + std::to_string(id), [&](pqxx::connection& conn) {
        pqxx::work tx(conn);
        auto rows = tx.exec_params(
            "UPDATE inbox SET status = 'failed', last_error = $3,"
            " lease_until = NULL, finished_at = now() "
            "WHERE id = $1 AND status = 'processing' AND claimed_by = $2 "
            "RETURNING id",
            id, node, mapping::mask_text(error));
        tx.commit();
        return rows.size() == 1;
      });
}

caf::expected<bool> inbox_store::retry(std::int64_t id, const std::string& node,
                                       const std::string& error,
                                       std::chrono::milliseconds delay) {
  return pool_.with_connection(
      "inbox: retry " + std::to_string(id), [&](pqxx::connection& conn) {
        pqxx::work tx(conn);
        auto rows = tx.exec_params(
            "UPDATE inbox SET status = 'pending', last_error = $3,"
            " lease_until = CASE WHEN $4::float8 > 0 THEN now()"
            "   + make_interval(secs => $4::float8) END "
            "WHERE id = $1 AND status = 'processing' AND claimed_by = $2 "
            "RETURNING id",
            id, node, mapping::mask_text(error),
            static_cast<double>(delay.count()) / 1000.0);
        tx.commit();
        return rows.size() == 1;
      });
}

caf::expected<std::int64_t> inbox_store::open_count() {
  return pool_.with_connection("inbox: count", [](pqxx::connection& conn) {
    pqxx::read_transaction tx(conn);
    return tx
        .exec1("SELECT count(*) FROM inbox "
               "WHERE status IN ('pending', 'processing')")[0]
        .as<std::int64_t>();
  });
}

} // namespace ferry::persistence
