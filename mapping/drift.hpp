#pragma once

#include "mapping/erp_types.hpp"
#include "mapping/money.hpp"
#include "mapping/shop_types.hpp"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

/// The consistency check between ERP and shop (`ferry reconcile`): what the
/// shop should hold by the sync rules, compared with what it holds. Pure:
/// the command reads both sides and stores the result.
namespace ferry::mapping {

/// One difference between the two sides.
struct drift {
  /// "missing_in_shop", "missing_in_erp", "field" or "stock".
  std::string kind;
  std::string sku;
  /// For people: which field or source, and both values.
  std::string detail;
};

/// The source item the stock sync pushes for `level` when `reserved`
/// pieces are held by orders the ERP does not know yet: quantity
/// `Available − reserved`, never below 0; status 1 when that is above 0 or
/// the item allows backorders, else 0.
shop::shop_source_item expected_source_item(const erp_stock_level& level,
                                            std::int64_t reserved,
                                            const std::string& source_code);

/// The echo hash of a pushed source item (its quantity and status), so that
/// a level the shop already holds is not pushed again after a restart.
std::string source_item_hash(const shop::shop_source_item& item);

/// Products: `erp` are the ERP's items mapped to the shop
/// (shop_product_from_erp), `shop` the shop's products. Reports SKUs only
/// on one side and, for SKUs on both, each of `compared_fields` ("name",
/// "description", "price", "weight", "status": the fields the ERP owns)
/// that differs. Sorted by SKU, then field.
std::vector<drift>
product_drift(const std::vector<shop::shop_product>& erp,
              const std::vector<shop::shop_product>& shop,
              const std::vector<std::string>& compared_fields);

/// Stock of one warehouse/source pair: `expected` as expected_source_item
/// gives them (per SKU), `shop` the shop's source items of that source per
/// SKU (absent: the shop has no item there), `shop_skus` every SKU the shop
/// sells. A SKU with an expected level that the shop does not sell is
/// "missing_in_shop"; one whose quantity or status differs is "stock"
/// (a missing source item counts as quantity 0, status 0). Sorted by SKU.
std::vector<drift>
stock_drift(const std::map<std::string, shop::shop_source_item>& expected,
            const std::map<std::string, shop::shop_source_item>& shop,
            const std::vector<std::string>& shop_skus);

} // namespace ferry::mapping
