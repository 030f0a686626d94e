#pragma once

#include <chrono>
#include <functional>
#include <mutex>
#include <string>

#include "actors/circuit_breaker.hpp"
#include "actors/pricing_messages.hpp"
#include "persistence/customer_store.hpp"
#include "persistence/price_cache.hpp"
#include "persistence/price_list_store.hpp"

namespace prometheus {
class Registry;
class Gauge;
class Counter;
} // namespace prometheus

namespace ferry {

/// How prices are computed.
struct pricing_source_settings {
  /// The currency of the ERP's BasePrice; asked when a query names none.
  std::string base_currency = "USD";
  /// Guards Redis: while open, prices come from PostgreSQL only.
  circuit_breaker_settings redis_breaker{10, 3, 0.5,
                                         std::chrono::milliseconds{2000}};
  /// The clock rules are evaluated at (seconds since the epoch, UTC).
  std::function<std::int64_t()> now_utc;
};

/// The blocking part of pricing, run by the loader workers (never on a
/// scheduler thread): resolves who a customer id is, then per item the
/// Redis cache (versioned keys), else the lists and base price from
/// PostgreSQL through mapping/price_rules, storing the result back in Redis.
/// With Redis down (breaker open) every price comes from PostgreSQL: slower,
/// still correct. Thread-safe.
///
/// Metrics: ferry_pricing_redis_available (1/0),
/// ferry_pricing_redis_fallbacks_total (lookups done without Redis),
/// ferry_pricing_lookups_total{result="hit|computed|error"}.
class pricing_source {
public:
  /// `cache` may be null (no Redis configured). Everything must outlive
  /// the source.
  pricing_source(persistence::price_list_store& lists,
                 persistence::customer_store& customers,
                 persistence::price_cache* cache,
                 prometheus::Registry& registry,
                 pricing_source_settings settings);

  /// Answers every item of `request.query`, in order.
  price_load_result load(const price_load& request);

  /// Whether Redis is used right now (breaker not open).
  bool redis_available() const;

private:
  pricing_customer resolve(const std::string& customer_id, std::string& error);
  bool redis_allowed();
  void redis_outcome(bool ok);

  persistence::price_list_store& lists_;
  persistence::customer_store& customers_;
  persistence::price_cache* cache_;
  pricing_source_settings settings_;
  mutable std::mutex mtx_;
  circuit_breaker breaker_;
  prometheus::Gauge& available_;
  prometheus::Counter& fallbacks_;
  prometheus::Counter& hits_;
  prometheus::Counter& computed_;
  prometheus::Counter& errors_;
};

} // namespace ferry
