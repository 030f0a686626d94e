#include "simulators/shop/shop_state.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <ctime>
#include <iomanip>
#include <sstream>

namespace ferry::sim_shop {

using json = nlohmann::json;
using namespace ferry::shop;

namespace {

api_error bad_request(std::string message,
                      std::vector<std::string> params = {}) {
  return api_error{400, std::move(message), std::move(params)};
}

api_error conflict(std::string message, std::vector<std::string> params = {}) {
  return api_error{409, std::move(message), std::move(params)};
}

template <class T>
shop_page<T> paginate(std::vector<T> all, int page_size, int page) {
  shop_page<T> out;
  out.total_count = static_cast<std::int64_t>(all.size());
  auto first =
      static_cast<std::size_t>(page - 1) * static_cast<std::size_t>(page_size);
  for (auto i = first; i < all.size() && i < first + page_size; ++i)
    out.items.push_back(std::move(all[i]));
  return out;
}

int status_rank(const std::string& status) {
  if (status == "pending")
    return 0;
  if (status == "processing")
    return 1;
  if (status == "complete")
    return 2;
  return -1;
}

std::string state_of(const std::string& status) {
  if (status == "pending")
    return "new";
  return status;
}

} // namespace

json api_error::body() const {
  return {{"message", message}, {"parameters", parameters}};
}

std::string utc_now_text() {
  auto t =
      std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S", &tm);
  return buf;
}

std::string lower(std::string s) {
  for (auto& c : s)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

shop_state::shop_state(clock_fn now, std::unique_ptr<journal> j)
    : now_(std::move(now)), journal_(std::move(j)) {}

void shop_state::set_event_sink(event_sink sink) {
  std::lock_guard<std::mutex> guard{mutex_};
  sink_ = std::move(sink);
}

std::size_t shop_state::load() {
  if (!journal_)
    return 0;
  std::lock_guard<std::mutex> guard{mutex_};
  return journal_->replay([this](const std::string& line) {
    auto j = parse_exact(line);
    if (!j)
      throw std::runtime_error(j.error);
    apply(*j);
  });
}

void shop_state::record(const json& line) {
  apply(line);
  if (journal_)
    journal_->append(dump_exact(line));
}

void shop_state::apply(const json& line) {
  auto type = line.at("t").get<std::string>();
  auto& v = line.at("v");
  if (type == "product") {
    auto p = product_from_json(v);
    if (!p)
      throw std::runtime_error(p.error);
    auto& e = products_[p->sku];
    e.product = *p;
    e.backorders = line.value("backorders", 0);
    next_product_id_ = std::max(next_product_id_, p->id + 1);
  } else if (type == "customer") {
    auto c = customer_from_json(v);
    if (!c)
      throw std::runtime_error(c.error);
    customers_[c->id] = *c;
    next_customer_id_ = std::max(next_customer_id_, c->id + 1);
  } else if (type == "order") {
    auto o = order_from_json(v);
    if (!o)
      throw std::runtime_error(o.error);
    auto& e = orders_[o->entity_id];
    e.order = *o;
    e.status_before_hold = line.value("before_hold", "");
    next_order_id_ = std::max(next_order_id_, o->entity_id + 1);
  } else if (type == "source") {
    auto s = source_from_json(v);
    if (!s)
      throw std::runtime_error(s.error);
    sources_[s->source_code] = *s;
  } else if (type == "item") {
    auto i = source_item_from_json(v);
    if (!i)
      throw std::runtime_error(i.error);
    items_[{i->sku, i->source_code}] = *i;
  } else {
    throw std::runtime_error("unknown journal record " + type);
  }
}

void shop_state::emit(std::string topic, json resource, std::string key) {
  if (sink_)
    sink_(change_event{std::move(topic), std::move(resource), std::move(key)});
}

void shop_state::record_order(order_entry e, const json& v) {
  // Stored as is rather than through apply(): parsing back the JSON made
  // from it was most of an order write's cost.
  if (journal_)
    journal_->append(dump_exact(
        {{"t", "order"}, {"v", v}, {"before_hold", e.status_before_hold}}));
  next_order_id_ = std::max(next_order_id_, e.order.entity_id + 1);
  auto id = e.order.entity_id;
  orders_[id] = std::move(e);
}

void shop_state::seed_if_empty(std::uint64_t seed, int products, int customers,
                               int sources, bool unicode) {
  std::lock_guard<std::mutex> guard{mutex_};
  if (!products_.empty() || !customers_.empty())
    return;
  std::mt19937_64 rng{seed};
  auto now = now_();
  static const char* source_names[] = {"us-east", "us-west", "eu-central",
                                       "eu-west", "ap-south"};
  std::vector<std::string> codes;
  for (int i = 0; i < sources; ++i) {
    shop_source s;
    s.source_code = i < 5 ? source_names[i] : "src-" + std::to_string(i + 1);
    s.name =
        (unicode ? "Lager Düsseldorf – 倉庫 " : "Warehouse ") + s.source_code;
    codes.push_back(s.source_code);
    record({{"t", "source"}, {"v", to_json(s)}});
  }
  static const char* nouns[] = {"Bolt", "Valve",  "Bearing", "Gasket",
                                "Pump", "Filter", "Hose",    "Bracket"};
  // Precomposed and combining accents, CJK, emoji, right-to-left scripts.
  static const char* unicode_nouns[] = {"Écrou à œil",
                                        "Ventil für Öl",
                                        "螺栓 M8",
                                        "ベアリング",
                                        "Joint d\u2019étanchéité",
                                        "Pompe 🚰",
                                        "مضخة مياه",
                                        "מסנן שמן"};
  static const char* unicode_notes[] = {
      "Cafe\u0301 grade, 100 % rostfrei", "耐腐蚀 · 防水 🔧",
      "صناعة محلية — made locally", "Señal: ñandú ✓"};
  for (int i = 0; i < products; ++i) {
    shop_product p;
    p.id = next_product_id_;
    char sku[32];
    std::snprintf(sku, sizeof(sku), "SKU-%05d", i + 1);
    p.sku = sku;
    p.name =
        std::string{unicode ? unicode_nouns[rng() % 8] : nouns[rng() % 8]} +
        " " + std::to_string(i + 1);
    p.description = "Seeded product " + p.sku;
    if (unicode)
      p.description += ": " + std::string{unicode_notes[rng() % 4]};
    p.price =
        money::from_minor(static_cast<std::int64_t>(100 + rng() % 250000));
    p.weight = decimal::from_units(
        static_cast<std::int64_t>(10'000 + rng() % 20'000'000));
    p.status = 1;
    p.updated_at = now;
    record({{"t", "product"}, {"v", to_json(p)}, {"backorders", 0}});
    for (auto& code : codes) {
      shop_source_item item;
      item.sku = p.sku;
      item.source_code = code;
      item.quantity = decimal::from_int(static_cast<std::int64_t>(rng() % 200));
      item.status = item.quantity.units() > 0 ? 1 : 0;
      record({{"t", "item"}, {"v", to_json(item)}});
    }
  }
  static const char* first[] = {"Ann", "Bob", "Cleo", "Dan", "Eve", "Finn"};
  static const char* last[] = {"Lee", "Ng", "Ortiz", "Smith", "Kim", "Berg"};
  static const char* unicode_first[] = {"Zoë",    "Jose\u0301", "美咲",
                                        "Sørina", "محمد",       "Ana 🌸"};
  static const char* unicode_last[] = {"Núñez", "山田",        "Ødegård",
                                       "כהן",   "Łukasiewicz", "Nguyễn"};
  for (int i = 0; i < customers; ++i) {
    shop_customer c;
    c.id = next_customer_id_;
    auto f = rng() % 6;
    c.firstname = unicode ? unicode_first[f] : first[f];
    c.lastname = unicode ? unicode_last[rng() % 6] : last[rng() % 6];
    // The address stays ASCII: an e-mail's local part is not a name.
    c.email = lower(first[f]) + "." + std::to_string(c.id) + "@example.com";
    c.group_id = 1;
    c.created_at = c.updated_at = now;
    record({{"t", "customer"}, {"v", to_json(c)}});
  }
}

// -- products ----------------------------------------------------------------

outcome<shop_product> shop_state::get_product(const std::string& sku) const {
  std::lock_guard<std::mutex> guard{mutex_};
  auto i = products_.find(sku);
  if (i == products_.end())
    return outcome<shop_product>::fail(
        api_error{404, "Product with SKU \"%1\" not found", {sku}});
  return outcome<shop_product>::ok(i->second.product);
}

outcome<shop_product> shop_state::put_product(const std::string& sku,
                                              const json& body) {
  std::lock_guard<std::mutex> guard{mutex_};
  return put_product_locked(sku, body);
}

outcome<shop_product> shop_state::put_product_locked(const std::string& sku,
                                                     const json& body) {
  if (!body.is_object())
    return outcome<shop_product>::fail(
        bad_request("\"%1\" must be an object", {"product"}));
  json in = body;
  if (auto s = in.find("sku"); s != in.end()) {
    if (!s->is_string() || s->get<std::string>() != sku)
      return outcome<shop_product>::fail(bad_request(
          "The SKU in the body \"%1\" does not match the SKU in the URL \"%2\"",
          {s->is_string() ? s->get<std::string>() : s->dump(), sku}));
  }
  in["sku"] = sku;
  in.erase("id");
  in.erase("updated_at");
  auto p = product_from_json(in);
  if (!p)
    return outcome<shop_product>::fail(bad_request("%1", {p.error}));
  if (p->name.empty())
    return outcome<shop_product>::fail(
        bad_request("\"%1\" is required. Enter and try again.", {"name"}));
  auto existing = products_.find(sku);
  p->id = existing != products_.end() ? existing->second.product.id
                                      : next_product_id_;
  p->updated_at = now_();
  int backorders =
      existing != products_.end() ? existing->second.backorders : 0;
  record({{"t", "product"}, {"v", to_json(*p)}, {"backorders", backorders}});
  ++product_writes_[sku];
  emit("products/update", to_json(*p), sku);
  return outcome<shop_product>::ok(*p);
}

std::map<std::string, std::int64_t> shop_state::product_writes() const {
  std::lock_guard<std::mutex> guard{mutex_};
  return product_writes_;
}

std::vector<shop_item_result> shop_state::bulk_products(const json& products) {
  std::lock_guard<std::mutex> guard{mutex_};
  std::vector<shop_item_result> out;
  for (auto& entry : products) {
    shop_item_result r;
    auto sku = entry.is_object() ? entry.find("sku") : entry.end();
    if (!entry.is_object() || sku == entry.end() || !sku->is_string() ||
        sku->get<std::string>().empty()) {
      r.status = "error";
      r.message = "\"sku\" is required. Enter and try again.";
      out.push_back(r);
      continue;
    }
    r.sku = sku->get<std::string>();
    auto p = put_product_locked(r.sku, entry);
    if (p) {
      r.status = "ok";
    } else {
      r.status = "error";
      r.message = error_message_from_body(p.error.body().dump());
    }
    out.push_back(r);
  }
  return out;
}

shop_page<shop_product>
shop_state::list_products(const std::string& updated_since, int page_size,
                          int page) const {
  std::lock_guard<std::mutex> guard{mutex_};
  std::vector<shop_product> all;
  for (auto& [sku, e] : products_)
    if (updated_since.empty() || e.product.updated_at >= updated_since)
      all.push_back(e.product);
  std::stable_sort(all.begin(), all.end(), [](auto& a, auto& b) {
    return std::tie(a.updated_at, a.id) < std::tie(b.updated_at, b.id);
  });
  return paginate(std::move(all), page_size, page);
}

outcome<bool> shop_state::set_backorders(const std::string& sku,
                                         int backorders) {
  std::lock_guard<std::mutex> guard{mutex_};
  auto i = products_.find(sku);
  if (i == products_.end())
    return outcome<bool>::fail(
        api_error{404, "Product with SKU \"%1\" not found", {sku}});
  if (backorders != 0 && backorders != 1)
    return outcome<bool>::fail(bad_request(
        "\"backorders\" must be 0 or 1, not %1", {std::to_string(backorders)}));
  record({{"t", "product"},
          {"v", to_json(i->second.product)},
          {"backorders", backorders}});
  ++backorder_writes_[sku];
  return outcome<bool>::ok(true);
}

std::int64_t shop_state::backorder_writes(const std::string& sku) const {
  std::lock_guard<std::mutex> guard{mutex_};
  auto i = backorder_writes_.find(sku);
  return i == backorder_writes_.end() ? 0 : i->second;
}

std::optional<int> shop_state::backorders(const std::string& sku) const {
  std::lock_guard<std::mutex> guard{mutex_};
  auto i = products_.find(sku);
  if (i == products_.end())
    return std::nullopt;
  return i->second.backorders;
}

// -- customers ---------------------------------------------------------------

outcome<shop_customer> shop_state::get_customer(std::int64_t id) const {
  std::lock_guard<std::mutex> guard{mutex_};
  auto i = customers_.find(id);
  if (i == customers_.end())
    return outcome<shop_customer>::fail(
        api_error{404,
                  "No such entity with %fieldName = %fieldValue",
                  {"customerId", std::to_string(id)}});
  return outcome<shop_customer>::ok(i->second);
}

shop_page<shop_customer>
shop_state::search_customers(const std::string& email) const {
  std::lock_guard<std::mutex> guard{mutex_};
  shop_page<shop_customer> out;
  auto wanted = lower(email);
  for (auto& [id, c] : customers_)
    if (lower(c.email) == wanted)
      out.items.push_back(c);
  out.total_count = static_cast<std::int64_t>(out.items.size());
  return out;
}

shop_page<shop_customer>
shop_state::list_customers(const std::string& updated_since, int page_size,
                           int page) const {
  std::lock_guard<std::mutex> guard{mutex_};
  std::vector<shop_customer> all;
  for (auto& [id, c] : customers_)
    if (updated_since.empty() || c.updated_at >= updated_since)
      all.push_back(c);
  std::stable_sort(all.begin(), all.end(), [](auto& a, auto& b) {
    return std::tie(a.updated_at, a.id) < std::tie(b.updated_at, b.id);
  });
  return paginate(std::move(all), page_size, page);
}

outcome<shop_customer> shop_state::update_customer(std::int64_t id,
                                                   const json& body) {
  std::lock_guard<std::mutex> guard{mutex_};
  auto i = customers_.find(id);
  if (i == customers_.end())
    return outcome<shop_customer>::fail(
        api_error{404,
                  "No such entity with %fieldName = %fieldValue",
                  {"customerId", std::to_string(id)}});
  if (!body.is_object())
    return outcome<shop_customer>::fail(
        bad_request("\"%1\" must be an object", {"customer"}));
  auto c = i->second;
  if (auto e = body.find("email"); e != body.end() && !e->is_null()) {
    if (!e->is_string() || lower(e->get<std::string>()) != lower(c.email))
      return outcome<shop_customer>::fail(
          bad_request("The email of customer %1 cannot be changed here",
                      {std::to_string(id)}));
  }
  for (const char* key : {"firstname", "lastname"}) {
    if (auto v = body.find(key); v != body.end()) {
      if (!v->is_string())
        return outcome<shop_customer>::fail(
            bad_request("\"%1\" must be a string", {key}));
      (std::string{key} == "firstname" ? c.firstname : c.lastname) =
          v->get<std::string>();
    }
  }
  if (auto g = body.find("group_id"); g != body.end()) {
    if (!g->is_number_integer())
      return outcome<shop_customer>::fail(
          bad_request("\"%1\" must be an integer", {"group_id"}));
    c.group_id = g->get<int>();
  }
  if (auto attrs = body.find("custom_attributes"); attrs != body.end()) {
    json probe = {{"email", c.email}, {"custom_attributes", *attrs}};
    auto parsed_attrs = customer_from_json(probe);
    if (!parsed_attrs)
      return outcome<shop_customer>::fail(
          bad_request("%1", {parsed_attrs.error}));
    for (auto& a : parsed_attrs->custom_attributes) {
      auto same = std::find_if(
          c.custom_attributes.begin(), c.custom_attributes.end(),
          [&](auto& x) { return x.attribute_code == a.attribute_code; });
      if (same != c.custom_attributes.end())
        same->value = a.value;
      else
        c.custom_attributes.push_back(a);
    }
  }
  c.updated_at = now_();
  record({{"t", "customer"}, {"v", to_json(c)}});
  emit("customers/update", to_json(c), std::to_string(id));
  return outcome<shop_customer>::ok(c);
}

outcome<shop_customer> shop_state::register_customer(std::string email,
                                                     std::string firstname,
                                                     std::string lastname,
                                                     int group_id) {
  std::lock_guard<std::mutex> guard{mutex_};
  if (email.find('@') == std::string::npos)
    return outcome<shop_customer>::fail(
        bad_request("\"%1\" is not a valid email address", {email}));
  for (auto& [id, c] : customers_)
    if (lower(c.email) == lower(email))
      return outcome<shop_customer>::fail(
          conflict("A customer with the same email address already exists: %1",
                   {email}));
  shop_customer c;
  c.id = next_customer_id_;
  c.email = std::move(email);
  c.firstname = std::move(firstname);
  c.lastname = std::move(lastname);
  c.group_id = group_id;
  c.created_at = c.updated_at = now_();
  record({{"t", "customer"}, {"v", to_json(c)}});
  emit("customers/create", to_json(c), std::to_string(c.id));
  return outcome<shop_customer>::ok(c);
}

// -- orders ------------------------------------------------------------------

outcome<shop_order> shop_state::get_order(std::int64_t id) const {
  std::lock_guard<std::mutex> guard{mutex_};
  auto i = orders_.find(id);
  if (i == orders_.end())
    return outcome<shop_order>::fail(
        api_error{404,
                  "The entity that was requested doesn't exist. Verify the "
                  "entity and try again.",
                  {}});
  return outcome<shop_order>::ok(i->second.order);
}

shop_page<shop_order> shop_state::list_orders(const std::string& created_since,
                                              int page_size, int page) const {
  std::lock_guard<std::mutex> guard{mutex_};
  std::vector<shop_order> all;
  for (auto& [id, e] : orders_)
    if (created_since.empty() || e.order.created_at >= created_since)
      all.push_back(e.order);
  std::stable_sort(all.begin(), all.end(), [](auto& a, auto& b) {
    return std::tie(a.created_at, a.entity_id) <
           std::tie(b.created_at, b.entity_id);
  });
  return paginate(std::move(all), page_size, page);
}

outcome<shop_order> shop_state::place_order(
    std::optional<std::int64_t> customer_id, const std::string& guest_email,
    const std::vector<cart_line>& lines, std::int64_t shipping_minor) {
  std::lock_guard<std::mutex> guard{mutex_};
  shop_order o;
  if (customer_id) {
    auto c = customers_.find(*customer_id);
    if (c == customers_.end())
      return outcome<shop_order>::fail(
          api_error{404,
                    "No such entity with %fieldName = %fieldValue",
                    {"customerId", std::to_string(*customer_id)}});
    o.customer_id = *customer_id;
    o.customer_email = c->second.email;
    o.billing_address.firstname = c->second.firstname;
    o.billing_address.lastname = c->second.lastname;
  } else {
    if (guest_email.find('@') == std::string::npos)
      return outcome<shop_order>::fail(
          bad_request("\"%1\" is not a valid email address", {guest_email}));
    o.customer_email = guest_email;
    o.billing_address.firstname = "Guest";
  }
  if (lines.empty())
    return outcome<shop_order>::fail(bad_request("The cart is empty"));
  for (auto& line : lines) {
    auto p = products_.find(line.sku);
    if (p == products_.end())
      return outcome<shop_order>::fail(
          api_error{404, "Product with SKU \"%1\" not found", {line.sku}});
    if (line.qty <= 0)
      return outcome<shop_order>::fail(
          bad_request("The quantity of \"%1\" must be positive", {line.sku}));
    shop_order_item item;
    item.sku = line.sku;
    item.name = p->second.product.name;
    item.qty_ordered = decimal::from_int(line.qty);
    item.price = p->second.product.price;
    item.row_total = money::from_minor(item.price.minor() * line.qty);
    o.subtotal += item.row_total;
    o.items.push_back(item);
  }
  o.entity_id = next_order_id_;
  char inc[16];
  std::snprintf(inc, sizeof(inc), "%09lld",
                static_cast<long long>(o.entity_id));
  o.increment_id = inc;
  o.created_at = o.updated_at = now_();
  o.shipping_amount = money::from_minor(shipping_minor);
  o.tax_amount = money::from_minor(0);
  o.grand_total = o.subtotal + o.shipping_amount + o.tax_amount;
  o.billing_address.email = o.customer_email;
  o.billing_address.street = {"1 Main St"};
  o.billing_address.city = "Springfield";
  o.billing_address.postcode = "12345";
  o.billing_address.country_id = "US";
  auto v = to_json(o);
  record_order({o, ""}, v);
  emit("orders/create", std::move(v), std::to_string(o.entity_id));
  return outcome<shop_order>::ok(o);
}

outcome<bool> shop_state::add_comment(std::int64_t id, const json& body) {
  std::lock_guard<std::mutex> guard{mutex_};
  auto i = orders_.find(id);
  if (i == orders_.end())
    return outcome<bool>::fail(
        api_error{404,
                  "The entity that was requested doesn't exist. Verify the "
                  "entity and try again.",
                  {}});
  auto h = body.is_object() ? body.find("statusHistory") : body.end();
  if (h == body.end() || !h->is_object())
    return outcome<bool>::fail(bad_request(
        "\"%1\" is required. Enter and try again.", {"statusHistory"}));
  shop_status_history entry;
  auto comment = h->find("comment");
  if (comment == h->end() || !comment->is_string())
    return outcome<bool>::fail(bad_request(
        "\"%1\" is required. Enter and try again.", {"statusHistory.comment"}));
  entry.comment = comment->get<std::string>();
  auto e = i->second;
  auto& o = e.order;
  entry.status = o.status;
  if (auto s = h->find("status"); s != h->end() && !s->is_null()) {
    if (!s->is_string())
      return outcome<bool>::fail(
          bad_request("\"%1\" must be a string", {"statusHistory.status"}));
    auto wanted = s->get<std::string>();
    if (wanted != o.status) {
      auto from = status_rank(o.status);
      auto to = status_rank(wanted);
      if (to < 0)
        return outcome<bool>::fail(
            bad_request("A comment cannot set the status \"%1\"", {wanted}));
      if (from < 0 || to < from)
        return outcome<bool>::fail(
            bad_request("A comment cannot move order %1 from \"%2\" to \"%3\"",
                        {std::to_string(id), o.status, wanted}));
      o.status = wanted;
      o.state = state_of(wanted);
    }
    entry.status = o.status;
  }
  if (auto n = h->find("is_customer_notified");
      n != h->end() && n->is_number_integer())
    entry.is_customer_notified = n->get<int>() != 0 ? 1 : 0;
  entry.created_at = now_();
  o.updated_at = entry.created_at;
  o.status_histories.push_back(entry);
  auto v = to_json(o);
  record_order(std::move(e), v);
  emit("orders/updated", std::move(v), std::to_string(id));
  return outcome<bool>::ok(true);
}

outcome<bool> shop_state::set_status(std::int64_t id, const char* op) {
  auto i = orders_.find(id);
  if (i == orders_.end())
    return outcome<bool>::fail(
        api_error{404,
                  "The entity that was requested doesn't exist. Verify the "
                  "entity and try again.",
                  {}});
  auto e = i->second;
  auto& o = e.order;
  std::string what = op;
  if (what == "hold") {
    if (o.status != "pending" && o.status != "processing")
      return outcome<bool>::fail(conflict(
          "A hold action is not available for order %1 in status \"%2\"",
          {std::to_string(id), o.status}));
    e.status_before_hold = o.status;
    o.status = "holded";
  } else if (what == "unhold") {
    if (o.status != "holded")
      return outcome<bool>::fail(conflict(
          "An unhold action is not available for order %1 in status \"%2\"",
          {std::to_string(id), o.status}));
    o.status = e.status_before_hold.empty() ? "pending" : e.status_before_hold;
    e.status_before_hold.clear();
  } else {
    if (o.status != "pending" && o.status != "processing")
      return outcome<bool>::fail(conflict(
          "A cancel action is not available for order %1 in status \"%2\"",
          {std::to_string(id), o.status}));
    o.status = "canceled";
  }
  o.state = state_of(o.status);
  o.updated_at = now_();
  auto v = to_json(o);
  record_order(std::move(e), v);
  emit("orders/updated", std::move(v), std::to_string(id));
  return outcome<bool>::ok(true);
}

outcome<bool> shop_state::hold(std::int64_t id) {
  std::lock_guard<std::mutex> guard{mutex_};
  return set_status(id, "hold");
}

outcome<bool> shop_state::unhold(std::int64_t id) {
  std::lock_guard<std::mutex> guard{mutex_};
  return set_status(id, "unhold");
}

outcome<bool> shop_state::cancel(std::int64_t id) {
  std::lock_guard<std::mutex> guard{mutex_};
  return set_status(id, "cancel");
}

// -- inventory ---------------------------------------------------------------

std::vector<shop_source> shop_state::sources() const {
  std::lock_guard<std::mutex> guard{mutex_};
  std::vector<shop_source> out;
  for (auto& [code, s] : sources_)
    out.push_back(s);
  return out;
}

outcome<bool> shop_state::set_source_enabled(const std::string& code,
                                             bool enabled) {
  std::lock_guard<std::mutex> guard{mutex_};
  auto i = sources_.find(code);
  if (i == sources_.end())
    return outcome<bool>::fail(
        api_error{404, "Source with code \"%1\" not found", {code}});
  auto s = i->second;
  s.enabled = enabled;
  record({{"t", "source"}, {"v", to_json(s)}});
  return outcome<bool>::ok(true);
}

std::vector<shop_source_item>
shop_state::source_items(const std::string& sku) const {
  std::lock_guard<std::mutex> guard{mutex_};
  std::vector<shop_source_item> out;
  for (auto i = items_.lower_bound({sku, ""});
       i != items_.end() && i->first.first == sku; ++i)
    out.push_back(i->second);
  return out;
}

std::vector<shop_item_result> shop_state::set_source_items(const json& items) {
  std::lock_guard<std::mutex> guard{mutex_};
  std::vector<shop_item_result> out;
  std::size_t index = 0;
  for (auto& entry : items) {
    shop_item_result r;
    auto item = source_item_from_json(entry, "sourceItems[" +
                                                 std::to_string(index++) + "]");
    if (entry.is_object())
      if (auto s = entry.find("sku"); s != entry.end() && s->is_string())
        r.sku = s->get<std::string>();
    r.status = "error";
    if (!item) {
      r.message = item.error;
    } else if (!products_.count(item->sku)) {
      r.message = "Product with SKU \"" + item->sku + "\" not found";
    } else if (!sources_.count(item->source_code)) {
      r.message = "Source with code \"" + item->source_code + "\" not found";
    } else if (item->quantity.units() < 0) {
      r.message = "The quantity of \"" + item->sku + "\" at \"" +
                  item->source_code + "\" must not be negative";
    } else {
      record({{"t", "item"}, {"v", to_json(*item)}});
      r.status = "ok";
    }
    out.push_back(r);
  }
  return out;
}

decimal shop_state::salable_quantity(const std::string& sku) const {
  std::lock_guard<std::mutex> guard{mutex_};
  decimal sum;
  for (auto i = items_.lower_bound({sku, ""});
       i != items_.end() && i->first.first == sku; ++i) {
    auto s = sources_.find(i->second.source_code);
    if (s != sources_.end() && s->second.enabled && i->second.status == 1)
      sum = sum + i->second.quantity;
  }
  return sum;
}

std::vector<std::string> shop_state::skus() const {
  std::lock_guard<std::mutex> guard{mutex_};
  std::vector<std::string> out;
  for (auto& [sku, e] : products_)
    if (e.product.status == 1)
      out.push_back(sku);
  return out;
}

std::vector<std::pair<std::string, money>> shop_state::catalog() const {
  std::lock_guard<std::mutex> guard{mutex_};
  std::vector<std::pair<std::string, money>> out;
  for (auto& [sku, e] : products_)
    if (e.product.status == 1)
      out.emplace_back(sku, e.product.price);
  return out;
}

std::vector<std::int64_t> shop_state::customer_ids() const {
  std::lock_guard<std::mutex> guard{mutex_};
  std::vector<std::int64_t> out;
  for (auto& [id, c] : customers_)
    out.push_back(id);
  return out;
}

std::size_t shop_state::order_count() const {
  std::lock_guard<std::mutex> guard{mutex_};
  return orders_.size();
}

} // namespace ferry::sim_shop
