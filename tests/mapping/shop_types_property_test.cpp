// Properties of the shop's JSON over random records: every field survives
// to_json → dump_exact → parse_exact → *_from_json exactly, amounts and
// quantities included, and the JSON text is valid UTF-8.

#include "mapping/shop_types.hpp"
#include "tests/support/property.hpp"

#include <gtest/gtest.h>

namespace ferry::shop {
namespace {

using namespace ferry::test;

constexpr int cases = 2000;

std::string any_text(rng_t& rng, std::size_t limit = 60) {
  text_options o;
  o.controls = chance(rng, 20);
  return random_text(rng, limit, o);
}

/// The JSON text of `x` parsed back with `from_json`.
template <class T, class F>
parsed<T> through_text(const T& x, F from_json) {
  auto text = dump_exact(to_json(x));
  EXPECT_TRUE(valid_utf8(text)) << text;
  auto dom = parse_exact(text);
  if (!dom)
    return parsed<T>::fail("parse_exact: " + dom.error + " in " + text);
  return from_json(*dom, "x");
}

TEST(shop_types_property, products_round_trip_through_json_text) {
  for_cases(cases, [](rng_t& rng) {
    shop_product p;
    p.id = uniform<std::int64_t>(rng, 0, INT64_MAX);
    p.sku = random_clean_text(rng, 64);
    p.name = any_text(rng, 300);
    p.description = any_text(rng, 500);
    p.price = random_money(rng, INT64_MAX);
    p.weight = decimal::from_units(uniform<std::int64_t>(rng, -1, INT64_MAX));
    p.status = uniform(rng, 1, 2);
    p.updated_at = chance(rng, 20) ? "" : random_timestamp(rng);
    auto back =
        through_text(p, [](const nlohmann::json& j, const std::string& path) {
          return product_from_json(j, path);
        });
    ASSERT_TRUE(back) << back.error;
    EXPECT_EQ(back->id, p.id);
    EXPECT_EQ(back->sku, p.sku);
    EXPECT_EQ(back->name, p.name);
    EXPECT_EQ(back->description, p.description);
    EXPECT_EQ(back->price, p.price) << p.price.to_string();
    EXPECT_EQ(back->weight, p.weight) << p.weight.to_string();
    EXPECT_EQ(back->status, p.status);
    EXPECT_EQ(back->updated_at, p.updated_at);
  });
}

TEST(shop_types_property, customers_round_trip_through_json_text) {
  for_cases(cases, [](rng_t& rng) {
    shop_customer c;
    c.id = uniform<std::int64_t>(rng, 0, INT64_MAX);
    c.email = chance(rng, 80) ? random_email(rng, true)
                              : any_text(rng, 20) + "@" + any_text(rng, 20);
    c.firstname = any_text(rng, 100);
    c.lastname = any_text(rng, 100);
    c.group_id = uniform(rng, INT32_MIN, INT32_MAX);
    c.created_at = random_timestamp(rng);
    c.updated_at = chance(rng, 20) ? "" : random_timestamp(rng);
    auto n = uniform(rng, 0, 4);
    for (int i = 0; i < n; ++i)
      c.custom_attributes.push_back({any_text(rng, 20), any_text(rng, 40)});
    auto back =
        through_text(c, [](const nlohmann::json& j, const std::string& path) {
          return customer_from_json(j, path);
        });
    ASSERT_TRUE(back) << back.error;
    EXPECT_EQ(back->id, c.id);
    EXPECT_EQ(back->email, c.email);
    EXPECT_EQ(back->firstname, c.firstname);
    EXPECT_EQ(back->lastname, c.lastname);
    EXPECT_EQ(back->group_id, c.group_id);
    EXPECT_EQ(back->created_at, c.created_at);
    EXPECT_EQ(back->updated_at, c.updated_at);
    ASSERT_EQ(back->custom_attributes.size(), c.custom_attributes.size());
    for (std::size_t i = 0; i < c.custom_attributes.size(); ++i) {
      EXPECT_EQ(back->custom_attributes[i].attribute_code,
                c.custom_attributes[i].attribute_code);
      EXPECT_EQ(back->custom_attributes[i].value, c.custom_attributes[i].value);
    }
  });
}

TEST(shop_types_property, orders_round_trip_through_json_text) {
  for_cases(cases, [](rng_t& rng) {
    shop_order o;
    o.entity_id = uniform<std::int64_t>(rng, 1, INT64_MAX);
    o.increment_id = any_text(rng, 32);
    o.created_at = random_timestamp(rng);
    o.updated_at = chance(rng, 20) ? "" : random_timestamp(rng);
    if (chance(rng, 70))
      o.customer_id = uniform<std::int64_t>(rng, 0, INT64_MAX);
    o.customer_email = chance(rng, 80) ? random_email(rng) : any_text(rng);
    o.base_currency_code = chance(rng, 80) ? "USD" : any_text(rng, 3);
    auto n = uniform(rng, 0, 10);
    for (int i = 0; i < n; ++i) {
      shop_order_item item;
      item.sku = any_text(rng, 20);
      item.name = any_text(rng, 255);
      item.qty_ordered = random_quantity(rng, 1'000'000);
      item.price = random_money(rng, 9'999'999'999);
      item.row_total = random_money(rng, 9'999'999'999);
      o.subtotal += item.row_total;
      o.items.push_back(std::move(item));
    }
    o.shipping_amount = random_money(rng, 1'000'000);
    o.tax_amount = random_money(rng, 1'000'000);
    o.grand_total = o.subtotal + o.shipping_amount + o.tax_amount;
    o.status = any_text(rng, 20);
    o.state = any_text(rng, 20);
    auto& a = o.billing_address;
    a.firstname = any_text(rng);
    a.lastname = any_text(rng);
    for (int i = uniform(rng, 0, 3); i > 0; --i)
      a.street.push_back(any_text(rng));
    a.city = any_text(rng);
    a.postcode = any_text(rng, 10);
    a.country_id = any_text(rng, 2);
    a.telephone = any_text(rng, 20);
    a.email = any_text(rng, 40);
    for (int i = uniform(rng, 0, 3); i > 0; --i)
      o.status_histories.push_back({any_text(rng, 200), any_text(rng, 20),
                                    uniform(rng, 0, 1), random_timestamp(rng)});
    auto back =
        through_text(o, [](const nlohmann::json& j, const std::string& path) {
          return order_from_json(j, path);
        });
    ASSERT_TRUE(back) << back.error;
    EXPECT_EQ(back->entity_id, o.entity_id);
    EXPECT_EQ(back->increment_id, o.increment_id);
    EXPECT_EQ(back->created_at, o.created_at);
    EXPECT_EQ(back->updated_at, o.updated_at);
    EXPECT_EQ(back->customer_id, o.customer_id);
    EXPECT_EQ(back->customer_email, o.customer_email);
    EXPECT_EQ(back->base_currency_code, o.base_currency_code);
    EXPECT_EQ(back->subtotal, o.subtotal);
    EXPECT_EQ(back->shipping_amount, o.shipping_amount);
    EXPECT_EQ(back->tax_amount, o.tax_amount);
    EXPECT_EQ(back->grand_total, o.grand_total);
    EXPECT_EQ(back->status, o.status);
    EXPECT_EQ(back->state, o.state);
    ASSERT_EQ(back->items.size(), o.items.size());
    for (std::size_t i = 0; i < o.items.size(); ++i) {
      EXPECT_EQ(back->items[i].sku, o.items[i].sku);
      EXPECT_EQ(back->items[i].name, o.items[i].name);
      EXPECT_EQ(back->items[i].qty_ordered, o.items[i].qty_ordered);
      EXPECT_EQ(back->items[i].price, o.items[i].price);
      EXPECT_EQ(back->items[i].row_total, o.items[i].row_total);
    }
    auto& b = back->billing_address;
    EXPECT_EQ(b.firstname, a.firstname);
    EXPECT_EQ(b.lastname, a.lastname);
    EXPECT_EQ(b.street, a.street);
    EXPECT_EQ(b.city, a.city);
    EXPECT_EQ(b.postcode, a.postcode);
    EXPECT_EQ(b.country_id, a.country_id);
    EXPECT_EQ(b.telephone, a.telephone);
    EXPECT_EQ(b.email, a.email);
    ASSERT_EQ(back->status_histories.size(), o.status_histories.size());
    for (std::size_t i = 0; i < o.status_histories.size(); ++i) {
      EXPECT_EQ(back->status_histories[i].comment,
                o.status_histories[i].comment);
      EXPECT_EQ(back->status_histories[i].status, o.status_histories[i].status);
      EXPECT_EQ(back->status_histories[i].is_customer_notified,
                o.status_histories[i].is_customer_notified);
      EXPECT_EQ(back->status_histories[i].created_at,
                o.status_histories[i].created_at);
    }
  });
}

TEST(shop_types_property, sources_and_results_round_trip_through_json_text) {
  for_cases(cases, [](rng_t& rng) {
    shop_source s{any_text(rng, 30), any_text(rng, 60), chance(rng, 50)};
    auto s2 =
        through_text(s, [](const nlohmann::json& j, const std::string& path) {
          return source_from_json(j, path);
        });
    ASSERT_TRUE(s2) << s2.error;
    EXPECT_EQ(s2->source_code, s.source_code);
    EXPECT_EQ(s2->name, s.name);
    EXPECT_EQ(s2->enabled, s.enabled);

    shop_source_item si{random_clean_text(rng, 30), random_clean_text(rng, 30),
                        decimal::from_units(static_cast<std::int64_t>(rng())),
                        uniform(rng, 0, 1)};
    auto si2 =
        through_text(si, [](const nlohmann::json& j, const std::string& path) {
          return source_item_from_json(j, path);
        });
    ASSERT_TRUE(si2) << si2.error;
    EXPECT_EQ(si2->sku, si.sku);
    EXPECT_EQ(si2->source_code, si.source_code);
    EXPECT_EQ(si2->quantity, si.quantity) << si.quantity.to_string();
    EXPECT_EQ(si2->status, si.status);

    shop_item_result r{any_text(rng, 30), chance(rng, 50) ? "ok" : "error",
                       any_text(rng, 200)};
    auto r2 =
        through_text(r, [](const nlohmann::json& j, const std::string& path) {
          return item_result_from_json(j, path);
        });
    ASSERT_TRUE(r2) << r2.error;
    EXPECT_EQ(r2->sku, r.sku);
    EXPECT_EQ(r2->status, r.status);
    EXPECT_EQ(r2->message, r.message);
  });
}

TEST(shop_types_property, strings_in_exact_json_round_trip_and_stay_utf8) {
  for_cases(cases, [](rng_t& rng) {
    text_options o;
    o.controls = true;
    auto key = random_text(rng, 20, o);
    auto value = random_text(rng, 300, o);
    nlohmann::json doc = {{key, value}, {"list", {value, key}}};
    auto text = dump_exact(doc);
    EXPECT_TRUE(valid_utf8(text));
    auto back = parse_exact(text);
    ASSERT_TRUE(back) << back.error;
    EXPECT_EQ(*back, doc);
    EXPECT_EQ(dump_exact(*back), text);
  });
}

} // namespace
} // namespace ferry::shop
