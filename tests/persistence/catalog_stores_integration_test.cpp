// The reservation ledger and the echo store against a migrated scratch
// database on the shared PostgreSQL.
#include "mapping/content_hash.hpp"
#include "persistence/echo_store.hpp"
#include "persistence/migrations.hpp"
#include "persistence/reservation_store.hpp"
#include "tests/support/services.hpp"

#include <gtest/gtest.h>
#include <pqxx/pqxx>
#include <prometheus/registry.h>
#include <stdexcept>
#include <thread>

using namespace ferry::persistence;

namespace {

class catalog_stores : public ::testing::Test {
protected:
  void SetUp() override {
    auto report = migrate(pool_);
    ASSERT_TRUE(report) << db_error_text(report.error());
  }

  template <class F>
  void in_transaction(F&& fn) {
    pqxx::connection conn(db_.url());
    pqxx::work tx(conn);
    fn(tx);
    tx.commit();
  }

  std::map<std::string, std::int64_t>
  open(const std::vector<std::string>& skus) {
    reservation_store store(pool_);
    auto result = store.open_quantities(skus);
    EXPECT_TRUE(result) << db_error_text(result.error());
    return result ? *result : std::map<std::string, std::int64_t>{};
  }

  ferry::test::scratch_database db_;
  prometheus::Registry registry_;
  pg_pool pool_{{db_.url(), 8}, registry_};
};

} // namespace

TEST_F(catalog_stores, reservations_add_up_per_sku_and_release_per_order) {
  in_transaction([](auto& tx) {
    reservation_store::reserve(tx, "order-1", {{"A", 2}, {"B", 1}, {"A", 3}});
    reservation_store::reserve(tx, "order-2", {{"A", 4}});
  });
  auto quantities = open({"A", "B", "C"});
  EXPECT_EQ(quantities,
            (std::map<std::string, std::int64_t>{{"A", 9}, {"B", 1}}));
  in_transaction([](auto& tx) { reservation_store::release(tx, "order-1"); });
  EXPECT_EQ(open({"A", "B"}), (std::map<std::string, std::int64_t>{{"A", 4}}));
  // Releasing again, or an order that never reserved, changes nothing.
  in_transaction([](auto& tx) {
    reservation_store::release(tx, "order-1");
    reservation_store::release(tx, "order-unknown");
  });
  EXPECT_EQ(open({"A"}), (std::map<std::string, std::int64_t>{{"A", 4}}));
  EXPECT_TRUE(open({}).empty());
}

TEST_F(catalog_stores, reservations_of_several_orders_in_one_call) {
  in_transaction([](auto& tx) {
    reservation_store::reserve(tx, "order-1", {{"A", 2}});
  });
  // order-1 reserved already: its new lines change nothing; the others
  // add up per SKU as one at a time would.
  in_transaction([](auto& tx) {
    reservation_store::reserve_all(tx,
                                   {{"order-1", {{"A", 7}}},
                                    {"order-2", {{"A", 1}, {"B", 2}, {"A", 1}}},
                                    {"order-3", {{"B", 5}}}});
  });
  EXPECT_EQ(open({"A", "B"}),
            (std::map<std::string, std::int64_t>{{"A", 4}, {"B", 7}}));
  in_transaction([](auto& tx) { reservation_store::release(tx, "order-2"); });
  EXPECT_EQ(open({"A", "B"}),
            (std::map<std::string, std::int64_t>{{"A", 2}, {"B", 5}}));
}

TEST_F(catalog_stores, reserving_is_idempotent_per_order_even_after_release) {
  in_transaction([](auto& tx) {
    reservation_store::reserve(tx, "order-1", {{"A", 2}});
  });
  in_transaction([](auto& tx) {
    reservation_store::reserve(tx, "order-1", {{"A", 2}, {"B", 5}});
  });
  EXPECT_EQ(open({"A", "B"}), (std::map<std::string, std::int64_t>{{"A", 2}}));
  in_transaction([](auto& tx) {
    reservation_store::release(tx, "order-1");
    // A redelivered webhook after the release must not reserve again.
    reservation_store::reserve(tx, "order-1", {{"A", 2}});
  });
  EXPECT_TRUE(open({"A", "B"}).empty());
}

