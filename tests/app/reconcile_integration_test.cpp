// `ferry reconcile products|stock [--fix]` as a process against both
// simulators as processes, on a scratch database: drift made with the
// simulators' admin endpoints is printed and stored, --fix repairs it
// through the sync and a second run finds none.

#include "persistence/migrations.hpp"
#include "persistence/reservation_store.hpp"
#include "tests/actors/catalog_sims.hpp"
#include "tests/support/services.hpp"

#include <fstream>
#include <gtest/gtest.h>
#include <pqxx/pqxx>
#include <prometheus/registry.h>

using namespace std::chrono_literals;
using json = nlohmann::json;

namespace ferry {
namespace {

/// One finished `ferry reconcile` run.
struct run_result {
  int status = -1;
  std::string output;
  /// The job id it printed ("(run N)").
  std::int64_t run = 0;
};

class reconcile_test : public ::testing::Test {
protected:
  void SetUp() override {
    config_path_ = dir_.path() + "/ferry.yaml";
    auto ports = shop_.connector_settings();
    std::ofstream(config_path_)
        << "node:\n  id: reconcile-it\n  data_dir: " << dir_.path() << "/data\n"
        << "database:\n  url: " << db_.url() << "\n  pool_size: 4\n"
        << "redis:\n  host: " << test::redis_host()
        << "\n  port: " << test::redis_port()
        << "\n  key_prefix: 'reconcile-it:'\n"
        << "shop:\n  base_url: " << ports.base_url
        << "\n  client_secret: " << ports.client_secret
        << "\n  ca_file: " << ports.ca_file << "\n"
        << "  rate_limit:\n    requests_per_second: 500\n    burst: 500\n"
        << "erp:\n  endpoint: " << erp_.endpoint()
        << "\n  ca_file: " << erp_.ca_file() << "\n"
        << "inventory:\n  warehouses:\n    WH1: us-east\n    WH2: us-west\n";
  }

  run_result reconcile(std::vector<std::string> args,
                       std::map<std::string, std::string> env = {}) {
    args.insert(args.begin(), {FERRY_BIN, "reconcile"});
    args.push_back("--config");
    args.push_back(config_path_);
    env["FERRY_ERP_PASSWORD"] = test::erp_simulator::password();
    test::child_process ferry(args, env);
    run_result r;
    r.status = ferry.wait(120);
    r.output = ferry.log();
    auto at = r.output.find("(run ");
    if (at != std::string::npos)
      r.run = std::stoll(r.output.substr(at + 5));
    return r;
  }

  /// The drift rows of `run`: kind, sku, fixed.
  std::vector<std::tuple<std::string, std::string, bool>>
  rows(std::int64_t run) {
    pqxx::connection conn(db_.url());
    pqxx::read_transaction tx(conn);
    std::vector<std::tuple<std::string, std::string, bool>> out;
    for (const auto& row : tx.exec_params(
             "SELECT kind, sku, fixed FROM reconcile_drift WHERE run_id = $1"
             " ORDER BY sku, kind",
             run))
      out.emplace_back(row[0].as<std::string>(), row[1].as<std::string>(),
                       row[2].as<bool>());
    return out;
  }

  std::string job_status(std::int64_t run) {
    pqxx::connection conn(db_.url());
    pqxx::read_transaction tx(conn);
    auto row = tx.exec_params1(
        "SELECT kind || ' ' || status FROM job WHERE id = $1", run);
    return row[0].as<std::string>();
  }

  /// The printed line of `sku` with drift `kind`; empty when none.
  static std::string line_of(const std::string& output, const std::string& kind,
                             const std::string& sku) {
    std::istringstream in(output);
    for (std::string line; std::getline(in, line);)
      if (line.find(" " + kind + " ") != std::string::npos &&
          line.find(" " + sku + " ") != std::string::npos)
        return line;
    return {};
  }

  void shop_product(const std::string& sku, const std::string& price,
                    const std::string& name) {
    json product{
        {"sku", sku},  {"name", name}, {"price", shop::exact_number(price)},
        {"weight", 1}, {"status", 1},  {"description", "Made in the shop"}};
    auto answer =
        shop_.admin("PUT", "/admin/products/" + sku, {{"product", product}});
    ASSERT_FALSE(answer.contains("error")) << answer.dump();
  }

  void set_erp_stock(const std::string& sku, const std::string& warehouse,
                     int on_hand, int reserved) {
    erp_.set_stock(sku, warehouse, on_hand, reserved);
  }

  std::string shop_quantity(const std::string& sku, const std::string& source) {
    auto p = shop_.admin("GET", "/admin/products/" + sku);
    for (auto& i : p["source_items"])
      if (i["source_code"] == source)
        return *shop::number_text(i["quantity"]);
    return "none";
  }

