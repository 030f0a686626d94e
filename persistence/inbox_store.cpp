#include "persistence/inbox_store.hpp"

#include "mapping/masking.hpp"

#include <algorithm>
#include <pqxx/pqxx>

namespace ferry::persistence {

namespace {

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

} // namespace

inbox_store::inbox_store(pg_pool& pool) : pool_(pool) {}

bool inbox_store::insert_if_absent(pqxx::transaction_base& tx,
                                   const inbox_event& event) {
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
                                 return inserted;
                               });
}

caf::expected<std::vector<claimed_event>>
inbox_store::claim(const std::string& node, std::size_t limit,
                   std::chrono::seconds lease,
                   const std::optional<std::string>& topic) {
  return pool_.with_connection("inbox: claim", [&](pqxx::connection& conn) {
    pqxx::work tx(conn);
    auto rows = tx.exec_params(
        "WITH c AS ("
        "  SELECT id FROM inbox"
        "  WHERE (status = 'pending'"
        "         OR (status = 'processing' AND lease_until < now()))"
        "    AND ($3::text IS NULL OR topic = $3)"
        "  ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED) "
        "UPDATE inbox i SET status = 'processing', claimed_by = $1,"
        "  lease_until = now() + make_interval(secs => $4),"
        "  attempts = i.attempts + 1 "
        "FROM c WHERE i.id = c.id "
        "RETURNING i.id, i.source, i.event_id, i.topic, i.payload::text,"
        "  i.attempts",
        node, static_cast<std::int64_t>(limit), topic,
        static_cast<double>(lease.count()));
    tx.commit();
    std::vector<claimed_event> out;
    out.reserve(rows.size());
    for (const auto& row : rows)
      out.push_back(claimed_event{
          row[0].as<std::int64_t>(),
          inbox_event{row[1].as<std::string>(), row[2].as<std::string>(),
                      row[3].as<std::string>(), row[4].as<std::string>()},
          row[5].as<int>()});
    std::sort(out.begin(), out.end(),
              [](const claimed_event& a, const claimed_event& b) {
                return a.id < b.id;
              });
    return out;
  });
}

caf::expected<bool> inbox_store::complete(std::int64_t id,
                                          const std::string& node) {
  return pool_.with_connection(
      "inbox: complete " + std::to_string(id), [&](pqxx::connection& conn) {
        pqxx::work tx(conn);
        auto rows = tx.exec_params(
            "UPDATE inbox SET status = 'done', finished_at = now(),"
            " lease_until = NULL "
            "WHERE id = $1 AND status = 'processing' AND claimed_by = $2 "
            "RETURNING id",
            id, node);
        tx.commit();
        return rows.size() == 1;
      });
}

caf::expected<bool> inbox_store::fail(std::int64_t id, const std::string& node,
                                      const std::string& error, bool retry) {
  return pool_.with_connection(
      "inbox: fail " + std::to_string(id), [&](pqxx::connection& conn) {
        pqxx::work tx(conn);
        auto rows = tx.exec_params(
            "UPDATE inbox SET status = $3, last_error = $4, lease_until = NULL,"
            " finished_at = CASE WHEN $3 = 'failed' THEN now() END "
            "WHERE id = $1 AND status = 'processing' AND claimed_by = $2 "
            "RETURNING id",
            id, node, std::string(retry ? "pending" : "failed"),
            mapping::mask_text(error));
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
