// Products both ways against both simulators as processes: ERP items reach
// the shop mapped; a shop edit of an ERP-owned field is put back; a
// shop-owned field reaches the ERP; Ferry's own writes come back as
// webhooks (and in GetItems) and cause no further writes, counted at the
// simulators.
#include "actors/erp_connector.hpp"
#include "actors/message_types.hpp"
#include "actors/product_pipeline.hpp"
#include "actors/product_sync.hpp"
#include "actors/product_update.hpp"
#include "actors/shop_connector.hpp"
#include "persistence/inbox_store.hpp"
#include "persistence/migrations.hpp"
#include "persistence/pg_pool.hpp"
#include "protocols/http/client.hpp"
#include "protocols/http/server.hpp"
#include "protocols/webhook_signature.hpp"
#include "tests/actors/catalog_sims.hpp"
#include "tests/support/services.hpp"
#include "tests/support/test_env.hpp"

#include <caf/all.hpp>
#include <gtest/gtest.h>
#include <optional>
#include <pqxx/pqxx>
#include <prometheus/registry.h>

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

class product_sync_test : public ::testing::Test {
protected:
  void SetUp() override {
    auto migrated = persistence::migrate(pool_);
    ASSERT_TRUE(migrated) << persistence::db_error_text(migrated.error());

    // The webhook receiver: checks the signature and commits to the inbox,
    // as the webhook intake does.
    http::router r;
    r.add("POST", "/webhooks/shop",
          [this](http::request&& req, http::respond_fn respond) {
            auto sig = req.headers.get("X-Shop-Hmac-Sha256").value_or("");
            if (!webhook::verify(req.body, sig, {"hook-secret"})) {
              respond(http::response::text(401, "bad signature"));
              return;
            }
            persistence::inbox_event e{
                "shop", req.headers.get("X-Shop-Event-Id").value_or(""),
                req.headers.get("X-Shop-Topic").value_or(""), req.body};
            auto ok = inbox_.insert_if_absent(e);
            respond(http::response::text(ok ? 200 : 503, ok ? "ok" : "retry"));
          });
    http::server_settings ss;
    ss.tls = false;
    receiver_ = std::make_unique<http::server>(ss, std::move(r));
    auto port = receiver_->start();

    shop_ = std::make_unique<test::shop_simulator>(std::vector<std::string>{
        "--seed-products", "0", "--webhook-secret", "hook-secret",
        "--webhook-url",
        "http://127.0.0.1:" + std::to_string(port) + "/webhooks/shop"});
  }

  void TearDown() override {
    for (auto& a : actors_)
      caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
  }

  /// Starts the connectors and both sync actors with `owners`.
  void start_sync(config::field_owners owners = {},
                  inbox_retry_policy retry = {}) {
    auto es = test::erp_connector_settings_of(erp_);
    erp_connector_ = spawn_erp_connector(sys_, es, registry_);
    auto ss = shop_->connector_settings();
    shop_connector_ = spawn_shop_connector(sys_, ss, registry_);
    actors_.push_back(caf::actor_cast<caf::actor>(erp_connector_));
    actors_.push_back(caf::actor_cast<caf::actor>(shop_connector_));

    auto erp = [this] { return erp_connector_; };
    auto shop = [this] { return shop_connector_; };
    product_sync_settings ps;
    ps.interval = 300ms;
    ps.pipeline.owners = owners;
    sync_ = spawn_product_sync(sys_, pool_, erp, shop, ps);
    product_update_settings us;
    us.interval = 200ms;
    us.pipeline.owners = owners;
    us.retry = retry;
    update_ = spawn_product_update(sys_, pool_, erp, shop, us);
    actors_.push_back(caf::actor_cast<caf::actor>(sync_));
    actors_.push_back(caf::actor_cast<caf::actor>(update_));
  }

  template <class Handle>
  product_sync_report report(const Handle& h) {
    return test::report_of<product_sync_report>(sys_, h);
  }

