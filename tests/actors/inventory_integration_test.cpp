// Stock per warehouse against both simulators as processes: two mapped
// warehouses, a SKU in both, a backorder item, an unmapped warehouse,
// 1,000 rapid changes to one SKU, reservations of orders the ERP does
// not know yet, and shops that read the contract's open points in each of
// their ways (ferry-sim-shop --variant).
#include "actors/inventory_actor.hpp"
#include "actors/message_types.hpp"
#include "persistence/migrations.hpp"
#include "persistence/pg_pool.hpp"
#include "persistence/reservation_store.hpp"
#include "tests/actors/catalog_sims.hpp"
#include "tests/support/services.hpp"

#include <atomic>
#include <caf/all.hpp>
#include <cstdio>
#include <gtest/gtest.h>
#include <pqxx/pqxx>
#include <prometheus/registry.h>
#include <thread>

using namespace ferry;
using namespace std::chrono_literals;
using json = nlohmann::json;

namespace {

caf::actor_system_config& actor_config() {
  static caf::actor_system_config cfg = [] {
    caf::actor_system_config c;
    register_message_types(c);
    return c;
  }();
  return cfg;
}

/// Both simulators, the connectors and one inventory actor per mapped
/// warehouse, against a shop of contract variant `variant`.
class inventory_fixture : public ::testing::Test {
protected:
  explicit inventory_fixture(int variant)
      : shop_{{"--seed-products", "0", "--sources", "2", "--variant",
               std::to_string(variant)}} {}

  void SetUp() override {
    auto migrated = persistence::migrate(pool_);
    ASSERT_TRUE(migrated) << persistence::db_error_text(migrated.error());
    // The shop sells every ERP item (the product sync's job, done here by
    // hand so that this test is about stock only).
    auto state = erp_.admin("GET", "/admin/state");
    for (auto& item : state["items"]) {
      auto sku = item["ItemCode"].get<std::string>();
      json product{{"sku", sku},
                   {"name", "Item " + sku},
                   {"price", shop::exact_number("1.00")},
                   {"weight", 1},
                   {"status", 1},
                   {"description", ""}};
      shop_.admin("PUT", "/admin/products/" + sku, {{"product", product}});
    }
    erp_connector_ = spawn_erp_connector(
        sys_, test::erp_connector_settings_of(erp_), registry_);
    shop_connector_ =
        spawn_shop_connector(sys_, shop_.connector_settings(), registry_);
    auto erp = [this] { return erp_connector_; };
    auto shop = [this] { return shop_connector_; };
    std::map<std::string, std::string> mapping{{"WH1", "us-east"},
                                               {"WH2", "us-west"}};
    for (auto& [warehouse, source] : mapping) {
      inventory_settings s;
      s.warehouse_code = warehouse;
      s.source_code = source;
      s.interval = 300ms;
      if (warehouse == "WH1")
        s.report_unmapped_of = mapping;
      s.backorder_warehouses = {"WH1", "WH2"};
      actors_[warehouse] =
          spawn_inventory_actor(sys_, pool_, erp, shop, s, registry_);
    }
  }

