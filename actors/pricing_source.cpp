#include "actors/pricing_source.hpp"

#include "mapping/price_json.hpp"

#include <algorithm>
#include <optional>
#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

namespace ferry {

namespace {

bool all_digits(const std::string& s) {
  if (s.empty() || s.size() > 18)
    return false;
  for (char c : s)
    if (c < '0' || c > '9')
      return false;
  return true;
}

price_answer failed(const price_item& item, int status, std::string error,
                    std::string message) {
  price_answer a;
  a.sku = item.sku;
  a.quantity = item.quantity;
  a.status = status;
  a.error = std::move(error);
  a.message = std::move(message);
  return a;
}

constexpr const char* lists_loads_help =
    "Customers' resolved price lists loaded for price misses, by where they "
    "came from";

std::int64_t system_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

} // namespace

pricing_source::pricing_source(persistence::price_list_store& lists,
                               persistence::customer_store& customers,
                               persistence::price_cache* cache,
                               prometheus::Registry& registry,
                               pricing_source_settings settings)
    : lists_(lists),
      customers_(customers),
      cache_(cache),
      settings_(std::move(settings)),
      breaker_(settings_.redis_breaker),
      available_(prometheus::BuildGauge()
                     .Name("ferry_pricing_redis_available")
                     .Help("1 while prices use the Redis cache, 0 while they "
                           "come from PostgreSQL only")
                     .Register(registry)
                     .Add({})),
      fallbacks_(prometheus::BuildCounter()
                     .Name("ferry_pricing_redis_fallbacks_total")
                     .Help("Price lookups done without Redis (down or "
                           "breaker open)")
                     .Register(registry)
                     .Add({})),
      hits_(prometheus::BuildCounter()
                .Name("ferry_pricing_lookups_total")
                .Help("Price lookups below the actors' memory, by result")
                .Register(registry)
                .Add({{"result", "hit"}})),
      computed_(prometheus::BuildCounter()
                    .Name("ferry_pricing_lookups_total")
                    .Help("Price lookups below the actors' memory, by result")
                    .Register(registry)
                    .Add({{"result", "computed"}})),
      errors_(prometheus::BuildCounter()
                  .Name("ferry_pricing_lookups_total")
                  .Help("Price lookups below the actors' memory, by result")
                  .Register(registry)
                  .Add({{"result", "error"}})),
      lists_from_redis_(prometheus::BuildCounter()
                            .Name("ferry_pricing_lists_loads_total")
                            .Help(lists_loads_help)
                            .Register(registry)
                            .Add({{"source", "redis"}})),
      lists_from_postgresql_(prometheus::BuildCounter()
                                 .Name("ferry_pricing_lists_loads_total")
                                 .Help(lists_loads_help)
                                 .Register(registry)
                                 .Add({{"source", "postgresql"}})) {
  if (!settings_.now_utc)
    settings_.now_utc = system_now;
  available_.Set(cache_ != nullptr ? 1 : 0);
}

bool pricing_source::redis_available() const {
  std::lock_guard<std::mutex> guard(mtx_);
  return cache_ != nullptr &&
         breaker_.current() != circuit_breaker::state::open;
}

bool pricing_source::redis_allowed() {
  if (cache_ == nullptr)
    return false;
  std::lock_guard<std::mutex> guard(mtx_);
  auto ok = breaker_.allow(circuit_breaker::clock::now());
  if (!ok)
    fallbacks_.Increment();
  return ok;
}

void pricing_source::redis_outcome(bool ok) {
  std::lock_guard<std::mutex> guard(mtx_);
  auto now = circuit_breaker::clock::now();
  if (ok)
    breaker_.record_success(now);
  else
    breaker_.record_failure(now);
  if (!ok)
    fallbacks_.Increment();
  available_.Set(breaker_.current() == circuit_breaker::state::open ? 0 : 1);
}

pricing_customer pricing_source::resolve(const std::string& customer_id,
                                         std::string& error) {
  pricing_customer out;
  out.resolved = true;
  if (customer_id.empty())
    return out;
  std::string customer_no = customer_id;
  if (all_digits(customer_id)) {
    // A shop customer id; an ERP number is never all digits ("C000123").
    auto linked = customers_.customer_no_of(std::stoll(customer_id));
    if (!linked) {
      error = persistence::db_error_text(linked.error());
      out.resolved = false;
      return out;
    }
    if (!*linked)
      return out;
    customer_no = **linked;
  }
  auto found = customers_.find(customer_no);
  if (!found) {
    error = persistence::db_error_text(found.error());
    out.resolved = false;
    return out;
  }
  if (!*found) {
    // Not synced yet (or a shop id without a link): its own lists still
    // apply, it just has no group; with none it gets base prices.
    if (!all_digits(customer_id))
      out.customer_no = customer_no;
    return out;
  }
  if ((*found)->is_active) {
    out.customer_no = (*found)->customer_no;
    out.price_group = (*found)->price_group;
  }
  return out;
}

void pricing_source::remember(
    std::int64_t version,
    const std::vector<persistence::price_cache_write>& writes) {
  if (writes.empty() || !redis_allowed())
    return;
  auto stored = cache_->store_all(version, writes);
  redis_outcome(static_cast<bool>(stored));
}

price_load_result pricing_source::load(const price_load& request) {
  price_load_result out;
  const auto& query = request.query;
  std::string error;
  out.customer = request.customer.resolved ? request.customer
                                           : resolve(query.customer_id, error);
  auto currency =
      query.currency.empty() ? settings_.base_currency : query.currency;
  auto who = (out.customer.customer_no.empty() ? std::string{"-"}
                                               : out.customer.customer_no) +
             ":" + out.customer.price_group;
  auto& answers = out.reply.answers;
  answers.resize(query.items.size());
  auto unavailable = [this](const price_item& item, const std::string& why) {
    errors_.Increment();
    return failed(item, 503, "unavailable",
                  "prices cannot be computed now: " + why);
  };
  std::vector<std::size_t> pending; // indexes of the items to price
  for (std::size_t i = 0; i < query.items.size(); ++i) {
    const auto& item = query.items[i];
    if (!out.customer.resolved) {
      answers[i] = unavailable(item, error);
    } else if (item.quantity <= decimal{}) {
      answers[i] = failed(item, 400, "bad_quantity",
                          "qty must be above 0 for SKU " + item.sku);
    } else {
      pending.push_back(i);
    }
  }
  if (pending.empty())
    return out;

  // One round trip, under one version: per item its price and its base
  // price, then the customer's resolved lists (none to look for without a
  // customer or group).
  bool has_lists =
      !out.customer.customer_no.empty() || !out.customer.price_group.empty();
  std::vector<std::string> keys;
  keys.reserve(pending.size() * 2 + 1);
  for (auto i : pending) {
    const auto& item = query.items[i];
    keys.push_back("q:" + who + ":" + item.sku + ":" +
                   item.quantity.to_string() + ":" + currency);
    keys.push_back("b:" + item.sku);
  }
  auto lists_key = "l:" + who;
  if (has_lists)
    keys.push_back(lists_key);
  persistence::price_cache_lookups cached;
  bool versioned = false; // whether results may be stored under `version`
  if (redis_allowed()) {
    auto found = cache_->lookup_all(keys);
    redis_outcome(static_cast<bool>(found));
    if (found) {
      cached = std::move(*found);
      versioned = true;
    }
  }
  cached.entries.resize(keys.size());

  // What was loaded or computed, stored back in one round trip at the end.
  std::vector<persistence::price_cache_write> writes;
  std::optional<std::vector<erp_price_list>> lists;
  // Time left of the cached lists: a price derived from them must not
  // outlive them, or it would answer from data older than the TTL.
  std::optional<std::chrono::milliseconds> lists_ttl;
  auto shorter = [](std::optional<std::chrono::milliseconds> a,
                    std::chrono::milliseconds b) {
    return a ? std::min(*a, b) : b;
  };
  for (std::size_t n = 0; n < pending.size(); ++n) {
    auto i = pending[n];
    const auto& item = query.items[i];
    const auto& quote_key = keys[2 * n];
    if (const auto& hit = cached.entries[2 * n]) {
      if (auto quote = price_quote_from_json(hit->value)) {
        auto& a = answers[i];
        a.sku = item.sku;
        a.quantity = item.quantity;
        a.quote = std::move(*quote);
        a.cache_hit = true;
        hits_.Increment();
        continue;
      }
    }
    std::optional<std::chrono::milliseconds> ttl;
    std::optional<money> base;
    if (const auto& b = cached.entries[2 * n + 1]) {
      if ((base = money::parse(b->value)))
        ttl = b->ttl_left;
    }
    if (!base) {
      auto loaded = lists_.base_price(item.sku);
      if (!loaded) {
        answers[i] =
            unavailable(item, persistence::db_error_text(loaded.error()));
        continue;
      }
      if (!*loaded) {
        answers[i] =
            failed(item, 404, "unknown_sku", "unknown SKU " + item.sku);
        continue;
      }
      base = **loaded;
      if (versioned)
        writes.push_back({keys[2 * n + 1], base->to_string(), std::nullopt});
    }
    if (!lists && !has_lists) {
      lists.emplace();
    } else if (!lists && cached.entries.back()) {
      // An unreadable value is loaded again and replaced below.
      if ((lists = price_lists_from_json(cached.entries.back()->value))) {
        lists_ttl = cached.entries.back()->ttl_left;
        lists_from_redis_.Increment();
      }
    }
    if (!lists) {
      auto loaded =
          lists_.lists_for(out.customer.customer_no, out.customer.price_group);
      if (!loaded) {
        answers[i] =
            unavailable(item, persistence::db_error_text(loaded.error()));
        continue;
      }
      lists = std::move(*loaded);
      lists_from_postgresql_.Increment();
      if (versioned)
        writes.push_back(
            {lists_key, price_lists_to_json(*lists), std::nullopt});
    }
    if (lists_ttl)
      ttl = shorter(ttl, *lists_ttl);
    price_question q;
    q.customer_no = out.customer.customer_no;
    q.price_group = out.customer.price_group;
    q.item_code = item.sku;
    q.quantity = item.quantity;
    q.currency = currency;
    q.now_utc = settings_.now_utc();
    price_facts facts{*base, settings_.base_currency, *lists,
                      settings_.erp_time_zone.get()};
    auto outcome = resolve_price(q, facts);
    if (!outcome.quote) {
      bool qty = outcome.refusal == price_refusal::bad_quantity;
      answers[i] =
          failed(item, qty ? 400 : 422,
                 qty ? "bad_quantity" : "currency_unavailable", outcome.reason);
      continue;
    }
    computed_.Increment();
    if (versioned)
      writes.push_back({quote_key, price_quote_to_json(*outcome.quote), ttl});
    auto& a = answers[i];
    a.sku = item.sku;
    a.quantity = item.quantity;
    a.quote = std::move(*outcome.quote);
  }
  if (versioned)
    remember(cached.version, writes);
  return out;
}

} // namespace ferry
