// The lost-webhook catch-up: ferry-sim-shop drops 5% of its webhooks; a
// receiver commits the rest to the inbox; after one poll interval every
// order and customer is in the inbox, once.
#include "actors/message_types.hpp"
#include "actors/shop_connector.hpp"
#include "actors/shop_poller.hpp"
#include "persistence/inbox_store.hpp"
#include "persistence/migrations.hpp"
#include "persistence/pg_pool.hpp"
#include "persistence/shop_poll_store.hpp"
#include "protocols/http/client.hpp"
#include "protocols/http/server.hpp"
#include "protocols/webhook_signature.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/services.hpp"
#include "tests/support/test_env.hpp"

#include <caf/all.hpp>
#include <gtest/gtest.h>
#include <map>
#include <pqxx/pqxx>
#include <prometheus/registry.h>
#include <set>

using namespace ferry;
using namespace std::chrono_literals;
using json = nlohmann::json;

namespace {

/// Inbox rows of the shop per (topic family, entity key).
std::map<std::string, int> inbox_entities(const std::string& url) {
  pqxx::connection c{url};
  pqxx::read_transaction tx{c};
  std::map<std::string, int> out;
  for (auto row :
       tx.exec("SELECT split_part(topic, '/', 1) || ':' || "
               "coalesce(payload->>'entity_id', payload->>'id') FROM inbox "
               "WHERE source = 'shop'"))
    ++out[row[0].as<std::string>()];
  return out;
}

} // namespace

TEST(shop_poller, lost_webhooks_are_in_the_inbox_after_one_interval) {
  test::scratch_database db;
  prometheus::Registry registry;
  persistence::pg_pool_options po;
  po.url = db.url();
  persistence::pg_pool pool{po, registry};
  auto migrated = persistence::migrate(pool);
  ASSERT_TRUE(migrated) << persistence::db_error_text(migrated.error());
  persistence::inbox_store inbox{pool};

  // The webhook receiver: checks the signature, commits, then answers.
  http::router r;
  r.add("POST", "/webhooks/shop",
        [&](http::request&& req, http::respond_fn respond) {
          auto sig = req.headers.get("X-Shop-Hmac-Sha256").value_or("");
          if (!webhook::verify(req.body, sig, {"hook-secret"})) {
            respond(http::response::text(401, "bad signature"));
            return;
          }
          persistence::inbox_event e{
              "shop", req.headers.get("X-Shop-Event-Id").value_or(""),
              req.headers.get("X-Shop-Topic").value_or(""), req.body};
          auto ok = inbox.insert_if_absent(e);
          respond(http::response::text(ok ? 200 : 503, ok ? "ok" : "retry"));
        });
  http::server_settings ss;
  ss.tls = false;
  http::server receiver{ss, std::move(r)};
  auto port = receiver.start();

  test::temp_dir dir;
  test::child_process sim{
      {FERRY_SIM_SHOP_BIN, "--data-dir", dir.path(), "--seed", "5",
       "--seed-products", "20", "--seed-customers", "0", "--rate", "1000",
       "--burst", "1000", "--webhook-secret", "hook-secret", "--webhook-url",
       "http://127.0.0.1:" + std::to_string(port) + "/webhooks/shop"}};
  json ports;
  ASSERT_TRUE(test::wait_until(
      [&] {
        auto log = sim.log();
        auto at = log.find("{\"admin_port\"");
        auto end = at == std::string::npos ? at : log.find('\n', at);
        if (end == std::string::npos)
          return false;
        ports = json::parse(log.substr(at, end - at));
        return true;
      },
      60s))
      << sim.log();
  http::client admin_client{http::client_settings{}};
  auto admin = [&](const std::string& method, const std::string& path,
                   const json& body) {
    http::client_request req;
    req.method = method;
    req.url =
        "http://127.0.0.1:" + std::to_string(ports["admin_port"].get<int>()) +
        path;
    req.body = body.dump();
    auto res = admin_client.send(req);
    EXPECT_TRUE(res.response && res.response->status == 200)
        << path << " "
        << (res.response ? res.response->body : res.error_detail);
    return res.response ? json::parse(res.response->body) : json{};
  };

  caf::actor_system_config cfg;
  register_message_types(cfg);
  caf::actor_system sys{cfg};
  shop_connector_settings cs;
  cs.base_url =
      "https://localhost:" + std::to_string(ports["https_port"].get<int>());
  cs.client_id = "ferry";
  cs.client_secret = "ferry-secret";
  cs.ca_file = ports["ca_file"];
  auto connector = spawn_shop_connector(sys, cs, registry);
  shop_poller_settings ps;
  ps.interval = 3s;
  ps.overlap = 60s;
  ps.page_size = 50;
  auto store = std::make_shared<persistence::shop_poll_store>(pool);
  auto poller = spawn_shop_poller(sys, ps, connector, store);

  // Shop users register and order while 5% of the webhooks get lost.
  admin("POST", "/admin/faults", {{"webhook_loss", 0.05}});
  std::set<std::string> expected;
  for (int i = 0; i < 60; ++i) {
    auto c = admin("POST", "/admin/customers",
                   {{"email", "p" + std::to_string(i) + "@example.com"},
                    {"firstname", "P"},
                    {"lastname", "Q"}});
    expected.insert("customers:" + std::to_string(c["id"].get<int>()));
    auto o = admin("POST", "/admin/orders",
                   {{"customer_id", c["id"]},
                    {"lines", {{{"sku", "SKU-00003"}, {"qty", 1}}}}});
    expected.insert("orders:" + std::to_string(o["entity_id"].get<int>()));
  }
  auto events = admin("GET", "/admin/webhooks", nullptr);
  int lost = events["stats"]["lost"];
  EXPECT_GT(lost, 0) << events["stats"].dump();

  // The poller brings in what the lost webhooks would have (a generous
  // deadline: the poll interval is the test's, not the assertion).
  std::map<std::string, int> rows;
  EXPECT_TRUE(test::wait_until(
      [&] {
        rows = inbox_entities(db.url());
        for (auto& key : expected)
          if (!rows.count(key))
            return false;
        return true;
      },
      ps.interval + 120s, 100ms));
  caf::scoped_actor self{sys};
  auto report = [&] {
    shop_poll_report out;
    self->request(poller, caf::infinite, caf::get_atom::value)
        .receive([&](shop_poll_report& r) { out = r; },
                 [&](caf::error& e) { ADD_FAILURE() << sys.render(e); });
    return out;
  };
  auto first = report();
  EXPECT_GE(first.enqueued, static_cast<std::uint64_t>(lost));
  EXPECT_EQ(first.errors, 0u) << first.last_error;
  // Once caught up, a further cycle adds nothing: the poller enqueues only
  // what the inbox lacks, whatever the overlap window walks again.
  ASSERT_TRUE(test::wait_until([&] {
    auto stats = admin("GET", "/admin/webhooks", nullptr)["stats"];
    return stats["queued"] == 0 && stats["pending"] == 0;
  }));
  auto settled = inbox_entities(db.url());
  auto enqueued_before = report().enqueued;
  ASSERT_TRUE(
      test::wait_until([&] { return report().cycles >= first.cycles + 3; },
                       3 * ps.interval + 30s, 200ms));
  EXPECT_EQ(inbox_entities(db.url()), settled);
  EXPECT_EQ(report().enqueued, enqueued_before);
  caf::anon_send_exit(poller, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(connector, caf::exit_reason::user_shutdown);
  receiver.stop();
}
