// Real data through the whole node, as an operator runs it: both simulators
// and `ferry run` as separate processes on a scratch database.
//
// 1. A demo-like run where every seeded name, description and customer is
//    non-ASCII (the ERP's date-only price list too) round-trips field by
//    field: ERP items → shop products, shop products → ERP items, shop
//    customers → ERP and an ERP rename back, a shop order → ERP sales order
//    and its status back, ERP stock per warehouse → shop sources, and the
//    negotiated price from the date-only list through Ferry's pricing API.
//
// 2. One poison record of each kind the flows carry, in one running node.
//    Covered (kind × class):
//    - ERP item → shop product, unmappable: an ItemName of blanks only
//      ("ItemName: is empty"); the ERP takes it, the shop cannot.
//    - shop customer → ERP, too long: a last name over the ERP's 100
//      characters.
//    - shop customer → ERP, refused by PostgreSQL: a first name holding
//      U+0000 (jsonb cannot store it; the ERP's XML cannot carry it).
//    - shop customer → ERP, undecodable: a (signed) customers/create whose
//      first name is not UTF-8, as a shop that mangles text would send it.
//    - shop order → ERP, refused by PostgreSQL: the order of that U+0000
//      customer carries the name in its webhook.
//    - shop order → ERP, refused by the far side: the ERP answers
//      CreateSalesOrder with a `Validation` client fault (its fault knob,
//      for one order; a shop order line of an item the ERP lacks cannot be
//      made, since the shop → ERP product flow creates every shop product).
//    - ERP customer → shop, refused by the far side: an ERP customer naming
//      a shop account (ExternalCustomerID) that the shop does not have.
//    - ERP stock → shop, refused by the far side: stock of the blank-named
//      ERP item, which never became a shop product.
//    Not reachable: invalid UTF-8 or U+0000 from the ERP (the simulator
//    reads a non-UTF-8 byte as its Latin-1 character, its admin API takes
//    only valid JSON, and XML 1.0 cannot carry U+0000: an ItemName "A\u0000B"
//    set through the admin API is served by GetItems as "A"), so neither an
//    item, a customer nor a stock level can hold one; PostgreSQL refusing an
//    ERP record (it can only hold what XML carries, which jsonb and text take);
//    the shop refusing a product or the ERP refusing a customer (Ferry's
//    mapping refuses first what either would refuse: empty and over-long
//    names, sku over 20 characters, negative prices); too-long stock (a
//    quantity has no length) and an undecodable or too-long order (its text
//    comes from the shop's product and customer, caught there).
#include "mapping/money.hpp"
#include "protocols/http/client.hpp"
#include "protocols/soap/erp_client.hpp"
#include "protocols/webhook_signature.hpp"
#include "tests/actors/order_sim_env.hpp"

#include <array>
#include <gtest/gtest.h>
#include <pqxx/pqxx>
#include <set>
#include <sstream>

using namespace std::chrono_literals;
using ferry::test::json;
using ferry::test::order_sim_env;
using ferry::test::order_sim_options;

