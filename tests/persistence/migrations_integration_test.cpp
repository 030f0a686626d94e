// Migrations against a scratch database on the shared PostgreSQL.
#include "persistence/migrations.hpp"
#include "persistence/pg_pool.hpp"
#include "tests/support/services.hpp"

#include <algorithm>
#include <gtest/gtest.h>
#include <pqxx/pqxx>
#include <prometheus/registry.h>
#include <thread>

using namespace ferry::persistence;

namespace {

std::vector<std::string> tables(const std::string& url) {
  pqxx::connection conn(url);
  pqxx::read_transaction tx(conn);
  std::vector<std::string> out;
  for (const auto& row :
       tx.exec("SELECT table_name FROM information_schema.tables "
               "WHERE table_schema = 'public' ORDER BY table_name"))
    out.push_back(row[0].as<std::string>());
  return out;
}

std::vector<int> recorded_versions(const std::string& url) {
  pqxx::connection conn(url);
  pqxx::read_transaction tx(conn);
  std::vector<int> out;
  for (const auto& row :
       tx.exec("SELECT version FROM schema_migrations ORDER BY version"))
    out.push_back(row[0].as<int>());
  return out;
}

std::vector<int> embedded_versions() {
  std::vector<int> out;
  for (const auto& m : embedded_migrations())
    out.push_back(m.version);
  return out;
}

} // namespace

TEST(migrations, embedded_list_starts_at_one_and_ascends) {
  const auto& all = embedded_migrations();
  ASSERT_FALSE(all.empty());
  EXPECT_EQ(all.front().version, 1);
  EXPECT_EQ(all.front().name, "foundation");
  for (std::size_t i = 1; i < all.size(); ++i)
    EXPECT_LT(all[i - 1].version, all[i].version);
}

TEST(migrations, from_empty_database_creates_every_table) {
  ferry::test::scratch_database db;
  prometheus::Registry registry;
  pg_pool pool({db.url(), 2}, registry);

  auto before = check_migrations(pool);
  ASSERT_TRUE(before) << db_error_text(before.error());
  EXPECT_FALSE(before->current());
  EXPECT_EQ(before->current_version, 0);

  auto report = migrate(pool);
  ASSERT_TRUE(report) << db_error_text(report.error());
  EXPECT_EQ(report->applied, embedded_versions());
  EXPECT_EQ(report->current_version, embedded_versions().back());

  auto names = tables(db.url());
  for (const char* table : {"audit", "dead_letter", "inbox", "outbox", "saga",
                            "schema_migrations", "sync_log"})
    EXPECT_NE(std::find(names.begin(), names.end(), table), names.end())
        << "missing table " << table;
  EXPECT_EQ(recorded_versions(db.url()), embedded_versions());

  auto after = check_migrations(pool);
  ASSERT_TRUE(after) << db_error_text(after.error());
  EXPECT_TRUE(after->current());
}

TEST(migrations, second_run_is_a_no_op) {
  ferry::test::scratch_database db;
  prometheus::Registry registry;
  pg_pool pool({db.url(), 2}, registry);
  ASSERT_TRUE(migrate(pool));
  {
    pqxx::connection conn(db.url());
    pqxx::work tx(conn);
    tx.exec("INSERT INTO audit (actor, action, entity) "
            "VALUES ('test', 'keep', 'row')");
    tx.commit();
  }

  auto again = migrate(pool);
  ASSERT_TRUE(again) << db_error_text(again.error());
  EXPECT_TRUE(again->applied.empty());
  EXPECT_EQ(again->current_version, embedded_versions().back());
  EXPECT_EQ(recorded_versions(db.url()), embedded_versions());
  pqxx::connection conn(db.url());
  pqxx::read_transaction tx(conn);
  EXPECT_EQ(tx.exec1("SELECT count(*) FROM audit")[0].as<int>(), 1)
      << "a re-run must not touch existing data";
}

TEST(migrations, failed_migration_leaves_the_schema_as_it_was) {
  ferry::test::scratch_database db;
  pqxx::connection conn(db.url());
  std::vector<migration> list{
      {1, "first", "CREATE TABLE first_table (id int)"},
      {2, "broken",
       "CREATE TABLE half_done (id int); INSERT INTO no_such_table VALUES (1)"},
      {3, "third", "CREATE TABLE third_table (id int)"},
  };

  auto result = migrate(conn, list);
  ASSERT_FALSE(result);
  EXPECT_EQ(db_error_code(result.error()), db_errc::migration_failed);
  auto text = db_error_text(result.error());
  EXPECT_NE(text.find("0002_broken"), std::string::npos) << text;
  EXPECT_NE(text.find("no_such_table"), std::string::npos) << text;

  auto names = tables(db.url());
  EXPECT_NE(std::find(names.begin(), names.end(), "first_table"), names.end());
  EXPECT_EQ(std::find(names.begin(), names.end(), "half_done"), names.end())
      << "the failed migration's first statement must be rolled back";
  EXPECT_EQ(std::find(names.begin(), names.end(), "third_table"), names.end())
      << "nothing after a failed migration may run";
  EXPECT_EQ(recorded_versions(db.url()), std::vector<int>{1});

  // Fixing the migration lets the next run continue where it stopped.
  list[1].sql = "CREATE TABLE half_done (id int)";
  auto fixed = migrate(conn, list);
  ASSERT_TRUE(fixed) << db_error_text(fixed.error());
  EXPECT_EQ(fixed->applied, (std::vector<int>{2, 3}));
}

