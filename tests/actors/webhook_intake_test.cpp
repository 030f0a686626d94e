// The webhook intake handler on its own: every refusal, rotation, throttling
// and the commit hand-off, with an in-memory inbox standing in for
// PostgreSQL (the integration test uses the real one).
#include "actors/backlog.hpp"
#include "actors/webhook_intake.hpp"
#include "persistence/errors.hpp"
#include "protocols/webhook_signature.hpp"
#include "tests/support/test_env.hpp"

#include <condition_variable>
#include <future>
#include <gtest/gtest.h>
#include <mutex>
#include <prometheus/registry.h>
#include <set>

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
  EXPECT_EQ(
      f.deliver(delivery(order_json, "old-secret", "orders/create", "e-1"))
          .status,
      200);
  EXPECT_EQ(
      f.deliver(delivery(order_json, "new-secret", "orders/create", "e-2"))
          .status,
      200);
  EXPECT_EQ(
      f.deliver(delivery(order_json, "retired", "orders/create", "e-3")).status,
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
  webhook_intake intake{s,
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

namespace {

/// An inbox in memory committing batches all or nothing, like
/// `inbox_store::insert_all_if_absent`; `hold()` keeps the next commit
/// waiting so that tests can queue webhooks behind it.
struct memory_batch_inbox {
  std::mutex mutex;
  std::condition_variable changed;
  bool held = false;
  std::set<std::pair<std::string, std::string>> keys;
  std::vector<persistence::inbox_event> rows;
  std::vector<std::size_t> batches;          // the size of each commit call
  std::optional<std::size_t> unavailable_at; // 1-based commit call that fails

  caf::expected<std::vector<bool>>
  insert_all(const std::vector<persistence::inbox_event>& events) {
    std::unique_lock<std::mutex> lock{mutex};
    batches.push_back(events.size());
    changed.notify_all();
    changed.wait(lock, [this] { return !held; });
    if (unavailable_at && *unavailable_at == batches.size())
      return persistence::make_db_error(persistence::db_errc::unavailable,
                                        "connection lost");
    for (const auto& e : events)
      if (e.payload.find("poison") != std::string::npos)
        return persistence::make_db_error(persistence::db_errc::rejected,
                                          "invalid input syntax");
    std::vector<bool> inserted;
    for (const auto& e : events) {
      inserted.push_back(keys.emplace(e.source, e.event_id).second);
      if (inserted.back())
        rows.push_back(e);
    }
    return inserted;
  }

  void hold() {
    std::lock_guard<std::mutex> guard{mutex};
    held = true;
  }
  void release() {
    {
      std::lock_guard<std::mutex> guard{mutex};
      held = false;
    }
    changed.notify_all();
  }
  std::size_t commits() {
    std::lock_guard<std::mutex> guard{mutex};
    return batches.size();
  }
  bool has(const std::string& event_id) {
    std::lock_guard<std::mutex> guard{mutex};
    return keys.count({"shop", event_id}) == 1;
  }
  std::size_t size() {
    std::lock_guard<std::mutex> guard{mutex};
    return rows.size();
  }
};

struct batch_fixture {
  memory_batch_inbox inbox;
  prometheus::Registry registry;
  std::unique_ptr<webhook_intake> intake;

  /// What one delivery got, and whether its event was in the inbox when
  /// the answer was sent.
  struct answer {
    http::response response;
    bool stored_before_answer = false;
  };

  batch_fixture() {
    webhook_intake_settings s;
    s.secrets = {"current"};
    s.workers = 1;
    intake = std::make_unique<webhook_intake>(
        s,
        inbox_batch_commit{
            [this](const std::vector<persistence::inbox_event>& events) {
              return inbox.insert_all(events);
            }},
        nullptr, registry);
  }

  std::future<answer> send(const std::string& event_id,
                           const std::string& body = order_json) {
    auto p = std::make_shared<std::promise<answer>>();
    auto f = p->get_future();
    intake->handler()(delivery(body, "current", "orders/create", event_id),
                      [p, event_id, this](http::response r) {
                        p->set_value({std::move(r), inbox.has(event_id)});
                      });
    return f;
  }

  /// Sends `blocker` and waits until its commit is running (and held), so
  /// that what is sent next waits for the following commit.
  std::future<answer> occupy_the_writer(const std::string& blocker) {
    inbox.hold();
    auto f = send(blocker);
    EXPECT_TRUE(test::wait_until([&] { return inbox.commits() == 1; }));
    return f;
  }

  double metric_sum(const std::string& name) {
    for (const auto& family : registry.Collect())
      if (family.name == name && !family.metric.empty())
        return family.metric[0].histogram.sample_sum;
    return -1;
  }
};

std::string status_of(const http::response& r) {
  return nlohmann::json::parse(r.body)["status"].get<std::string>();
}

} // namespace

TEST(webhook_intake_batch,
     webhooks_waiting_together_are_one_commit_answered_after_it) {
  batch_fixture f;
  auto first = f.occupy_the_writer("ev-0");
  std::vector<std::future<batch_fixture::answer>> waiting;
  for (int i = 1; i <= 20; ++i)
    waiting.push_back(f.send("ev-" + std::to_string(i)));
  // Nobody is answered before the commit that holds their event.
  for (auto& w : waiting)
    EXPECT_EQ(w.wait_for(0s), std::future_status::timeout);
  f.inbox.release();
  auto a0 = first.get();
  EXPECT_EQ(a0.response.status, 200);
  EXPECT_TRUE(a0.stored_before_answer);
  for (auto& w : waiting) {
    auto a = w.get();
    EXPECT_EQ(a.response.status, 200) << a.response.body;
    EXPECT_EQ(status_of(a.response), "accepted");
    EXPECT_TRUE(a.stored_before_answer);
  }
  EXPECT_EQ(f.inbox.size(), 21u);
  std::lock_guard<std::mutex> guard{f.inbox.mutex};
  EXPECT_EQ(f.inbox.batches, (std::vector<std::size_t>{1, 20}));
  EXPECT_EQ(f.metric_sum("ferry_webhook_batch_size"), 21);
}

TEST(webhook_intake_batch, a_duplicate_inside_one_batch_is_one_row_both_200) {
  batch_fixture f;
  auto first = f.occupy_the_writer("ev-0");
  auto d1 = f.send("ev-dup");
  auto other = f.send("ev-other");
  auto d2 = f.send("ev-dup");
  f.inbox.release();
  EXPECT_EQ(first.get().response.status, 200);
  auto r1 = d1.get().response;
  auto r2 = d2.get().response;
  EXPECT_EQ(r1.status, 200);
  EXPECT_EQ(r2.status, 200);
  EXPECT_EQ(status_of(r1), "accepted");
  EXPECT_EQ(status_of(r2), "duplicate");
  EXPECT_EQ(other.get().response.status, 200);
  EXPECT_EQ(f.inbox.size(), 3u);
  EXPECT_EQ(f.inbox.commits(), 2u);
}

TEST(webhook_intake_batch, a_failed_commit_answers_its_whole_batch_503) {
  batch_fixture f;
  f.inbox.unavailable_at = 2;
  auto first = f.occupy_the_writer("ev-0");
  std::vector<std::future<batch_fixture::answer>> waiting;
  for (int i = 1; i <= 5; ++i)
    waiting.push_back(f.send("ev-" + std::to_string(i)));
  f.inbox.release();
  EXPECT_EQ(first.get().response.status, 200);
  for (auto& w : waiting) {
    auto a = w.get();
    EXPECT_EQ(a.response.status, 503);
    EXPECT_TRUE(a.response.headers.get("Retry-After"));
    EXPECT_FALSE(a.stored_before_answer);
  }
  EXPECT_EQ(f.inbox.size(), 1u) << "nothing of the failed batch is stored";
  // The shop's retries get through.
  for (int i = 1; i <= 5; ++i)
    EXPECT_EQ(f.send("ev-" + std::to_string(i)).get().response.status, 200);
  EXPECT_EQ(f.inbox.size(), 6u);
}

TEST(webhook_intake_batch, a_refused_payload_fails_only_its_own_delivery) {
  batch_fixture f;
  auto first = f.occupy_the_writer("ev-0");
  auto good1 = f.send("ev-1");
  auto bad = f.send("ev-2", R"({"note":"poison"})");
  auto good2 = f.send("ev-3");
  f.inbox.release();
  EXPECT_EQ(first.get().response.status, 200);
  EXPECT_EQ(good1.get().response.status, 200);
  auto refused = bad.get().response;
  EXPECT_EQ(refused.status, 400);
  EXPECT_NE(reason_of(refused).find("rejected"), std::string::npos);
  EXPECT_EQ(good2.get().response.status, 200);
  EXPECT_EQ(f.inbox.size(), 3u);
  EXPECT_FALSE(f.inbox.has("ev-2"));
  // The batch of three, then each of them on its own.
  std::lock_guard<std::mutex> guard{f.inbox.mutex};
  EXPECT_EQ(f.inbox.batches, (std::vector<std::size_t>{1, 3, 1, 1, 1}));
}
