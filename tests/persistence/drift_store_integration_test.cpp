// The drift of reconcile runs against a migrated scratch database; the runs
// are job rows (persistence/job_store.hpp).
#include "persistence/drift_store.hpp"
#include "persistence/errors.hpp"
#include "persistence/job_store.hpp"
#include "persistence/migrations.hpp"
#include "tests/support/services.hpp"

#include <gtest/gtest.h>
#include <pqxx/pqxx>
#include <prometheus/registry.h>

using namespace ferry::persistence;

namespace {

class drift_store_test : public ::testing::Test {
protected:
  void SetUp() override {
    auto report = migrate(pool_);
    ASSERT_TRUE(report) << db_error_text(report.error());
  }

  std::int64_t new_run(const std::string& kind) {
    job_store jobs(pool_);
    auto job = jobs.start(kind, std::nullopt);
    EXPECT_TRUE(job) << db_error_text(job.error());
    return job ? job->id : 0;
  }

  ferry::test::scratch_database db_;
  prometheus::Registry registry_;
  pg_pool pool_{{db_.url(), 4}, registry_};
};

} // namespace

TEST_F(drift_store_test, a_run_keeps_its_drift_and_what_was_repaired) {
  drift_store store(pool_);
  auto run = new_run("reconcile_stock");
  auto other = new_run("reconcile_products");
  std::vector<ferry::mapping::drift> found{
      {"stock", "A",
       "source us-east: shop 8 (status 1), expected 5 (status 1)"},
      {"missing_in_shop", "B", "in the ERP, not in the shop"},
      {"stock", "C", "source us-west: shop none, expected 2 (status 1)"}};
  auto recorded = store.record(run, found);
  ASSERT_TRUE(recorded) << db_error_text(recorded.error());
  ASSERT_TRUE(store.record(other, {{"missing_in_erp", "A", "x"}}));
  ASSERT_TRUE(store.mark_fixed(run, {"A", "C"}));
  ASSERT_TRUE(store.mark_fixed(run, {})) << "nothing repaired is fine";

  auto rows = store.drift_of(run);
  ASSERT_TRUE(rows) << db_error_text(rows.error());
  ASSERT_EQ(rows->size(), 3U);
  EXPECT_EQ((*rows)[0].sku, "A");
  EXPECT_EQ((*rows)[0].kind, "stock");
  EXPECT_EQ((*rows)[0].detail, found[0].detail);
  EXPECT_TRUE((*rows)[0].fixed);
  EXPECT_EQ((*rows)[1].kind, "missing_in_shop");
  EXPECT_FALSE((*rows)[1].fixed) << "B was not repaired";
  EXPECT_TRUE((*rows)[2].fixed);
  auto theirs = store.drift_of(other);
  ASSERT_TRUE(theirs);
  ASSERT_EQ(theirs->size(), 1U);
  EXPECT_FALSE((*theirs)[0].fixed) << "marking one run leaves the others";
}

TEST_F(drift_store_test, drift_needs_an_existing_run) {
  drift_store store(pool_);
  auto recorded = store.record(987654, {{"stock", "A", "x"}});
  ASSERT_FALSE(recorded) << "reconcile_drift.run_id references job(id)";
  EXPECT_NE(db_error_text(recorded.error()).find("drift of reconcile run"),
            std::string::npos)
      << db_error_text(recorded.error());
}