  json shop_admin(const std::string& method, const std::string& path,
                  const json& body = nullptr) {
    return shop_->admin(method, path, body);
  }

  /// A shop admin's edit of a product's name (a products/update webhook).
  void rename_in_shop(const std::string& sku, const std::string& name) {
    auto edited = shop_admin("GET", "/admin/products/" + sku);
    edited.erase("backorders");
    edited.erase("source_items");
    edited.erase("salable_quantity");
    edited["name"] = name;
    shop_admin("PUT", "/admin/products/" + sku, {{"product", edited}});
  }

  /// products/update webhooks the shop fired, per SKU: one per write.
  std::map<std::string, int> shop_writes() {
    std::map<std::string, int> out;
    auto webhooks = shop_admin("GET", "/admin/webhooks");
    for (auto& e : webhooks["events"])
      if (e["topic"] == "products/update")
        ++out[e["key"].get<std::string>()];
    return out;
  }

  int total(const std::map<std::string, int>& counts) {
    int n = 0;
    for (auto& [k, v] : counts)
      n += v;
    return n;
  }

  std::int64_t open_product_events() {
    pqxx::connection c{db_.url()};
    pqxx::read_transaction tx{c};
    return tx
        .exec1("SELECT count(*) FROM inbox WHERE topic = 'products/update'"
               " AND status IN ('pending', 'processing')")[0]
        .as<std::int64_t>();
  }

  std::int64_t inbox_product_events() {
    pqxx::connection c{db_.url()};
    pqxx::read_transaction tx{c};
    return tx
        .exec1("SELECT count(*) FROM inbox WHERE topic = 'products/update'")[0]
        .as<std::int64_t>();
  }

  /// Waits until every webhook the shop fired is in the inbox and handled,
  /// and two more ERP walks have passed: nothing left that could write.
  void wait_until_settled() {
    ASSERT_TRUE(test::wait_until(
        [&] {
          auto events = shop_writes();
          return inbox_product_events() >= total(events) &&
                 open_product_events() == 0;
        },
        90s));
    auto cycles = report(sync_).cycles;
    ASSERT_TRUE(test::wait_until(
        [&] { return report(sync_).cycles >= cycles + 2; }, 90s));
    ASSERT_TRUE(test::wait_until(
        [&] {
          return inbox_product_events() >= total(shop_writes()) &&
                 open_product_events() == 0;
        },
        90s));
  }

  json erp_item(const std::string& code) {
    auto state = erp_.admin("GET", "/admin/state");
    for (auto& item : state["items"])
      if (item.value("ItemCode", "") == code)
        return item;
    return nullptr;
  }

  /// The dead letter of `entity_id`, if any: reason and payload.
  std::optional<std::pair<std::string, json>>
  dead_letter(const std::string& entity_id) {
    pqxx::connection c{db_.url()};
    pqxx::read_transaction tx{c};
    auto r = tx.exec_params(
        "SELECT reason, coalesce(payload::text, 'null') FROM dead_letter"
        " WHERE entity = 'product' AND entity_id = $1 ORDER BY id LIMIT 1",
        entity_id);
    if (r.empty())
      return std::nullopt;
    return std::make_pair(r[0][0].as<std::string>(),
                          json::parse(r[0][1].as<std::string>()));
  }

  ferry::test::scratch_database db_;
  prometheus::Registry registry_;
  persistence::pg_pool pool_{{db_.url(), 8}, registry_};
  persistence::inbox_store inbox_{pool_};
  test::erp_simulator erp_;
  std::unique_ptr<http::server> receiver_;
  std::unique_ptr<test::shop_simulator> shop_;
  caf::actor_system sys_{actor_config()};
  erp_connector_actor erp_connector_;
  shop_connector_actor shop_connector_;
  product_sync_actor sync_;
  product_update_actor update_;
  std::vector<caf::actor> actors_;
};

} // namespace

