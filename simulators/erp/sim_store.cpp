#include "simulators/erp/sim_store.hpp"

#include "mapping/product_mapping.hpp"
#include "mapping/utf8.hpp"
#include "protocols/soap/erp_wsse.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fcntl.h>
#include <random>
#include <stdexcept>
#include <sys/stat.h>
#include <unistd.h>

namespace ferry::sim {

using nlohmann::json;
using clock = sim_store::clock;

std::string utc_text(clock::time_point t) {
  return soap::format_utc(t);
}

namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  return s;
}

std::int64_t to_ms(clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             t.time_since_epoch())
      .count();
}

clock::time_point from_ms(std::int64_t ms) {
  return clock::time_point{std::chrono::milliseconds{ms}};
}

template <class E>
E enum_of(const json& j, const char* field) {
  E out{};
  if (!from_string(j.at(field).get<std::string>(), out))
    throw std::runtime_error(std::string{"bad "} + field);
  return out;
}

money money_of(const json& j, const char* field) {
  auto m = money::parse(j.at(field).get<std::string>());
  if (!m)
    throw std::runtime_error(std::string{field} +
                             ": not a decimal with at most 2 fraction digits");
  return *m;
}

decimal decimal_of(const json& j, const char* field) {
  auto d = decimal::parse(j.at(field).get<std::string>());
  if (!d)
    throw std::runtime_error(std::string{field} + ": not a decimal");
  return *d;
}

std::string text_of(const json& j, const char* field) {
  auto it = j.find(field);
  return it == j.end() ? std::string{} : it->get<std::string>();
}

json to_json(const erp_item& x) {
  return {{"ItemCode", x.item_code},
          {"ItemName", x.item_name},
          {"Description", x.description},
          {"BasePrice", x.base_price.to_string()},
          {"Weight", x.weight.to_string()},
          {"WeightUnit", to_string(x.weight_unit)},
          {"IsActive", x.is_active},
          {"ModifiedAt", x.modified_at}};
}

erp_item item_of(const json& j) {
  erp_item x;
  x.item_code = j.at("ItemCode").get<std::string>();
  x.item_name = j.at("ItemName").get<std::string>();
  x.description = text_of(j, "Description");
  x.base_price = money_of(j, "BasePrice");
  x.weight = decimal_of(j, "Weight");
  x.weight_unit = enum_of<erp_weight_unit>(j, "WeightUnit");
  x.is_active = j.at("IsActive").get<bool>();
  x.modified_at = text_of(j, "ModifiedAt");
  return x;
}

json to_json(const erp_customer& x) {
  return {{"CustomerNo", x.customer_no},
          {"Email", x.email},
          {"FirstName", x.first_name},
          {"LastName", x.last_name},
          {"Company", x.company},
          {"Phone", x.phone},
          {"ExternalCustomerID", x.external_customer_id},
          {"PriceGroup", x.price_group},
          {"IsActive", x.is_active},
          {"ModifiedAt", x.modified_at}};
}

erp_customer customer_of(const json& j) {
  erp_customer x;
  x.customer_no = text_of(j, "CustomerNo");
  x.email = text_of(j, "Email");
  x.first_name = text_of(j, "FirstName");
  x.last_name = text_of(j, "LastName");
  x.company = text_of(j, "Company");
  x.phone = text_of(j, "Phone");
  x.external_customer_id = text_of(j, "ExternalCustomerID");
  x.price_group = text_of(j, "PriceGroup");
  x.is_active = j.value("IsActive", true);
  x.modified_at = text_of(j, "ModifiedAt");
  return x;
}

json to_json(const erp_sales_order& x) {
  json lines = json::array();
  for (const auto& l : x.lines)
    lines.push_back({{"ItemCode", l.item_code},
                     {"Quantity", l.quantity.to_string()},
                     {"BasePrice", l.base_price.to_string()},
                     {"LineAmount", l.line_amount.to_string()}});
  return {{"SalesOrderNo", x.sales_order_no},
          {"Status", to_string(x.status)},
          {"ExternalOrderID", x.external_order_id},
          {"OrderDate", x.order_date},
          {"CustomerNo", x.customer_no},
          {"CustomerEmail", x.customer_email},
          {"CurrencyCode", x.currency_code},
          {"TotalAmount", x.total_amount.to_string()},
          {"Line", lines}};
}

