#include "persistence/dead_letter_store.hpp"

#include "mapping/json_text.hpp"

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

namespace ferry::persistence {

namespace {

constexpr const char* columns =
    "id, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'),"
    " source, entity, entity_id, reason,"
    " coalesce(payload::text, payload_text, 'null'),"
    " coalesce(to_char(replayed_at AT TIME ZONE 'UTC',"
    "                  'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), ''),"
    " replay_count";

dead_letter from_row(const pqxx::row& row) {
  return dead_letter{row[0].as<std::int64_t>(), row[1].as<std::string>(),
                     row[2].as<std::string>(),  row[3].as<std::string>(),
                     row[4].as<std::string>(),  row[5].as<std::string>(),
                     row[6].as<std::string>(),  row[7].as<std::string>(),
                     row[8].as<int>()};
}

// Where a payload goes: JSON that jsonb can hold as jsonb; JSON holding
// U+0000 as its exact text; anything else as a JSON string (invalid UTF-8
// replaced), so that nothing is lost to a parse error.
struct stored_payload {
  std::optional<std::string> json;
  std::optional<std::string> text;
};

stored_payload stored_form(const std::string& payload) {
  if (payload.empty())
    return {};
  if (!nlohmann::json::accept(payload))
    return {nlohmann::json(payload).dump(
                -1, ' ', false, nlohmann::json::error_handler_t::replace),
            std::nullopt};
  if (holds_nul_escape(payload))
    return {std::nullopt, payload};
  return {payload, std::nullopt};
}

} // namespace

dead_letter_store::dead_letter_store(pg_pool& pool) : pool_(pool) {}

std::int64_t
dead_letter_store::put(pqxx::transaction_base& tx, const std::string& source,
                       const std::string& entity, const std::string& entity_id,
                       const std::string& reason, const std::string& payload) {
  auto stored = stored_form(payload);
  // A flow that meets the same refused record again (a cursor that
  // includes its last timestamp, a retried page) finds it open already:
  // one dead letter per refusal, not one per sighting.
  auto rows = tx.exec_params(
      "WITH already AS ("
      " SELECT id FROM dead_letter WHERE replayed_at IS NULL"
      " AND source = $1 AND entity = $2 AND entity_id = $3 AND reason = $4"
      " AND payload IS NOT DISTINCT FROM $5::jsonb"
      " AND payload_text IS NOT DISTINCT FROM $6 LIMIT 1),"
      " added AS ("
      " INSERT INTO dead_letter (source, entity, entity_id, reason,"
      " payload, payload_text) SELECT $1, $2, $3, $4, $5::jsonb, $6"
      " WHERE NOT EXISTS (SELECT 1 FROM already) RETURNING id) "
      "SELECT id FROM already UNION ALL SELECT id FROM added",
      source, entity, entity_id, reason, stored.json, stored.text);
  return rows[0][0].as<std::int64_t>();
}

caf::expected<std::int64_t> dead_letter_store::put(const std::string& source,
                                                   const std::string& entity,
                                                   const std::string& entity_id,
                                                   const std::string& reason,
                                                   const std::string& payload) {
  if (source.empty() || entity.empty() || reason.empty())
    return make_db_error(db_errc::rejected,
                         "dead letter: source, entity and reason are "
                         "required (got source '" +
                             source + "', entity '" + entity + "')");
  return pool_.with_connection("dead letter for " + entity + " " + entity_id,
                               [&](pqxx::connection& conn) {
                                 pqxx::work tx(conn);
                                 auto id = put(tx, source, entity, entity_id,
                                               reason, payload);
                                 tx.commit();
                                 return id;
                               });
}

caf::expected<std::vector<dead_letter>>
dead_letter_store::list(std::size_t limit, bool include_replayed,
                        const std::optional<std::string>& entity) {
  return pool_.with_connection(
      "dead letter: list", [&](pqxx::connection& conn) {
        pqxx::read_transaction tx(conn);
        auto rows = tx.exec_params(std::string("SELECT ") + columns +
                                       " FROM dead_letter"
                                       " WHERE ($1 OR replayed_at IS NULL)"
                                       " AND ($2::text IS NULL OR entity = $2)"
                                       " ORDER BY id DESC LIMIT $3",
                                   include_replayed, entity,
                                   static_cast<std::int64_t>(limit));
        std::vector<dead_letter> out;
        out.reserve(rows.size());
        for (const auto& row : rows)
          out.push_back(from_row(row));
        return out;
      });
}

caf::expected<dead_letter> dead_letter_store::get(std::int64_t id) {
  auto found = pool_.with_connection(
      "dead letter " + std::to_string(id), [&](pqxx::connection& conn) {
        pqxx::read_transaction tx(conn);
        auto rows = tx.exec_params(std::string("SELECT ") + columns +
                                       " FROM dead_letter WHERE id = $1",
                                   id);
        return rows.empty() ? std::optional<dead_letter>{}
                            : std::optional<dead_letter>{from_row(rows[0])};
      });
  if (!found)
    return std::move(found.error());
  if (!*found)
    return make_db_error(db_errc::rejected, "dead letter " +
                                                std::to_string(id) +
                                                " does not exist");
  return std::move(**found);
}

caf::expected<bool> dead_letter_store::mark_replayed(std::int64_t id) {
  return pool_.with_connection(
      "dead letter " + std::to_string(id) + ": mark replayed",
      [&](pqxx::connection& conn) {
        pqxx::work tx(conn);
        auto rows = tx.exec_params(
            "UPDATE dead_letter SET replayed_at = now(),"
            " replay_count = replay_count + 1 WHERE id = $1 RETURNING id",
            id);
        tx.commit();
        return rows.size() == 1;
      });
}

} // namespace ferry::persistence
