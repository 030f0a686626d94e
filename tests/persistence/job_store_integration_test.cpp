// The job table behind `ferry sync products --full`, against a migrated
// scratch database on the shared PostgreSQL.
#include "persistence/job_store.hpp"
#include "persistence/migrations.hpp"
#include "tests/support/services.hpp"
#include "tests/support/test_env.hpp"

#include <gtest/gtest.h>
#include <pqxx/pqxx>
#include <prometheus/registry.h>

using namespace ferry::persistence;

namespace {

constexpr const char* kind = "sync_products_full";

class job_store_test : public ::testing::Test {
protected:
  void SetUp() override {
    auto report = migrate(pool_);
    ASSERT_TRUE(report) << db_error_text(report.error());
  }

  job_row started(std::optional<std::int64_t> total = std::nullopt) {
    auto job = jobs_.start(kind, total);
    EXPECT_TRUE(job) << db_error_text(job.error());
    return job ? *job : job_row{};
  }

  job_row fetched(std::int64_t id) {
    auto job = jobs_.get(id);
    EXPECT_TRUE(job) << db_error_text(job.error());
    EXPECT_TRUE(job && *job) << "no job " << id;
    return job && *job ? **job : job_row{};
  }

  ferry::test::scratch_database db_;
  prometheus::Registry registry_;
  pg_pool pool_{{db_.url(), 4}, registry_};
  job_store jobs_{pool_};
};

} // namespace

TEST_F(job_store_test, a_new_job_runs_from_the_start_with_nothing_counted) {
  auto job = started();
  EXPECT_GT(job.id, 0);
  EXPECT_EQ(job.kind, kind);
  EXPECT_EQ(job.status, "running");
  EXPECT_EQ(job.cursor, "");
  EXPECT_EQ(job.pages, 0);
  EXPECT_EQ(job.counts, job_counts{});
  EXPECT_FALSE(job.total);
  EXPECT_EQ(job.finished_at, "");
  // ISO-8601 UTC with milliseconds.
  EXPECT_EQ(job.started_at.size(), 24u) << job.started_at;
  EXPECT_EQ(job.started_at.back(), 'Z');
  EXPECT_EQ(started(10'000).total, 10'000);
}

TEST_F(job_store_test, committed_pages_keep_cursor_and_counts) {
  auto job = started();
  ASSERT_TRUE(*jobs_.commit_page(job.id, "p1000", {1000, 990, 5, 5}));
  ASSERT_TRUE(*jobs_.commit_page(job.id, "p2000", {2000, 1985, 10, 5}));
  auto now = fetched(job.id);
  EXPECT_EQ(now.status, "running");
  EXPECT_EQ(now.cursor, "p2000");
  EXPECT_EQ(now.pages, 2);
  EXPECT_EQ(now.counts, (job_counts{2000, 1985, 10, 5}));
  EXPECT_GE(now.updated_at, now.started_at);
  EXPECT_GE(now.elapsed_seconds, 0.0);
  // The older columns of 0300 follow: done = written, failed = dead letters.
  pqxx::connection conn(db_.url());
  pqxx::read_transaction tx(conn);
  auto row =
      tx.exec_params("SELECT done, failed FROM job WHERE id = $1", job.id)[0];
  EXPECT_EQ(row[0].as<std::int64_t>(), 1985);
  EXPECT_EQ(row[1].as<std::int64_t>(), 5);
  // No such job: nothing committed.
  EXPECT_FALSE(*jobs_.commit_page(job.id + 100, "p", {}));
  EXPECT_FALSE(*jobs_.get(job.id + 100));
}

TEST_F(job_store_test,
       resume_finds_the_newest_unfinished_job_running_or_failed) {
  EXPECT_FALSE(*jobs_.newest_unfinished(kind));
  auto first = started();
  ASSERT_TRUE(*jobs_.commit_page(first.id, "", {3, 3, 0, 0}));
  ASSERT_TRUE(*jobs_.finish(first.id, true, ""));
  EXPECT_FALSE(*jobs_.newest_unfinished(kind)) << "a done job is finished";
  auto done = fetched(first.id);
  EXPECT_EQ(done.status, "done");
  EXPECT_NE(done.finished_at, "");
  EXPECT_EQ((*jobs_.newest_done(kind))->id, first.id);

  auto second = started();
  ASSERT_TRUE(*jobs_.commit_page(second.id, "p1000", {1000, 1000, 0, 0}));
  auto before = fetched(second.id);
  ASSERT_TRUE(*jobs_.finish(second.id, false, "erp: Unavailable"));
  auto failed = fetched(second.id);
  EXPECT_EQ(failed.status, "failed");
  EXPECT_EQ(failed.message, "erp: Unavailable");
  EXPECT_EQ(failed.finished_at, "");
  // The time of the last commit stays: resume compares shop writes since.
  EXPECT_EQ(failed.updated_at, before.updated_at);
  auto open = jobs_.newest_unfinished(kind);
  ASSERT_TRUE(open && *open);
  EXPECT_EQ((*open)->id, second.id);
  EXPECT_EQ((*open)->cursor, "p1000");
  EXPECT_FALSE(*jobs_.newest_unfinished("other_kind"));

  // A commit after the resume runs it again; a done job takes no commits.
  ASSERT_TRUE(*jobs_.commit_page(second.id, "", {1500, 1500, 0, 0}));
  EXPECT_EQ(fetched(second.id).status, "running");
  EXPECT_EQ(fetched(second.id).message, "");
  ASSERT_TRUE(*jobs_.finish(second.id, true, ""));
  EXPECT_FALSE(*jobs_.commit_page(second.id, "p9", {9, 9, 9, 9}));
  EXPECT_EQ(fetched(second.id).counts, (job_counts{1500, 1500, 0, 0}));
}

TEST_F(job_store_test, one_session_at_a_time_holds_a_kinds_lock) {
  auto a = pool_.acquire();
  auto b = pool_.acquire();
  ASSERT_TRUE(a && b);
  EXPECT_TRUE(*job_store::try_lock_kind(*a, kind));
  EXPECT_FALSE(*job_store::try_lock_kind(*b, kind));
  EXPECT_TRUE(*job_store::try_lock_kind(*b, "other_kind"));
  // The lock goes with its connection (as when the process is killed).
  a->mark_broken();
  a = pool_.acquire(); // the broken lease's connection is closed
  ASSERT_TRUE(a);
  EXPECT_TRUE(ferry::test::wait_until(
      [&] { return *job_store::try_lock_kind(*b, kind); },
      std::chrono::seconds{30}));
}