TEST_F(product_sync_test, erp_items_reach_the_shop_once_and_echoes_stop) {
  auto items = erp_.admin("GET", "/admin/state")["items"];
  ASSERT_EQ(items.size(), 12U);
  start_sync();
  ASSERT_TRUE(test::wait_until(
      [&] { return shop_admin("GET", "/admin/products")["total_count"] == 12; },
      90s))
      << report(sync_).last_error;
  wait_until_settled();

  // Every item mapped; every product written exactly once.
  auto writes = shop_writes();
  for (auto& item : items) {
    auto sku = item["ItemCode"].get<std::string>();
    auto p = shop_admin("GET", "/admin/products/" + sku);
    EXPECT_EQ(p["status"], item["IsActive"].get<bool>() ? 1 : 2) << sku;
    EXPECT_FALSE(p["name"].get<std::string>().empty()) << sku;
    EXPECT_EQ(writes[sku], 1) << sku << " written more than once";
  }
  EXPECT_EQ(erp_.requests("UpsertItems"), 0)
      << "the webhooks of Ferry's own shop writes went back to the ERP";
  auto updates = report(update_);
  EXPECT_GE(updates.echoes, 12U);
  EXPECT_EQ(updates.written, 0U);

  // Quiet stays quiet.
  auto before = total(shop_writes());
  wait_until_settled();
  EXPECT_EQ(total(shop_writes()), before);
  EXPECT_EQ(erp_.requests("UpsertItems"), 0);
}

TEST_F(product_sync_test, a_shop_edit_of_an_erp_owned_field_is_overwritten) {
  start_sync();
  ASSERT_TRUE(test::wait_until(
      [&] { return shop_admin("GET", "/admin/products")["total_count"] == 12; },
      90s));
  wait_until_settled();
  auto sku = std::string("IT-00003");
  auto original = shop_admin("GET", "/admin/products/" + sku);
  auto edited = original;
  edited.erase("backorders");
  edited.erase("source_items");
  edited.erase("salable_quantity");
  edited["price"] = shop::exact_number("1.23");
  edited["name"] = "Renamed in the shop";
  shop_admin("PUT", "/admin/products/" + sku, {{"product", edited}});
  ASSERT_TRUE(test::wait_until(
      [&] {
        auto p = shop_admin("GET", "/admin/products/" + sku);
        return p["price"] == original["price"] && p["name"] == original["name"];
      },
      90s))
      << report(update_).last_error;
  wait_until_settled();
  // The admin's edit and Ferry's correction: two writes beyond the first.
  EXPECT_EQ(shop_writes()[sku], 3);
  EXPECT_EQ(erp_.requests("UpsertItems"), 0);
}

TEST_F(product_sync_test, a_shop_owned_name_reaches_the_erp_without_a_loop) {
  config::field_owners owners;
  owners.name = config::field_owner::shop;
  start_sync(owners);
  ASSERT_TRUE(test::wait_until(
      [&] { return shop_admin("GET", "/admin/products")["total_count"] == 12; },
      90s));
  wait_until_settled();
  auto sku = std::string("IT-00005");
  rename_in_shop(sku, "Löffel 日本 😀");
  ASSERT_TRUE(test::wait_until(
      [&] { return erp_item(sku)["ItemName"] == "Löffel 日本 😀"; }, 90s))
      << report(update_).last_error;
  wait_until_settled();
  EXPECT_EQ(erp_.requests("UpsertItems"), 1)
      << "the ERP's echo of Ferry's write was synced again";
  EXPECT_EQ(shop_writes()[sku], 2) << "Ferry's first write and the admin's";
  EXPECT_GE(report(sync_).echoes, 1U);
}