namespace {

/// The node of both tests: non-ASCII data on both sides, two warehouses
/// mapped to two shop sources, short poll intervals.
order_sim_options real_data_options(int items, int customers) {
  order_sim_options o;
  o.erp_variant = 1;
  o.shop_variant = 1;
  o.erp_seed_items = items;
  o.erp_seed_customers = customers;
  o.erp_warehouses = 2;
  o.charges_item = "SHIPPING";
  o.shop_seed_products = 3;
  o.shop_seed_customers = 3;
  o.shop_sources = 2;
  o.shop_poll_interval = "1s";
  o.extra_config = "inventory:\n  poll_interval: 1s\n  warehouses:\n"
                   "    WH1: us-east\n    WH2: us-west\n"
                   "customers:\n  poll_interval: 1s\n"
                   "  price_group_to_group_id:\n    RETAIL: 1\n"
                   "    WHOLESALE: 2\n"
                   "catalog:\n  poll_interval: 1s\n"
                   "pricing:\n  poll_interval: 1s\n";
  return o;
}

pqxx::result query(order_sim_env& env, const std::string& sql) {
  pqxx::connection conn{env.database_url()};
  pqxx::read_transaction tx{conn};
  return tx.exec(sql);
}

std::int64_t count(order_sim_env& env, const std::string& sql) {
  return query(env, sql)[0][0].as<std::int64_t>();
}

/// Every dead letter as text, for failure messages.
std::string dead_letters(order_sim_env& env) {
  std::string out;
  for (const auto& row :
       query(env, "SELECT source, entity, entity_id, reason FROM dead_letter "
                  "ORDER BY id"))
    out += row[0].as<std::string>() + " " + row[1].as<std::string>() + " " +
           row[2].as<std::string>() + ": " + row[3].as<std::string>() + "\n";
  return out.empty() ? "no dead letters\n" : out;
}

std::string log_tail(order_sim_env& env) {
  auto log = env.ferry().log();
  return log.substr(log.size() > 6000 ? log.size() - 6000 : 0);
}

/// A GET of Ferry's ops endpoint: (status, body); status 0 without answer.
std::pair<long, std::string> ops_get(order_sim_env& env,
                                     const std::string& path) {
  ferry::http::client client{ferry::http::client_settings{}};
  ferry::http::client_request req;
  req.method = "GET";
  req.url = "http://127.0.0.1:" + std::to_string(env.ops_port()) + path;
  auto res = client.send(req);
  if (!res.response)
    return {0, ""};
  return {res.response->status, res.response->body};
}

/// Amounts compare as exact decimals, whether JSON gives text or a number.
std::int64_t minor_of(const json& amount) {
  auto text = amount.is_string() ? amount.get<std::string>() : amount.dump();
  auto m = ferry::money::parse(text);
  if (!m)
    throw std::runtime_error("not an amount: " + amount.dump());
  return m->minor();
}

std::string text_of(const json& value) {
  return value.is_string() ? value.get<std::string>() : value.dump();
}

std::map<std::string, json> by_key(const json& rows, const char* key) {
  std::map<std::string, json> out;
  for (const auto& r : rows)
    out[text_of(r.at(key))] = r;
  return out;
}

std::map<std::string, json> shop_products(order_sim_env& env) {
  auto all = env.shop_admin("GET", "/admin/products");
  return by_key(all.is_array() ? all : all.value("items", json::array()),
                "sku");
}

json shop_customer(order_sim_env& env, std::int64_t id) {
  for (auto& c :
       env.shop_admin("GET", "/admin/customers").value("items", json::array()))
    if (c.value("id", std::int64_t{0}) == id)
      return c;
  return json{};
}

std::string attribute(const json& entity, const char* code) {
  for (auto& a : entity.value("custom_attributes", json::array()))
    if (a.value("attribute_code", "") == code)
      return text_of(a.value("value", json("")));
  return {};
}

bool has_non_ascii(const std::string& text) {
  for (unsigned char c : text)
    if (c >= 0x80)
      return true;
  return false;
}

/// The ERP's seeded description `<p>text</p>` as the text the shop shows
/// (a bare `&` is text; no tags nor entities inside).
std::string paragraph_text(const std::string& html) {
  if (html.rfind("<p>", 0) != 0 || html.size() < 7 ||
      html.compare(html.size() - 4, 4, "</p>") != 0)
    throw std::runtime_error("not one paragraph: " + html);
  auto inner = html.substr(3, html.size() - 7);
  if (inner.find('<') != std::string::npos ||
      inner.find(';') != std::string::npos)
    throw std::runtime_error("markup inside the paragraph: " + html);
  return inner;
}

/// Waits for /readyz 200 with its probes reported; its body.
std::string ready_body(order_sim_env& env) {
  std::string body;
  EXPECT_TRUE(ferry::test::wait_until(
      [&] {
        auto [status, text] = ops_get(env, "/readyz");
        body = text;
        return status == 200 &&
               text.find("\"postgresql\"") != std::string::npos &&
               text.find("areas running") != std::string::npos;
      },
      90s, 200ms))
      << "last /readyz: " << body << "\n"
      << log_tail(env);
  return body;
}

ferry::erp_customer erp_customer_by_email(order_sim_env& env,
                                          const std::string& email) {
  ferry::erp_client erp(env.erp_settings());
  auto found = erp.find_customer(email);
  if (!found.ok() || !found.value())
    throw std::runtime_error("no ERP customer " + email);
  return *found.value();
}

/// Shop accounts (id → account) once each has its ERP customer number.
std::map<std::int64_t, json> linked_shop_customers(order_sim_env& env,
                                                   std::size_t at_least) {
  std::map<std::int64_t, json> out;
  EXPECT_TRUE(ferry::test::wait_until(
      [&] {
        out.clear();
        for (auto& c : env.shop_admin("GET", "/admin/customers")
                           .value("items", json::array()))
          if (!attribute(c, "erp_customer_no").empty())
            out[c.value("id", std::int64_t{0})] = c;
        return out.size() >= at_least;
      },
      120s, 250ms))
      << out.size() << " linked\n"
      << dead_letters(env) << log_tail(env);
  return out;
}

} // namespace