TEST(migrations, changed_applied_migration_is_refused_by_name) {
  ferry::test::scratch_database db;
  pqxx::connection conn(db.url());
  std::vector<migration> list{{1, "first", "CREATE TABLE t1 (id int)"}};
  ASSERT_TRUE(migrate(conn, list));
  list[0].sql = "CREATE TABLE t1 (id bigint)";
  list.push_back({2, "second", "CREATE TABLE t2 (id int)"});

  auto result = migrate(conn, list);
  ASSERT_FALSE(result);
  EXPECT_EQ(db_error_code(result.error()), db_errc::schema_mismatch);
  EXPECT_NE(db_error_text(result.error()).find("0001_first"),
            std::string::npos);
  EXPECT_EQ(recorded_versions(db.url()), std::vector<int>{1})
      << "nothing may be applied after a mismatch";
}

TEST(migrations, concurrent_runs_apply_each_migration_once) {
  ferry::test::scratch_database db;
  std::vector<caf::expected<migration_report>> results(
      3, caf::expected<migration_report>(migration_report{}));
  std::vector<std::thread> nodes;
  for (std::size_t i = 0; i < results.size(); ++i)
    nodes.emplace_back([&, i] {
      pqxx::connection conn(db.url());
      results[i] = migrate(conn, embedded_migrations());
    });
  for (auto& t : nodes)
    t.join();
  std::vector<int> applied;
  for (auto& r : results) {
    ASSERT_TRUE(r) << db_error_text(r.error());
    applied.insert(applied.end(), r->applied.begin(), r->applied.end());
  }
  std::sort(applied.begin(), applied.end());
  EXPECT_EQ(applied, embedded_versions());
  EXPECT_EQ(recorded_versions(db.url()), embedded_versions());
}

TEST(migrations, order_dead_letters_from_before_0810_get_their_order) {
  ferry::test::scratch_database db;
  pqxx::connection conn(db.url());
  std::vector<migration> before;
  for (const auto& m : embedded_migrations())
    if (m.version < 810)
      before.push_back(m);
  ASSERT_TRUE(migrate(conn, before));
  {
    // What a failed order left: the order in saga_input, a null payload.
    pqxx::work tx(conn);
    tx.exec("INSERT INTO saga (kind, key, state, data) VALUES"
            " ('order', '5001', 'failed', '{}'),"
            " ('order', '5002', 'failed', '{}')");
    tx.exec(R"(INSERT INTO saga_input (kind, key, input) VALUES
             ('order', '5001', '{"increment_id": "5001", "items": []}'),
             ('order', '5002', '{"increment_id": "5002", "name": "a\u0000b"}'))");
    tx.exec("INSERT INTO dead_letter (source, entity, entity_id, reason,"
            " payload) VALUES"
            " ('order_saga', 'order', '5001', 'refused', 'null'),"
            " ('order_saga', 'order', '5002', 'refused', NULL),"
            " ('shop', 'order', 'ev-1', 'unreadable', 'null')");
    tx.commit();
  }
  ASSERT_TRUE(migrate(conn, embedded_migrations()));
  pqxx::read_transaction tx(conn);
  EXPECT_EQ(tx.exec1("SELECT payload->>'increment_id' FROM dead_letter"
                     " WHERE entity_id = '5001'")[0]
                .as<std::string>(),
            "5001");
  auto kept = tx.exec1("SELECT payload IS NULL, payload_text FROM dead_letter"
                       " WHERE entity_id = '5002'");
  EXPECT_TRUE(kept[0].as<bool>());
  EXPECT_EQ(kept[1].as<std::string>(),
            R"({"increment_id": "5002", "name": "a\u0000b"})");
  EXPECT_EQ(tx.exec1("SELECT payload::text FROM dead_letter"
                     " WHERE entity_id = 'ev-1'")[0]
                .as<std::string>(),
            "null")
      << "only failed orders' dead letters change";
}
