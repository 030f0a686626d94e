// The shop connector driven deterministically: CAF's test_coordinator runs
// its messages and owns its clock, so retry back-offs and 429 waits are
// delayed messages the test sees scheduled and fires itself, never sleeps.
// The shop is a scripted HTTPS stand-in on loopback (a unit test of one
// actor); the contract against ferry-sim-shop is in
// shop_connector_integration_test.cpp.

#include "actors/message_types.hpp"
#include "actors/shop_connector.hpp"
#include "protocols/http/server.hpp"
#include "protocols/tls.hpp"
#include "tests/support/test_env.hpp"

#include <caf/all.hpp>
#include <caf/scheduler/test_coordinator.hpp>
#include <condition_variable>
#include <deque>
#include <gtest/gtest.h>
#include <mutex>
#include <optional>
#include <prometheus/registry.h>

using namespace ferry;
using namespace std::chrono_literals;

namespace {

const tls::certificate_files& certs() {
  static test::temp_dir dir;
  static tls::certificate_files files =
      tls::ensure_self_signed_certificate(dir.path() + "/certs");
  return files;
}

/// A shop that answers GET /rest/V1/products/SKU-1 from a script, one
/// scripted response per request (200 with a product once the script is
/// used up), and counts the requests that reached it. Each product answer
/// is held until the test releases it: the answer comes back to the
/// connector as a message from the HTTP client's io thread, and
/// test_coordinator's job queue must not be run while another thread may
/// be adding to it.
class scripted_shop {
public:
  scripted_shop() {
    http::router r;
    r.add("POST", "/oauth/token", [](http::request&&, http::respond_fn done) {
      done(http::response::json(200, {{"access_token", "t-1"},
                                      {"token_type", "Bearer"},
                                      {"expires_in", 3600}}));
    });
    r.add("GET", "/rest/V1/products/SKU-1",
          [this](http::request&&, http::respond_fn done) { done(next()); });
    http::server_settings s;
    s.io_threads = 2; // one may wait in a held answer
    s.cert_file = certs().cert_file;
    s.key_file = certs().key_file;
    server_ = std::make_unique<http::server>(s, std::move(r));
    port_ = server_->start();
  }

  void script(std::vector<http::response> responses) {
    std::lock_guard<std::mutex> guard(mtx_);
    script_.insert(script_.end(), responses.begin(), responses.end());
  }

  ~scripted_shop() {
    {
      std::lock_guard<std::mutex> guard(mtx_);
      closing_ = true;
    }
    cv_.notify_all();
  }

  int requests() const {
    std::lock_guard<std::mutex> guard(mtx_);
    return requests_;
  }

  /// Lets the next held answer go once its request has arrived; false when
  /// none arrives within 30 s.
  bool release_one() {
    std::unique_lock<std::mutex> guard(mtx_);
    if (!cv_.wait_for(guard, 30s, [this] { return requests_ > released_; }))
      return false;
    ++released_;
    cv_.notify_all();
    return true;
  }

  std::string base_url() const {
    return "https://localhost:" + std::to_string(port_);
  }

  static http::response status(int code, const std::string& message) {
    return http::response::json(code, {{"message", message}});
  }

private:
  http::response next() {
    std::unique_lock<std::mutex> guard(mtx_);
    auto mine = ++requests_;
    cv_.notify_all();
    cv_.wait(guard, [&] { return closing_ || released_ >= mine; });
    if (script_.empty())
      return http::response::json(200, {{"id", 17},
                                        {"sku", "SKU-1"},
                                        {"name", "Bolt"},
                                        {"description", "plain"},
                                        {"price", 12.5},
                                        {"weight", 0.25},
                                        {"status", 1},
                                        {"updated_at", "2026-01-02 03:04:05"}});
    auto r = script_.front();
    script_.pop_front();
    return r;
  }

  mutable std::mutex mtx_;
  std::condition_variable cv_;
  std::deque<http::response> script_;
  int requests_ = 0;
  int released_ = 0;
  bool closing_ = false;
  std::unique_ptr<http::server> server_;
  uint16_t port_ = 0;
};

/// What one get_product call answered.
struct outcome {
  std::optional<shop::shop_product> product;
  std::optional<shop_error> error;
  bool done() const { return product || error; }
};

class shop_connector_test : public testing::Test {
protected:
  shop_connector_test() {
    register_message_types(cfg_);
    cfg_.set("scheduler.policy", caf::atom("testing"));
    sys_ = std::make_unique<caf::actor_system>(cfg_);
    sched_ =
        &dynamic_cast<caf::scheduler::test_coordinator&>(sys_->scheduler());
  }