erp_sales_order order_of(const json& j) {
  erp_sales_order x;
  x.sales_order_no = j.at("SalesOrderNo").get<std::string>();
  x.status = enum_of<erp_order_status>(j, "Status");
  x.external_order_id = j.at("ExternalOrderID").get<std::string>();
  x.order_date = j.at("OrderDate").get<std::string>();
  x.customer_no = j.at("CustomerNo").get<std::string>();
  x.customer_email = j.at("CustomerEmail").get<std::string>();
  x.currency_code = j.at("CurrencyCode").get<std::string>();
  x.total_amount = money_of(j, "TotalAmount");
  for (const auto& l : j.at("Line"))
    x.lines.push_back({l.at("ItemCode").get<std::string>(),
                       decimal_of(l, "Quantity"), money_of(l, "BasePrice"),
                       money_of(l, "LineAmount")});
  return x;
}

json to_json(const erp_status_change& x) {
  return {{"SalesOrderNo", x.sales_order_no},
          {"ExternalOrderID", x.external_order_id},
          {"Status", to_string(x.status)},
          {"TrackingNo", x.tracking_no},
          {"ChangedAt", x.changed_at}};
}

erp_status_change status_change_of(const json& j) {
  return {j.at("SalesOrderNo").get<std::string>(),
          j.at("ExternalOrderID").get<std::string>(),
          enum_of<erp_order_status>(j, "Status"), text_of(j, "TrackingNo"),
          text_of(j, "ChangedAt")};
}

json to_json(const erp_warehouse& x) {
  return {{"WarehouseCode", x.warehouse_code},
          {"Name", x.name},
          {"IsActive", x.is_active}};
}

json to_json(const erp_stock_level& x) {
  return {{"ItemCode", x.item_code},
          {"WarehouseCode", x.warehouse_code},
          {"OnHand", x.on_hand.to_string()},
          {"Reserved", x.reserved.to_string()},
          {"Available", x.available.to_string()},
          {"AllowBackorder", x.allow_backorder},
          {"ModifiedAt", x.modified_at}};
}

erp_stock_level stock_of(const json& j) {
  erp_stock_level x;
  x.item_code = j.at("ItemCode").get<std::string>();
  x.warehouse_code = j.at("WarehouseCode").get<std::string>();
  x.on_hand = decimal_of(j, "OnHand");
  x.reserved = decimal_of(j, "Reserved");
  x.available = x.on_hand - x.reserved;
  x.allow_backorder = j.value("AllowBackorder", false);
  x.modified_at = text_of(j, "ModifiedAt");
  return x;
}

json to_json(const erp_price_list& x) {
  json lines = json::array();
  for (const auto& l : x.lines) {
    json line = {{"ItemCode", l.item_code},
                 {"MinQuantity", l.min_quantity.to_string()}};
    if (l.has_unit_price)
      line["UnitPrice"] = l.unit_price.to_string();
    else
      line["DiscountPercent"] = l.discount_percent.to_string();
    lines.push_back(line);
  }
  return {
      {"PriceListCode", x.price_list_code}, {"CustomerNo", x.customer_no},
      {"PriceGroup", x.price_group},        {"CurrencyCode", x.currency_code},
      {"ValidFrom", x.valid_from},          {"ValidTo", x.valid_to},
      {"ModifiedAt", x.modified_at},        {"PriceLine", lines}};
}

erp_price_list price_list_of(const json& j) {
  erp_price_list x;
  x.price_list_code = j.at("PriceListCode").get<std::string>();
  x.customer_no = text_of(j, "CustomerNo");
  x.price_group = text_of(j, "PriceGroup");
  if (x.customer_no.empty() == x.price_group.empty())
    throw std::runtime_error("PriceList: exactly one of CustomerNo and "
                             "PriceGroup must be given");
  x.currency_code = j.at("CurrencyCode").get<std::string>();
  x.valid_from = j.at("ValidFrom").get<std::string>();
  x.valid_to = text_of(j, "ValidTo");
  x.modified_at = text_of(j, "ModifiedAt");
  for (const auto& l : j.at("PriceLine")) {
    erp_price_line line;
    line.item_code = l.at("ItemCode").get<std::string>();
    line.min_quantity = decimal_of(l, "MinQuantity");
    if (l.contains("UnitPrice")) {
      line.has_unit_price = true;
      line.unit_price = money_of(l, "UnitPrice");
    } else {
      line.has_unit_price = false;
      line.discount_percent = decimal_of(l, "DiscountPercent");
    }
    x.lines.push_back(line);
  }
  if (x.lines.empty())
    throw std::runtime_error("PriceList.PriceLine: at least one is required");
  return x;
}

sim_fault fault(erp_fault_code code, std::string message,
                std::string key = {}) {
  return {code, std::move(message), std::move(key)};
}

bool parse_token(const std::string& token, std::uint64_t& seq) {
  if (token.empty()) {
    seq = 0;
    return true;
  }
  if (token.size() < 2 || token[0] != 'p')
    return false;
  try {
    std::size_t used = 0;
    seq = std::stoull(token.substr(1), &used);
    return used == token.size() - 1;
  } catch (const std::exception&) {
    return false;
  }
}

