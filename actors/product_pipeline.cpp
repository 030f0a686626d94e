#include "actors/product_pipeline.hpp"

#include "mapping/content_hash.hpp"
#include "mapping/product_mapping.hpp"
#include "mapping/utf8.hpp"
#include "persistence/dead_letter_store.hpp"
#include "persistence/echo_store.hpp"
#include "persistence/errors.hpp"
#include "persistence/product_store.hpp"

#include <caf/all.hpp>
#include <map>
#include <pqxx/pqxx>

namespace ferry {

namespace {

constexpr const char* entity = "product";

std::string hash_of(const shop::shop_product& p) {
  return mapping::content_hash(mapping::product_fields(p));
}

/// `value` as JSON text that never throws: bytes that are not UTF-8 (text
/// a SOAP layer misread, say) become U+FFFD.
std::string json_text(const nlohmann::json& value) {
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

/// `text` with the bytes that are not UTF-8 replaced by U+FFFD: the dead
/// letter's text columns must be storable whatever the record held.
std::string utf8_text(const std::string& text) {
  if (mapping::is_valid_utf8(text))
    return text;
  return nlohmann::json::parse(json_text(text)).get<std::string>();
}

/// An ERP item as the dead letter keeps it: every field of the contract.
nlohmann::json item_payload(const erp_item& item) {
  return {{"ItemCode", item.item_code},
          {"ItemName", item.item_name},
          {"Description", item.description},
          {"BasePrice", item.base_price.to_string()},
          {"Weight", item.weight.to_string()},
          {"WeightUnit", to_string(item.weight_unit)},
          {"IsActive", item.is_active},
          {"ModifiedAt", item.modified_at}};
}

/// Whether the owners make the shop's current product matter.
bool needs_shop_state(const config::field_owners& owners) {
  return owners.name != config::field_owner::erp ||
         owners.description != config::field_owner::erp;
}

} // namespace

std::string describe_error(caf::actor_system& sys, const caf::error& e) {
  if (auto se = shop_error_of(e))
    return "shop: " + se->message;
  if (auto ee = erp_error_of(e))
    return "erp: " + ee->message;
  if (e.category() == persistence::db_error_category)
    return persistence::db_error_text(e);
  return sys.render(e);
}

shop::shop_product merge_product(const shop::shop_product& erp,
                                 const std::optional<shop::shop_product>& shop,
                                 const std::string& erp_modified,
                                 const config::field_owners& owners) {
  auto out = erp;
  if (!shop)
    return out;
  out.id = shop->id;
  bool shop_newer = mapping::comparable_timestamp(shop->updated_at) >
                    mapping::comparable_timestamp(erp_modified);
  auto take = [&](config::field_owner owner) {
    return owner == config::field_owner::shop ||
           (owner == config::field_owner::newest && shop_newer);
  };
  if (take(owners.name))
    out.name = shop->name;
  if (take(owners.description))
    out.description = shop->description;
  return out;
}

product_pipeline::product_pipeline(caf::actor_system& sys,
                                   persistence::pg_pool& pool, erp_resolver erp,
                                   shop_resolver shop,
                                   product_pipeline_settings settings)
    : sys_(sys),
      pool_(pool),
      erp_(std::move(erp)),
      shop_(std::move(shop)),
      settings_(std::move(settings)) {}

caf::expected<erp_page<erp_item>>
product_pipeline::get_items(const erp_page_request& page) {
  return blocking_request<erp_page<erp_item>>(
      sys_, erp_(), settings_.call_timeout, erp_get_items{page});
}

caf::expected<void> product_pipeline::reject(const std::string& source,
                                             const std::string& sku,
                                             const std::string& reason,
                                             const std::string& payload,
                                             product_sync_report& report) {
  persistence::dead_letter_store letters(pool_);
  auto put = letters.put(source, entity, utf8_text(sku), utf8_text(reason),
                         utf8_text(payload));
  if (!put) {
    ++report.errors;
    report.last_error = persistence::db_error_text(put.error());
    return put.error();
  }
  ++report.rejected;
  return caf::unit;
}

caf::expected<void>
product_pipeline::push_to_shop(const std::vector<erp_item>& items,
                               product_sync_report& report, bool force) {
  report.read += items.size();
  struct candidate {
    const erp_item* item;
    shop::shop_product mapped;
    std::string hash;
  };
  std::vector<candidate> mapped;
  std::vector<std::string> skus;
  for (const auto& item : items) {
    auto product = mapping::shop_product_from_erp(item);
    if (!product) {
      // One poison item never stops the walk: it is dead-lettered whole
      // and the others go on.
      reject("erp", item.item_code, product.error,
             json_text(item_payload(item)), report);
      continue;
    }
    auto hash = hash_of(*product);
    skus.push_back(item.item_code);
    mapped.push_back({&item, std::move(*product), std::move(hash)});
  }
  persistence::echo_store echoes(pool_);
  auto written_to_erp = echoes.hashes(entity, "erp", skus);
  if (!written_to_erp)
    return written_to_erp.error();
  auto written_to_shop = echoes.hashes(entity, "shop", skus);
  if (!written_to_shop)
    return written_to_shop.error();

  std::vector<persistence::product_erp_state> states;
  std::vector<shop::shop_product> writes;
  std::vector<std::string> write_hashes;
  for (auto& c : mapped) {
    states.push_back({c.item->item_code, mapping::product_fields(c.mapped),
                      c.item->modified_at});
    auto mine = written_to_erp->find(c.item->item_code);
    if (mine != written_to_erp->end() && mine->second == c.hash) {
      ++report.echoes; // the ERP side of a shop change Ferry synced
      continue;
    }
    std::optional<shop::shop_product> current;
    if (needs_shop_state(settings_.owners)) {
      auto got = blocking_request<shop::shop_product>(
          sys_, shop_(), settings_.call_timeout,
          shop_get_product{c.item->item_code});
      if (got)
        current = std::move(*got);
      else if (auto se = shop_error_of(got.error());
               !se || se->kind != shop_error_kind::not_found)
        return got.error();
    }
    auto merged =
        merge_product(c.mapped, current, c.item->modified_at, settings_.owners);
    auto hash = hash_of(merged);
    auto last = written_to_shop->find(c.item->item_code);
    if (!force && last != written_to_shop->end() && last->second == hash) {
      ++report.unchanged;
      continue;
    }
    writes.push_back(std::move(merged));
    write_hashes.push_back(std::move(hash));
  }

  // The hashes are committed before the write: the shop's webhook about
  // the write may arrive before the answer does.
  auto recorded = pool_.with_connection(
      "product echo hashes and ERP state", [&](pqxx::connection& conn) {
        pqxx::work tx(conn);
        persistence::product_store::save_erp_states(tx, states);
        for (std::size_t i = 0; i < writes.size(); ++i)
          persistence::echo_store::record(tx, entity, "shop", writes[i].sku,
                                          write_hashes[i]);
        tx.commit();
      });
  if (!recorded)
    return recorded.error();
  if (writes.empty())
    return caf::unit;

  auto results = blocking_request<shop_bulk_results>(
      sys_, shop_(), settings_.call_timeout, shop_bulk_products{writes});
  if (!results)
    return results.error();
  std::map<std::string, const shop::shop_product*> by_sku;
  for (const auto& w : writes)
    by_sku[w.sku] = &w;
  for (const auto& r : results->results) {
    if (r.status == "ok") {
      ++report.written;
      continue;
    }
    auto at = by_sku.find(r.sku);
    reject("shop", r.sku, "shop refused the product: " + r.message,
           at == by_sku.end() ? ""
                              : shop::dump_exact(shop::to_json(*at->second)),
           report);
  }
  return caf::unit;
}

caf::expected<void>
product_pipeline::apply_shop_update(const std::string& payload,
                                    product_sync_report& report) {
  ++report.read;
  auto json = shop::parse_exact(payload);
  if (!json) {
    return reject("shop", "", "products/update: " + json.error, payload,
                  report);
  }
  auto product = shop::product_from_json(*json);
  if (!product) {
    return reject("shop", json->value("sku", ""), product.error, payload,
                  report);
  }
  const auto& sku = product->sku;
  persistence::echo_store echoes(pool_);
  auto echo = echoes.is_echo(entity, "shop", sku, hash_of(*product));
  if (!echo)
    return echo.error();
  if (*echo) {
    ++report.echoes;
    return caf::unit;
  }
  persistence::product_store products(pool_);
  auto state = products.erp_state(sku);
  if (!state)
    return state.error();

  shop::shop_product target = *product; // what both sides should hold
  bool erp_differs = true;
  if (*state) {
    auto erp = mapping::product_from_fields((*state)->fields);
    if (!erp) {
      return reject("shop", sku, erp.error, payload, report);
    }
    target =
        merge_product(*erp, *product, (*state)->modified_at, settings_.owners);
    erp_differs = mapping::product_fields(target) != (*state)->fields;
  }
  target.id = product->id;
  bool shop_differs =
      mapping::product_fields(target) != mapping::product_fields(*product);
  if (!erp_differs && !shop_differs) {
    ++report.unchanged;
    return caf::unit;
  }
  if (erp_differs) {
    auto item = mapping::erp_item_from_shop(target);
    if (!item) {
      return reject("shop", sku, item.error, payload, report);
    }
    auto fields = mapping::product_fields(target);
    auto recorded = pool_.with_connection(
        "product echo hash for the ERP", [&](pqxx::connection& conn) {
          pqxx::work tx(conn);
          persistence::echo_store::record(tx, entity, "erp", sku,
                                          mapping::content_hash(fields));
          tx.commit();
        });
    if (!recorded)
      return recorded.error();
    auto results = blocking_request<erp_upsert_results>(
        sys_, erp_(), settings_.call_timeout, erp_upsert_items{{*item}});
    if (!results)
      return results.error();
    for (const auto& r : results->rows)
      if (r.outcome == erp_upsert_outcome::error) {
        std::string code =
            r.error_code == erp_fault_code::none
                ? std::string{}
                : " (" + std::string{to_string(r.error_code)} + ")";
        return reject("erp", sku,
                      "ERP refused the item" + code + ": " + r.message, payload,
                      report);
      }
    // The ERP's ModifiedAt comes with the next GetItems; until then the
    // shop's time stands for it.
    auto saved = products.save_erp_states({{sku, fields, product->updated_at}});
    if (!saved)
      return saved.error();
    ++report.written;
  }
  if (shop_differs) {
    auto recorded = echoes.record(entity, "shop", sku, hash_of(target));
    if (!recorded)
      return recorded.error();
    auto put = blocking_request<shop::shop_product>(
        sys_, shop_(), settings_.call_timeout, shop_put_product{target});
    if (!put)
      return put.error();
    ++report.written;
  }
  return caf::unit;
}

} // namespace ferry