  ~shop_connector_test() override {
    for (auto& a : cleanup_)
      caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
    sched_->run();
  }

  shop_connector_settings settings() {
    shop_connector_settings s;
    s.base_url = shop_.base_url();
    s.client_id = "ferry";
    s.client_secret = "secret";
    s.ca_file = certs().ca_file;
    s.call_timeout = 10s;
    s.max_attempts = 3;
    s.backoff = {100ms, 400ms, 2.0};
    // A long cool-down: an open breaker stays open for the whole test.
    s.breaker.window = 4;
    s.breaker.min_calls = 4;
    s.breaker.failure_ratio = 0.5;
    s.breaker.cool_down = 1h;
    return s;
  }

  shop_connector_actor connector(shop_connector_settings s) {
    auto c = spawn_shop_connector(*sys_, std::move(s), registry_);
    cleanup_.push_back(caf::actor_cast<caf::actor>(c));
    sched_->run();
    return c;
  }

  /// Sends get_product from a fresh actor; its answer lands in the result.
  std::shared_ptr<outcome> get_product(const shop_connector_actor& c) {
    auto result = std::make_shared<outcome>();
    auto client = sys_->spawn([c, result](caf::event_based_actor* self) {
      self->request(c, caf::infinite, shop_get_product{"SKU-1"})
          .then([result](shop::shop_product& p) { result->product = p; },
                [result](caf::error& e) {
                  result->error = shop_error_of(e);
                  if (!result->error)
                    result->error = shop_error{shop_error_kind::transport, 0,
                                               "not a shop error"};
                });
    });
    cleanup_.push_back(client);
    sched_->run();
    return result;
  }

  /// Lets the shop answer the request the connector sent and runs the
  /// connector on that answer. Only after the answer's message has been
  /// queued does this thread touch the job queue again. Delayed messages
  /// are not fired here: the test does that itself.
  void answer_one() {
    ASSERT_TRUE(shop_.release_one()) << "the connector sent nothing";
    // Reads the queue's emptiness only, while the io thread appends the
    // connector's one job to it.
    ASSERT_TRUE(test::wait_until([&] { return sched_->has_job(); }, 30s, 1ms))
        << "the answer never came back to the connector";
    sched_->run();
  }

  /// The delay of the one pending delayed message (a retry or a 429 wait).
  caf::timespan pending_delay() {
    auto& clock = sched_->clock();
    EXPECT_EQ(clock.schedule().size(), 1u);
    if (clock.schedule().empty())
      return caf::timespan{0};
    return clock.schedule().begin()->first - clock.now();
  }

  double counter(const std::string& name,
                 const std::map<std::string, std::string>& labels) {
    for (const auto& family : registry_.Collect()) {
      if (family.name != name)
        continue;
      for (const auto& m : family.metric) {
        std::size_t matched = 0;
        for (const auto& l : m.label)
          if (auto i = labels.find(l.name);
              i != labels.end() && i->second == l.value)
            ++matched;
        if (matched == labels.size())
          return m.counter.value;
      }
    }
    return 0;
  }

  // Outlives the actor system: the connector's gauges point into it.
  prometheus::Registry registry_;
  scripted_shop shop_;
  caf::actor_system_config cfg_;
  std::unique_ptr<caf::actor_system> sys_;
  caf::scheduler::test_coordinator* sched_ = nullptr;
  std::vector<caf::actor> cleanup_;
};

} // namespace

TEST_F(shop_connector_test, a_503_is_retried_only_when_its_backoff_fires) {
  shop_.script({scripted_shop::status(503, "maintenance")});
  auto c = connector(settings());
  auto result = get_product(c);

  answer_one();
  ASSERT_TRUE(sched_->clock().has_pending_timeout())
      << "the 503 schedules a retry";
  EXPECT_EQ(shop_.requests(), 1);
  // Full jitter: somewhere in [0, initial] for the first retry.
  EXPECT_LE(pending_delay(), caf::timespan{100ms});
  sched_->run();
  EXPECT_FALSE(result->done()) << "no answer while the retry waits";
  EXPECT_EQ(shop_.requests(), 1) << "nothing sent before the backoff fires";

  sched_->clock().trigger_timeout();
  sched_->run();
  answer_one();
  ASSERT_TRUE(result->done());
  ASSERT_TRUE(result->product) << result->error->message;
  EXPECT_EQ(result->product->sku, "SKU-1");
  EXPECT_EQ(shop_.requests(), 2);
  EXPECT_EQ(counter("ferry_connector_retries_total",
                    {{"system", "shop"}, {"operation", "get_product"}}),
            1);
  EXPECT_EQ(counter("ferry_connector_calls_total",
                    {{"operation", "get_product"}, {"outcome", "ok"}}),
            1);
}