  /// A shop admin's edit of the price only.
  void change_shop_price(const std::string& sku, const std::string& price) {
    auto held = shop_.admin("GET", "/admin/products/" + sku);
    json product;
    for (const char* key :
         {"sku", "name", "price", "weight", "status", "description"})
      product[key] = held[key];
    product["price"] = shop::exact_number(price);
    auto answer =
        shop_.admin("PUT", "/admin/products/" + sku, {{"product", product}});
    ASSERT_FALSE(answer.contains("error")) << answer.dump();
  }

  /// The ERP's BasePrice of `sku` as money text ("none" when no such item).
  std::string erp_price(const std::string& sku) {
    // Held in a variable: a range-for over a member of a temporary would
    // dangle.
    auto state = erp_.admin("GET", "/admin/state");
    for (auto& item : state["items"])
      if (item["ItemCode"] == sku)
        return money::parse(item["BasePrice"].get<std::string>())->to_string();
    return "none";
  }

  test::scratch_database db_;
  test::temp_dir dir_;
  std::string config_path_;
  test::erp_simulator erp_{{"--no-fsync"}};
  test::shop_simulator shop_{{"--seed-products", "0", "--sources", "2"}};
};

std::size_t
count_kind(const std::vector<std::tuple<std::string, std::string, bool>>& rows,
           const std::string& kind, bool fixed) {
  return static_cast<std::size_t>(
      std::count_if(rows.begin(), rows.end(), [&](const auto& r) {
        return std::get<0>(r) == kind && std::get<2>(r) == fixed;
      }));
}

} // namespace

TEST_F(reconcile_test, products_missing_or_changed_in_the_shop_are_repaired) {
  // The shop starts empty: every ERP item is missing there.
  auto first = reconcile({"products"});
  ASSERT_EQ(first.status, 1) << "drift found → exit 1\n" << first.output;
  EXPECT_NE(first.output.find("12 differences found"), std::string::npos)
      << first.output;
  EXPECT_NE(line_of(first.output, "missing_in_shop", "IT-00001"), "")
      << first.output;
  auto stored = rows(first.run);
  EXPECT_EQ(stored.size(), 12U);
  EXPECT_EQ(count_kind(stored, "missing_in_shop", false), 12U);
  EXPECT_EQ(job_status(first.run), "reconcile_products done");

  auto fixed = reconcile({"products", "--fix"});
  ASSERT_EQ(fixed.status, 1) << fixed.output;
  EXPECT_NE(fixed.output.find("--fix: 12 repaired, 0 left"), std::string::npos)
      << fixed.output;
  EXPECT_EQ(count_kind(rows(fixed.run), "missing_in_shop", true), 12U);
  EXPECT_EQ(shop_.admin("GET", "/admin/products")["total_count"], 12);

  auto clean = reconcile({"products"});
  EXPECT_EQ(clean.status, 0) << clean.output;
  EXPECT_NE(clean.output.find("0 differences found"), std::string::npos);
  EXPECT_TRUE(rows(clean.run).empty());

  // A shop admin changes the ERP-owned price, and adds a product the ERP
  // does not have.
  auto price = erp_price("IT-00002");
  ASSERT_NE(price, "none");
  change_shop_price("IT-00002", "999.99");
  shop_product("SHOP-ONLY-1", "5.00", "Shop only");
  auto drift = reconcile({"products"});
  ASSERT_EQ(drift.status, 1) << drift.output;
  auto price_line = line_of(drift.output, "field", "IT-00002");
  EXPECT_NE(price_line.find("price: shop \"999.99\""), std::string::npos)
      << drift.output;
  EXPECT_NE(line_of(drift.output, "missing_in_erp", "SHOP-ONLY-1"), "")
      << drift.output;
  stored = rows(drift.run);
  EXPECT_EQ(count_kind(stored, "field", false), 1U) << drift.output;
  EXPECT_EQ(count_kind(stored, "missing_in_erp", false), 1U);
  EXPECT_EQ(stored.size(), 2U) << drift.output;

  auto repair = reconcile({"products", "--fix"});
  ASSERT_EQ(repair.status, 1) << repair.output;
  EXPECT_NE(repair.output.find("2 repaired, 0 left"), std::string::npos)
      << repair.output;
  auto repaired = shop_.admin("GET", "/admin/products/IT-00002");
  EXPECT_EQ(money::parse(*shop::number_text(repaired["price"]))->to_string(),
            price)
      << "the ERP's price is back in the shop";
  EXPECT_EQ(erp_price("SHOP-ONLY-1"), "5.00")
      << "the shop's product went to the ERP";
  stored = rows(repair.run);
  EXPECT_EQ(count_kind(stored, "field", true), 1U);
  EXPECT_EQ(count_kind(stored, "missing_in_erp", true), 1U);

  auto again = reconcile({"products"});
  EXPECT_EQ(again.status, 0) << again.output;
}

TEST_F(reconcile_test, stock_the_shop_shows_wrongly_is_pushed_again) {
  // The shop sells every ERP item; stock is set by the first --fix.
  auto state = erp_.admin("GET", "/admin/state");
  for (auto& item : state["items"]) {
    auto sku = item["ItemCode"].get<std::string>();
    shop_product(sku, "1.00", "Item " + sku);
  }
  set_erp_stock("IT-00003", "WH2", 4, 0);
  set_erp_stock("IT-00001", "WH2", 10, 0);
  auto initial = reconcile({"stock", "--fix"});
  ASSERT_EQ(initial.status, 1) << "no source items yet\n" << initial.output;
  EXPECT_NE(initial.output.find(", 0 left"), std::string::npos)
      << initial.output;
  EXPECT_EQ(shop_quantity("IT-00003", "us-west"), "4");
  auto clean = reconcile({"stock"});
  ASSERT_EQ(clean.status, 0) << clean.output;

  // The ERP has 7 available in WH1, 2 of them reserved by an order it does
  // not know yet: the shop should show 5 there, and 10 − 2 in WH2 (a
  // reservation counts in every warehouse). The shop shows 99 of IT-00003.
  set_erp_stock("IT-00001", "WH1", 9, 2);
  {
    pqxx::connection conn(db_.url());
    pqxx::work tx(conn);
    persistence::reservation_store::reserve(tx, "order-1", {{"IT-00001", 2}});
    tx.commit();
  }
  auto answer =
      shop_.admin("POST", "/admin/stock",
                  {{"sourceItems", json::array({{{"sku", "IT-00003"},
                                                 {"source_code", "us-west"},
                                                 {"quantity", 99},
                                                 {"status", 1}}})}});
  ASSERT_FALSE(answer.contains("error")) << answer.dump();
  ASSERT_EQ(shop_quantity("IT-00003", "us-west"), "99");

  auto drift = reconcile({"stock"});
  ASSERT_EQ(drift.status, 1) << drift.output;
  EXPECT_NE(
      line_of(drift.output, "stock", "IT-00001").find("source us-east: shop "),
      std::string::npos)
      << drift.output;
  EXPECT_NE(
      line_of(drift.output, "stock", "IT-00001").find("expected 5 (status 1)"),
      std::string::npos)
      << "Available 7 − 2 reserved\n"
      << drift.output;
  EXPECT_NE(drift.output.find("IT-00001     source us-west: shop 10 (status "
                              "1), expected 8 (status 1)"),
            std::string::npos)
      << drift.output;
  EXPECT_NE(line_of(drift.output, "stock", "IT-00003")
                .find("source us-west: shop 99 (status 1), expected 4 "
                      "(status 1)"),
            std::string::npos)
      << drift.output;
  auto stored = rows(drift.run);
  using row = std::tuple<std::string, std::string, bool>;
  EXPECT_EQ(stored, (std::vector<row>{{"stock", "IT-00001", false},
                                      {"stock", "IT-00001", false},
                                      {"stock", "IT-00003", false}}))
      << drift.output;
  EXPECT_EQ(job_status(drift.run), "reconcile_stock done");

  auto fixed = reconcile({"stock", "--fix"});
  ASSERT_EQ(fixed.status, 1) << fixed.output;
  EXPECT_NE(fixed.output.find("--fix: 3 repaired, 0 left"), std::string::npos)
      << fixed.output;
  EXPECT_EQ(shop_quantity("IT-00001", "us-east"), "5");
  EXPECT_EQ(shop_quantity("IT-00001", "us-west"), "8");
  EXPECT_EQ(shop_quantity("IT-00003", "us-west"), "4");
  EXPECT_EQ(count_kind(rows(fixed.run), "stock", true), 3U);

  auto again = reconcile({"stock"});
  EXPECT_EQ(again.status, 0) << again.output;
}

TEST_F(reconcile_test, bad_usage_and_an_unreachable_side_are_told_apart) {
  auto usage = reconcile({});
  EXPECT_EQ(usage.status, 2) << usage.output;
  EXPECT_NE(usage.output.find("stock or products"), std::string::npos)
      << usage.output;
  auto unknown = reconcile({"stock", "--everything"});
  EXPECT_EQ(unknown.status, 2) << unknown.output;

  erp_.faults({{"outage", "refuse"}});
  auto down = reconcile({"products"}, {{"FERRY_ERP_RETRY_MAX_ATTEMPTS", "1"},
                                       {"FERRY_ERP_CALL_TIMEOUT", "5s"}});
  EXPECT_EQ(down.status, 3) << "could not compare → 3, not 0 or 1\n"
                            << down.output;
  EXPECT_NE(down.output.find("reading the ERP's items"), std::string::npos)
      << down.output;
}

} // namespace ferry