bool valid_email(const std::string& email) {
  auto at = email.find('@');
  return at != std::string::npos && at > 0 && at + 1 < email.size() &&
         email.find('@', at + 1) == std::string::npos;
}

// OrderDate is ERP local time without offset: "YYYY-MM-DDTHH:MM:SS".
bool valid_local_date_time(const std::string& text) {
  if (text.size() != 19)
    return false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    bool digit = c >= '0' && c <= '9';
    switch (i) {
      case 4:
      case 7:
        if (c != '-')
          return false;
        break;
      case 10:
        if (c != 'T')
          return false;
        break;
      case 13:
      case 16:
        if (c != ':')
          return false;
        break;
      default:
        if (!digit)
          return false;
    }
  }
  return true;
}

// Whether `text` (already in OrderDate form) names a wall-clock time that
// exists in the process's local zone: no February 30th, and no time skipped
// by a daylight-saving change (02:30 on a spring-forward day in Chicago).
// mktime normalises such a time to another one; the round trip shows it.
bool exists_in_local_zone(const std::string& text) {
  std::tm tm{};
  if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d", &tm.tm_year,
                  &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
                  &tm.tm_sec) != 6)
    return false;
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  tm.tm_isdst = -1;
  std::tm asked = tm;
  auto t = std::mktime(&tm);
  std::tm back{};
  if (t == static_cast<std::time_t>(-1) || !::localtime_r(&t, &back))
    return false;
  return back.tm_year == asked.tm_year && back.tm_mon == asked.tm_mon &&
         back.tm_mday == asked.tm_mday && back.tm_hour == asked.tm_hour &&
         back.tm_min == asked.tm_min && back.tm_sec == asked.tm_sec;
}

std::string local_zone_name() {
  const char* tz = std::getenv("TZ");
  return tz != nullptr && *tz != '\0' ? tz : "UTC";
}

} // namespace

bool set_erp_time_zone(const std::string& iana_name,
                       const std::string& zoneinfo_dir) {
  if (iana_name.empty() || iana_name.front() == '/' ||
      iana_name.find("..") != std::string::npos)
    return false;
  struct stat st {};
  if (::stat((zoneinfo_dir + "/" + iana_name).c_str(), &st) != 0 ||
      !S_ISREG(st.st_mode))
    return false;
  ::setenv("TZ", iana_name.c_str(), 1);
  ::tzset();
  return true;
}

sim_store::sim_store(std::string data_dir, const seed_settings& s, bool fsync)
    : data_dir_(std::move(data_dir)), fsync_(fsync) {
  ::mkdir(data_dir_.c_str(), 0700);
  replay();
  std::string path = data_dir_ + "/journal.jsonl";
  journal_fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
  if (journal_fd_ < 0)
    throw std::runtime_error("cannot open journal " + path);
  if (seq_ == 0)
    seed(s);
}

void sim_store::replay() {
  std::ifstream in{data_dir_ + "/journal.jsonl"};
  std::string line;
  int line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (line.empty())
      continue;
    json record;
    try {
      record = json::parse(line);
    } catch (const std::exception&) {
      // A torn last line after a crash: the write never completed.
      break;
    }
    apply(record);
  }
}

void sim_store::append(const json& record) {
  std::string line = record.dump() + "\n";
  if (::write(journal_fd_, line.data(), line.size()) !=
      static_cast<ssize_t>(line.size()))
    throw std::runtime_error("journal write failed");
  if (fsync_)
    ::fdatasync(journal_fd_);
}

sim_store::row_meta sim_store::touch(clock::time_point now) {
  return {++seq_, now};
}

void sim_store::apply(const json& r) {
  auto kind = r.at("k").get<std::string>();
  row_meta meta{r.at("seq").get<std::uint64_t>(),
                from_ms(r.at("mod").get<std::int64_t>())};
  seq_ = std::max(seq_, meta.seq);
  const json& v = r.at("v");
  if (kind == "item") {
    auto x = item_of(v);
    items_[x.item_code] = {x, meta};
  } else if (kind == "customer") {
    auto x = customer_of(v);
    auto old = customers_.find(x.customer_no);
    if (old != customers_.end())
      customer_by_email_.erase(lower(old->second.value.email));
    customer_by_email_[lower(x.email)] = x.customer_no;
    customers_[x.customer_no] = {x, meta};
    next_customer_ = std::max<std::int64_t>(
        next_customer_, std::stoll(x.customer_no.substr(1)) + 1);
  } else if (kind == "order") {
    auto x = order_of(v);
    order_by_external_id_[x.external_order_id] = x.sales_order_no;
    orders_[x.sales_order_no] = {x, meta};
    next_order_ = std::max<std::int64_t>(
        next_order_, std::stoll(x.sales_order_no.substr(3)) + 1);
  } else if (kind == "status") {
    status_changes_[meta.seq] = {status_change_of(v), meta};
  } else if (kind == "warehouse") {
    erp_warehouse w{v.at("WarehouseCode").get<std::string>(),
                    v.at("Name").get<std::string>(),
                    v.at("IsActive").get<bool>()};
    warehouses_[w.warehouse_code] = w;
  } else if (kind == "stock") {
    auto x = stock_of(v);
    stock_[x.item_code + "|" + x.warehouse_code] = {x, meta};
  } else if (kind == "price_list") {
    auto x = price_list_of(v);
    price_lists_[x.price_list_code] = {x, meta};
  }
}

