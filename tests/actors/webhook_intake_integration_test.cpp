// POST /webhooks/shop end to end: a real HTTPS server, a real HTTPS client
// and the inbox table of a scratch PostgreSQL database. Each case asserts
// the HTTP status the shop sees and what the inbox holds afterwards.
#include "actors/backlog.hpp"
#include "actors/webhook_intake.hpp"
#include "persistence/inbox_store.hpp"
#include "persistence/migrations.hpp"
#include "persistence/pg_pool.hpp"
#include "protocols/http/client.hpp"
#include "protocols/http/server.hpp"
#include "protocols/tls.hpp"
#include "protocols/webhook_signature.hpp"
#include "tests/support/services.hpp"

#include <atomic>
#include <future>
#include <gtest/gtest.h>
#include <pqxx/pqxx>
#include <prometheus/registry.h>

using namespace ferry;
using namespace std::chrono_literals;

namespace {

const std::string secret = "whsec-integration";

const tls::certificate_files& certs() {
  static test::temp_dir dir;
  static tls::certificate_files files =
      tls::ensure_self_signed_certificate(dir.path() + "/certs");
  return files;
}

std::string order(int entity_id, const std::string& status = "pending") {
  return nlohmann::json{{"entity_id", entity_id},
                        {"increment_id", "00000" + std::to_string(entity_id)},
                        {"status", status},
                        {"grand_total", 5412.40}}
      .dump();
}

struct webhook_endpoint {
  test::scratch_database db;
  prometheus::Registry registry;
  persistence::pg_pool pool{[&] {
                              persistence::pg_pool_options o;
                              o.url = db.url();
                              o.max_size = 8;
                              return o;
                            }(),
                            registry};
  persistence::inbox_store store{pool};
  throttle_gate gate;
  std::unique_ptr<webhook_intake> intake;
  std::unique_ptr<http::server> server;
  http::client client{[] {
    http::client_settings c;
    c.ca_file = certs().ca_file;
    c.max_connections_per_host = 50;
    return c;
  }()};
  uint16_t port = 0;

  webhook_endpoint() {
    auto migrated = persistence::migrate(pool);
    if (!migrated)
      throw std::runtime_error("migrations failed: " +
                               persistence::db_error_text(migrated.error()));
    webhook_intake_settings s;
    s.secrets = {secret};
    s.max_body_bytes = 64 * 1024;
    intake = std::make_unique<webhook_intake>(s, store, &gate, registry);
    http::router r;
    intake->add_routes(r);
    http::server_settings ss;
    ss.cert_file = certs().cert_file;
    ss.key_file = certs().key_file;
    ss.max_body_bytes = 1 << 20;
    ss.io_threads = 2;
    server = std::make_unique<http::server>(ss, std::move(r));
    port = server->start();
  }

  ~webhook_endpoint() { server->stop(); }

  http::client_request delivery(const std::string& body,
                                const std::string& event_id,
                                const std::string& topic = "orders/create",
                                const std::string& key = secret) {
    http::client_request r{"POST",
                           "https://localhost:" + std::to_string(port) +
                               "/webhooks/shop",
                           {},
                           body,
                           {}};
    r.headers.set("Content-Type", "application/json");
    r.headers.set("X-Shop-Topic", topic);
    r.headers.set("X-Shop-Event-Id", event_id);
    r.headers.set("X-Shop-Triggered-At", "2026-11-29 11:00:00");
    r.headers.set("X-Shop-Hmac-Sha256", webhook::sign(key, body));
    return r;
  }

  int post(const http::client_request& r) {
    auto res = client.send(r);
    EXPECT_TRUE(res.response) << res.error_detail;
    return res.response ? res.response->status : 0;
  }

  long rows(const std::string& where = "true") {
    pqxx::connection c{db.url()};
    pqxx::nontransaction tx{c};
    return tx.exec1("SELECT count(*) FROM inbox WHERE " + where)[0].as<long>();
  }
};

} // namespace

