#include "actors/order_status_poller.hpp"

#include "actors/order_saga.hpp"
#include "persistence/errors.hpp"
#include "persistence/order_saga_store.hpp"
#include "persistence/order_status_store.hpp"

#include <caf/all.hpp>

namespace ferry {

namespace {

struct poller_state {
  order_status_poller_settings settings;
  std::shared_ptr<connector_directory> connectors;
  std::unique_ptr<persistence::order_status_store> cursors;
  std::unique_ptr<persistence::order_saga_store> sagas;
  std::vector<erp_status_change> page;
  std::size_t next = 0;
  std::string since;
  std::string newest;
  std::string page_token;
  static inline const char* name = "order_status_poller";
};

using poller_ptr = order_status_poller_actor::stateful_pointer<poller_state>;

void fetch(poller_ptr self);
void mirror_next(poller_ptr self);

void wait_for_next_round(poller_ptr self) {
  self->delayed_send(self, self->state.settings.interval, order_tick_atom_v);
}

void report(poller_ptr self, const char* reason, const std::string& detail) {
  if (self->state.settings.flows)
    self->state.settings.flows->failed("order_status", reason, detail);
}

/// The round stops here; the cursor stays, so the next round sees the
/// same changes again.
void abandon_round(poller_ptr self, const char* reason,
                   const std::string& detail) {
  report(self, reason, "status poll abandoned: " + detail);
  self->state.page.clear();
  wait_for_next_round(self);
}

persistence::sync_log_entry entry(const std::string& key,
                                  const erp_status_change& c,
                                  persistence::sync_outcome outcome,
                                  std::string message) {
  persistence::sync_log_entry e;
  e.entity = "order";
  e.direction = persistence::sync_direction::erp_to_shop;
  e.entity_id = key;
  e.external_id = c.sales_order_no;
  e.outcome = outcome;
  e.message = std::move(message);
  e.payload = {{"status", to_string(c.status)},
               {"changed_at", c.changed_at},
               {"tracking_no", c.tracking_no}};
  return e;
}

void after_change(poller_ptr self) {
  ++self->state.next;
  mirror_next(self);
}

/// Commits the mirrored change on the saga.
void commit_change(poller_ptr self, const persistence::order_saga_row& saga,
                   const erp_status_change& c, const std::string& mark,
                   persistence::sync_outcome outcome,
                   const std::string& message) {
  auto& st = self->state;
  auto data = saga.data;
  data["erp_status"] = to_string(c.status);
  if (!c.tracking_no.empty())
    data["tracking_no"] = c.tracking_no;
  data["erp_status_marks"].push_back(mark);
  data["parked"] = true;
  persistence::order_transition t;
  t.data = data;
  t.to = c.status == erp_order_status::invoiced ||
                 c.status == erp_order_status::cancelled
             ? "closed"
             : "status_mirrored";
  t.log =
      entry(saga.key, c, outcome, saga.state + " -> " + t.to + ": " + message);
  auto r = st.sagas->apply(saga, t, st.settings.node, std::chrono::seconds{0});
  if (!r) {
    abandon_round(self, "database",
                  "order " + saga.key + ": " +
                      persistence::db_error_text(r.error()));
    return;
  }
  after_change(self);
}

void mirror_next(poller_ptr self) {
  auto& st = self->state;
  if (st.next >= st.page.size()) {
    if (!st.newest.empty()) {
      auto saved = st.cursors->save_cursor(st.settings.name, st.newest);
      if (!saved) {
        abandon_round(self, "database",
                      persistence::db_error_text(saved.error()));
        return;
      }
    }
    if (!st.page_token.empty()) {
      fetch(self);
      return;
    }
    if (st.settings.flows)
      st.settings.flows->cycle_completed("order_status");
    wait_for_next_round(self);
    return;
  }
  auto c = st.page[st.next];
  if (c.changed_at > st.newest)
    st.newest = c.changed_at;
  const std::string prefix = "WEB-";
  if (c.external_order_id.rfind(prefix, 0) != 0) {
    after_change(self); // not an order Ferry made
    return;
  }
  auto key = c.external_order_id.substr(prefix.size());
  auto loaded = st.sagas->load(key);
  if (!loaded) {
    abandon_round(self, "database",
                  "order " + key + ": " +
                      persistence::db_error_text(loaded.error()));
    return;
  }
  if (!*loaded || c.status == erp_order_status::open) {
    after_change(self);
    return;
  }
  auto saga = **loaded;
  auto mark = std::string{to_string(c.status)} + "@" + c.changed_at;
  for (const auto& m :
       saga.data.value("erp_status_marks", nlohmann::json::array()))
    if (m == mark) {
      after_change(self); // mirrored already
      return;
    }
  auto shop = st.connectors->shop();
  if (!shop) {
    abandon_round(self, "no_connector", "no shop connector");
    return;
  }
  auto entity_id = saga.data.value("entity_id", std::int64_t{0});
  auto on_error = [=](caf::error& e) {
    auto se = shop_error_of(e);
    if (se && (se->kind == shop_error_kind::validation ||
               se->kind == shop_error_kind::conflict ||
               se->kind == shop_error_kind::not_found)) {
      auto why = "the shop refused " + std::string{to_string(c.status)} + ": " +
                 se->message;
      report(self, "shop_refused", "order " + saga.key + ": " + why);
      commit_change(self, saga, c, mark, persistence::sync_outcome::skipped,
                    why);
      return;
    }
    abandon_round(self, "shop_call",
                  "order " + saga.key + ": " + self->system().render(e));
  };
  if (c.status == erp_order_status::cancelled) {
    self->request(shop, st.settings.call_timeout,
                  shop_order_action{entity_id, "cancel"})
        .then(
            [=](bool) {
              commit_change(self, saga, c, mark, persistence::sync_outcome::ok,
                            "shop order canceled");
            },
            on_error);
    return;
  }
  shop_comment_order comment;
  comment.entity_id = entity_id;
  comment.status = shop_status_for(c.status);
  comment.comment =
      "Ferry: ERP sales order " + c.sales_order_no + " " + to_string(c.status) +
      (c.tracking_no.empty() ? std::string{}
                             : ", tracking number " + c.tracking_no);
  self->request(shop, st.settings.call_timeout, comment)
      .then(
          [=](bool) {
            commit_change(self, saga, c, mark, persistence::sync_outcome::ok,
                          "shop order " + comment.status);
          },
          on_error);
}

void fetch(poller_ptr self) {
  auto& st = self->state;
  auto erp = st.connectors->erp();
  if (!erp) {
    abandon_round(self, "no_connector", "no ERP connector");
    return;
  }
  erp_get_status_changes req;
  req.page.modified_since = st.since;
  req.page.page_size = st.settings.page_size;
  req.page.page_token = st.page_token;
  self->request(erp, st.settings.call_timeout, req)
      .then(
          [=](erp_page<erp_status_change>& page) {
            auto& st = self->state;
            st.page = std::move(page.rows);
            st.next = 0;
            st.page_token = page.next_page_token;
            mirror_next(self);
          },
          [=](caf::error& e) {
            self->state.page_token.clear();
            abandon_round(self, "erp_call",
                          "GetSalesOrderStatusChanges: " +
                              self->system().render(e));
          });
}

order_status_poller_actor::behavior_type
order_status_poller(poller_ptr self, order_status_poller_settings settings,
                    persistence::pg_pool* pool,
                    std::shared_ptr<connector_directory> connectors) {
  auto& st = self->state;
  st.settings = std::move(settings);
  st.connectors = std::move(connectors);
  st.cursors = std::make_unique<persistence::order_status_store>(*pool);
  st.sagas = std::make_unique<persistence::order_saga_store>(*pool);
  if (st.settings.flows)
    st.settings.flows->expect_cycles("order_status", st.settings.interval);
  self->send(self, order_tick_atom_v);
  return {
      [self](order_tick_atom) {
        auto& st = self->state;
        auto cursor = st.cursors->cursor(st.settings.name);
        if (!cursor) {
          abandon_round(self, "database",
                        persistence::db_error_text(cursor.error()));
          return;
        }
        st.since = cursor->value_or("1970-01-01T00:00:00Z");
        st.newest.clear();
        st.page_token.clear();
        fetch(self);
      },
  };
}

} // namespace

std::string shop_status_for(erp_order_status status) {
  switch (status) {
    case erp_order_status::released:
      return "processing";
    case erp_order_status::shipped:
    case erp_order_status::invoiced:
      return "complete";
    case erp_order_status::cancelled:
      return "canceled";
    case erp_order_status::open:
      break;
  }
  return "";
}

order_status_poller_actor
spawn_order_status_poller(caf::actor_system& sys,
                          order_status_poller_settings settings,
                          persistence::pg_pool& pool,
                          std::shared_ptr<connector_directory> connectors) {
  return sys.spawn<caf::detached>(order_status_poller, std::move(settings),
                                  &pool, std::move(connectors));
}

} // namespace ferry