namespace {

json record(const char* kind, std::uint64_t seq, clock::time_point mod,
            json value) {
  return {
      {"k", kind}, {"seq", seq}, {"mod", to_ms(mod)}, {"v", std::move(value)}};
}

} // namespace

namespace {

// The variants' words (README.md, "Variants"): every entry is non-ASCII,
// so every seeded text of a variant is; accents, CJK, emoji, Hebrew (right
// to left) and combining marks (e + U+0301, o + U+0308).
const char* const variant_adjectives[] = {
    "Crème",  "東京の",       "Grüne", "שלום",
    "Café 🍰", "Ro\xCC\x88te", "Señor", "緑の",
};
const char* const variant_nouns[] = {
    "Lampe é",
    "椅子",
    "Kessel ☕",
    "בורג",
    "Caf\u00e9tière",
    "Ventil ✓",
    "Fe\xCC\x81"
    "der",
    "箱 📦",
};
const char* const variant_descriptions[] = {
    "Für drinnen & draußen", "東京で作られた",       "מוצר איכותי",
    "Crème brûlée 🍮",        "Zoe\xCC\x88 approved",
};
const char* const variant_first_names[] = {
    "José", "Zoe\xCC\x88", "Łukasz", "美咲", "דנה", "Søren", "Renée 🌸",
};
const char* const variant_last_names[] = {
    "Müller-Øst", "García", "山田", "כהן", "Ñúñez", "O\xCC\x88zil", "Dvořák",
};
const char* const variant_companies[] = {
    "Øst & Søn GmbH", "東京商事", "שלום בע״מ", "Café 🍰 Ltd", "Cre\xCC\x80me SA",
};

template <std::size_t N>
const char* word(const char* const (&table)[N], int variant, int i) {
  return table[static_cast<std::size_t>(variant + i) % N];
}

} // namespace