TEST(real_data, a_non_ascii_demo_round_trips_every_field) {
  order_sim_env env{real_data_options(6, 6)};
  ASSERT_TRUE(env.wait_ready()) << env.ferry().log();
  // A round base price, so that the wholesale 10 % is exact.
  env.erp_admin("POST", "/admin/items/IT-00001", {{"BasePrice", "250.00"}});

  auto erp = env.erp_admin("GET", "/admin/state");
  std::map<std::string, json> erp_items;

  // Products, ERP → shop: name byte for byte, the description's text,
  // price, status.
  std::map<std::string, json> shop;
  auto erp_items_in_shop = [&] {
    shop = shop_products(env);
    erp_items =
        by_key(env.erp_admin("GET", "/admin/state")["items"], "ItemCode");
    for (auto& [code, item] : erp_items)
      if (code.rfind("SKU-", 0) != 0 &&
          (!shop.count(code) ||
           shop[code].value("name", "") != item["ItemName"] ||
           minor_of(shop[code]["price"]) != minor_of(item["BasePrice"])))
        return false;
    return true;
  };
  ASSERT_TRUE(ferry::test::wait_until(erp_items_in_shop, 120s, 250ms))
      << dead_letters(env) << log_tail(env);
  for (auto& [code, item] : erp_items) {
    if (code.rfind("SKU-", 0) == 0)
      continue; // the shop's own products, below
    SCOPED_TRACE(code);
    auto& p = shop.at(code);
    auto name = item["ItemName"].get<std::string>();
    EXPECT_TRUE(has_non_ascii(name)) << name;
    EXPECT_EQ(p.value("name", ""), name);
    auto description = item["Description"].get<std::string>();
    if (!description.empty()) {
      EXPECT_EQ(p.value("description", ""), paragraph_text(description));
    }
    EXPECT_EQ(minor_of(p["price"]), minor_of(item["BasePrice"]));
    EXPECT_EQ(p.value("status", 0), 1);
  }

  // Products, shop → ERP: the shop's own seeded products become ERP items
  // with their name and description as they are.
  std::map<std::string, json> shop_only;
  for (auto& [sku, p] : shop)
    if (sku.rfind("SKU-", 0) == 0)
      shop_only[sku] = p;
  ASSERT_EQ(shop_only.size(), 3u);
  ASSERT_TRUE(ferry::test::wait_until(
      [&] {
        erp_items =
            by_key(env.erp_admin("GET", "/admin/state")["items"], "ItemCode");
        for (auto& [sku, p] : shop_only)
          if (!erp_items.count(sku))
            return false;
        return true;
      },
      120s, 250ms))
      << dead_letters(env) << log_tail(env);
  for (auto& [sku, p] : shop_only) {
    SCOPED_TRACE(sku);
    auto& item = erp_items.at(sku);
    auto name = p["name"].get<std::string>();
    EXPECT_TRUE(has_non_ascii(name)) << name;
    EXPECT_EQ(item.value("ItemName", ""), name);
    auto description = p["description"].get<std::string>();
    ASSERT_EQ(description.find_first_of("<>&\"\n"), std::string::npos);
    EXPECT_EQ(item.value("Description", ""), description);
    EXPECT_EQ(minor_of(item["BasePrice"]), minor_of(p["price"]));
  }

  // Customers, shop → ERP: each seeded account's names reach the ERP byte
  // for byte, and its ERP number comes back.
  auto linked = linked_shop_customers(env, 3);
  ASSERT_EQ(linked.size(), 3u);
  for (auto& [id, c] : linked) {
    SCOPED_TRACE(c.dump());
    auto e = erp_customer_by_email(env, c.value("email", ""));
    EXPECT_TRUE(
        has_non_ascii(c.value("firstname", "") + c.value("lastname", "")));
    EXPECT_EQ(e.first_name, c.value("firstname", ""));
    EXPECT_EQ(e.last_name, c.value("lastname", ""));
    EXPECT_EQ(e.customer_no, attribute(c, "erp_customer_no"));
    EXPECT_EQ(e.external_customer_id, std::to_string(id));
  }

  // Customers, ERP → shop: a non-ASCII rename in the ERP reaches the
  // linked account.
  auto renamed_id = linked.begin()->first;
  {
    auto e =
        erp_customer_by_email(env, linked.begin()->second.value("email", ""));
    e.first_name = "Ἀθηνᾶ";
    e.last_name = "Nu\u0301n\u0303ez-山田 🌸";
    e.modified_at.clear();
    ferry::erp_client client(env.erp_settings());
    auto updated = client.update_customer(e);
    ASSERT_TRUE(updated.ok()) << updated.error().message;
  }
  json renamed;
  EXPECT_TRUE(ferry::test::wait_until(
      [&] {
        renamed = shop_customer(env, renamed_id);
        return renamed.value("firstname", "") == "Ἀθηνᾶ" &&
               renamed.value("lastname", "") == "Nu\u0301n\u0303ez-山田 🌸";
      },
      60s, 250ms))
      << renamed.dump() << "\n"
      << log_tail(env);

  // Stock, ERP warehouse → shop source (WH1 → us-east, WH2 → us-west):
  // each level's Available, before any order reserves some.
  const std::map<std::string, std::string> source_of{{"WH1", "us-east"},
                                                     {"WH2", "us-west"}};
  std::string stock_mismatch;
  EXPECT_TRUE(ferry::test::wait_until(
      [&] {
        stock_mismatch.clear();
        auto levels = env.erp_admin("GET", "/admin/state")["stock"];
        for (auto& level : levels) {
          auto sku = level["ItemCode"].get<std::string>();
          auto p = env.shop_admin("GET", "/admin/products/" + sku);
          std::string got = "none";
          for (auto& si : p.value("source_items", json::array()))
            if (si.value("source_code", "") ==
                source_of.at(level["WarehouseCode"].get<std::string>()))
              got = text_of(si["quantity"]);
          auto want = ferry::decimal::parse(text_of(level["Available"]));
          auto have = ferry::decimal::parse(got);
          if (!want || !have || !(*want == *have))
            stock_mismatch += sku + "@" + level["WarehouseCode"].dump() + ": " +
                              text_of(level["Available"]) + " in the ERP, " +
                              got + " in the shop\n";
        }
        return stock_mismatch.empty() && !levels.empty();
      },
      90s, 500ms))
      << stock_mismatch << dead_letters(env) << log_tail(env);

  // Prices: the date-only PL-WHOLESALE (10 % off IT-00001 from 10 pieces)
  // applies to a WHOLESALE customer at 10 pieces; 1 piece is the base.
  std::string wholesale;
  for (auto& c : erp["customers"])
    if (c.value("PriceGroup", "") == "WHOLESALE")
      wholesale = c.value("CustomerNo", "");
  ASSERT_FALSE(wholesale.empty()) << erp["customers"].dump();
  auto token = env.token(ferry::test::price_reader_client);
  ASSERT_FALSE(token.empty());
  auto price = [&](const std::string& qty) {
    return env.api("GET",
                   "/api/v1/prices?customer_id=" + wholesale +
                       "&sku=IT-00001&qty=" + qty,
                   token);
  };
  std::pair<int, json> ten;
  EXPECT_TRUE(ferry::test::wait_until(
      [&] {
        ten = price("10");
        return ten.first == 200 && ten.second.value("rule", "") == "group";
      },
      60s, 250ms))
      << ten.first << " " << ten.second.dump() << "\n"
      << log_tail(env);
  EXPECT_EQ(ten.second.value("unit_price", ""), "225.00") << ten.second.dump();
  EXPECT_EQ(ten.second.value("list_price", ""), "250.00") << ten.second.dump();
  EXPECT_EQ(ten.second.value("price_list", ""), "PL-WHOLESALE");
  auto one = price("1");
  EXPECT_EQ(one.first, 200);
  EXPECT_EQ(one.second.value("unit_price", ""), "250.00") << one.second.dump();
  EXPECT_EQ(one.second.value("rule", ""), "base") << one.second.dump();

  // Orders: a non-ASCII customer's order of non-ASCII products reaches the
  // ERP line by line, amounts as exact decimals; its status comes back.
  auto buyer_id = std::next(linked.begin())->first;
  auto buyer_no = attribute(linked.at(buyer_id), "erp_customer_no");
  auto order = env.place_order(
      {{"customer_id", buyer_id},
       {"lines",
        {{{"sku", "IT-00001"}, {"qty", 3}}, {{"sku", "IT-00002"}, {"qty", 2}}}},
       {"shipping_amount", 4.95}});
  auto increment_id = order.value("increment_id", "");
  ASSERT_FALSE(increment_id.empty()) << order.dump();
  std::map<std::string, json> erp_orders;
  ASSERT_TRUE(ferry::test::wait_until(
      [&] {
        erp_orders = env.erp_orders();
        return erp_orders.count("WEB-" + increment_id) == 1;
      },
      90s, 250ms))
      << dead_letters(env) << log_tail(env);
  auto& so = erp_orders.at("WEB-" + increment_id);
  SCOPED_TRACE(so.dump());
  EXPECT_EQ(so.value("CustomerNo", ""), buyer_no);
  EXPECT_EQ(minor_of(so["TotalAmount"]), minor_of(order["grand_total"]));
  EXPECT_EQ(so.value("CustomerEmail", ""), order.value("customer_email", ""));
  EXPECT_EQ(so.value("CurrencyCode", ""), "USD");
  EXPECT_TRUE(has_non_ascii(order["billing_address"].value("firstname", "") +
                            order["billing_address"].value("lastname", "")));
  auto erp_lines = by_key(so.value("Line", json::array()), "ItemCode");
  ASSERT_EQ(erp_lines.size(), 3u) << "two items and the charges line";
  for (auto& item : order["items"]) {
    auto sku = item["sku"].get<std::string>();
    SCOPED_TRACE(sku);
    ASSERT_TRUE(erp_lines.count(sku));
    auto& line = erp_lines.at(sku);
    EXPECT_TRUE(has_non_ascii(item.value("name", ""))) << item.dump();
    EXPECT_EQ(ferry::decimal::parse(text_of(line["Quantity"]))->to_string(),
              ferry::decimal::parse(text_of(item["qty_ordered"]))->to_string());
    EXPECT_EQ(minor_of(line["LineAmount"]), minor_of(item["row_total"]));
    EXPECT_EQ(minor_of(line["BasePrice"]), minor_of(item["price"]));
  }
  EXPECT_EQ(minor_of(erp_lines.at("SHIPPING")["LineAmount"]),
            minor_of(order["shipping_amount"]) +
                minor_of(order.value("tax_amount", json("0"))));
  env.erp_admin("POST", "/admin/orders/WEB-" + increment_id + "/status",
                {{"Status", "Shipped"}, {"TrackingNo", "1Z-ÜBER-42"}});
  json shop_order;
  EXPECT_TRUE(ferry::test::wait_until(
      [&] {
        shop_order = env.shop_admin(
            "GET",
            "/admin/orders/" + std::to_string(order.value("entity_id", 0)));
        return shop_order.value("status", "") == "complete" &&
               shop_order.dump().find("1Z-ÜBER-42") != std::string::npos;
      },
      60s, 250ms))
      << shop_order.dump() << "\n"
      << log_tail(env);

  // Nothing was refused, and the node is ready.
  EXPECT_EQ(count(env, "SELECT count(*) FROM dead_letter"), 0)
      << dead_letters(env);
  auto ready = ready_body(env);
  EXPECT_NE(ready.find("4 of 4 areas running"), std::string::npos) << ready;
}