TEST(webhook_intake_integration, a_signed_webhook_is_in_the_inbox_on_200) {
  webhook_endpoint e;
  EXPECT_EQ(e.post(e.delivery(order(1001), "ev-1")), 200);
  // Acknowledged only after the commit: the row is there the moment the
  // shop sees 200.
  EXPECT_EQ(e.rows("source = 'shop' AND event_id = 'ev-1' AND topic = "
                   "'orders/create' AND payload->>'entity_id' = '1001'"),
            1);
}

TEST(webhook_intake_integration, bad_signatures_are_401_and_store_nothing) {
  webhook_endpoint e;
  auto wrong = e.delivery(order(1), "ev-wrong", "orders/create", "guess");
  EXPECT_EQ(e.post(wrong), 401);
  auto missing = e.delivery(order(2), "ev-missing");
  missing.headers.erase("X-Shop-Hmac-Sha256");
  EXPECT_EQ(e.post(missing), 401);
  auto altered = e.delivery(order(3), "ev-altered");
  altered.body[altered.body.size() / 2] ^= 0x02;
  EXPECT_EQ(e.post(altered), 401);
  EXPECT_EQ(e.rows(), 0);
}

TEST(webhook_intake_integration,
     oversize_truncated_and_unknown_topic_store_nothing) {
  webhook_endpoint e;
  std::string big = R"({"pad":")" + std::string(70 * 1024, 'x') + "\"}";
  EXPECT_EQ(e.post(e.delivery(big, "ev-big")), 413);
  auto full = order(4);
  EXPECT_EQ(e.post(e.delivery(full.substr(0, full.size() / 2), "ev-cut")), 400);
  EXPECT_EQ(e.post(e.delivery(order(5), "ev-topic", "orders/exploded")), 400);
  EXPECT_EQ(e.rows(), 0);
}

TEST(webhook_intake_integration,
     fifty_concurrent_deliveries_of_one_event_make_one_row) {
  webhook_endpoint e;
  auto req = e.delivery(order(2001), "ev-storm");
  std::vector<std::future<http::client_result>> results;
  for (int i = 0; i < 50; ++i) {
    auto p = std::make_shared<std::promise<http::client_result>>();
    results.push_back(p->get_future());
    e.client.async_send(
        req, [p](http::client_result r) { p->set_value(std::move(r)); });
  }
  int accepted = 0;
  for (auto& f : results) {
    auto r = f.get();
    ASSERT_TRUE(r.response) << r.error_detail;
    EXPECT_EQ(r.response->status, 200);
    accepted += nlohmann::json::parse(r.response->body)["status"] == "accepted";
  }
  EXPECT_EQ(accepted, 1);
  EXPECT_EQ(e.rows("event_id = 'ev-storm'"), 1);
}

TEST(webhook_intake_integration, reordered_deliveries_are_all_kept) {
  webhook_endpoint e;
  // The update overtakes the creation, then the creation is retried.
  EXPECT_EQ(
      e.post(e.delivery(order(3001, "processing"), "ev-upd", "orders/updated")),
      200);
  EXPECT_EQ(e.post(e.delivery(order(3001), "ev-new")), 200);
  EXPECT_EQ(e.post(e.delivery(order(3001), "ev-new")), 200);
  EXPECT_EQ(e.rows("payload->>'entity_id' = '3001'"), 2);
  EXPECT_EQ(e.rows("event_id = 'ev-upd' AND topic = 'orders/updated'"), 1);
}

TEST(webhook_intake_integration, over_the_watermark_is_503_with_retry_after) {
  webhook_endpoint e;
  e.gate.update(1'000'000, 60s);
  auto res = e.client.send(e.delivery(order(4001), "ev-throttled"));
  ASSERT_TRUE(res.response) << res.error_detail;
  EXPECT_EQ(res.response->status, 503);
  EXPECT_TRUE(res.response->headers.get("Retry-After"));
  EXPECT_EQ(e.rows(), 0);
  // The shop's retry after the backlog drained gets through.
  e.gate.update(0, 0ms);
  EXPECT_EQ(e.post(e.delivery(order(4001), "ev-throttled")), 200);
  EXPECT_EQ(e.rows(), 1);
}