void sim_store::seed(const seed_settings& s) {
  std::mt19937_64 rng{s.seed};
  auto pick = [&](int lo, int hi) {
    return std::uniform_int_distribution<int>{lo, hi}(rng);
  };
  // A fixed epoch keeps seeded data identical for a given seed.
  auto now = clock::time_point{std::chrono::seconds{1795000000}};
  std::vector<json> records;
  auto add = [&](const char* kind, json v) {
    auto meta = touch(now);
    auto r = record(kind, meta.seq, meta.modified, std::move(v));
    apply(r);
    records.push_back(std::move(r));
  };
  static const char* adjectives[] = {"Blue", "Red",   "Steel", "Oak",
                                     "Tiny", "Grand", "Swift", "Quiet"};
  static const char* nouns[] = {"Widget", "Lamp",  "Chair", "Kettle",
                                "Bolt",   "Crate", "Valve", "Spring"};
  for (int w = 1; w <= s.warehouses; ++w) {
    char code[16];
    std::snprintf(code, sizeof(code), "WH%d", w);
    add("warehouse",
        {{"WarehouseCode", code},
         {"Name",
          std::string{s.variant == 0 ? "Warehouse " : "Lager Süd "} + code},
         {"IsActive", true}});
  }
  if (!s.charges_item.empty()) {
    erp_item item;
    item.item_code = s.charges_item;
    item.item_name = s.variant == 0 ? "Shipping and tax charges"
                                    : "Frais d’expédition et taxes";
    item.base_price = money::from_minor(0);
    item.weight = decimal::from_units(0);
    item.weight_unit = erp_weight_unit::kg;
    item.is_active = true;
    item.modified_at = utc_text(now);
    add("item", to_json(item));
  }
  for (int i = 1; i <= s.items; ++i) {
    char code[16];
    std::snprintf(code, sizeof(code), "IT-%05d", i);
    erp_item item;
    item.item_code = code;
    item.item_name = std::string{adjectives[pick(0, 7)]} + " " +
                     nouns[pick(0, 7)] + " " + std::to_string(i);
    item.description = "<p>" + item.item_name + "</p>";
    if (s.variant != 0) {
      item.item_name = std::string{word(variant_adjectives, s.variant, i)} +
                       " " + word(variant_nouns, s.variant, 3 * i) + " " +
                       std::to_string(i);
      item.description = "<p>" + item.item_name + " – " +
                         word(variant_descriptions, s.variant, i) + "</p>";
    }
    item.base_price = money::from_minor(pick(99, 49999));
    item.weight = decimal::from_units(std::int64_t{pick(50, 20000)} * 1000);
    item.weight_unit = erp_weight_unit::kg;
    item.is_active = true;
    item.modified_at = utc_text(now);
    add("item", to_json(item));
    for (int w = 1; w <= s.warehouses; ++w) {
      erp_stock_level st;
      st.item_code = code;
      st.warehouse_code = "WH" + std::to_string(w);
      st.on_hand = decimal::from_int(pick(0, 500));
      st.reserved = decimal::from_int(pick(0, 20));
      st.available = st.on_hand - st.reserved;
      st.allow_backorder = pick(0, 3) == 0;
      st.modified_at = utc_text(now);
      add("stock", to_json(st));
    }
  }
  static const char* first[] = {"Ann", "Bob", "Cleo", "Dan", "Eve", "Finn"};
  static const char* last[] = {"Lee", "Moss", "Nash", "Ortiz", "Park", "Quinn"};
  for (int i = 1; i <= s.customers; ++i) {
    erp_customer c;
    char no[16];
    std::snprintf(no, sizeof(no), "C%06d", i);
    c.customer_no = no;
    c.first_name = first[pick(0, 5)];
    c.last_name = last[pick(0, 5)];
    if (s.variant != 0) {
      c.first_name = word(variant_first_names, s.variant, i);
      c.last_name = word(variant_last_names, s.variant, 2 * i);
      c.company = word(variant_companies, s.variant, i);
    }
    c.email = "customer" + std::to_string(i) + "@example.com";
    c.price_group = i % 3 == 0 ? "WHOLESALE" : "";
    c.is_active = true;
    c.modified_at = utc_text(now);
    add("customer", to_json(c));
  }
  if (s.items > 0) {
    erp_price_list pl;
    pl.price_list_code = "PL-WHOLESALE";
    pl.price_group = "WHOLESALE";
    pl.currency_code = "USD";
    pl.valid_from = "2026-01-01T00:00:00Z";
    // The contract names no type for the validity: odd variants send
    // date-only xs:date, the others date-time with Z.
    if (s.variant % 2 == 1) {
      pl.valid_from = "2026-01-01";
      pl.valid_to = "2099-12-31";
    } else if (s.variant != 0) {
      pl.valid_to = "2099-12-31T23:59:59Z";
    }
    pl.modified_at = utc_text(now);
    pl.lines.push_back({"IT-00001", decimal::from_int(10), false, money{},
                        decimal::from_int(10)});
    add("price_list", to_json(pl));
  }
  for (const auto& r : records) {
    std::string line = r.dump() + "\n";
    if (::write(journal_fd_, line.data(), line.size()) < 0)
      throw std::runtime_error("journal write failed");
  }
  ::fdatasync(journal_fd_);
}

template <class T, class Key>
erp_page<T> sim_store::page_of(const std::map<Key, row<T>>& rows,
                               const std::optional<clock::time_point>& since,
                               int page_size, const std::string& token,
                               sim_fault& f, typename keep_fn<T>::type keep,
                               const void* ctx) {
  erp_page<T> page;
  std::uint64_t after = 0;
  if (page_size < 1 || page_size > 1000) {
    f = fault(erp_fault_code::validation,
              "PageSize " + std::to_string(page_size) + " is outside 1-1000");
    return page;
  }
  if (!parse_token(token, after)) {
    f = fault(erp_fault_code::validation,
              "PageToken '" + token + "' is not a token this ERP issued");
    return page;
  }
  // Ordered by change sequence: a row changed during a walk gets a later
  // sequence and is seen again, never skipped.
  std::vector<const row<T>*> hits;
  for (const auto& [key, r] : rows)
    if (r.meta.seq > after && (!since || r.meta.modified >= *since) &&
        (!keep || keep(r.value, ctx)))
      hits.push_back(&r);
  std::sort(hits.begin(), hits.end(),
            [](auto* a, auto* b) { return a->meta.seq < b->meta.seq; });
  auto n =
      std::min<std::size_t>(hits.size(), static_cast<std::size_t>(page_size));
  for (std::size_t i = 0; i < n; ++i)
    page.rows.push_back(hits[i]->value);
  if (hits.size() > n)
    page.next_page_token = "p" + std::to_string(hits[n - 1]->meta.seq);
  return page;
}

