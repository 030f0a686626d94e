#include "actors/price_list_poller.hpp"

#include "actors/pricing_registry.hpp"
#include "mapping/price_rules.hpp"

#include <caf/typed_event_based_actor.hpp>

namespace ferry {

namespace {

struct poller_state {
  price_list_poller_settings settings;
  erp_connector_resolver erp;
  std::shared_ptr<persistence::price_list_store> store;
  std::shared_ptr<persistence::price_cache> cache;
  price_poll_report report;
  bool busy = false;
  bool invalidation_pending = false;
  std::uint64_t changed_this_cycle = 0;
  bool failed_this_cycle = false;
  std::string newest; // the largest ModifiedAt of the walk under way
  static inline const char* name = "price_list_poller";
};

using poller_pointer = price_list_poller_actor::stateful_pointer<poller_state>;

constexpr const char* lists_cursor = "pricing.price_lists";
constexpr const char* items_cursor = "pricing.items";

void finish_cycle(poller_pointer self);
void walk_items(poller_pointer self, std::string since, std::string token);

void fail_cycle(poller_pointer self, const std::string& what) {
  auto& st = self->state;
  ++st.report.errors;
  st.report.last_error = what;
  st.failed_this_cycle = true;
  if (st.settings.flows)
    st.settings.flows->failed("prices", "cycle_abandoned",
                              "price poll abandoned: " + what);
  // The cursors stay where they were: the next poll covers this one.
  finish_cycle(self);
}

void invalidate(poller_pointer self) {
  auto& st = self->state;
  std::int64_t version = -1;
  if (st.cache) {
    auto bumped = st.cache->invalidate();
    if (bumped) {
      version = *bumped;
      st.invalidation_pending = false;
      ++st.report.invalidations;
    } else {
      st.invalidation_pending = true;
      ++st.report.errors;
      st.report.last_error = "price version not published: " +
                             persistence::db_error_text(bumped.error());
    }
  } else {
    st.invalidation_pending = false;
  }
  // This node drops its memory at once, Redis or not (the others hear it
  // through Redis, or when their entries' TTL passes).
  auto reg = self->system().registry().get<pricing_registry_actor>(
      pricing_registry_name);
  if (reg)
    self->send(reg, pricing_invalidate_atom::value, version);
}

void finish_cycle(poller_pointer self) {
  auto& st = self->state;
  if (st.changed_this_cycle > 0 || st.invalidation_pending)
    invalidate(self);
  st.changed_this_cycle = 0;
  st.busy = false;
  ++st.report.cycles;
  if (st.settings.flows && !st.failed_this_cycle)
    st.settings.flows->cycle_completed("prices");
  st.failed_this_cycle = false;
  self->delayed_send(self, st.settings.interval, pricing_tick_atom::value);
}

template <class Row>
void note_newest(poller_state& st, const std::vector<Row>& rows) {
  for (const auto& row : rows)
    if (row.modified_at > st.newest)
      st.newest = row.modified_at;
}

void walk_lists(poller_pointer self, std::string since, std::string token) {
  auto& st = self->state;
  auto erp = st.erp();
  if (!erp) {
    fail_cycle(self, "price list poll: no ERP connector");
    return;
  }
  erp_get_price_lists req;
  req.page.modified_since = since;
  req.page.page_size = st.settings.page_size;
  req.page.page_token = token;
  self->request(erp, st.settings.call_timeout, req)
      .then(
          [self, since](erp_page<erp_price_list>& page) {
            auto& st = self->state;
            // A list Ferry cannot date is stored as it came (nothing is lost)
            // but never applies; say so rather than quote BasePrice silently.
            for (const auto& list : page.rows) {
              auto why = price_list_date_error(list);
              if (why.empty())
                continue;
              ++st.report.errors;
              st.report.last_error = why;
              if (st.settings.flows)
                st.settings.flows->failed(
                    "prices", "bad_validity", why,
                    {{"price_list", list.price_list_code}});
            }
            auto changed = st.store->upsert_lists(page.rows);
            if (!changed) {
              fail_cycle(self, persistence::db_error_text(changed.error()));
              return;
            }
            st.changed_this_cycle += *changed;
            st.report.lists_changed += *changed;
            note_newest(st, page.rows);
            if (!page.next_page_token.empty()) {
              walk_lists(self, since, page.next_page_token);
              return;
            }
            if (!st.newest.empty() && st.newest != since) {
              auto saved = st.store->set_cursor(lists_cursor, st.newest);
              if (!saved) {
                fail_cycle(self, persistence::db_error_text(saved.error()));
                return;
              }
            }
            auto items_since = st.store->cursor(items_cursor);
            if (!items_since) {
              fail_cycle(self, persistence::db_error_text(items_since.error()));
              return;
            }
            st.newest.clear();
            walk_items(self, *items_since, {});
          },
          [self](caf::error& err) {
            fail_cycle(self, "GetPriceLists: " + self->system().render(err));
          });
}

void walk_items(poller_pointer self, std::string since, std::string token) {
  auto& st = self->state;
  auto erp = st.erp();
  if (!erp) {
    fail_cycle(self, "price list poll: no ERP connector");
    return;
  }
  erp_get_items req;
  req.page.modified_since = since;
  req.page.page_size = st.settings.page_size;
  req.page.page_token = token;
  self->request(erp, st.settings.call_timeout, req)
      .then(
          [self, since](erp_page<erp_item>& page) {
            auto& st = self->state;
            auto changed = st.store->upsert_base_prices(page.rows);
            if (!changed) {
              fail_cycle(self, persistence::db_error_text(changed.error()));
              return;
            }
            st.changed_this_cycle += *changed;
            st.report.items_changed += *changed;
            note_newest(st, page.rows);
            if (!page.next_page_token.empty()) {
              walk_items(self, since, page.next_page_token);
              return;
            }
            if (!st.newest.empty() && st.newest != since) {
              auto saved = st.store->set_cursor(items_cursor, st.newest);
              if (!saved) {
                fail_cycle(self, persistence::db_error_text(saved.error()));
                return;
              }
            }
            finish_cycle(self);
          },
          [self](caf::error& err) {
            fail_cycle(self, "GetItems: " + self->system().render(err));
          });
}

price_list_poller_actor::behavior_type
price_list_poller(poller_pointer self, price_list_poller_settings settings,
                  erp_connector_resolver erp,
                  std::shared_ptr<persistence::price_list_store> store,
                  std::shared_ptr<persistence::price_cache> cache) {
  auto& st = self->state;
  st.settings = settings;
  st.erp = std::move(erp);
  st.store = std::move(store);
  st.cache = std::move(cache);
  if (st.settings.flows)
    st.settings.flows->expect_cycles("prices", st.settings.interval);
  self->send(self, pricing_tick_atom::value);
  return {
      [self](pricing_tick_atom) {
        auto& st = self->state;
        if (st.busy)
          return;
        st.busy = true;
        st.newest.clear();
        auto since = st.store->cursor(lists_cursor);
        if (!since) {
          fail_cycle(self, persistence::db_error_text(since.error()));
          return;
        }
        walk_lists(self, *since, {});
      },
      [self](caf::get_atom) { return self->state.report; },
  };
}

} // namespace

price_list_poller_actor
spawn_price_list_poller(caf::actor_system& sys,
                        price_list_poller_settings settings,
                        erp_connector_resolver erp,
                        std::shared_ptr<persistence::price_list_store> store,
                        std::shared_ptr<persistence::price_cache> cache) {
  return sys.spawn<caf::detached>(price_list_poller, settings, std::move(erp),
                                  std::move(store), std::move(cache));
}

} // namespace ferry
