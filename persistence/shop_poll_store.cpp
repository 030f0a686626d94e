#include "persistence/shop_poll_store.hpp"

#include "mapping/json_text.hpp"
#include "persistence/inbox_store.hpp"
#include "persistence/sql_array.hpp"

#include <pqxx/pqxx>

namespace ferry::persistence {

shop_poll_store::shop_poll_store(pg_pool& pool) : pool_(pool) {}

caf::expected<std::string>
shop_poll_store::cursor(const std::string& resource) {
  return pool_.with_connection(
      "shop poll cursor read", [&](pqxx::connection& c) {
        pqxx::read_transaction tx{c};
        auto r = tx.exec_params(
            "SELECT cursor_at FROM shop_poll_cursor WHERE resource = $1",
            resource);
        return r.empty() ? std::string{} : r[0][0].as<std::string>();
      });
}

caf::expected<bool> shop_poll_store::save_cursor(const std::string& resource,
                                                 const std::string& value) {
  return pool_.with_connection("shop poll cursor write", [&](pqxx::connection&
                                                                 c) {
    pqxx::work tx{c};
    // Timestamps of one fixed format order as text.
    tx.exec_params(
        "INSERT INTO shop_poll_cursor (resource, cursor_at) VALUES ($1, $2) "
        "ON CONFLICT (resource) DO UPDATE SET "
        "cursor_at = greatest(shop_poll_cursor.cursor_at, excluded.cursor_at), "
        "updated_at = now()",
        resource, value);
    tx.commit();
    return true;
  });
}

caf::expected<std::size_t>
shop_poll_store::enqueue_missing(const std::vector<polled_change>& changes,
                                 const std::vector<std::string>& topics,
                                 const std::string& version_field) {
  if (changes.empty())
    return std::size_t{0};
  std::vector<std::string> ids, event_topics, payloads, keys, versions;
  std::vector<const inbox_event*> unstorable;
  for (const auto& c : changes) {
    if (c.event.event_id.empty() || c.event.topic.empty())
      return make_db_error(db_errc::rejected,
                           "shop poll enqueue: empty event id or topic");
    // One entity jsonb cannot hold must not fail the page's statement.
    if (holds_nul_escape(c.event.payload)) {
      unstorable.push_back(&c.event);
      continue;
    }
    ids.push_back(c.event.event_id);
    event_topics.push_back(c.event.topic);
    payloads.push_back(c.event.payload);
    keys.push_back(c.key);
    versions.push_back(c.version);
  }
  if (topics.empty())
    return make_db_error(db_errc::rejected,
                         "shop poll enqueue: no topics to look for");
  return pool_.with_connection(
      "shop poll enqueue of " + std::to_string(changes.size()) + " " +
          changes.front().event.topic,
      [&](pqxx::connection& c) {
        pqxx::nontransaction tx{c};
        std::size_t refused = 0;
        for (const auto* event : unstorable)
          refused +=
              inbox_store::refuse_unstorable(tx, *event).value_or(0) != 0;
        if (ids.empty())
          return refused;
        auto r = tx.exec_params(
            "INSERT INTO inbox (source, event_id, topic, payload) "
            "SELECT 'shop', x.e, x.t, x.p::jsonb FROM unnest($1::text[],"
            " $2::text[], $3::text[], $4::text[], $5::text[]) AS x(e, t, p, k, "
            "v)"
            " WHERE NOT EXISTS ("
            "  SELECT 1 FROM inbox WHERE source = 'shop'"
            "  AND topic = ANY($6::text[])"
            "  AND coalesce(payload->>'entity_id', payload->>'id') = x.k"
            "  AND payload->>$7 = x.v) "
            "ON CONFLICT (source, event_id) DO NOTHING",
            text_array_literal(ids), text_array_literal(event_topics),
            text_array_literal(payloads), text_array_literal(keys),
            text_array_literal(versions), text_array_literal(topics),
            version_field);
        return refused + static_cast<std::size_t>(r.affected_rows());
      });
}

} // namespace ferry::persistence