TEST_F(catalog_stores, a_reservation_rolled_back_with_its_transaction_is_gone) {
  {
    pqxx::connection conn(db_.url());
    pqxx::work tx(conn);
    reservation_store::reserve(tx, "order-1", {{"A", 2}});
    // no commit
  }
  EXPECT_TRUE(open({"A"}).empty());
  in_transaction([](auto& tx) {
    reservation_store::reserve(tx, "order-1", {{"A", 3}});
  });
  EXPECT_EQ(open({"A"}), (std::map<std::string, std::int64_t>{{"A", 3}}));
}

TEST_F(catalog_stores, concurrent_reservations_of_one_order_count_once) {
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i)
    threads.emplace_back([this] {
      in_transaction([](auto& tx) {
        reservation_store::reserve(tx, "order-1", {{"A", 1}});
      });
    });
  for (auto& thread : threads)
    thread.join();
  EXPECT_EQ(open({"A"}), (std::map<std::string, std::int64_t>{{"A", 1}}));
}

TEST_F(catalog_stores, bad_reservation_lines_are_rejected_naming_them) {
  pqxx::connection conn(db_.url());
  pqxx::work tx(conn);
  try {
    reservation_store::reserve(tx, "order-1", {{"A", 0}});
    FAIL() << "a zero quantity was accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("sku A"), std::string::npos)
        << e.what();
  }
  EXPECT_THROW(reservation_store::reserve(tx, "order-1", {{"", 1}}),
               std::invalid_argument);
  EXPECT_THROW(reservation_store::reserve(tx, "", {{"A", 1}}),
               std::invalid_argument);
}

TEST_F(catalog_stores, sku_names_with_quotes_and_commas_are_matched_exactly) {
  in_transaction([](auto& tx) {
    reservation_store::reserve(tx, "o", {{"A,B", 1}, {"Q\"1", 2}, {"S\\", 3}});
  });
  EXPECT_EQ(open({"A,B", "Q\"1", "S\\", "A", "B"}),
            (std::map<std::string, std::int64_t>{
                {"A,B", 1}, {"Q\"1", 2}, {"S\\", 3}}));
}

TEST_F(catalog_stores, echo_store_recognises_the_last_hash_written_per_side) {
  echo_store echoes(pool_);
  auto mine =
      ferry::mapping::content_hash({{"name", "Mug"}, {"price", "9.90"}});
  auto theirs =
      ferry::mapping::content_hash({{"name", "Mug"}, {"price", "8.00"}});
  ASSERT_TRUE(echoes.record("product", "shop", "SKU-1", mine));
  auto echo = echoes.is_echo("product", "shop", "SKU-1", mine);
  ASSERT_TRUE(echo) << db_error_text(echo.error());
  EXPECT_TRUE(*echo);
  EXPECT_FALSE(*echoes.is_echo("product", "shop", "SKU-1", theirs));
  EXPECT_FALSE(*echoes.is_echo("product", "erp", "SKU-1", mine))
      << "a hash written to the shop says nothing about the ERP";
  EXPECT_FALSE(*echoes.is_echo("customer", "shop", "SKU-1", mine));
  EXPECT_FALSE(*echoes.is_echo("product", "shop", "SKU-2", mine));

  // The latest write replaces the earlier one.
  in_transaction([&](auto& tx) {
    echo_store::record(tx, "product", "shop", "SKU-1", theirs);
  });
  EXPECT_TRUE(*echoes.is_echo("product", "shop", "SKU-1", theirs));
  EXPECT_FALSE(*echoes.is_echo("product", "shop", "SKU-1", mine));
}

TEST_F(catalog_stores, echo_store_rejects_bad_arguments_naming_them) {
  echo_store echoes(pool_);
  auto side = echoes.record("product", "warehouse", "SKU-1", "abc");
  ASSERT_FALSE(side);
  EXPECT_NE(db_error_text(side.error()).find("side"), std::string::npos);
  auto key = echoes.record("product", "shop", "", "abc");
  ASSERT_FALSE(key);
  EXPECT_NE(db_error_text(key.error()).find("key"), std::string::npos);
}
