// The webhook intake handler on its own: every refusal, rotation, throttling
// and the commit hand-off, with an in-memory inbox standing in for
// PostgreSQL (the integration test uses the real one).
#include <gtest/gtest.h>

#include <condition_variable>
#include <future>
#include <mutex>
#include <set>

#include <prometheus/registry.h>

#include "actors/backlog.hpp"
#include "actors/webhook_intake.hpp"
#include "persistence/errors.hpp"
#include "protocols/webhook_signature.hpp"
#include "tests/support/test_env.hpp"

using namespace ferry;
using namespace std::chrono_literals;

namespace {

const std::string order_json =
  R"({"entity_id":1001,"increment_id":"000001001","grand_total":5412.40})";

/// An inbox in memory: unique on (source, event_id), like the table.
struct memory_inbox {
  std::mutex mutex;
  std::set<std::pair<std::string, std::string>> keys;
  std::vector<persistence::inbox_event> rows;
  std::optional<persistence::db_errc> fail_with;

  caf::expected<bool> insert(const persistence::inbox_event& e) {
    std::lock_guard<std::mutex> guard{mutex};
    if (fail_with)
      return persistence::make_db_error(*fail_with, "inbox insert failed");
    if (!keys.emplace(e.source, e.event_id).second)
      return false;
    rows.push_back(e);
    return true;
  }

  std::size_t size() {
    std::lock_guard<std::mutex> guard{mutex};
    return rows.size();
  }
};

http::request delivery(const std::string& body, const std::string& secret,
                      const std::string& topic = "orders/create",
                      const std::string& id = "3f1c9a52-1d2e-4c1b-9a7e-1") {
  http::request r;
  r.method = "POST";
  r.target = r.path = "/webhooks/shop";
  r.body = body;
  r.headers.set("X-Shop-Topic", topic);
  r.headers.set("X-Shop-Event-Id", id);
  r.headers.set("X-Shop-Triggered-At", "2026-11-29 11:00:00");
  r.headers.set("X-Shop-Hmac-Sha256", webhook::sign(secret, body));
  return r;
}

struct intake_fixture {
  memory_inbox inbox;
  prometheus::Registry registry;
  throttle_gate gate;
  webhook_intake_settings settings;
  std::unique_ptr<webhook_intake> intake;

  explicit intake_fixture(std::vector<std::string> secrets = {"current"}) {
    settings.secrets = std::move(secrets);
    settings.max_body_bytes = 4096;
    intake = std::make_unique<webhook_intake>(
      settings,
      [this](const persistence::inbox_event& e) { return inbox.insert(e); },
      &gate, registry);
  }

  http::response deliver(http::request r) {
    auto p = std::make_shared<std::promise<http::response>>();
    auto f = p->get_future();
    intake->handler()(std::move(r),
                      [p](http::response res) { p->set_value(res); });
    return f.get();
  }
};

std::string reason_of(const http::response& r) {
  return nlohmann::json::parse(r.body)["message"].get<std::string>();
}

} // namespace

TEST(webhook_intake, a_signed_event_is_committed_then_acknowledged) {
  intake_fixture f;
  auto res = f.deliver(delivery(order_json, "current"));
  EXPECT_EQ(res.status, 200) << res.body;
  ASSERT_EQ(f.inbox.size(), 1u);
  EXPECT_EQ(f.inbox.rows[0].source, "shop");
  EXPECT_EQ(f.inbox.rows[0].topic, "orders/create");
  EXPECT_EQ(f.inbox.rows[0].event_id, "3f1c9a52-1d2e-4c1b-9a7e-1");
  EXPECT_EQ(f.inbox.rows[0].payload, order_json);
}

TEST(webhook_intake, a_duplicate_is_200_without_a_second_row) {
  intake_fixture f;
  EXPECT_EQ(f.deliver(delivery(order_json, "current")).status, 200);
  auto again = f.deliver(delivery(order_json, "current"));
  EXPECT_EQ(again.status, 200);
  EXPECT_EQ(nlohmann::json::parse(again.body)["status"], "duplicate");
  EXPECT_EQ(f.inbox.size(), 1u);
}

TEST(webhook_intake, missing_or_wrong_signatures_are_401_and_store_nothing) {
  intake_fixture f;
  auto missing = delivery(order_json, "current");
  missing.headers.erase("X-Shop-Hmac-Sha256");
  auto r1 = f.deliver(missing);
  EXPECT_EQ(r1.status, 401);
  EXPECT_NE(reason_of(r1).find("missing"), std::string::npos);
  EXPECT_EQ(f.deliver(delivery(order_json, "another")).status, 401);
  auto altered = delivery(order_json, "current");
  altered.body[10] ^= 0x01; // one byte of the body changed in transit
  EXPECT_EQ(f.deliver(altered).status, 401);
  auto garbage = delivery(order_json, "current");
  garbage.headers.set("X-Shop-Hmac-Sha256", "not base64!");
  EXPECT_EQ(f.deliver(garbage).status, 401);
  EXPECT_EQ(f.inbox.size(), 0u);
}

