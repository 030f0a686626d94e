#pragma once

// Messages of customer-specific pricing (actors/pricing_registry.hpp,
// actors/pricing_actor.hpp, actors/price_list_poller.hpp) and of the
// customer sync (actors/customer_sync.hpp). Type IDs 700.. (block
// ferry_pricing).

#include "actors/money_inspect.hpp"
#include "mapping/price_rules.hpp"

#include <caf/atom.hpp>
#include <caf/meta/type_name.hpp>
#include <caf/type_id.hpp>
#include <cstdint>
#include <string>
#include <vector>

namespace ferry {

/// One SKU and quantity asked for.
struct price_item {
  std::string sku;
  decimal quantity;
};

/// Prices of one or more SKUs (the API's single and batch forms) for one
/// customer, as the API received them.
struct price_query {
  /// The ERP CustomerNo ("C000123") or a linked shop customer id ("42");
  /// empty or unknown: base prices.
  std::string customer_id;
  /// ISO 4217; empty: the base currency.
  std::string currency;
  std::vector<price_item> items;
};

/// The answer for one item: a quote, or an HTTP-like status with a reason.
struct price_answer {
  std::string sku;
  decimal quantity;
  /// 200 with `quote`; 400 bad quantity, 404 unknown SKU, 422 currency
  /// unavailable, 503 prices cannot be computed now.
  int status = 200;
  std::string error;   ///< "unknown_sku", …; empty for 200
  std::string message; ///< names the SKU or field
  price_quote quote;
  /// Answered from memory or Redis rather than computed from PostgreSQL.
  bool cache_hit = false;
};

/// The answers, in the order of the query's items.
struct price_reply {
  std::vector<price_answer> answers;
};

/// Who a customer id stands for, once resolved.
struct pricing_customer {
  bool resolved = false;
  std::string customer_no; ///< empty: unknown customer, base prices
  std::string price_group;
};

/// Pricing actor → loader: compute what the actor's memory lacks.
struct price_load {
  pricing_customer customer; ///< resolved = false: the loader resolves it
  price_query query;
};

/// Loader → pricing actor.
struct price_load_result {
  pricing_customer customer;
  price_reply reply;
};

/// The registry's state, for tests and /readyz detail.
struct pricing_status {
  std::uint64_t alive = 0;    ///< per-customer actors running now
  std::uint64_t spawned = 0;  ///< started since the registry started
  std::uint64_t restarts = 0; ///< failed actors replaced
  std::uint64_t evicted = 0;  ///< stopped to stay within max_actors
  std::int64_t version = 0;   ///< the last invalidation version seen
};

/// What the price list poller did so far.
struct price_poll_report {
  std::uint64_t cycles = 0; ///< finished polls
  std::uint64_t lists_changed = 0;
  std::uint64_t items_changed = 0;
  std::uint64_t invalidations = 0; ///< versions published
  std::uint64_t errors = 0;
  std::string last_error;
};

/// What the customer sync did so far.
struct customer_sync_report {
  std::uint64_t created = 0; ///< ERP customers created from shop accounts
  std::uint64_t linked = 0;  ///< shop accounts mapped to existing ones
  std::uint64_t shared = 0;  ///< of those, second accounts of one email
  std::uint64_t dead_lettered = 0;
  std::uint64_t shop_updates = 0; ///< ERP → shop updates applied
  std::uint64_t echoes = 0;       ///< changes recognised as Ferry's own
  std::uint64_t errors = 0;
  std::string last_error;
};

/// 0.17 inspection.
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, price_quote& x) {
  return f(caf::meta::type_name("price_quote"), x.unit_price, x.list_price,
           x.rule, x.price_list_code, x.tier_min_quantity, x.currency);
}

/// 0.17 inspection.
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, price_item& x) {
  return f(caf::meta::type_name("price_item"), x.sku, x.quantity);
}

/// 0.17 inspection.
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, price_query& x) {
  return f(caf::meta::type_name("price_query"), x.customer_id, x.currency,
           x.items);
}

/// 0.17 inspection.
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, price_answer& x) {
  return f(caf::meta::type_name("price_answer"), x.sku, x.quantity, x.status,
           x.error, x.message, x.quote, x.cache_hit);
}

/// 0.17 inspection.
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, price_reply& x) {
  return f(caf::meta::type_name("price_reply"), x.answers);
}

/// 0.17 inspection.
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, pricing_customer& x) {
  return f(caf::meta::type_name("pricing_customer"), x.resolved, x.customer_no,
           x.price_group);
}

/// 0.17 inspection.
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, price_load& x) {
  return f(caf::meta::type_name("price_load"), x.customer, x.query);
}

/// 0.17 inspection.
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, price_load_result& x) {
  return f(caf::meta::type_name("price_load_result"), x.customer, x.reply);
}

/// 0.17 inspection.
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, pricing_status& x) {
  return f(caf::meta::type_name("pricing_status"), x.alive, x.spawned,
           x.restarts, x.evicted, x.version);
}

/// 0.17 inspection.
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, price_poll_report& x) {
  return f(caf::meta::type_name("price_poll_report"), x.cycles, x.lists_changed,
           x.items_changed, x.invalidations, x.errors, x.last_error);
}

/// 0.17 inspection.
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, customer_sync_report& x) {
  return f(caf::meta::type_name("customer_sync_report"), x.created, x.linked,
           x.shared, x.dead_lettered, x.shop_updates, x.echoes, x.errors,
           x.last_error);
}

} // namespace ferry

CAF_BEGIN_TYPE_ID_BLOCK(ferry_pricing, 700)

CAF_ADD_TYPE_ID(ferry_pricing, (ferry::price_quote))
CAF_ADD_TYPE_ID(ferry_pricing, (ferry::price_item))
CAF_ADD_TYPE_ID(ferry_pricing, (ferry::price_query))
CAF_ADD_TYPE_ID(ferry_pricing, (ferry::price_answer))
CAF_ADD_TYPE_ID(ferry_pricing, (ferry::price_reply))
CAF_ADD_TYPE_ID(ferry_pricing, (ferry::pricing_customer))
CAF_ADD_TYPE_ID(ferry_pricing, (ferry::price_load))
CAF_ADD_TYPE_ID(ferry_pricing, (ferry::price_load_result))
CAF_ADD_TYPE_ID(ferry_pricing, (ferry::pricing_status))
CAF_ADD_TYPE_ID(ferry_pricing, (ferry::price_poll_report))
CAF_ADD_TYPE_ID(ferry_pricing, (ferry::customer_sync_report))

/// A new price version (or -1: unknown, drop everything).
CAF_ADD_ATOM(ferry_pricing, ferry, pricing_invalidate_atom, "price_inv")
/// A poller's or sync's timer fired.
CAF_ADD_ATOM(ferry_pricing, ferry, pricing_tick_atom, "price_tick")
/// Customer sync: process claimed customers/create events now.
CAF_ADD_ATOM(ferry_pricing, ferry, customer_tick_atom, "cust_tick")

CAF_END_TYPE_ID_BLOCK(ferry_pricing)
