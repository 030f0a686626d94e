#include "actors/inventory_actor.hpp"

#include "actors/inbox_retry.hpp"
#include "mapping/drift.hpp"
#include "monitoring/log.hpp"
#include "persistence/dead_letter_store.hpp"
#include "persistence/echo_store.hpp"
#include "persistence/errors.hpp"
#include "persistence/product_store.hpp"
#include "persistence/reservation_store.hpp"

#include <algorithm>
#include <caf/all.hpp>
#include <pqxx/pqxx>
#include <prometheus/registry.h>
#include <set>

namespace ferry {

namespace {

/// The echo-store entity of the backorder setting Ferry last put per SKU
/// ("1" or "0").
constexpr const char* backorders_entity = "backorders";

/// The echo-store entity of what one ERP warehouse last asked for a
/// product's backorder setting ("1" or "0"); the product allows backorders
/// while any mapped warehouse asks for it.
std::string wanted_entity(const std::string& warehouse) {
  return "backorders_wanted:" + warehouse;
}

/// How long a logged failure of one item for one reason stays quiet.

struct inventory_state {
  inventory_settings settings;
  persistence::pg_pool* pool = nullptr;
  erp_resolver erp;
  shop_resolver shop;
  inventory_report report;
  /// The latest level seen per SKU, for pushes caused by reservations.
  std::map<std::string, erp_stock_level> known;
  /// The database time of the last reservation check.
  std::string reservations_seen;
  bool first_cycle = true;
  std::set<std::string> unmapped_logged;
  /// What was last pushed per SKU (quantity, status): the cursor is
  /// inclusive, so the newest level comes again and is not pushed twice.
  std::map<std::string, std::pair<decimal, int>> pushed;
  std::uint64_t timer = 0;
  /// SKUs whose backorder setting failed but may pass: attempts so far.
  /// They are dirty again in the next cycle.
  std::map<std::string, int> backorder_retries;
  /// SKUs whose source item the shop refused: attempts so far. They are
  /// dirty again in the next cycle until `max_item_attempts`, then
  /// dead-lettered.
  std::map<std::string, int> stock_retries;
  static inline const char* name = "inventory";
};

using inventory_ptr = inventory_actor::stateful_pointer<inventory_state>;

/// A short, bounded label of why a call failed, for the metric.
std::string reason_of(const caf::error& e) {
  if (auto shop = shop_error_of(e))
    return to_string(shop->kind);
  if (e == caf::sec::request_timeout)
    return "timeout";
  if (e.category() == caf::atom("system"))
    return "actor";
  return "other";
}

/// Counts a failure of the stock flow (`kind` names what failed: the
/// cycle, a backorder setting, refused source items) and logs it, at most
/// once a minute per kind and reason.
void failed(inventory_ptr self, const char* kind, const std::string& item,
            const std::string& reason, const std::string& detail,
            double count = 1) {
  auto& st = self->state;
  ++st.report.errors;
  st.report.last_error = std::string{kind} + " " + item + ": " + detail;
  st.settings.flows->failed(
      "stock", std::string{kind} + "_" + reason,
      "stock sync failure: " + st.report.last_error,
      {{"warehouse", st.settings.warehouse_code}, {"item", item}}, count);
}

/// A failure of the cycle as a whole (a read, the database, the bulk push):
/// the cycle's cursor stays, so its levels are read again.
void note_error(inventory_ptr self, const caf::error& e) {
  failed(self, "cycle", self->state.settings.warehouse_code, reason_of(e),
         describe_error(self->system(), e));
}

std::string cursor_name(const inventory_state& st) {
  return "erp_stock:" + st.settings.warehouse_code;
}

void check_unmapped(inventory_ptr self) {
  auto& st = self->state;
  if (st.settings.report_unmapped_of.empty())
    return;
  auto list = blocking_request<erp_warehouse_list>(
      self->system(), st.erp(), st.settings.call_timeout, erp_get_warehouses{});
  if (!list) {
    note_error(self, list.error());
    return;
  }
  st.report.unmapped.clear();
  for (const auto& w : list->rows) {
    if (!w.is_active || st.settings.report_unmapped_of.count(w.warehouse_code))
      continue;
    st.report.unmapped.push_back(w.warehouse_code);
    if (st.unmapped_logged.insert(w.warehouse_code).second)
      monitoring::log_warn(
          "inventory",
          "ERP warehouse has no shop source in inventory.warehouses; its "
          "stock is not synced",
          {{"warehouse", w.warehouse_code}});
  }
}

/// Reads the changed levels of the warehouse into `st.known`; their SKUs
/// and the newest ModifiedAt. False on a failed call.
bool read_levels(inventory_ptr self, std::set<std::string>& dirty,
                 std::string& newest) {
  auto& st = self->state;
  persistence::product_store cursors(*st.pool);
  auto cursor = cursors.cursor(cursor_name(st));
  if (!cursor) {
    note_error(self, cursor.error());
    return false;
  }
  newest = *cursor;
  erp_page_request page{st.first_cycle ? std::string{} : *cursor,
                        st.settings.page_size, ""};
  for (;;) {
    auto levels = blocking_request<erp_page<erp_stock_level>>(
        self->system(), st.erp(), st.settings.call_timeout,
        erp_get_stock_levels{page, st.settings.warehouse_code});
    if (!levels) {
      note_error(self, levels.error());
      return false;
    }
    st.report.levels_read += levels->rows.size();
    for (auto& level : levels->rows) {
      if (level.warehouse_code != st.settings.warehouse_code)
        continue;
      newest = std::max(newest, level.modified_at);
      auto& slot = st.known[level.item_code];
      // Pages come in change order: a later row is the newer level.
      if (slot.item_code.empty() || level.modified_at >= slot.modified_at)
        slot = level;
      dirty.insert(level.item_code);
    }
    if (levels->next_page_token.empty())
      return true;
    page.page_token = levels->next_page_token;
  }
}

/// Adds the known SKUs whose reservations changed since the last check.
bool read_reservation_changes(inventory_ptr self,
                              std::set<std::string>& dirty) {
  auto& st = self->state;
  persistence::reservation_store reservations(*st.pool);
  auto changed = reservations.changed_since(st.reservations_seen);
  if (!changed) {
    note_error(self, changed.error());
    return false;
  }
  for (auto& sku : changed->first)
    if (st.known.count(sku))
      dirty.insert(sku);
  st.reservations_seen = changed->second;
  return true;
}

/// One SKU's backorder setting failed with `e`: tried again in the next
/// cycles while it may pass, else dead-lettered with what was to be put.
void backorder_failed(inventory_ptr self, const std::string& sku, int value,
                      const std::string& reason, const std::string& detail,
                      bool may_pass_later) {
  auto& st = self->state;
  failed(self, "backorders", sku, reason, detail);
  auto attempts = ++st.backorder_retries[sku];
  if (may_pass_later && attempts < st.settings.max_item_attempts)
    return;
  persistence::dead_letter_store letters(*st.pool);
  auto put = letters.put(
      "shop", "backorders", sku,
      "PUT /products/" + sku + "/stock failed (" + std::to_string(attempts) +
          (attempts == 1 ? " attempt): " : " attempts): ") + detail,
      shop::dump_exact(nlohmann::json{{"sku", sku}, {"backorders", value}}));
  // Not lost when the dead letter cannot be written: tried again.
  if (put)
    st.backorder_retries.erase(sku);
}

/// Puts the backorder setting of each of `skus` whose wanted value differs
/// from what Ferry last put. False when the database failed (the cycle is
/// then repeated); a failed shop call fails only its SKU.
bool set_backorders(inventory_ptr self, persistence::echo_store& echoes,
                    const std::vector<std::string>& skus) {
  auto& st = self->state;
  const auto& own = st.settings.warehouse_code;
  // This warehouse's wish first, then the others': of two actors deciding
  // at once, the later one sees both wishes.
  auto wished = echoes.hashes(wanted_entity(own), "shop", skus);
  if (!wished) {
    note_error(self, wished.error());
    return false;
  }
  for (const auto& sku : skus) {
    std::string want = st.known.at(sku).allow_backorder ? "1" : "0";
    auto w = wished->find(sku);
    // No record reads as "0": only wishes of "1", and their end, are kept.
    if (w == wished->end() ? want == "0" : w->second == want)
      continue;
    auto recorded = echoes.record(wanted_entity(own), "shop", sku, want);
    if (!recorded) {
      note_error(self, recorded.error());
      return false;
    }
  }
  // The last put is read before the other warehouses' wishes: an actor
  // records its wish before it claims and puts, so a put seen here comes
  // with its wish seen below, and a put after this read fails the claim
  // (`replace_if`). Read the other way round, a wish recorded between the
  // reads could be missed while its put is seen, and the flag put back.
  auto last_put = echoes.hashes(backorders_entity, "shop", skus);
  if (!last_put) {
    note_error(self, last_put.error());
    return false;
  }
  std::set<std::string> wanted_elsewhere;
  for (const auto& warehouse : st.settings.backorder_warehouses) {
    if (warehouse == own)
      continue;
    auto theirs = echoes.hashes(wanted_entity(warehouse), "shop", skus);
    if (!theirs) {
      note_error(self, theirs.error());
      return false;
    }
    for (const auto& [sku, wish] : *theirs)
      if (wish == "1")
        wanted_elsewhere.insert(sku);
  }
  for (const auto& sku : skus) {
    bool want =
        st.known.at(sku).allow_backorder || wanted_elsewhere.count(sku) > 0;
    auto last = last_put->find(sku);
    // Never put by Ferry: the shop's own setting (0 by default) stands
    // until an ERP warehouse allows backorders.
    bool was_set = last != last_put->end() && last->second == "1";
    // The flag goes to 1 by the actor of a warehouse that asks for it, so
    // that the others, which see that wish too, do not put the same value
    // at the same moment; to 0 by any once no warehouse asks for it.
    bool mine = want == st.known.at(sku).allow_backorder;
    if (want == was_set || !mine) {
      st.backorder_retries.erase(sku);
      continue;
    }
    int value = want ? 1 : 0;
    std::optional<std::string> before;
    if (last != last_put->end())
      before = last->second;
    // Claimed before it is put: of two warehouses' actors that decide at
    // the same moment, one puts the setting and the other sees it claimed.
    auto claimed = echoes.replace_if(backorders_entity, "shop", sku, before,
                                     want ? "1" : "0");
    if (!claimed) {
      backorder_failed(self, sku, value, "database",
                       describe_error(self->system(), claimed.error()), true);
      continue;
    }
    if (!*claimed)
      continue;
    auto set = blocking_request<bool>(self->system(), st.shop(),
                                      st.settings.call_timeout,
                                      shop_set_backorders{sku, value});
    if (!set) {
      // Given back, so that the next cycle (of any actor) puts it again.
      if (before)
        echoes.record(backorders_entity, "shop", sku, *before);
      else
        echoes.record(backorders_entity, "shop", sku, want ? "0" : "1");
      // A product the shop does not have yet may come with the product
      // sync (a fresh node pushes stock before the first products).
      auto shop_error = shop_error_of(set.error());
      bool not_yet =
          shop_error && shop_error->kind == shop_error_kind::not_found;
      backorder_failed(self, sku, value, reason_of(set.error()),
                       describe_error(self->system(), set.error()),
                       not_yet || may_pass(set.error()));
      continue;
    }
    st.backorder_retries.erase(sku);
    ++st.report.backorder_changes;
  }
  return true;
}

bool push(inventory_ptr self, const std::set<std::string>& dirty) {
  auto& st = self->state;
  if (dirty.empty())
    return true;
  std::vector<std::string> skus(dirty.begin(), dirty.end());
  persistence::reservation_store reservations(*st.pool);
  auto open = reservations.open_quantities(skus);
  if (!open) {
    note_error(self, open.error());
    return false;
  }
  persistence::echo_store echoes(*st.pool);
  // What an earlier run of Ferry pushed for SKUs this run has not pushed
  // yet: after a restart, levels the shop already holds are not pushed again.
  std::vector<std::string> unknown;
  for (const auto& sku : skus)
    if (!st.pushed.count(sku))
      unknown.push_back(sku);
  auto stored =
      echoes.hashes(stock_entity(st.settings.source_code), "shop", unknown);
  if (!stored) {
    note_error(self, stored.error());
    return false;
  }
  std::vector<shop::shop_source_item> items;
  for (const auto& sku : skus) {
    const auto& level = st.known.at(sku);
    auto reserved = open->count(sku) ? open->at(sku) : 0;
    auto item =
        mapping::expected_source_item(level, reserved, st.settings.source_code);
    auto last_push = st.pushed.find(sku);
    bool same_as_pushed =
        last_push != st.pushed.end()
            ? last_push->second == std::make_pair(item.quantity, item.status)
            : stored->count(sku) &&
                  stored->at(sku) == mapping::source_item_hash(item);
    if (same_as_pushed)
      st.pushed[sku] = {item.quantity, item.status};
    else
      items.push_back(std::move(item));
  }
  if (!set_backorders(self, echoes, skus))
    return false;
  if (items.empty())
    return true;
  // A refused item is tried again in the next cycles (the shop may not
  // have the product yet: the product sync creates it), then dead-lettered.
  auto hold = [&st](const std::string& sku) {
    return ++st.stock_retries[sku] < st.settings.max_item_attempts;
  };
  auto pushed = push_stock(self->system(), *st.pool, st.shop(),
                           st.settings.call_timeout, items, hold);
  if (!pushed) {
    note_error(self, pushed.error());
    return false;
  }
  st.report.push_calls += (items.size() + 999) / 1000;
  st.report.pushed += pushed->pushed.size();
  st.report.rejected += pushed->rejected;
  if (pushed->rejected > 0)
    // Each is tried again in the next cycles, then in the dead-letter
    // table with the shop's reason.
    failed(self, "source_items", st.settings.source_code, "refused",
           std::to_string(pushed->rejected) +
               " source items refused by the shop (tried again, then"
               " dead-lettered)",
           static_cast<double>(pushed->rejected));
  for (const auto& item : pushed->pushed) {
    st.pushed[item.sku] = {item.quantity, item.status};
    st.stock_retries.erase(item.sku);
  }
  for (const auto& refused : pushed->refused)
    if (st.stock_retries.count(refused.first.sku) &&
        st.stock_retries[refused.first.sku] >= st.settings.max_item_attempts)
      st.stock_retries.erase(refused.first.sku);
  if (!pushed->last_error.empty()) {
    ++st.report.errors;
    st.report.last_error = pushed->last_error;
  }
  return true;
}

void cycle(inventory_ptr self) {
  auto& st = self->state;
  check_unmapped(self);
  std::set<std::string> dirty;
  std::string newest;
  bool read =
      read_levels(self, dirty, newest) && read_reservation_changes(self, dirty);
  // Items whose backorder setting failed and may pass are tried again.
  for (const auto& retry : st.backorder_retries)
    if (st.known.count(retry.first))
      dirty.insert(retry.first);
  for (const auto& retry : st.stock_retries)
    if (st.known.count(retry.first))
      dirty.insert(retry.first);
  if (read && push(self, dirty)) {
    st.first_cycle = false;
    persistence::product_store cursors(*st.pool);
    auto saved = cursors.save_cursor(cursor_name(st), newest);
    if (!saved)
      note_error(self, saved.error());
    else
      st.settings.flows->cycle_completed("stock_" + st.settings.warehouse_code);
  }
  ++st.report.cycles;
  self->delayed_send(self, st.settings.interval, product_cycle_atom::value,
                     ++st.timer);
}

inventory_actor::behavior_type inventory(inventory_ptr self,
                                         persistence::pg_pool* pool,
                                         erp_resolver erp, shop_resolver shop,
                                         inventory_settings settings,
                                         prometheus::Registry* registry) {
  auto& st = self->state;
  if (!settings.flows)
    settings.flows = std::make_shared<monitoring::flow_health>(*registry);
  settings.flows->expect_cycles("stock_" + settings.warehouse_code,
                                settings.interval);
  settings.page_size = std::clamp(settings.page_size, 1, 1000);
  st.settings = std::move(settings);
  st.pool = pool;
  st.erp = std::move(erp);
  st.shop = std::move(shop);
  self->send(self, product_cycle_atom::value);
  return {
      [self](product_cycle_atom) { cycle(self); },
      [self](product_cycle_atom, std::uint64_t timer) {
        if (timer == self->state.timer)
          cycle(self);
      },
      [self](caf::get_atom) { return self->state.report; },
  };
}

} // namespace

std::string stock_entity(const std::string& source_code) {
  return "stock:" + source_code;
}

caf::expected<stock_push_result>
push_stock(caf::actor_system& sys, persistence::pg_pool& pool,
           const shop_connector_actor& shop, std::chrono::milliseconds timeout,
           const std::vector<shop::shop_source_item>& items,
           const std::function<bool(const std::string& sku)>& hold) {
  stock_push_result out;
  if (items.empty())
    return out;
  auto results = blocking_request<shop_bulk_results>(
      sys, shop, timeout, shop_set_source_items{items});
  if (!results)
    return results.error();
  persistence::dead_letter_store letters(pool);
  for (std::size_t i = 0; i < results->results.size() && i < items.size();
       ++i) {
    const auto& r = results->results[i];
    if (r.status == "ok") {
      out.pushed.push_back(items[i]);
      continue;
    }
    ++out.rejected;
    out.refused.emplace_back(items[i], r.message);
    if (hold && hold(items[i].sku))
      continue;
    auto put = letters.put("shop", "stock", r.sku,
                           "shop refused the source item: " + r.message,
                           shop::dump_exact(shop::to_json(items[i])));
    if (!put)
      out.last_error = describe_error(sys, put.error());
  }
  // Recorded once the shop took them; when this fails the levels are
  // merely pushed again after the next start.
  auto recorded =
      pool.with_connection("stock echo hashes", [&](pqxx::connection& conn) {
        pqxx::work tx(conn);
        for (const auto& item : out.pushed)
          persistence::echo_store::record(tx, stock_entity(item.source_code),
                                          "shop", item.sku,
                                          mapping::source_item_hash(item));
        tx.commit();
      });
  if (!recorded)
    out.last_error = describe_error(sys, recorded.error());
  return out;
}

inventory_actor spawn_inventory_actor(caf::actor_system& sys,
                                      persistence::pg_pool& pool,
                                      erp_resolver erp, shop_resolver shop,
                                      inventory_settings settings,
                                      prometheus::Registry& registry) {
  return sys.spawn<caf::detached>(inventory, &pool, std::move(erp),
                                  std::move(shop), std::move(settings),
                                  &registry);
}

} // namespace ferry
