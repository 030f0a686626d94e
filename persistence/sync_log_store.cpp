#include "persistence/sync_log_store.hpp"

#include "mapping/json_text.hpp"
#include "mapping/masking.hpp"
#include "persistence/prepared.hpp"
#include "persistence/sql_array.hpp"

#include <pqxx/pqxx>

namespace ferry::persistence {

namespace {

sync_direction direction_from(const std::string& text) {
  if (text == "erp_to_shop")
    return sync_direction::erp_to_shop;
  if (text == "internal")
    return sync_direction::internal;
  return sync_direction::shop_to_erp;
}

sync_outcome outcome_from(const std::string& text) {
  if (text == "retry")
    return sync_outcome::retry;
  if (text == "failed")
    return sync_outcome::failed;
  if (text == "skipped")
    return sync_outcome::skipped;
  return sync_outcome::ok;
}

std::optional<std::string> optional_text(const std::string& text) {
  if (text.empty())
    return std::nullopt;
  return text;
}

} // namespace

const char* to_string(sync_direction direction) {
  switch (direction) {
    case sync_direction::shop_to_erp:
      return "shop_to_erp";
    case sync_direction::erp_to_shop:
      return "erp_to_shop";
    case sync_direction::internal:
      return "internal";
  }
  return "internal";
}

const char* to_string(sync_outcome outcome) {
  switch (outcome) {
    case sync_outcome::ok:
      return "ok";
    case sync_outcome::retry:
      return "retry";
    case sync_outcome::failed:
      return "failed";
    case sync_outcome::skipped:
      return "skipped";
  }
  return "failed";
}

sync_log_store::sync_log_store(pg_pool& pool) : pool_(pool) {}

sync_log_columns sync_log_store::columns_of(const sync_log_entry& entry) {
  sync_log_columns c;
  c.entity = entry.entity;
  c.direction = to_string(entry.direction);
  c.entity_id = mapping::mask_text(entry.entity_id);
  c.external_id = optional_text(mapping::mask_text(entry.external_id));
  c.attempt = entry.attempt;
  c.latency_ms = entry.latency_ms;
  c.outcome = to_string(entry.outcome);
  c.message = optional_text(mapping::mask_text(entry.message));
  if (!entry.payload.is_null())
    c.payload = dump_utf8_safe(mapping::mask_json(entry.payload));
  return c;
}

std::int64_t sync_log_store::write(pqxx::transaction_base& tx,
                                   const sync_log_entry& entry) {
  auto c = columns_of(entry);
  static const prepared_sql sql{
      "sync_log_write",
      std::string{"INSERT INTO sync_log ("} + sync_log_columns::names +
          ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb) RETURNING id"};
  return exec_prepared_sql(tx, sql, c.entity, c.direction, c.entity_id,
                           c.external_id, c.attempt, c.latency_ms, c.outcome,
                           c.message, c.payload)[0][0]
      .as<std::int64_t>();
}

void sync_log_store::write_all(pqxx::transaction_base& tx,
                               const std::vector<sync_log_entry>& entries) {
  if (entries.empty())
    return;
  if (entries.size() == 1) {
    write(tx, entries.front());
    return;
  }
  sync_log_arrays arrays;
  for (const auto& e : entries)
    arrays.add(e);
  static const prepared_sql sql{
      "sync_log_write_all",
      std::string{"INSERT INTO sync_log ("} + sync_log_columns::names +
          ") SELECT " + sync_log_arrays::select_list +
          " FROM unnest($1::text[], $2::text[], $3::text[], $4::text[],"
          " $5::text[], $6::text[], $7::text[], $8::text[], $9::text[])"
          " WITH ORDINALITY AS u(" +
          sync_log_arrays::aliases + ", n) ORDER BY n"};
  auto p = arrays.params();
  exec_prepared_sql(tx, sql, p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7],
                    p[8]);
}

void sync_log_arrays::add(const sync_log_entry& entry) {
  auto c = sync_log_store::columns_of(entry);
  entity.push_back(std::move(c.entity));
  direction.push_back(std::move(c.direction));
  entity_id.push_back(std::move(c.entity_id));
  external_id.push_back(c.external_id.value_or(""));
  attempt.push_back(std::to_string(c.attempt));
  latency.push_back(c.latency_ms ? std::to_string(*c.latency_ms) : "");
  outcome.push_back(std::move(c.outcome));
  message.push_back(c.message.value_or(""));
  payload.push_back(c.payload.value_or(""));
}

std::vector<std::string> sync_log_arrays::params() const {
  std::vector<std::string> out;
  for (const auto* column : {&entity, &direction, &entity_id, &external_id,
                             &attempt, &latency, &outcome, &message, &payload})
    out.push_back(text_array_literal(*column));
  return out;
}

caf::expected<std::int64_t> sync_log_store::write(const sync_log_entry& entry) {
  if (entry.entity.empty())
    return make_db_error(db_errc::rejected, "sync log: field entity is empty");
  return pool_.with_connection("sync log for " + entry.entity,
                               [&](pqxx::connection& conn) {
                                 pqxx::work tx(conn);
                                 auto id = write(tx, entry);
                                 tx.commit();
                                 return id;
                               });
}

namespace {

constexpr const char* record_columns =
    "SELECT id, to_char(at AT TIME ZONE 'UTC',"
    "  'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'),"
    " entity, direction, entity_id, coalesce(external_id, ''), attempt,"
    " latency_ms, outcome, coalesce(message, ''),"
    " coalesce(payload::text, 'null')"
    " FROM sync_log ";

std::vector<sync_log_record> records_of(const pqxx::result& rows) {
  std::vector<sync_log_record> out;
  for (const auto& row : rows) {
    sync_log_record rec;
    rec.id = row[0].as<std::int64_t>();
    rec.at = row[1].as<std::string>();
    rec.entry.entity = row[2].as<std::string>();
    rec.entry.direction = direction_from(row[3].as<std::string>());
    rec.entry.entity_id = row[4].as<std::string>();
    rec.entry.external_id = row[5].as<std::string>();
    rec.entry.attempt = row[6].as<int>();
    if (!row[7].is_null())
      rec.entry.latency_ms = row[7].as<std::int64_t>();
    rec.entry.outcome = outcome_from(row[8].as<std::string>());
    rec.entry.message = row[9].as<std::string>();
    rec.entry.payload = nlohmann::json::parse(row[10].as<std::string>());
    out.push_back(std::move(rec));
  }
  return out;
}

} // namespace

caf::expected<std::vector<sync_log_record>>
sync_log_store::recent(std::size_t limit,
                       const std::optional<std::string>& entity) {
  return pool_.with_connection("sync log: recent", [&](pqxx::connection& conn) {
    pqxx::read_transaction tx(conn);
    return records_of(tx.exec_params(
        std::string{record_columns} +
            "WHERE ($1::text IS NULL OR entity = $1) ORDER BY id DESC LIMIT $2",
        entity, static_cast<std::int64_t>(limit)));
  });
}

caf::expected<std::vector<sync_log_record>>
sync_log_store::history(const std::string& entity, const std::string& entity_id,
                        std::size_t limit) {
  return pool_.with_connection(
      "sync log of " + entity + " " + entity_id, [&](pqxx::connection& conn) {
        pqxx::read_transaction tx(conn);
        return records_of(tx.exec_params(
            std::string{record_columns} +
                "WHERE entity = $1 AND entity_id = $2 ORDER BY id LIMIT $3",
            entity, entity_id, static_cast<std::int64_t>(limit)));
      });
}

} // namespace ferry::persistence