erp_page<erp_item>
sim_store::get_items(const std::optional<clock::time_point>& since,
                     int page_size, const std::string& token, sim_fault& f) {
  std::lock_guard<std::mutex> guard{mtx_};
  return page_of(items_, since, page_size, token, f, nullptr, nullptr);
}

std::vector<erp_upsert_result>
sim_store::upsert_items(const std::vector<erp_item>& items,
                        clock::time_point now) {
  std::lock_guard<std::mutex> guard{mtx_};
  std::vector<erp_upsert_result> results;
  for (auto item : items) {
    erp_upsert_result r;
    r.item_code = item.item_code;
    // Lengths are characters (code points), not bytes.
    if (item.item_code.empty() ||
        mapping::utf8_code_points(item.item_code) > 20) {
      r.outcome = erp_upsert_outcome::error;
      r.error_code = erp_fault_code::validation;
      r.message = "ItemCode must have 1-20 characters";
    } else if (item.item_name.empty() ||
               mapping::utf8_code_points(item.item_name) > 400) {
      r.outcome = erp_upsert_outcome::error;
      r.error_code = erp_fault_code::validation;
      r.message =
          "ItemName of " + item.item_code + " must have 1-400 characters";
    } else {
      r.outcome = items_.count(item.item_code) ? erp_upsert_outcome::updated
                                               : erp_upsert_outcome::created;
      auto meta = touch(now);
      item.modified_at = utc_text(now);
      auto rec = record("item", meta.seq, now, to_json(item));
      append(rec);
      apply(rec);
    }
    results.push_back(r);
  }
  return results;
}

std::optional<erp_customer> sim_store::find_customer(const std::string& email) {
  std::lock_guard<std::mutex> guard{mtx_};
  auto it = customer_by_email_.find(lower(email));
  if (it == customer_by_email_.end())
    return std::nullopt;
  return customers_.at(it->second).value;
}

std::string sim_store::create_customer(erp_customer c, clock::time_point now,
                                       sim_fault& f) {
  std::lock_guard<std::mutex> guard{mtx_};
  if (!valid_email(c.email)) {
    f = fault(erp_fault_code::validation,
              "Customer.Email '" + c.email + "' is not an email address");
    return {};
  }
  if (c.first_name.empty() || c.last_name.empty()) {
    f = fault(erp_fault_code::validation,
              "Customer.FirstName and LastName are required");
    return {};
  }
  auto existing = customer_by_email_.find(lower(c.email));
  if (existing != customer_by_email_.end()) {
    f = fault(erp_fault_code::duplicate_customer,
              "a customer with this email exists", existing->second);
    return {};
  }
  char no[16];
  std::snprintf(no, sizeof(no), "C%06lld",
                static_cast<long long>(next_customer_));
  c.customer_no = no;
  c.modified_at = utc_text(now);
  auto meta = touch(now);
  auto rec = record("customer", meta.seq, now, to_json(c));
  append(rec);
  apply(rec);
  return c.customer_no;
}

std::string sim_store::update_customer(const erp_customer& c,
                                       clock::time_point now, sim_fault& f) {
  std::lock_guard<std::mutex> guard{mtx_};
  auto it = customers_.find(c.customer_no);
  if (it == customers_.end()) {
    f = fault(erp_fault_code::not_found,
              "no customer with CustomerNo " + c.customer_no);
    return {};
  }
  if (!valid_email(c.email)) {
    f = fault(erp_fault_code::validation,
              "Customer.Email '" + c.email + "' is not an email address");
    return {};
  }
  auto other = customer_by_email_.find(lower(c.email));
  if (other != customer_by_email_.end() && other->second != c.customer_no) {
    f = fault(erp_fault_code::duplicate_customer,
              "another customer has this email", other->second);
    return {};
  }
  auto updated = c;
  updated.modified_at = utc_text(now);
  auto meta = touch(now);
  auto rec = record("customer", meta.seq, now, to_json(updated));
  append(rec);
  apply(rec);
  return updated.modified_at;
}

erp_page<erp_customer>
sim_store::get_customers(const std::optional<clock::time_point>& since,
                         int page_size, const std::string& token,
                         sim_fault& f) {
  std::lock_guard<std::mutex> guard{mtx_};
  return page_of(customers_, since, page_size, token, f, nullptr, nullptr);
}

