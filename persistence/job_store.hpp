#pragma once

#include "persistence/pg_pool.hpp"

#include <caf/expected.hpp>
#include <cstdint>
#include <optional>
#include <string>

namespace ferry::persistence {

/// What a batch job did so far.
struct job_counts {
  /// Items read from the source (every page, also skipped ones).
  std::int64_t read = 0;
  /// Items the target accepted.
  std::int64_t written = 0;
  /// Items not written because the target already had them (or they were
  /// Ferry's own change coming back).
  std::int64_t skipped = 0;
  /// Items put into the dead-letter table with their reason.
  std::int64_t dead_lettered = 0;

  friend bool operator==(const job_counts& a, const job_counts& b) {
    return a.read == b.read && a.written == b.written &&
           a.skipped == b.skipped && a.dead_lettered == b.dead_lettered;
  }
};

/// One row of the `job` table.
struct job_row {
  std::int64_t id = 0;
  /// What runs, e.g. "sync_products_full".
  std::string kind;
  /// "running", "done" or "failed".
  std::string status;
  /// Where to go on: the source's page token after the last committed page
  /// (empty: from the start, or nothing left once done).
  std::string cursor;
  /// Pages committed.
  std::int64_t pages = 0;
  job_counts counts;
  /// Items expected in all, when known.
  std::optional<std::int64_t> total;
  /// Why it failed; empty otherwise.
  std::string message;
  /// ISO-8601 UTC with milliseconds; `finished_at` empty while unfinished.
  std::string started_at, updated_at, finished_at;
  /// Seconds between start and the last commit.
  double elapsed_seconds = 0;
};

/// The `job` table: long-running batch jobs with a cursor to resume from
/// and progress that `GET /api/v1/jobs/{id}` reads.
class job_store {
public:
  /// Uses connections of `pool`; the pool must outlive the store.
  explicit job_store(pg_pool& pool);

  /// Inserts a running job of `kind`; `total` when the item count is known.
  caf::expected<job_row> start(const std::string& kind,
                               std::optional<std::int64_t> total);

  /// One job; nullopt when there is none with that id.
  caf::expected<std::optional<job_row>> get(std::int64_t id);

  /// The newest job of `kind` that is not done (running, or failed), i.e.
  /// the one `--resume` continues.
  caf::expected<std::optional<job_row>>
  newest_unfinished(const std::string& kind);

  /// The newest job of `kind` that is done.
  caf::expected<std::optional<job_row>> newest_done(const std::string& kind);

  /// Commits one page: the cursor to resume from, one more page, the
  /// counts so far (totals, not increments: committing the same page twice
  /// changes nothing), status running again, `updated_at` now. False when
  /// no job has that id.
  caf::expected<bool> commit_page(std::int64_t id, const std::string& cursor,
                                  const job_counts& counts);

  /// Ends the job as "done" (message empty) or "failed" with `message`.
  caf::expected<bool> finish(std::int64_t id, bool done,
                             const std::string& message);

  /// Takes the session-level lock of `kind` on `lease`'s connection (held
  /// until that connection closes, also when the process is killed); false
  /// when another session holds it, i.e. the same kind of job runs
  /// elsewhere.
  static caf::expected<bool> try_lock_kind(pg_pool::lease& lease,
                                           const std::string& kind);

private:
  pg_pool& pool_;
};

} // namespace ferry::persistence