// JSON allows U+0000 in a string; jsonb (and the ERP's XML) cannot hold it.
// Before: a 400 and nothing kept. Now the delivery is acknowledged (the
// shop stops redelivering), refused in the inbox, and its exact text kept
// in a dead letter that names the field; a redelivery adds nothing.
TEST(webhook_intake_integration,
     a_payload_jsonb_cannot_hold_is_dead_lettered_whole) {
  webhook_endpoint e;
  const std::string body =
      R"({"entity_id":77,"increment_id":"000000077","status":"pending",)"
      R"("items":[{"sku":"AB-1","name":"Caf\u00e9 \u0000 au lait"}]})";
  EXPECT_EQ(e.post(e.delivery(body, "ev-nul")), 200);
  EXPECT_EQ(e.post(e.delivery(body, "ev-nul")), 200);
  EXPECT_EQ(e.post(e.delivery(order(78), "ev-after")), 200);
  EXPECT_EQ(e.rows("event_id = 'ev-nul' AND status = 'failed'"
                   " AND last_error LIKE '%items[0].name%U+0000%'"),
            1);
  EXPECT_EQ(e.rows("event_id = 'ev-after' AND status = 'pending'"), 1);
  pqxx::connection c{e.db.url()};
  pqxx::nontransaction tx{c};
  auto letters =
      tx.exec("SELECT entity, entity_id, reason, payload_text, payload IS NULL"
              " FROM dead_letter");
  ASSERT_EQ(letters.size(), 1u);
  EXPECT_EQ(letters[0][0].as<std::string>(), "order");
  EXPECT_EQ(letters[0][1].as<std::string>(), "000000077");
  EXPECT_NE(letters[0][2].as<std::string>().find("items[0].name"),
            std::string::npos);
  EXPECT_EQ(letters[0][3].as<std::string>(), body) << "not kept whole";
  EXPECT_TRUE(letters[0][4].as<bool>());
}

// One refused event in a batch committed together must not fail the rest.
TEST(webhook_intake_integration, a_refused_event_does_not_fail_its_batch) {
  webhook_endpoint e;
  std::vector<std::future<http::client_result>> sent;
  for (int i = 0; i < 20; ++i) {
    auto body = i == 7 ? std::string{R"({"entity_id":7,"note":"\u0000"})"}
                       : order(9000 + i);
    auto p = std::make_shared<std::promise<http::client_result>>();
    sent.push_back(p->get_future());
    e.client.async_send(
        e.delivery(body, "ev-batch-" + std::to_string(i)),
        [p](http::client_result r) { p->set_value(std::move(r)); });
  }
  for (auto& f : sent) {
    auto res = f.get();
    ASSERT_TRUE(res.response) << res.error_detail;
    EXPECT_EQ(res.response->status, 200) << res.response->body;
  }
  EXPECT_EQ(e.rows("event_id LIKE 'ev-batch-%' AND status = 'pending'"), 19);
  EXPECT_EQ(e.rows("event_id = 'ev-batch-7' AND status = 'failed'"), 1);
}

TEST(webhook_intake_integration,
     concurrent_distinct_and_repeated_deliveries_are_each_one_row) {
  webhook_endpoint e;
  // 60 events, each sent twice at once: the writer commits whatever waits
  // together, duplicates within one commit included.
  std::vector<std::future<http::client_result>> results;
  for (int round = 0; round < 2; ++round)
    for (int i = 0; i < 60; ++i) {
      auto p = std::make_shared<std::promise<http::client_result>>();
      results.push_back(p->get_future());
      e.client.async_send(
          e.delivery(order(5000 + i), "ev-many-" + std::to_string(i)),
          [p](http::client_result r) { p->set_value(std::move(r)); });
    }
  int accepted = 0;
  for (auto& f : results) {
    auto r = f.get();
    ASSERT_TRUE(r.response) << r.error_detail;
    EXPECT_EQ(r.response->status, 200) << r.response->body;
    accepted += nlohmann::json::parse(r.response->body)["status"] == "accepted";
  }
  EXPECT_EQ(accepted, 60);
  EXPECT_EQ(e.rows("event_id LIKE 'ev-many-%'"), 60);
  EXPECT_EQ(e.rows("payload->>'entity_id' = '5059' AND event_id = "
                   "'ev-many-59'"),
            1);
}
