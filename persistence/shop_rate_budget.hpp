#pragma once

#include <caf/expected.hpp>
#include <chrono>
#include <mutex>
#include <string>

struct redisContext;

namespace ferry::persistence {

/// Where the shared budget lives and how big it is.
struct shop_rate_budget_settings {
  std::string host = "127.0.0.1";
  int port = 6379;
  /// One key per shop client; every node uses the same key.
  std::string key = "ferry:shop:rate_budget";
  /// Keep a little under the shop's own limit (20/s, burst 40), so that
  /// clock skew and in-flight requests do not tip the cluster over it.
  double rate_per_second = 18;
  double burst = 20;
  std::chrono::milliseconds timeout{500};
};

/// The shop's request budget shared by every Ferry node: a token bucket
/// kept in one Redis hash and updated by one Lua script, atomically, with
/// Redis's own clock (so node clocks do not matter). Thread-safe.
class shop_rate_budget {
public:
  explicit shop_rate_budget(shop_rate_budget_settings s);
  ~shop_rate_budget();
  shop_rate_budget(const shop_rate_budget&) = delete;
  shop_rate_budget& operator=(const shop_rate_budget&) = delete;

  /// Takes one token: zero when granted, otherwise how long to wait before
  /// asking again (nothing was taken). `db_errc::unavailable` when Redis
  /// cannot be reached; the caller decides whether to go ahead without it.
  caf::expected<std::chrono::microseconds> try_take();

  const shop_rate_budget_settings& settings() const { return settings_; }

private:
  bool connect(std::string& error);
  shop_rate_budget_settings settings_;
  std::mutex mutex_;
  redisContext* ctx_ = nullptr;
  std::string sha_;
};

} // namespace ferry::persistence
