#include "simulators/shop/traffic_generator.hpp"

#include <algorithm>

namespace ferry::sim_shop {

traffic_generator::traffic_generator(std::uint64_t seed)
    : rng_(seed ^ 0x7a7a7a7a) {}

std::optional<order_plan> traffic_generator::next_order(
    const std::vector<std::pair<std::string, money>>& catalog,
    const std::vector<std::int64_t>& customers, const traffic_settings& s) {
  if (catalog.empty())
    return std::nullopt;
  std::uniform_real_distribution<double> share{0.0, 1.0};
  order_plan plan;
  plan.shipping_minor = 500 + static_cast<std::int64_t>(rng_() % 1500);
  if (customers.empty() || share(rng_) < s.guest_share) {
    plan.guest_email =
        "guest." + std::to_string(rng_() % 1'000'000) + "@example.org";
  } else {
    plan.customer_id = customers[rng_() % customers.size()];
  }
  plan.high_value = share(rng_) < s.high_value_share;
  auto threshold = s.threshold.minor();
  if (plan.high_value) {
    auto& [sku, price] = catalog[rng_() % catalog.size()];
    auto unit = std::max<std::int64_t>(price.minor(), 1);
    // Just above the threshold, whatever the shipping.
    plan.lines.push_back({sku, threshold / unit + 1});
    return plan;
  }
  auto budget = threshold - plan.shipping_minor;
  std::int64_t subtotal = 0;
  auto wanted = 1 + static_cast<int>(rng_() % 3);
  for (int tries = 0;
       tries < 10 && static_cast<int>(plan.lines.size()) < wanted; ++tries) {
    auto& [sku, price] = catalog[rng_() % catalog.size()];
    auto qty = 1 + static_cast<std::int64_t>(rng_() % 3);
    auto row = price.minor() * qty;
    if (subtotal + row >= budget)
      continue;
    if (std::any_of(plan.lines.begin(), plan.lines.end(),
                    [&](auto& l) { return l.sku == sku; }))
      continue;
    subtotal += row;
    plan.lines.push_back({sku, qty});
  }
  if (plan.lines.empty()) {
    auto cheapest =
        std::min_element(catalog.begin(), catalog.end(),
                         [](auto& a, auto& b) { return a.second < b.second; });
    plan.lines.push_back({cheapest->first, 1});
  }
  return plan;
}

customer_plan traffic_generator::next_customer() {
  static const char* first[] = {"Ada",  "Ben",   "Cora", "Dev",
                                "Elif", "Goran", "Hana", "Ivo"};
  static const char* last[] = {"Park",   "Silva", "Novak",
                               "Okafor", "Reyes", "Weber"};
  customer_plan c;
  c.firstname = first[rng_() % 8];
  c.lastname = last[rng_() % 6];
  c.email = lower(c.firstname) + "." + lower(c.lastname) + "." +
            std::to_string(rng_() % 100'000) + "-" +
            std::to_string(++customer_serial_) + "@example.net";
  return c;
}

} // namespace ferry::sim_shop