namespace {

/// The dead letters of `entity` (source, entity_id, reason, payload text).
std::vector<std::array<std::string, 4>> letters_of(order_sim_env& env,
                                                   const std::string& entity) {
  std::vector<std::array<std::string, 4>> out;
  for (const auto& row :
       query(env, "SELECT source, entity_id, reason, coalesce(payload::text, "
                  "payload_text, '') FROM dead_letter WHERE entity = '" +
                      entity + "' ORDER BY id"))
    out.push_back({row[0].as<std::string>(), row[1].as<std::string>(),
                   row[2].as<std::string>(), row[3].as<std::string>()});
  return out;
}

/// The first dead letter of `entity` whose id, reason or payload holds
/// `needle`; waits for it.
std::array<std::string, 4> wait_for_letter(order_sim_env& env,
                                           const std::string& entity,
                                           const std::string& needle) {
  std::array<std::string, 4> found;
  bool seen = ferry::test::wait_until(
      [&] {
        for (auto& l : letters_of(env, entity))
          if (l[1].find(needle) != std::string::npos ||
              l[2].find(needle) != std::string::npos ||
              l[3].find(needle) != std::string::npos) {
            found = l;
            return true;
          }
        return false;
      },
      120s, 250ms);
  EXPECT_TRUE(seen) << "no dead letter of " << entity << " with " << needle
                    << "\n"
                    << dead_letters(env) << log_tail(env);
  return found;
}

/// Creates or changes an ERP item through the ERP's own API.
void upsert_erp_item(order_sim_env& env, const std::string& code,
                     const std::string& name) {
  ferry::erp_item item;
  item.item_code = code;
  item.item_name = name;
  item.description = "<p>" + name + "</p>";
  item.base_price = ferry::money::from_minor(1999);
  item.weight = *ferry::decimal::parse("1.5");
  ferry::erp_client client(env.erp_settings());
  auto results = client.upsert_items({item});
  ASSERT_TRUE(results.ok()) << results.error().message;
  ASSERT_EQ(results.value().size(), 1u);
}

void set_erp_stock(order_sim_env& env, const std::string& code,
                   const std::string& on_hand) {
  env.erp_admin("POST", "/admin/stock",
                {{"ItemCode", code},
                 {"WarehouseCode", "WH1"},
                 {"OnHand", on_hand},
                 {"Reserved", "0"},
                 {"AllowBackorder", false}});
}

std::string source_quantity(order_sim_env& env, const std::string& sku,
                            const std::string& source) {
  auto p = env.shop_admin("GET", "/admin/products/" + sku);
  for (auto& si : p.value("source_items", json::array()))
    if (si.value("source_code", "") == source)
      return text_of(si["quantity"]);
  return "";
}

/// Sends `body` to Ferry's webhook endpoint as the shop would, signed with
/// the shop's secret; the HTTP status (0 without answer).
long signed_webhook(order_sim_env& env, const std::string& topic,
                    const std::string& body) {
  ferry::http::client_settings settings;
  settings.verify_peer = false; // Ferry's demo certificate
  ferry::http::client client{settings};
  ferry::http::client_request req;
  req.method = "POST";
  req.url =
      "https://127.0.0.1:" + std::to_string(env.api_port()) + "/webhooks/shop";
  req.headers.set("Content-Type", "application/json");
  req.headers.set("X-Shop-Topic", topic);
  req.headers.set("X-Shop-Event-Id", "5d1f7a52-1c1e-4d8e-9a43-0c2b7e7f0b01");
  req.headers.set("X-Shop-Triggered-At", "2026-12-01 10:00:00");
  req.headers.set("X-Shop-Hmac-Sha256",
                  ferry::webhook::sign(order_sim_env::webhook_secret, body));
  req.body = body;
  auto res = client.send(req);
  return res.response ? res.response->status : 0;
}

double failures(const std::string& metrics, const std::string& flow) {
  double sum = 0;
  std::istringstream lines(metrics);
  std::string line;
  auto key = "ferry_flow_failures_total{flow=\"" + flow + "\"";
  while (std::getline(lines, line))
    if (line.rfind(key, 0) == 0)
      sum += std::stod(line.substr(line.rfind(' ') + 1));
  return sum;
}

} // namespace

