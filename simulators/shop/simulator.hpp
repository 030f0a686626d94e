#pragma once

#include "protocols/http/client.hpp"
#include "protocols/http/server.hpp"
#include "simulators/shop/rate_limiter.hpp"
#include "simulators/shop/shop_state.hpp"
#include "simulators/shop/token_store.hpp"
#include "simulators/shop/traffic_generator.hpp"
#include "simulators/shop/webhook_queue.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace ferry::sim_shop {

/// Everything ferry-sim-shop is started with (see README.md for the flags).
struct simulator_options {
  std::string address = "127.0.0.1";
  uint16_t port = 0;
  uint16_t admin_port = 0;
  /// Empty: in-memory only.
  std::string data_dir;
  /// Whether each journal append is fdatasync'd (`--no-fsync`: tests and
  /// benchmarks, where only the process, never the machine, is killed).
  bool fsync = true;
  /// Empty: a self-signed certificate in `data_dir` (or a temp folder).
  std::string cert_file, key_file;
  std::string webhook_url;
  std::string webhook_secret = "shop-webhook-secret";
  /// CA to verify the webhook receiver with; empty: the system store.
  std::string webhook_ca_file;
  bool webhook_verify = true;
  std::map<std::string, std::string> clients{{"ferry", "ferry-secret"}};
  std::uint64_t seed = 1;
  /// Which reading of what the contract leaves open this shop serves
  /// (`--variant`, see README.md); 0: the plainest one.
  std::uint64_t variant = 0;
  int seed_products = 50;
  int seed_customers = 20;
  int sources = 3;
  std::chrono::seconds token_ttl{3600};
  rate_limiter::settings rate{};
  webhook_schedule schedule{};
  traffic_settings traffic{};
};

/// How the shop reads the points the contract leaves open, derived from
/// `--variant N` (see README.md, "Variants").
struct contract_variant {
  /// The answer of `PUT /products/{sku}/stock`.
  enum class stock_answer {
    true_value,
    stock_object,
    empty_object,
    empty_200,
    empty_204
  };
  stock_answer stock = stock_answer::true_value;
  /// Fields the contract does not list in products, customers and orders.
  bool extra_fields = false;
  /// Non-ASCII text in every seeded entity.
  bool unicode = false;

  /// Variant 0 is the plainest reading; N >= 1 adds the extra fields and the
  /// non-ASCII text and answers the stock call with form N mod 5.
  static contract_variant of(std::uint64_t n);
};

/// Runtime fault knobs (admin `/admin/faults`).
struct fault_settings {
  std::chrono::milliseconds latency{0};
  /// Share of API calls answered 500 (after auth and the rate limit).
  double error_rate = 0;
  /// During a storm this share of API calls get 429 with `Retry-After`.
  double storm_share = 1.0;
  int storm_retry_after_seconds = 1;
  std::chrono::steady_clock::time_point storm_until{};
  webhook_faults webhooks{};
};

/// The reference shop: the contract over HTTPS, an admin API over plain
/// HTTP on loopback, webhook delivery and the traffic generator.
class simulator {
public:
  explicit simulator(simulator_options o);
  ~simulator();
  simulator(const simulator&) = delete;
  simulator& operator=(const simulator&) = delete;

  /// Loads the journal, seeds, binds both servers and starts the
  /// background threads; returns {https_port, admin_port}.
  std::pair<uint16_t, uint16_t> start();
  void stop();

  /// The contract's routes (for the HTTPS server, or tests without one).
  http::router api_router();
  /// The admin routes.
  http::router admin_router();

  shop_state& state() { return *state_; }
  webhook_queue& webhooks() { return *webhooks_; }
  token_store& tokens() { return *tokens_; }
  rate_limiter& limiter() { return limiter_; }

private:
  using sync_handler =
      std::function<http::response(const http::request&, const std::string&)>;
  http::handler api(sync_handler h);
  /// Counts one call of `client` to the route `r` matched ("PUT
  /// /customers/{id}"), served or refused with 429.
  void count_call(const std::string& client, const http::request& r,
                  bool limited);
  void respond_later(http::respond_fn respond, http::response r,
                     std::chrono::milliseconds delay);
  void delay_loop();
  void webhook_loop();
  void traffic_loop();
  void on_change(const change_event& e);
  void deliver(webhook_delivery d);

  /// Adds the fields of `variant_` that the contract does not list.
  void add_extra_fields(nlohmann::json& j) const;

  simulator_options options_;
  contract_variant variant_;
  std::unique_ptr<shop_state> state_;
  std::unique_ptr<token_store> tokens_;
  std::unique_ptr<webhook_queue> webhooks_;
  rate_limiter limiter_;
  traffic_generator traffic_gen_;

  std::mutex knobs_mutex_;
  fault_settings faults_;
  traffic_settings traffic_;
  std::string webhook_url_;
  std::mt19937_64 fault_rng_;

  /// Calls per client and route since start or the last reset (GET
  /// /admin/calls); 429s apart.
  struct route_calls {
    std::map<std::string, std::int64_t> served;
    std::map<std::string, std::int64_t> limited;
  };
  std::mutex calls_mutex_;
  std::map<std::string, route_calls> calls_;

  std::unique_ptr<http::client> client_;
  std::unique_ptr<http::server> api_server_;
  std::unique_ptr<http::server> admin_server_;

  std::atomic<bool> running_{false};
  std::mutex wake_mutex_;
  std::condition_variable wake_;
  std::multimap<std::chrono::steady_clock::time_point,
                std::pair<http::respond_fn, http::response>>
      delayed_;
  std::thread delay_thread_;
  std::thread webhook_thread_;
  std::thread traffic_thread_;
  std::atomic<int> in_flight_webhooks_{0};
  /// Deliveries wait while set (POST /admin/webhooks {"paused"}): a
  /// backlog to release at once, as after a shop-side outage.
  std::atomic<bool> webhooks_paused_{false};
};

} // namespace ferry::sim_shop