TEST(webhook_intake, both_secrets_are_accepted_during_a_rotation) {
  intake_fixture f{{"new-secret", "old-secret"}};
  EXPECT_EQ(f.deliver(delivery(order_json, "old-secret", "orders/create",
                              "e-1"))
              .status,
            200);
  EXPECT_EQ(f.deliver(delivery(order_json, "new-secret", "orders/create",
                              "e-2"))
              .status,
            200);
  EXPECT_EQ(f.deliver(delivery(order_json, "retired", "orders/create", "e-3"))
              .status,
            401);
  EXPECT_EQ(f.inbox.size(), 2u);
}

TEST(webhook_intake, an_oversize_body_is_413) {
  intake_fixture f;
  std::string big = R"({"pad":")" + std::string(5000, 'x') + "\"}";
  auto res = f.deliver(delivery(big, "current"));
  EXPECT_EQ(res.status, 413);
  EXPECT_EQ(f.inbox.size(), 0u);
}

TEST(webhook_intake, bad_json_or_unknown_topics_are_400_with_a_reason) {
  intake_fixture f;
  auto truncated = order_json.substr(0, order_json.size() - 5);
  auto r1 = f.deliver(delivery(truncated, "current"));
  EXPECT_EQ(r1.status, 400);
  EXPECT_NE(reason_of(r1).find("not valid JSON"), std::string::npos);
  auto r2 = f.deliver(delivery("[1,2]", "current"));
  EXPECT_EQ(r2.status, 400);
  EXPECT_NE(reason_of(r2).find("JSON object"), std::string::npos);
  auto huge = f.deliver(delivery(R"({"grand_total":1e400})", "current"));
  EXPECT_EQ(huge.status, 400);
  EXPECT_NE(reason_of(huge).find("out of range"), std::string::npos);
  auto r3 = f.deliver(delivery(order_json, "current", "orders/deleted"));
  EXPECT_EQ(r3.status, 400);
  EXPECT_NE(reason_of(r3).find("orders/deleted"), std::string::npos);
  auto no_id = delivery(order_json, "current");
  no_id.headers.erase("X-Shop-Event-Id");
  auto r4 = f.deliver(no_id);
  EXPECT_EQ(r4.status, 400);
  EXPECT_NE(reason_of(r4).find("X-Shop-Event-Id"), std::string::npos);
  EXPECT_EQ(f.inbox.size(), 0u);
}

TEST(webhook_intake, a_paused_gate_is_503_with_retry_after) {
  intake_fixture f;
  f.gate.update(1'000'000, 60s);
  ASSERT_TRUE(f.gate.paused());
  auto res = f.deliver(delivery(order_json, "current"));
  EXPECT_EQ(res.status, 503);
  EXPECT_EQ(res.headers.get("Retry-After"),
            std::to_string(f.gate.retry_after().count()));
  EXPECT_EQ(f.inbox.size(), 0u);
  f.gate.update(0, 0ms);
  EXPECT_EQ(f.deliver(delivery(order_json, "current")).status, 200);
}

TEST(webhook_intake, an_unavailable_inbox_is_503_so_the_shop_retries) {
  intake_fixture f;
  f.inbox.fail_with = persistence::db_errc::unavailable;
  auto res = f.deliver(delivery(order_json, "current"));
  EXPECT_EQ(res.status, 503);
  EXPECT_TRUE(res.headers.get("Retry-After"));
  f.inbox.fail_with.reset();
  EXPECT_EQ(f.deliver(delivery(order_json, "current")).status, 200);
  EXPECT_EQ(f.inbox.size(), 1u);
}

TEST(webhook_intake, a_full_commit_queue_is_503_not_unbounded_memory) {
  memory_inbox inbox;
  prometheus::Registry registry;
  webhook_intake_settings s;
  s.secrets = {"current"};
  s.workers = 1;
  s.max_queued = 2;
  std::mutex m;
  std::condition_variable cv;
  bool release = false;
  std::atomic<int> entered{0};
  webhook_intake intake{
    s,
    [&](const persistence::inbox_event& e) {
      ++entered;
      std::unique_lock<std::mutex> lock{m};
      cv.wait(lock, [&] { return release; });
      return inbox.insert(e);
    },
    nullptr, registry};
  std::vector<std::future<http::response>> pending;
  auto send = [&](int i) {
    auto p = std::make_shared<std::promise<http::response>>();
    pending.push_back(p->get_future());
    intake.handler()(delivery(order_json, "current", "orders/create",
                             "e-" + std::to_string(i)),
                     [p](http::response r) { p->set_value(r); });
  };
  send(0); // taken by the worker, which blocks
  ASSERT_TRUE(test::wait_until([&] { return entered.load() == 1; }));
  send(1);
  send(2); // both queued
  send(3); // over the queue: refused at once
  auto refused = pending[3].get();
  EXPECT_EQ(refused.status, 503);
  EXPECT_TRUE(refused.headers.get("Retry-After"));
  {
    std::lock_guard<std::mutex> guard{m};
    release = true;
  }
  cv.notify_all();
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(pending[i].get().status, 200);
  EXPECT_EQ(inbox.size(), 3u);
}

TEST(webhook_intake, refuses_to_start_without_a_secret) {
  prometheus::Registry registry;
  webhook_intake_settings s;
  EXPECT_THROW(webhook_intake(
                 s, [](const persistence::inbox_event&) { return true; },
                 nullptr, registry),
               std::invalid_argument);
}