  void TearDown() override {
    for (auto& [k, a] : actors_)
      caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(erp_connector_, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(shop_connector_, caf::exit_reason::user_shutdown);
  }

  void set_erp_stock(const std::string& sku, const std::string& warehouse,
                     int on_hand, int reserved, bool backorder = false) {
    erp_.set_stock(sku, warehouse, on_hand, reserved, backorder);
  }

  /// The shop's source item of `sku` at `source`: (quantity text, status),
  /// or ("", -1) when it has none.
  std::pair<std::string, int> shop_stock(const std::string& sku,
                                         const std::string& source) {
    auto p = shop_.admin("GET", "/admin/products/" + sku);
    for (auto& i : p["source_items"])
      if (i["source_code"] == source)
        return {*shop::number_text(i["quantity"]), i["status"].get<int>()};
    return {"", -1};
  }

  int backorders(const std::string& sku) {
    return shop_.admin("GET", "/admin/products/" + sku)["backorders"]
        .get<int>();
  }

  /// `PUT /products/{sku}/stock` calls the shop took for `sku`.
  int backorder_writes(const std::string& sku) {
    return shop_.admin("GET", "/admin/products/" + sku)["backorder_writes"]
        .get<int>();
  }

  inventory_report report(const std::string& warehouse) {
    return test::report_of<inventory_report>(sys_, actors_[warehouse]);
  }

  ferry::test::scratch_database db_;
  prometheus::Registry registry_;
  persistence::pg_pool pool_{{db_.url(), 8}, registry_};
  test::erp_simulator erp_{{"--warehouses", "3", "--no-fsync"}};
  test::shop_simulator shop_;
  caf::actor_system sys_{actor_config()};
  erp_connector_actor erp_connector_;
  shop_connector_actor shop_connector_;
  std::map<std::string, inventory_actor> actors_;
};

class inventory_test : public inventory_fixture {
protected:
  inventory_test() : inventory_fixture(0) {}
};

/// The same against each answer of `PUT /products/{sku}/stock` (variant
/// N answers with form N mod 5: true, the stock object, {}, an empty 200,
/// an empty 204), with extra fields and non-ASCII text from 1 on.
class inventory_variant_test : public inventory_fixture,
                               public ::testing::WithParamInterface<int> {
protected:
  inventory_variant_test() : inventory_fixture(GetParam()) {}
};

} // namespace

TEST_P(inventory_variant_test, every_level_and_backorder_setting_arrives_once) {
  // Levels of both warehouses; two items allow backorders in WH1 only.
  for (int i = 1; i <= 12; ++i) {
    char sku[16];
    std::snprintf(sku, sizeof(sku), "IT-%05d", i);
    set_erp_stock(sku, "WH1", i, 0, i == 2 || i == 9);
    set_erp_stock(sku, "WH2", 100 + i, 0, false);
  }
  auto all_synced = [&] {
    for (int i = 1; i <= 12; ++i) {
      char sku[16];
      std::snprintf(sku, sizeof(sku), "IT-%05d", i);
      if (shop_stock(sku, "us-east").first != std::to_string(i) ||
          shop_stock(sku, "us-west").first != std::to_string(100 + i))
        return false;
    }
    return backorders("IT-00002") == 1 && backorders("IT-00009") == 1;
  };
  ASSERT_TRUE(test::wait_until(all_synced, 90s))
      << "WH1: " << report("WH1").last_error
      << " | WH2: " << report("WH2").last_error;
  EXPECT_EQ(backorders("IT-00003"), 0);

  // Later cycles put nothing again: no repeated PUT, no echo storm, even
  // though WH2 does not allow backorders for these items.
  auto cycles = report("WH1").cycles;
  ASSERT_TRUE(test::wait_until(
      [&] { return report("WH1").cycles >= cycles + 3; }, 90s));
  EXPECT_EQ(backorder_writes("IT-00002"), 1);
  EXPECT_EQ(backorder_writes("IT-00009"), 1);
  EXPECT_TRUE(all_synced());

  // The ERP turns backorders off again: off in the shop, one more PUT.
  set_erp_stock("IT-00002", "WH1", 0, 0, false);
  ASSERT_TRUE(test::wait_until(
      [&] {
        return backorders("IT-00002") == 0 &&
               shop_stock("IT-00002", "us-east") ==
                   std::make_pair(std::string("0"), 0);
      },
      90s))
      << report("WH1").last_error;
  EXPECT_EQ(backorder_writes("IT-00002"), 2);
  EXPECT_EQ(backorders("IT-00009"), 1);
}

INSTANTIATE_TEST_SUITE_P(shop_variants, inventory_variant_test,
                         ::testing::Values(0, 1, 2, 3, 4),
                         [](const ::testing::TestParamInfo<int>& info) {
                           return "variant_" + std::to_string(info.param);
                         });

TEST_F(inventory_test, each_warehouse_goes_to_its_source_with_backorders) {
  set_erp_stock("IT-00001", "WH1", 7, 2);
  set_erp_stock("IT-00001", "WH2", 3, 0);
  set_erp_stock("IT-00002", "WH1", 0, 0, true);
  set_erp_stock("IT-00003", "WH1", 1, 4);
  // The product allows backorders while any mapped warehouse does: WH1
  // alone decides here (the seeded WH2 level may allow them).
  set_erp_stock("IT-00002", "WH2", 0, 0, false);
  ASSERT_TRUE(test::wait_until(
      [&] {
        return shop_stock("IT-00001", "us-east").first == "5" &&
               shop_stock("IT-00001", "us-west").first == "3" &&
               shop_stock("IT-00002", "us-east") ==
                   std::make_pair(std::string("0"), 1) &&
               shop_stock("IT-00003", "us-east") ==
                   std::make_pair(std::string("0"), 0);
      },
      90s))
      << report("WH1").last_error << " | " << report("WH2").last_error;
  EXPECT_EQ(shop_stock("IT-00001", "us-east").second, 1);
  EXPECT_EQ(backorders("IT-00002"), 1) << "AllowBackorder → backorders 1";
  EXPECT_EQ(backorders("IT-00003"), 0);
  EXPECT_EQ(report("WH1").unmapped, std::vector<std::string>{"WH3"})
      << "WH3 has no shop source: reported, not guessed";
  EXPECT_EQ(report("WH1").rejected + report("WH2").rejected, 0U);

  // Backorders turned off again in the ERP → off in the shop.
  set_erp_stock("IT-00002", "WH1", 0, 0, false);
  ASSERT_TRUE(test::wait_until(
      [&] {
        return backorders("IT-00002") == 0 &&
               shop_stock("IT-00002", "us-east").second == 0;
      },
      90s));
}

TEST_F(inventory_test, many_changes_to_one_sku_become_few_pushes) {
  set_erp_stock("IT-00004", "WH1", 1, 0);
  ASSERT_TRUE(test::wait_until(
      [&] { return shop_stock("IT-00004", "us-east").first == "1"; }, 90s));
  auto before = report("WH1");
  for (int i = 1; i <= 1000; ++i)
    set_erp_stock("IT-00004", "WH1", i, 0);
  ASSERT_TRUE(test::wait_until(
      [&] { return shop_stock("IT-00004", "us-east").first == "1000"; }, 90s))
      << "the last value wins";
  auto after = report("WH1");
  auto pushes = after.pushed - before.pushed;
  EXPECT_GE(pushes, 1U);
  EXPECT_LE(pushes, after.cycles - before.cycles + 1)
      << "at most one push per cycle";
  EXPECT_LT(pushes, 200U) << "1,000 changes must be coalesced";
}

TEST_F(inventory_test, reservations_keep_the_shop_at_what_is_free) {
  set_erp_stock("IT-00005", "WH1", 20, 0);
  set_erp_stock("IT-00005", "WH2", 0, 0);
  ASSERT_TRUE(test::wait_until(
      [&] { return shop_stock("IT-00005", "us-east").first == "20"; }, 90s));

  // 50 orders of one piece each, accepted at once, none in the ERP yet.
  // Meanwhile the shop must never show more than is free.
  std::atomic<bool> done{false};
  std::atomic<int> violations{0};
  // With orders only being added, what the shop shows may only go down:
  // a push of ERP Available without the reservations would raise it again.
  std::thread sampler([&] {
    int previous = 20;
    while (!done) {
      auto shown = std::stoi(shop_stock("IT-00005", "us-east").first);
      if (shown > previous)
        ++violations;
      previous = shown;
    }
  });
  std::vector<std::thread> orders;
  for (int i = 0; i < 50; ++i)
    orders.emplace_back([&, i] {
      pqxx::connection conn(db_.url());
      pqxx::work tx(conn);
      persistence::reservation_store::reserve(tx, "order-" + std::to_string(i),
                                              {{"IT-00005", 1}});
      tx.commit();
    });
  for (auto& t : orders)
    t.join();
  auto cycles = report("WH1").cycles;
  ASSERT_TRUE(test::wait_until(
      [&] { return report("WH1").cycles >= cycles + 2; }, 90s));
  EXPECT_EQ(shop_stock("IT-00005", "us-east"),
            std::make_pair(std::string("0"), 0))
      << "20 in stock, 50 reserved: nothing is free";
  done = true;
  sampler.join();
  EXPECT_EQ(violations, 0);

  // The ERP takes the first 20 orders (it reserves them now: Ferry
  // releases its reservations); the other 30 are cancelled.
  set_erp_stock("IT-00005", "WH1", 20, 20);
  {
    pqxx::connection conn(db_.url());
    pqxx::work tx(conn);
    for (int i = 0; i < 50; ++i)
      persistence::reservation_store::release(tx, "order-" + std::to_string(i));
    tx.commit();
  }
  // Restocked: the shop shows exactly the ERP's Available.
  set_erp_stock("IT-00005", "WH1", 27, 20);
  ASSERT_TRUE(test::wait_until(
      [&] {
        return shop_stock("IT-00005", "us-east") ==
               std::make_pair(std::string("7"), 1);
      },
      90s))
      << report("WH1").last_error;
  persistence::reservation_store reservations(pool_);
  EXPECT_TRUE(reservations.open_quantities({"IT-00005"})->empty());
}

TEST_F(inventory_test, a_restarted_actor_pushes_only_what_the_shop_lacks) {
  set_erp_stock("IT-00006", "WH1", 6, 0);
  set_erp_stock("IT-00007", "WH1", 8, 1);
  ASSERT_TRUE(test::wait_until(
      [&] {
        return shop_stock("IT-00006", "us-east").first == "6" &&
               shop_stock("IT-00007", "us-east").first == "7";
      },
      90s))
      << report("WH1").last_error;
  auto before = report("WH1");
  EXPECT_EQ(before.errors, 0U) << before.last_error;
  {
    pqxx::connection conn(db_.url());
    pqxx::read_transaction tx(conn);
    auto recorded = tx.exec1("SELECT count(*) FROM echo_hash WHERE entity ="
                             " 'stock:us-east' AND side = 'shop'");
    EXPECT_EQ(recorded[0].as<int>(), 12) << "one hash per SKU pushed there";
  }
  // Ferry restarts: a new actor for WH1, whose first cycle walks every
  // level from the beginning.
  caf::anon_send_exit(actors_["WH1"], caf::exit_reason::user_shutdown);
  inventory_settings s;
  s.warehouse_code = "WH1";
  s.source_code = "us-east";
  s.interval = 300ms;
  s.backorder_warehouses = {"WH1", "WH2"};
  actors_["WH1"] = spawn_inventory_actor(
      sys_, pool_, [this] { return erp_connector_; },
      [this] { return shop_connector_; }, s, registry_);
  ASSERT_TRUE(test::wait_until([&] { return report("WH1").cycles >= 2; }, 90s));
  auto restarted = report("WH1");
  EXPECT_GT(restarted.levels_read, 0U);
  EXPECT_EQ(restarted.pushed, 0U)
      << "the shop already holds every level: nothing is pushed again";
  EXPECT_EQ(restarted.errors, 0U) << restarted.last_error;

  set_erp_stock("IT-00006", "WH1", 2, 0);
  ASSERT_TRUE(test::wait_until(
      [&] { return shop_stock("IT-00006", "us-east").first == "2"; }, 90s));
  EXPECT_EQ(report("WH1").pushed, 1U) << "only the changed level";
}
