// A price miss for a new SKU of a known customer (issue 7 item 4): what one
// pricing_source::load costs when the customer's resolved lists come from
// Redis (subject) against the same miss with the lists loaded from
// PostgreSQL (baseline: their Redis key dropped, untimed, before each miss,
// as every miss was before the lists were cached). Both read the SKU's
// base price from PostgreSQL (a SKU nobody priced yet under this version)
// and store what they computed. The customer has its own list and its
// group's, 200 lines each; the two kinds of miss alternate so that noise
// hits both alike. Extra: the same miss with Redis down (no cache at all).
// Scratch database on the shared PostgreSQL, shared Redis under a prefix of
// its own.

#include "actors/pricing_source.hpp"
#include "persistence/migrations.hpp"
#include "tests/support/price_builders.hpp"
#include "tests/support/services.hpp"
#include "tests/support/test_env.hpp"

#include <algorithm>
#include <chrono>
#include <iostream>
#include <nlohmann/json.hpp>
#include <prometheus/registry.h>
#include <unistd.h>

namespace {

using clock_type = std::chrono::steady_clock;
using json = nlohmann::json;
constexpr int lines_per_list = 200;
constexpr int misses = 400; // of each kind

std::string sku_of(int i) {
  char text[16];
  std::snprintf(text, sizeof text, "SKU-%05d", i);
  return text;
}

double percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  auto at =
      static_cast<std::size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(at, v.size() - 1)];
}

ferry::erp_price_list list_of(const std::string& code,
                              const std::string& customer,
                              const std::string& group, int first_sku) {
  std::vector<ferry::erp_price_line> lines;
  for (int i = 0; i < lines_per_list; ++i)
    lines.push_back(ferry::test::unit_line(sku_of(first_sku + i),
                                           1 + (i % 3) * 10, 1000 + i));
  return ferry::test::list(code, customer, group, std::move(lines));
}

// Microseconds of one load of `sku` for C000001, qty 1.
double timed_miss(ferry::pricing_source& source, const std::string& sku) {
  ferry::price_load req;
  req.query.customer_id = "C000001";
  req.query.items.push_back({sku, ferry::decimal::from_int(1)});
  auto start = clock_type::now();
  auto result = source.load(req);
  auto took =
      std::chrono::duration<double, std::micro>(clock_type::now() - start)
          .count();
  const auto& a = result.reply.answers.at(0);
  if (a.status != 200 || a.cache_hit)
    throw std::runtime_error("not a computed price for " + sku + ": " +
                             a.message);
  return took;
}

} // namespace

int main() {
  using namespace ferry;
  test::scratch_database db;
  prometheus::Registry registry;
  persistence::pg_pool pool{{db.url(), 4}, registry};
  if (!persistence::migrate(pool))
    throw std::runtime_error("migration failed");
  persistence::price_list_store lists{pool};
  persistence::customer_store customers{pool};
  erp_customer c;
  c.customer_no = "C000001";
  c.email = "bench@example.com";
  c.first_name = "Bench";
  c.last_name = "Customer";
  c.price_group = "GOLD";
  if (!customers.upsert(c) ||
      !lists.upsert_lists({list_of("PL-C1", "C000001", "", 0),
                           list_of("PL-GOLD", "", "GOLD", 100)}))
    throw std::runtime_error("seeding failed");
  std::vector<erp_item> items;
  for (int i = 0; i < 3 * misses + 1; ++i) {
    erp_item item;
    item.item_code = sku_of(i);
    item.base_price = money::from_minor(2000);
    items.push_back(std::move(item));
  }
  if (!lists.upsert_base_prices(items))
    throw std::runtime_error("seeding base prices failed");

  persistence::redis_options options;
  options.host = test::redis_host();
  options.port = test::redis_port();
  persistence::redis_client redis{options};
  auto prefix = "bench:pricing_miss:" + std::to_string(::getpid()) + ":";
  persistence::price_cache cache{redis, prefix, std::chrono::minutes{10}};
  pricing_source_settings settings;
  settings.now_utc = [] { return *parse_utc_datetime("2026-11-29T12:00:00Z"); };
  pricing_source source{lists, customers, &cache, registry, settings};
  prometheus::Registry down_registry;
  pricing_source down{lists, customers, nullptr, down_registry, settings};

  timed_miss(source, sku_of(3 * misses)); // stores the lists; warms up
  auto lists_key = [&] {
    auto v = cache.lookup("-");
    if (!v)
      throw std::runtime_error("redis lookup failed");
    return cache.versioned_key(v->version, "l:C000001:GOLD");
  };
  std::vector<double> from_redis, from_postgresql, redis_down;
  for (int i = 0; i < misses; ++i) {
    from_redis.push_back(timed_miss(source, sku_of(i)));
    if (!redis.command({"DEL", lists_key()}))
      throw std::runtime_error("redis DEL failed");
    from_postgresql.push_back(timed_miss(source, sku_of(misses + i)));
    redis_down.push_back(timed_miss(down, sku_of(2 * misses + i)));
  }
  auto keys = redis.command({"KEYS", prefix + "*"});
  if (keys)
    for (const auto& k : keys->elements)
      (void)redis.command({"DEL", k.text});

  auto subject = percentile(from_redis, 0.5);
  auto baseline = percentile(from_postgresql, 0.5);
  json out = {
      {"name", "pricing_miss"},
      {"subject",
       {{"label", "price miss, new SKU of a known customer, lists from Redis "
                  "(median)"},
        {"value", subject},
        {"unit", "us"}}},
      {"baseline",
       {{"label", "the same miss with the lists from PostgreSQL (median)"},
        {"value", baseline},
        {"unit", "us"}}},
      {"ratio", baseline > 0 ? subject / baseline : 0},
      {"goal", "below 1: a cached customer's miss skips the lists query"},
      {"extra",
       {{"misses_each", misses},
        {"lines_per_list", lines_per_list},
        {"lists", 2},
        {"redis_p99_us", percentile(from_redis, 0.99)},
        {"postgresql_p99_us", percentile(from_postgresql, 0.99)},
        {"redis_down_median_us", percentile(redis_down, 0.5)},
        {"redis_down_p99_us", percentile(redis_down, 0.99)}}}};
  std::cout << out.dump() << std::endl;
  return 0;
}
