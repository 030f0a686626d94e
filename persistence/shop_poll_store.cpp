#include "persistence/shop_poll_store.hpp"

#include <pqxx/pqxx>

namespace ferry::persistence {

shop_poll_store::shop_poll_store(pg_pool& pool) : pool_(pool) {
}

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
  return pool_.with_connection(
    "shop poll cursor write", [&](pqxx::connection& c) {
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

caf::expected<bool> shop_poll_store::enqueue_if_missing(
  const inbox_event& event, const std::vector<std::string>& topics,
  const std::string& key, const std::string& version_field,
  const std::string& version) {
  if (event.event_id.empty() || event.topic.empty() || topics.empty())
    return make_db_error(db_errc::rejected,
                         "shop poll enqueue: empty event id, topic or topics");
  return pool_.with_connection(
    "shop poll enqueue (" + event.topic + ")", [&](pqxx::connection& c) {
      pqxx::work tx{c};
      std::string topic_list = "{";
      for (std::size_t i = 0; i < topics.size(); ++i) {
        if (i > 0)
          topic_list += ",";
        topic_list += "\"" + tx.esc(topics[i]) + "\"";
      }
      topic_list += "}";
      auto r = tx.exec_params(
        "INSERT INTO inbox (source, event_id, topic, payload) "
        "SELECT 'shop', $1, $2, $3::jsonb WHERE NOT EXISTS ("
        "  SELECT 1 FROM inbox WHERE source = 'shop'"
        "  AND topic = ANY($4::text[])"
        "  AND coalesce(payload->>'entity_id', payload->>'id') = $5"
        "  AND payload->>$6 = $7) "
        "ON CONFLICT (source, event_id) DO NOTHING",
        event.event_id, event.topic, event.payload, topic_list, key,
        version_field, version);
      tx.commit();
      return r.affected_rows() == 1;
    });
}

} // namespace ferry::persistence
