#include "persistence/audit_store.hpp"

#include "mapping/json_text.hpp"
#include "mapping/masking.hpp"

#include <optional>
#include <pqxx/pqxx>

namespace ferry::persistence {

audit_store::audit_store(pg_pool& pool) : pool_(pool) {}

std::int64_t audit_store::record(pqxx::transaction_base& tx,
                                 const audit_entry& entry) {
  std::optional<std::string> detail;
  if (!entry.detail.is_null())
    detail = dump_utf8_safe(mapping::mask_json(entry.detail));
  return tx
      .exec_params1(
          "INSERT INTO audit (actor, action, entity, entity_id, detail)"
          " VALUES ($1, $2, $3, $4, $5::jsonb) RETURNING id",
          mapping::mask_text(entry.actor), entry.action, entry.entity,
          mapping::mask_text(entry.entity_id), detail)[0]
      .as<std::int64_t>();
}

caf::expected<std::int64_t> audit_store::record(const audit_entry& entry) {
  const char* missing = entry.actor.empty()    ? "actor"
                        : entry.action.empty() ? "action"
                        : entry.entity.empty() ? "entity"
                                               : nullptr;
  if (missing != nullptr)
    return make_db_error(db_errc::rejected,
                         std::string("audit: field ") + missing + " is empty");
  return pool_.with_connection("audit " + entry.action + " " + entry.entity,
                               [&](pqxx::connection& conn) {
                                 pqxx::work tx(conn);
                                 auto id = record(tx, entry);
                                 tx.commit();
                                 return id;
                               });
}

caf::expected<std::vector<audit_record>>
audit_store::history(const std::string& entity, const std::string& entity_id,
                     std::size_t limit) {
  return pool_.with_connection("audit history", [&](pqxx::connection& conn) {
    pqxx::read_transaction tx(conn);
    auto rows =
        tx.exec_params("SELECT id, to_char(at AT TIME ZONE 'UTC',"
                       "  'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'),"
                       " actor, action, entity, coalesce(entity_id, ''),"
                       " coalesce(detail::text, 'null')"
                       " FROM audit WHERE entity = $1 AND entity_id = $2"
                       " ORDER BY id LIMIT $3",
                       entity, mapping::mask_text(entity_id),
                       static_cast<std::int64_t>(limit));
    std::vector<audit_record> out;
    for (const auto& row : rows)
      out.push_back(audit_record{
          row[0].as<std::int64_t>(), row[1].as<std::string>(),
          audit_entry{row[2].as<std::string>(), row[3].as<std::string>(),
                      row[4].as<std::string>(), row[5].as<std::string>(),
                      nlohmann::json::parse(row[6].as<std::string>())}});
    return out;
  });
}

} // namespace ferry::persistence