TEST_F(shop_connector_test, a_429_waits_exactly_its_retry_after) {
  auto limited = scripted_shop::status(429, "slow down");
  limited.headers.set("Retry-After", "7");
  shop_.script({limited});
  auto c = connector(settings());
  auto result = get_product(c);

  answer_one();
  ASSERT_TRUE(sched_->clock().has_pending_timeout());
  EXPECT_EQ(pending_delay(), caf::timespan{7s});
  EXPECT_EQ(sched_->clock().advance_time(6s), 0u) << "not before 7 s";
  sched_->run();
  EXPECT_EQ(shop_.requests(), 1);
  EXPECT_EQ(sched_->clock().advance_time(1s), 1u);
  sched_->run();
  answer_one();
  ASSERT_TRUE(result->done());
  ASSERT_TRUE(result->product) << result->error->message;
  EXPECT_EQ(counter("ferry_connector_retries_total",
                    {{"system", "shop"}, {"operation", "get_product"}}),
            0)
      << "a 429 wait is the shop's, not a retry of ours";
}

TEST_F(shop_connector_test, a_404_is_a_typed_error_and_never_retried) {
  shop_.script({scripted_shop::status(404, "no such product")});
  auto c = connector(settings());
  auto result = get_product(c);

  answer_one();
  ASSERT_TRUE(result->done());
  ASSERT_TRUE(result->error);
  EXPECT_EQ(result->error->kind, shop_error_kind::not_found);
  EXPECT_EQ(result->error->status, 404);
  EXPECT_NE(result->error->message.find("no such product"), std::string::npos)
      << result->error->message;
  EXPECT_FALSE(sched_->clock().has_pending_timeout());
  EXPECT_EQ(shop_.requests(), 1);
}

TEST_F(shop_connector_test, retries_stop_at_max_attempts_with_the_last_error) {
  shop_.script({scripted_shop::status(502, "bad gateway"),
                scripted_shop::status(502, "bad gateway"),
                scripted_shop::status(502, "bad gateway")});
  auto c = connector(settings());
  auto result = get_product(c);

  for (int retry = 0; retry < 2; ++retry) {
    answer_one();
    ASSERT_TRUE(sched_->clock().has_pending_timeout());
    sched_->clock().trigger_timeout();
    sched_->run();
  }
  answer_one();
  ASSERT_TRUE(result->done());
  ASSERT_TRUE(result->error);
  EXPECT_EQ(result->error->kind, shop_error_kind::server_error);
  EXPECT_EQ(result->error->status, 502);
  EXPECT_EQ(shop_.requests(), 3) << "max_attempts = 3, the first included";
  EXPECT_FALSE(sched_->clock().has_pending_timeout());
}

TEST_F(shop_connector_test, an_open_breaker_fails_calls_without_sending) {
  auto s = settings();
  s.max_attempts = 1;
  std::vector<http::response> down(4, scripted_shop::status(503, "down"));
  shop_.script(down);
  auto c = connector(s);
  for (int i = 0; i < 4; ++i) {
    auto failed = get_product(c);
    answer_one();
    ASSERT_TRUE(failed->done());
    ASSERT_TRUE(failed->error);
    EXPECT_EQ(failed->error->kind, shop_error_kind::unavailable);
  }
  EXPECT_EQ(shop_.requests(), 4);

  auto fast = get_product(c);
  ASSERT_TRUE(fast->done()) << "failed at once, nothing to wait for";
  ASSERT_TRUE(fast->error);
  EXPECT_EQ(fast->error->kind, shop_error_kind::unavailable);
  EXPECT_NE(fast->error->message.find("circuit breaker is open"),
            std::string::npos)
      << fast->error->message;
  EXPECT_EQ(shop_.requests(), 4) << "no request reaches the shop while open";
}