TEST(real_data,
     a_poison_item_of_each_kind_is_dead_lettered_and_the_node_stays_ready) {
  order_sim_env env{real_data_options(4, 3)};
  ASSERT_TRUE(env.wait_ready()) << env.ferry().log();
  auto linked = linked_shop_customers(env, 3);
  ASSERT_EQ(linked.size(), 3u);
  ASSERT_TRUE(ferry::test::wait_until(
      [&] { return shop_products(env).count("IT-00004") == 1; }, 120s, 250ms))
      << log_tail(env);
  ASSERT_EQ(count(env, "SELECT count(*) FROM dead_letter"), 0)
      << dead_letters(env);

  // ERP item → shop product, unmappable: a name of blanks only. The ERP
  // holds it, with stock, so its stock is refused by the shop (which never
  // got the product): ERP stock → shop, refused by the far side.
  upsert_erp_item(env, "IT-BLANK", "   ");
  set_erp_stock(env, "IT-BLANK", "7");
  auto blank = wait_for_letter(env, "product", "IT-BLANK");
  EXPECT_NE(blank[2].find("ItemName"), std::string::npos) << blank[2];
  EXPECT_NE(blank[3].find("\"ItemCode\""), std::string::npos) << blank[3];
  auto stock = wait_for_letter(env, "stock", "IT-BLANK");
  EXPECT_NE(stock[2].find("IT-BLANK"), std::string::npos) << stock[2];
  EXPECT_NE(stock[3].find("us-east"), std::string::npos) << stock[3];
  // The flows went on: a good item and its stock after the poison.
  upsert_erp_item(env, "IT-GOOD", "Ωmega ✓ 好 – Zoe\u0308");
  set_erp_stock(env, "IT-GOOD", "11");
  EXPECT_TRUE(ferry::test::wait_until(
      [&] {
        auto p = shop_products(env);
        return p.count("IT-GOOD") &&
               p["IT-GOOD"].value("name", "") == "Ωmega ✓ 好 – Zoe\u0308" &&
               source_quantity(env, "IT-GOOD", "us-east") == "11";
      },
      90s, 250ms))
      << dead_letters(env) << log_tail(env);

  // Shop customer → ERP: too long (a last name over the ERP's 100
  // characters) and refused by PostgreSQL (U+0000 in the first name).
  std::string long_name;
  for (int i = 0; i < 101; ++i)
    long_name += "Ł";
  auto too_long = env.shop_admin("POST", "/admin/customers",
                                 {{"email", "long.name@example.com"},
                                  {"firstname", "Zoë"},
                                  {"lastname", long_name}});
  auto nul = env.shop_admin("POST", "/admin/customers",
                            {{"email", "nul.char@example.com"},
                             {"firstname", std::string("Nu\0l", 4)},
                             {"lastname", "Zero"}});
  auto long_letter = wait_for_letter(env, "customer", "long.name@example.com");
  EXPECT_NE(long_letter[2].find("lastname"), std::string::npos)
      << long_letter[2];
  EXPECT_NE(long_letter[3].find("ŁŁŁŁ"), std::string::npos) << long_letter[3];
  auto nul_letter = wait_for_letter(env, "customer", "nul.char@example.com");
  EXPECT_NE(nul_letter[2].find("firstname"), std::string::npos)
      << nul_letter[2];
  EXPECT_NE(nul_letter[3].find("Nu\\u0000l"), std::string::npos)
      << nul_letter[3];
  // Shop customer → ERP, undecodable: a customers/create whose first name
  // is not UTF-8, signed as the shop signs, is taken (the shop must not
  // send it again for hours) and dead-lettered.
  const std::string bad_body =
      R"({"id":990001,"email":"bad.bytes@example.com","firstname":"Bad )" +
      std::string("\xC3\x28") + R"(","lastname":"Bytes","group_id":1,)" +
      R"("created_at":"2026-12-01 10:00:00",)" +
      R"("updated_at":"2026-12-01 10:00:00"})";
  EXPECT_EQ(signed_webhook(env, "customers/create", bad_body), 200);
  auto bad_letter = wait_for_letter(env, "customer", "bad.bytes@example.com");
  EXPECT_NE(bad_letter[2].find("firstname"), std::string::npos)
      << bad_letter[2];
  EXPECT_NE(bad_letter[2].find("UTF-8"), std::string::npos) << bad_letter[2];
  EXPECT_NE(bad_letter[3].find("Bad \uFFFD("), std::string::npos)
      << bad_letter[3];
  // A good account after them reaches the ERP.
  auto good = env.shop_admin("POST", "/admin/customers",
                             {{"email", "good.after@example.com"},
                              {"firstname", "Åsa"},
                              {"lastname", "Ñandú 🌸"}});
  std::string good_no;
  EXPECT_TRUE(ferry::test::wait_until(
      [&] {
        good_no =
            attribute(shop_customer(env, good.value("id", std::int64_t{0})),
                      "erp_customer_no");
        return !good_no.empty();
      },
      90s, 250ms))
      << dead_letters(env) << log_tail(env);
  EXPECT_EQ(erp_customer_by_email(env, "good.after@example.com").last_name,
            "Ñandú 🌸");

  // ERP customer → shop, refused by the far side: it names a shop account
  // the shop does not have.
  {
    ferry::erp_customer ghost;
    ghost.email = "ghost@example.com";
    ghost.first_name = "Gêist";
    ghost.last_name = "Phantom";
    ghost.external_customer_id = "987654";
    ferry::erp_client client(env.erp_settings());
    auto created = client.create_customer(ghost);
    ASSERT_TRUE(created.ok()) << created.error().message;
  }
  auto ghost = wait_for_letter(env, "customer", "ghost@example.com");
  EXPECT_EQ(ghost[0], "erp");
  EXPECT_NE(ghost[2].find("987654"), std::string::npos) << ghost[2];
  EXPECT_NE(ghost[3].find("Gêist"), std::string::npos) << ghost[3];
  // A later ERP rename of a linked customer still reaches the shop.
  auto renamed_id = linked.begin()->first;
  {
    auto e =
        erp_customer_by_email(env, linked.begin()->second.value("email", ""));
    e.last_name = "Ünterwegs ✈";
    e.modified_at.clear();
    ferry::erp_client client(env.erp_settings());
    ASSERT_TRUE(client.update_customer(e).ok());
  }
  EXPECT_TRUE(ferry::test::wait_until(
      [&] {
        return shop_customer(env, renamed_id).value("lastname", "") ==
               "Ünterwegs ✈";
      },
      60s, 250ms))
      << dead_letters(env) << log_tail(env);

  // Shop order → ERP, refused by PostgreSQL: the U+0000 customer's order
  // carries the name.
  auto nul_order =
      env.place_order({{"customer_id", nul.value("id", std::int64_t{0})},
                       {"lines", {{{"sku", "IT-00001"}, {"qty", 1}}}}});
  auto nul_order_letter =
      wait_for_letter(env, "order", nul_order.value("increment_id", "x"));
  EXPECT_NE(nul_order_letter[2].find("firstname"), std::string::npos)
      << nul_order_letter[2];
  EXPECT_NE(nul_order_letter[3].find("Nu\\u0000l"), std::string::npos)
      << nul_order_letter[3];
  // Shop order → ERP, refused by the far side: the ERP refuses every
  // CreateSalesOrder for a moment.
  env.erp_admin(
      "POST", "/admin/faults",
      {{"error_rates",
        {{"CreateSalesOrder", {{"rate", 1.0}, {"fault", "Validation"}}}}}});
  auto buyer = std::next(linked.begin())->first;
  auto refused_order = env.place_order(
      {{"customer_id", buyer}, {"lines", {{{"sku", "IT-00002"}, {"qty", 2}}}}});
  auto refused_letter =
      wait_for_letter(env, "order", refused_order.value("increment_id", "x"));
  EXPECT_NE(refused_letter[2].find("Validation"), std::string::npos)
      << refused_letter[2];
  env.erp_admin("POST", "/admin/faults/reset");
  auto good_order = env.place_order(
      {{"customer_id", buyer}, {"lines", {{{"sku", "IT-GOOD"}, {"qty", 1}}}}});
  EXPECT_TRUE(ferry::test::wait_until(
      [&] {
        return env.erp_orders().count(
                   "WEB-" + good_order.value("increment_id", "x")) == 1;
      },
      90s, 250ms))
      << dead_letters(env) << log_tail(env);

  // The node stays ready, every area running, the process up, and the
  // failures are counted.
  EXPECT_TRUE(env.ferry().running());
  auto ready = ready_body(env);
  EXPECT_NE(ready.find("4 of 4 areas running"), std::string::npos) << ready;
  auto metrics = ops_get(env, "/metrics").second;
  EXPECT_GE(failures(metrics, "products"), 1) << metrics;
  EXPECT_GE(failures(metrics, "stock"), 1) << metrics;
  // The ERP customer the shop refused, the over-long shop account.
  EXPECT_GE(failures(metrics, "customers"), 2) << metrics;
  // The order the ERP refused.
  EXPECT_GE(failures(metrics, "orders"), 1) << metrics;
  // The webhook whose text is not UTF-8, taken and refused by the inbox.
  EXPECT_GE(failures(metrics, "webhooks"), 1) << metrics;
}
