#pragma once

#include "mapping/money.hpp"
#include "simulators/shop/shop_state.hpp"

#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

namespace ferry::sim_shop {

/// How much traffic the generator makes.
struct traffic_settings {
  bool enabled = false;
  double orders_per_second = 1;
  double customers_per_second = 0.2;
  /// Share of orders whose grand total is above `threshold`.
  double high_value_share = 0.1;
  money threshold = money::from_minor(500'000);
  /// Share of orders placed by guests.
  double guest_share = 0.1;
};

/// An order the generator wants placed.
struct order_plan {
  std::optional<std::int64_t> customer_id;
  std::string guest_email;
  std::vector<cart_line> lines;
  std::int64_t shipping_minor = 0;
  bool high_value = false;
};

/// A customer the generator wants registered.
struct customer_plan {
  std::string email;
  std::string firstname;
  std::string lastname;
};

/// Shop users' behaviour, deterministic by seed: the same seed and the same
/// catalogue give the same sequence of customers and orders.
class traffic_generator {
public:
  explicit traffic_generator(std::uint64_t seed);

  /// The next order over `catalog` (sku, price) and `customers`; empty
  /// when there is nothing to buy.
  std::optional<order_plan>
  next_order(const std::vector<std::pair<std::string, money>>& catalog,
             const std::vector<std::int64_t>& customers,
             const traffic_settings& s);

  customer_plan next_customer();

private:
  std::mt19937_64 rng_;
  std::uint64_t customer_serial_ = 0;
};

} // namespace ferry::sim_shop
