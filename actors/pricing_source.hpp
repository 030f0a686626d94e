#pragma once

#include "actors/circuit_breaker.hpp"
#include "actors/pricing_messages.hpp"
#include "persistence/customer_store.hpp"
#include "persistence/price_cache.hpp"
#include "persistence/price_list_store.hpp"

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

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
  /// The ERP's time zone, in which a price list's date-only validity is
  /// read (a date-only ValidTo lasts through that day there); null: UTC.
  std::shared_ptr<const time_zone> erp_time_zone;
};

/// The blocking part of pricing, run by the loader workers (never on a
/// scheduler thread): resolves who a customer id is, then looks up in Redis,
/// in one round trip under the current version, every item's price
/// (`q:<customer>:<group>:<sku>:<qty>:<currency>`) and base price
/// (`b:<sku>`) and the customer's resolved lists (`l:<customer>:<group>`:
/// its own lists and its group's). What is missing comes from PostgreSQL
/// and is stored back under that version in one more round trip, so a miss
/// for another SKU of a known customer costs no PostgreSQL query for its
/// lists on any node. A price computed from cached facts expires no later
/// than they do. With Redis down (breaker open) everything comes from
/// PostgreSQL: slower, still correct. Thread-safe.
///
/// Metrics: ferry_pricing_redis_available (1/0),
/// ferry_pricing_redis_fallbacks_total (lookups done without Redis),
/// ferry_pricing_lookups_total{result="hit|computed|error"},
/// ferry_pricing_lists_loads_total{source="redis|postgresql"}.
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
  /// Stores `writes` in Redis through the breaker; failures only count.
  void remember(std::int64_t version,
                const std::vector<persistence::price_cache_write>& writes);

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
  prometheus::Counter& lists_from_redis_;
  prometheus::Counter& lists_from_postgresql_;
};

} // namespace ferry
