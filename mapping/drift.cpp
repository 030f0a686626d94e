#include "mapping/drift.hpp"

#include "mapping/content_hash.hpp"
#include "mapping/product_mapping.hpp"

#include <algorithm>
#include <set>

namespace ferry::mapping {

namespace {

std::string field_text(const nlohmann::json& value) {
  return value.is_string() ? value.get<std::string>() : value.dump();
}

/// Long values (descriptions) shortened for a one-line report.
std::string shortened(std::string text) {
  constexpr std::size_t limit = 60;
  if (text.size() <= limit)
    return text;
  // Cut before a UTF-8 continuation byte never splits a character.
  std::size_t cut = limit;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80)
    --cut;
  return text.substr(0, cut) + "…";
}

} // namespace

shop::shop_source_item expected_source_item(const erp_stock_level& level,
                                            std::int64_t reserved,
                                            const std::string& source_code) {
  shop::shop_source_item item;
  item.sku = level.item_code;
  item.source_code = source_code;
  item.quantity =
      std::max(level.available - decimal::from_int(reserved), decimal{});
  item.status = item.quantity > decimal{} || level.allow_backorder ? 1 : 0;
  return item;
}

std::string source_item_hash(const shop::shop_source_item& item) {
  return content_hash(nlohmann::json{{"quantity", item.quantity.to_string()},
                                     {"status", item.status}});
}

std::vector<drift>
product_drift(const std::vector<shop::shop_product>& erp,
              const std::vector<shop::shop_product>& shop,
              const std::vector<std::string>& compared_fields) {
  std::map<std::string, const shop::shop_product*> in_erp;
  std::map<std::string, const shop::shop_product*> in_shop;
  for (const auto& p : erp)
    in_erp[p.sku] = &p;
  for (const auto& p : shop)
    in_shop[p.sku] = &p;
  std::vector<std::string> fields = compared_fields;
  std::sort(fields.begin(), fields.end());
  std::vector<drift> out;
  for (const auto& [sku, expected] : in_erp) {
    auto held = in_shop.find(sku);
    if (held == in_shop.end()) {
      out.push_back({"missing_in_shop", sku, "in the ERP, not in the shop"});
      continue;
    }
    auto want = product_fields(*expected);
    auto have = product_fields(*held->second);
    for (const auto& field : fields) {
      if (!want.contains(field) || want[field] == have[field])
        continue;
      out.push_back({"field", sku,
                     field + ": shop \"" + shortened(field_text(have[field])) +
                         "\", ERP \"" + shortened(field_text(want[field])) +
                         "\""});
    }
  }
  for (const auto& [sku, held] : in_shop)
    if (!in_erp.count(sku))
      out.push_back({"missing_in_erp", sku, "in the shop, not in the ERP"});
  std::stable_sort(out.begin(), out.end(), [](const drift& a, const drift& b) {
    return a.sku < b.sku;
  });
  return out;
}

std::vector<drift>
stock_drift(const std::map<std::string, shop::shop_source_item>& expected,
            const std::map<std::string, shop::shop_source_item>& shop,
            const std::vector<std::string>& shop_skus) {
  std::set<std::string> sold(shop_skus.begin(), shop_skus.end());
  std::vector<drift> out;
  for (const auto& [sku, want] : expected) {
    if (!sold.count(sku)) {
      out.push_back({"missing_in_shop", sku,
                     "stocked in the ERP for source " + want.source_code +
                         ", no such product in the shop"});
      continue;
    }
    shop::shop_source_item have;
    have.quantity = decimal{};
    have.status = 0;
    auto held = shop.find(sku);
    if (held != shop.end())
      have = held->second;
    if (have.quantity == want.quantity && have.status == want.status)
      continue;
    out.push_back(
        {"stock", sku,
         "source " + want.source_code + ": shop " +
             (held == shop.end() ? std::string("none")
                                 : have.quantity.to_string() + " (status " +
                                       std::to_string(have.status) + ")") +
             ", expected " + want.quantity.to_string() + " (status " +
             std::to_string(want.status) + ")"});
  }
  return out;
}

} // namespace ferry::mapping