erp_created_sales_order sim_store::create_sales_order(erp_sales_order o,
                                                      clock::time_point now,
                                                      sim_fault& f) {
  std::lock_guard<std::mutex> guard{mtx_};
  if (o.external_order_id.empty()) {
    f = fault(erp_fault_code::validation,
              "SalesOrder.ExternalOrderID is empty");
    return {};
  }
  auto dup = order_by_external_id_.find(o.external_order_id);
  if (dup != order_by_external_id_.end()) {
    f = fault(erp_fault_code::duplicate_external_order_id,
              "ExternalOrderID " + o.external_order_id + " exists",
              dup->second);
    return {};
  }
  if (!valid_local_date_time(o.order_date)) {
    f = fault(erp_fault_code::validation,
              "SalesOrder.OrderDate '" + o.order_date +
                  "' is not ERP local time YYYY-MM-DDTHH:MM:SS");
    return {};
  }
  if (!exists_in_local_zone(o.order_date)) {
    f = fault(erp_fault_code::validation,
              "SalesOrder.OrderDate '" + o.order_date +
                  "' is no local time in " + local_zone_name() +
                  " (no such date, or skipped by a daylight-saving change)");
    return {};
  }
  if (o.currency_code.size() != 3) {
    f = fault(erp_fault_code::validation, "SalesOrder.CurrencyCode '" +
                                              o.currency_code +
                                              "' is not an ISO 4217 code");
    return {};
  }
  if (!customers_.count(o.customer_no)) {
    f = fault(erp_fault_code::unknown_customer,
              "SalesOrder.CustomerNo " + o.customer_no + " is unknown");
    return {};
  }
  if (o.lines.empty()) {
    f = fault(erp_fault_code::validation, "SalesOrder has no Line");
    return {};
  }
  money total;
  for (std::size_t i = 0; i < o.lines.size(); ++i) {
    const auto& l = o.lines[i];
    auto where = "SalesOrder.Line[" + std::to_string(i + 1) + "]";
    if (!items_.count(l.item_code)) {
      f = fault(erp_fault_code::unknown_item,
                where + ".ItemCode " + l.item_code + " is unknown");
      return {};
    }
    if (l.quantity <= decimal{}) {
      f = fault(erp_fault_code::validation,
                where + ".Quantity must be positive");
      return {};
    }
    total += l.line_amount;
  }
  if (total != o.total_amount) {
    f = fault(erp_fault_code::validation,
              "SalesOrder.TotalAmount " + o.total_amount.to_string() +
                  " is not the sum of LineAmount " + total.to_string());
    return {};
  }
  char no[24];
  std::snprintf(no, sizeof(no), "SO-%lld", static_cast<long long>(next_order_));
  o.sales_order_no = no;
  o.status = erp_order_status::open;
  auto meta = touch(now);
  auto rec = record("order", meta.seq, now, to_json(o));
  append(rec);
  apply(rec);
  return {o.sales_order_no, o.status};
}

erp_sales_order sim_store::get_sales_order(const std::string& external_id,
                                           sim_fault& f) {
  std::lock_guard<std::mutex> guard{mtx_};
  auto it = order_by_external_id_.find(external_id);
  if (it == order_by_external_id_.end()) {
    f = fault(erp_fault_code::not_found,
              "no sales order with ExternalOrderID " + external_id);
    return {};
  }
  return orders_.at(it->second).value;
}

erp_page<erp_status_change>
sim_store::get_status_changes(clock::time_point since, int page_size,
                              const std::string& token, sim_fault& f) {
  std::lock_guard<std::mutex> guard{mtx_};
  return page_of(status_changes_, std::optional<clock::time_point>{since},
                 page_size, token, f, nullptr, nullptr);
}

std::vector<erp_warehouse> sim_store::get_warehouses() {
  std::lock_guard<std::mutex> guard{mtx_};
  std::vector<erp_warehouse> result;
  for (const auto& [code, w] : warehouses_)
    result.push_back(w);
  return result;
}

erp_page<erp_stock_level>
sim_store::get_stock_levels(const std::optional<clock::time_point>& since,
                            const std::string& warehouse, int page_size,
                            const std::string& token, sim_fault& f) {
  std::lock_guard<std::mutex> guard{mtx_};
  if (!warehouse.empty() && !warehouses_.count(warehouse)) {
    f = fault(erp_fault_code::not_found,
              "WarehouseCode " + warehouse + " is no warehouse of the ERP");
    return {};
  }
  auto keep = [](const erp_stock_level& s, const void* ctx) {
    const auto* wh = static_cast<const std::string*>(ctx);
    return wh->empty() || s.warehouse_code == *wh;
  };
  return page_of(stock_, since, page_size, token, f, +keep, &warehouse);
}

erp_page<erp_price_list>
sim_store::get_price_lists(const std::optional<clock::time_point>& since,
                           int page_size, const std::string& token,
                           sim_fault& f) {
  std::lock_guard<std::mutex> guard{mtx_};
  return page_of(price_lists_, since, page_size, token, f, nullptr, nullptr);
}

