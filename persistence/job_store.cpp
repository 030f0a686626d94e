#include "persistence/job_store.hpp"

#include <pqxx/pqxx>

namespace ferry::persistence {

namespace {

constexpr const char* columns =
    "id, kind, status, position, pages, read_count, written, skipped,"
    " dead_lettered, total, coalesce(message, ''),"
    " to_char(started_at AT TIME ZONE 'UTC',"
    " 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'),"
    " to_char(updated_at AT TIME ZONE 'UTC',"
    " 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'),"
    " coalesce(to_char(finished_at AT TIME ZONE 'UTC',"
    " 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), ''),"
    " extract(epoch FROM updated_at - started_at)::float8";

job_row row_of(const pqxx::row& r) {
  job_row j;
  j.id = r[0].as<std::int64_t>();
  j.kind = r[1].as<std::string>();
  j.status = r[2].as<std::string>();
  j.cursor = r[3].as<std::string>();
  j.pages = r[4].as<std::int64_t>();
  j.counts.read = r[5].as<std::int64_t>();
  j.counts.written = r[6].as<std::int64_t>();
  j.counts.skipped = r[7].as<std::int64_t>();
  j.counts.dead_lettered = r[8].as<std::int64_t>();
  if (!r[9].is_null())
    j.total = r[9].as<std::int64_t>();
  j.message = r[10].as<std::string>();
  j.started_at = r[11].as<std::string>();
  j.updated_at = r[12].as<std::string>();
  j.finished_at = r[13].as<std::string>();
  j.elapsed_seconds = r[14].as<double>();
  return j;
}

std::optional<job_row> first_of(const pqxx::result& rows) {
  if (rows.empty())
    return std::nullopt;
  return row_of(rows[0]);
}

} // namespace

job_store::job_store(pg_pool& pool) : pool_(pool) {}

caf::expected<job_row> job_store::start(const std::string& kind,
                                        std::optional<std::int64_t> total) {
  return pool_.with_connection("job start " + kind, [&](pqxx::connection& c) {
    pqxx::work tx(c);
    auto rows = tx.exec_params(std::string("INSERT INTO job (kind, total)"
                                           " VALUES ($1, $2) RETURNING ") +
                                   columns,
                               kind, total);
    tx.commit();
    return row_of(rows[0]);
  });
}

caf::expected<std::optional<job_row>> job_store::get(std::int64_t id) {
  return pool_.with_connection(
      "job " + std::to_string(id), [&](pqxx::connection& c) {
        pqxx::read_transaction tx(c);
        return first_of(tx.exec_params(
            std::string("SELECT ") + columns + " FROM job WHERE id = $1", id));
      });
}

caf::expected<std::optional<job_row>>
job_store::newest_unfinished(const std::string& kind) {
  return pool_.with_connection(
      "unfinished job " + kind, [&](pqxx::connection& c) {
        pqxx::read_transaction tx(c);
        return first_of(
            tx.exec_params(std::string("SELECT ") + columns +
                               " FROM job WHERE kind = $1 AND status <> 'done'"
                               " ORDER BY id DESC LIMIT 1",
                           kind));
      });
}

caf::expected<std::optional<job_row>>
job_store::newest_done(const std::string& kind) {
  return pool_.with_connection("done job " + kind, [&](pqxx::connection& c) {
    pqxx::read_transaction tx(c);
    return first_of(
        tx.exec_params(std::string("SELECT ") + columns +
                           " FROM job WHERE kind = $1 AND status = 'done'"
                           " ORDER BY id DESC LIMIT 1",
                       kind));
  });
}

caf::expected<bool> job_store::commit_page(std::int64_t id,
                                           const std::string& cursor,
                                           const job_counts& counts) {
  return pool_.with_connection(
      "job " + std::to_string(id) + " page", [&](pqxx::connection& c) {
        pqxx::work tx(c);
        auto rows = tx.exec_params(
            "UPDATE job SET position = $2, pages = pages + 1,"
            " read_count = $3, written = $4, skipped = $5,"
            " dead_lettered = $6, done = $4, failed = $6,"
            " status = 'running', message = NULL, updated_at = now()"
            " WHERE id = $1 AND status <> 'done'",
            id, cursor, counts.read, counts.written, counts.skipped,
            counts.dead_lettered);
        tx.commit();
        return rows.affected_rows() == 1;
      });
}

caf::expected<bool> job_store::finish(std::int64_t id, bool done,
                                      const std::string& message) {
  return pool_.with_connection(
      "job " + std::to_string(id) + " finish", [&](pqxx::connection& c) {
        pqxx::work tx(c);
        std::optional<std::string> text;
        if (!message.empty())
          text = message;
        auto rows = tx.exec_params(
            // A failed job keeps the time of its last commit: resuming
            // looks at the shop's writes since then.
            "UPDATE job SET status = $2, message = $3,"
            " updated_at = CASE WHEN $2 = 'done' THEN now()"
            " ELSE updated_at END,"
            " finished_at = CASE WHEN $2 = 'done' THEN now() END"
            " WHERE id = $1",
            id, done ? "done" : "failed", text);
        tx.commit();
        return rows.affected_rows() == 1;
      });
}

caf::expected<bool> job_store::try_lock_kind(pg_pool::lease& lease,
                                             const std::string& kind) {
  try {
    pqxx::nontransaction tx(*lease);
    auto rows = tx.exec_params(
        "SELECT pg_try_advisory_lock(hashtext('ferry_job:' || $1))", kind);
    return rows[0][0].as<bool>();
  } catch (const std::exception& e) {
    lease.mark_broken();
    return make_db_error(db_errc::unavailable,
                         "job lock " + kind + ": " + describe_pqxx_failure(e));
  }
}

} // namespace ferry::persistence