// A shop edit that cannot reach the ERP: tried again after a wait, then
// dead-lettered with the reason once the attempts are used up, its event
// failed (not claimed again forever).
TEST_F(product_sync_test, a_shop_edit_the_erp_never_takes_is_dead_lettered) {
  config::field_owners owners;
  owners.name = config::field_owner::shop;
  inbox_retry_policy retry;
  retry.max_attempts = 3;
  retry.backoff = {100ms, 200ms, 2.0};
  start_sync(owners, retry);
  ASSERT_TRUE(test::wait_until(
      [&] { return shop_admin("GET", "/admin/products")["total_count"] == 12; },
      90s));
  wait_until_settled();
  erp_.faults({{"outage", "503"}});
  auto sku = std::string("IT-00007");
  rename_in_shop(sku, "Never in the ERP");
  std::string reason;
  ASSERT_TRUE(test::wait_until(
      [&] {
        pqxx::connection c{db_.url()};
        pqxx::read_transaction tx{c};
        auto r = tx.exec_params("SELECT reason FROM dead_letter WHERE "
                                "entity = 'product' AND entity_id = $1",
                                sku);
        if (r.empty())
          return false;
        reason = r[0][0].as<std::string>();
        return true;
      },
      90s))
      << report(update_).last_error;
  erp_.faults({{"outage", "none"}});
  EXPECT_NE(reason.find("given up after 3 attempts"), std::string::npos)
      << reason;
  pqxx::connection c{db_.url()};
  pqxx::read_transaction tx{c};
  auto event = tx.exec("SELECT status, attempts FROM inbox WHERE topic = "
                       "'products/update' AND payload->>'sku' = 'IT-00007' "
                       "AND payload->>'name' = 'Never in the ERP'");
  ASSERT_EQ(event.size(), 1u);
  EXPECT_EQ(event[0][0].as<std::string>(), "failed");
  EXPECT_EQ(event[0][1].as<int>(), 3);
  EXPECT_EQ(report(update_).rejected, 1u);
}

TEST_F(product_sync_test, an_item_made_inactive_in_the_erp_is_disabled) {
  start_sync();
  ASSERT_TRUE(test::wait_until(
      [&] { return shop_admin("GET", "/admin/products")["total_count"] == 12; },
      90s));
  auto sku = std::string("IT-00002");
  erp_.admin(
      "POST", "/admin/items/" + sku,
      {{"IsActive", false},
       {"BasePrice", "77.70"},
       {"Description", "<p>New &amp; <b>better</b></p><script>x</script>"}});
  ASSERT_TRUE(test::wait_until(
      [&] {
        auto p = shop_admin("GET", "/admin/products/" + sku);
        return p["status"] == 2;
      },
      90s))
      << report(sync_).last_error;
  auto p = shop_admin("GET", "/admin/products/" + sku);
  EXPECT_EQ(p["description"], "New & better");
  EXPECT_EQ(shop::dump_exact(p["price"]), "77.70");
}