sim_fault sim_store::admin_change_item(const std::string& code,
                                       const json& patch,
                                       clock::time_point now) {
  std::lock_guard<std::mutex> guard{mtx_};
  auto it = items_.find(code);
  if (it == items_.end())
    return fault(erp_fault_code::not_found, "no item " + code);
  auto item = it->second.value;
  try {
    if (patch.contains("BasePrice"))
      item.base_price = money_of(patch, "BasePrice");
    if (patch.contains("ItemName"))
      item.item_name = patch.at("ItemName").get<std::string>();
    if (patch.contains("Description"))
      item.description = patch.at("Description").get<std::string>();
    if (patch.contains("IsActive"))
      item.is_active = patch.at("IsActive").get<bool>();
  } catch (const std::exception& e) {
    return fault(erp_fault_code::validation, e.what());
  }
  item.modified_at = utc_text(now);
  auto meta = touch(now);
  auto rec = record("item", meta.seq, now, to_json(item));
  append(rec);
  apply(rec);
  return {};
}

sim_fault sim_store::admin_set_stock(const json& body, clock::time_point now) {
  std::lock_guard<std::mutex> guard{mtx_};
  try {
    auto st = stock_of(body);
    if (!items_.count(st.item_code))
      return fault(erp_fault_code::unknown_item, "no item " + st.item_code);
    if (!warehouses_.count(st.warehouse_code))
      return fault(erp_fault_code::not_found,
                   "no warehouse " + st.warehouse_code);
    st.modified_at = utc_text(now);
    auto meta = touch(now);
    auto rec = record("stock", meta.seq, now, to_json(st));
    append(rec);
    apply(rec);
    return {};
  } catch (const std::exception& e) {
    return fault(erp_fault_code::validation, e.what());
  }
}

sim_fault sim_store::admin_put_price_list(const json& body,
                                          clock::time_point now) {
  std::lock_guard<std::mutex> guard{mtx_};
  try {
    auto pl = price_list_of(body);
    for (const auto& l : pl.lines)
      if (!items_.count(l.item_code))
        return fault(erp_fault_code::unknown_item, "no item " + l.item_code);
    if (!pl.customer_no.empty() && !customers_.count(pl.customer_no))
      return fault(erp_fault_code::unknown_customer,
                   "no customer " + pl.customer_no);
    pl.modified_at = utc_text(now);
    auto meta = touch(now);
    auto rec = record("price_list", meta.seq, now, to_json(pl));
    append(rec);
    apply(rec);
    return {};
  } catch (const std::exception& e) {
    return fault(erp_fault_code::validation, e.what());
  }
}

sim_fault sim_store::admin_set_order_status(const std::string& external_id,
                                            const json& body,
                                            clock::time_point now) {
  std::lock_guard<std::mutex> guard{mtx_};
  auto it = order_by_external_id_.find(external_id);
  if (it == order_by_external_id_.end())
    return fault(erp_fault_code::not_found,
                 "no sales order with ExternalOrderID " + external_id);
  auto order = orders_.at(it->second).value;
  erp_order_status status{};
  if (!body.contains("Status") || !body["Status"].is_string() ||
      !from_string(body["Status"].get<std::string>(), status))
    return fault(erp_fault_code::validation,
                 "Status must be one of Open, Released, Shipped, Invoiced, "
                 "Cancelled");
  order.status = status;
  auto meta = touch(now);
  auto rec = record("order", meta.seq, now, to_json(order));
  append(rec);
  apply(rec);
  erp_status_change change{order.sales_order_no, order.external_order_id,
                           status, text_of(body, "TrackingNo"), utc_text(now)};
  auto meta2 = touch(now);
  auto rec2 = record("status", meta2.seq, now, to_json(change));
  append(rec2);
  apply(rec2);
  return {};
}

json sim_store::admin_dump() {
  std::lock_guard<std::mutex> guard{mtx_};
  json out;
  out["items"] = json::array();
  for (const auto& [k, r] : items_)
    out["items"].push_back(to_json(r.value));
  out["customers"] = json::array();
  for (const auto& [k, r] : customers_)
    out["customers"].push_back(to_json(r.value));
  out["orders"] = json::array();
  for (const auto& [k, r] : orders_)
    out["orders"].push_back(to_json(r.value));
  out["status_changes"] = json::array();
  for (const auto& [k, r] : status_changes_)
    out["status_changes"].push_back(to_json(r.value));
  out["warehouses"] = json::array();
  for (const auto& [k, w] : warehouses_)
    out["warehouses"].push_back(to_json(w));
  out["stock"] = json::array();
  for (const auto& [k, r] : stock_)
    out["stock"].push_back(to_json(r.value));
  out["price_lists"] = json::array();
  for (const auto& [k, r] : price_lists_)
    out["price_lists"].push_back(to_json(r.value));
  return out;
}

} // namespace ferry::sim
