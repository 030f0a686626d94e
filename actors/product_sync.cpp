#include "actors/product_sync.hpp"

#include "persistence/errors.hpp"
#include "persistence/product_store.hpp"

#include <algorithm>
#include <caf/all.hpp>

namespace ferry {

namespace {

constexpr const char* cursor_name = "erp_items";

struct product_sync_state {
  std::unique_ptr<product_pipeline> pipeline;
  std::unique_ptr<persistence::product_store> store;
  product_sync_settings settings;
  product_sync_report report;
  /// Tags the one pending timer; a walk asked for from outside does not
  /// add a second schedule.
  std::uint64_t timer = 0;
  static inline const char* name = "product_sync";
};

using sync_ptr = product_sync_actor::stateful_pointer<product_sync_state>;

void note_error(sync_ptr self, const caf::error& e) {
  auto& st = self->state;
  ++st.report.errors;
  st.report.last_error = describe_error(self->system(), e);
  if (st.settings.flows)
    st.settings.flows->failed("products", "cycle_abandoned",
                              "product walk abandoned: " +
                                  st.report.last_error);
}

/// One walk from the cursor; true when it ended without errors.
bool walk(sync_ptr self) {
  auto& st = self->state;
  auto cursor = st.store->cursor(cursor_name);
  if (!cursor) {
    note_error(self, cursor.error());
    return false;
  }
  erp_page_request page{*cursor, st.settings.page_size, ""};
  std::string newest = *cursor;
  for (;;) {
    auto items = st.pipeline->get_items(page);
    if (!items) {
      note_error(self, items.error());
      return false;
    }
    auto pushed = st.pipeline->push_to_shop(items->rows, st.report);
    if (!pushed) {
      note_error(self, pushed.error());
      return false;
    }
    for (const auto& item : items->rows)
      newest = std::max(newest, item.modified_at);
    if (items->next_page_token.empty())
      break;
    page.page_token = items->next_page_token;
  }
  if (newest != *cursor) {
    auto saved = st.store->save_cursor(cursor_name, newest);
    if (!saved) {
      note_error(self, saved.error());
      return false;
    }
  }
  return true;
}

product_sync_actor::behavior_type
product_sync(sync_ptr self, persistence::pg_pool* pool, erp_resolver erp,
             shop_resolver shop, product_sync_settings settings) {
  auto& st = self->state;
  settings.page_size = std::clamp(settings.page_size, 1, 1000);
  st.settings = settings;
  st.pipeline =
      std::make_unique<product_pipeline>(self->system(), *pool, std::move(erp),
                                         std::move(shop), settings.pipeline);
  st.store = std::make_unique<persistence::product_store>(*pool);
  if (st.settings.flows)
    st.settings.flows->expect_cycles("products", st.settings.interval);
  auto cycle = [self] {
    auto& st = self->state;
    auto rejected = st.report.rejected;
    auto completed = walk(self);
    if (st.settings.flows) {
      if (st.report.rejected > rejected)
        st.settings.flows->failed(
            "products", "record_refused",
            std::to_string(st.report.rejected - rejected) +
                " product(s) refused in this walk and dead-lettered with their"
                " reason (see the dead_letter table)");
      if (completed)
        st.settings.flows->cycle_completed("products");
    }
    ++st.report.cycles;
    self->delayed_send(self, st.settings.interval, product_cycle_atom::value,
                       ++st.timer);
  };
  self->send(self, product_cycle_atom::value);
  return {
      [cycle](product_cycle_atom) { cycle(); },
      [self, cycle](product_cycle_atom, std::uint64_t timer) {
        if (timer == self->state.timer)
          cycle();
      },
      [self](caf::get_atom) { return self->state.report; },
  };
}

} // namespace

product_sync_actor spawn_product_sync(caf::actor_system& sys,
                                      persistence::pg_pool& pool,
                                      erp_resolver erp, shop_resolver shop,
                                      product_sync_settings settings) {
  return sys.spawn<caf::detached>(product_sync, &pool, std::move(erp),
                                  std::move(shop), std::move(settings));
}

} // namespace ferry