// An ERP item Ferry cannot map (a price beyond the shop's decimal(10,2))
// is dead-lettered whole, its text intact, with a reason naming the field;
// the other items reach the shop and later changes still do.
TEST_F(product_sync_test,
       an_item_ferry_cannot_map_is_dead_lettered_and_the_sync_goes_on) {
  const std::string name = "Café au lait 東京 🍰 שלום e\u0301";
  erp_client erp{erp_.client_settings()};
  ferry::erp_item poison;
  poison.item_code = "CAFE-1";
  poison.item_name = name;
  poison.description = "<p>Milchkaffee für 東京</p>";
  poison.base_price = *money::parse("100000000.00");
  poison.weight = *decimal::parse("0.25");
  poison.is_active = true;
  ferry::erp_item tea = poison;
  tea.item_code = "TEA-1";
  tea.item_name = "Thé vert 緑茶 🍵";
  tea.description = "<p>Sencha</p>";
  tea.base_price = *money::parse("4.50");
  auto upserted = erp.upsert_items({poison, tea});
  ASSERT_TRUE(upserted) << upserted.error().message;

  start_sync();
  ASSERT_TRUE(test::wait_until(
      [&] { return shop_admin("GET", "/admin/products")["total_count"] == 13; },
      90s))
      << report(sync_).last_error;
  EXPECT_EQ(shop_admin("GET", "/admin/products/TEA-1")["name"],
            "Thé vert 緑茶 🍵");
  std::optional<std::pair<std::string, json>> letter;
  ASSERT_TRUE(test::wait_until(
      [&] { return (letter = dead_letter("CAFE-1")).has_value(); }, 90s))
      << report(sync_).last_error;
  EXPECT_NE(letter->first.find("BasePrice"), std::string::npos)
      << letter->first;
  const auto& payload = letter->second;
  EXPECT_EQ(payload.value("ItemCode", ""), "CAFE-1") << payload.dump();
  EXPECT_EQ(payload.value("ItemName", ""), name) << payload.dump();
  EXPECT_EQ(payload.value("Description", ""), "<p>Milchkaffee für 東京</p>")
      << payload.dump();
  EXPECT_EQ(payload.value("BasePrice", ""), "100000000.00") << payload.dump();
  EXPECT_EQ(shop_admin("GET", "/admin/products/CAFE-1").value("sku", ""), "")
      << "the refused item reached the shop";
  EXPECT_GE(report(sync_).rejected, 1u);

  // The walk goes on past the refused item.
  erp_.admin("POST", "/admin/items/IT-00002", {{"BasePrice", "42.42"}});
  ASSERT_TRUE(test::wait_until(
      [&] {
        auto p = shop_admin("GET", "/admin/products/IT-00002");
        return p.contains("price") && shop::dump_exact(p["price"]) == "42.42";
      },
      90s))
      << report(sync_).last_error;
}

// Text that is not UTF-8 (what a SOAP layer reading UTF-8 as Latin-1
// delivers) is refused by the mapping: the item is dead-lettered with its
// payload (bad bytes replaced) and a reason naming the field, and the
// other items of the batch reach the shop; nothing throws.
TEST_F(product_sync_test, an_item_whose_text_is_not_utf8_is_dead_lettered) {
  shop_connector_ =
      spawn_shop_connector(sys_, shop_->connector_settings(), registry_);
  actors_.push_back(caf::actor_cast<caf::actor>(shop_connector_));
  product_pipeline pipeline{sys_, pool_, [] { return erp_connector_actor{}; },
                            [this] { return shop_connector_; },
                            product_pipeline_settings{}};
  ferry::erp_item latin1;
  latin1.item_code = "LATIN-1";
  latin1.item_name = "Caf\xE9 au lait";
  latin1.description = "<p>Caf\xE9</p>";
  latin1.base_price = *money::parse("3.00");
  latin1.weight = *decimal::parse("1");
  latin1.is_active = true;
  latin1.modified_at = "2026-12-01T10:00:00Z";
  ferry::erp_item good = latin1;
  good.item_code = "GOOD-1";
  good.item_name = "Café crème";
  good.description = "<p>Crème</p>";

  product_sync_report sync_report;
  caf::expected<void> pushed = caf::unit;
  try {
    pushed = pipeline.push_to_shop({latin1, good}, sync_report);
  } catch (const std::exception& e) {
    FAIL() << "push_to_shop threw: " << e.what();
  }
  ASSERT_TRUE(pushed) << describe_error(sys_, pushed.error());
  EXPECT_EQ(sync_report.rejected, 1u);
  EXPECT_EQ(sync_report.written, 1u);
  EXPECT_EQ(shop_admin("GET", "/admin/products/GOOD-1")["name"], "Café crème");
  auto letter = dead_letter("LATIN-1");
  ASSERT_TRUE(letter);
  EXPECT_NE(letter->first.find("ItemName"), std::string::npos) << letter->first;
  EXPECT_NE(letter->first.find("UTF-8"), std::string::npos) << letter->first;
  EXPECT_EQ(letter->second.value("ItemName", ""), "Caf\uFFFD au lait")
      << letter->second.dump();
  EXPECT_EQ(letter->second.value("Description", ""), "<p>Caf\uFFFD</p>")
      << letter->second.dump();
}
