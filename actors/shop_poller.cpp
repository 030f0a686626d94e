#include "actors/shop_poller.hpp"

#include "persistence/errors.hpp"
#include "persistence/shop_poll_store.hpp"

#include <caf/all.hpp>

namespace ferry {

namespace {

/// The resources in walking order.
constexpr const char* resources[] = {"orders", "customers", "products"};

struct poller_state {
  shop_poller_settings settings;
  shop_connector_resolver connector;
  std::shared_ptr<persistence::shop_poll_store> store;
  shop_poll_report report;
  bool running = false;
  std::size_t resource = 0;
  int page = 1;
  std::string since;
  std::string newest;
  bool failed = false;       // the walk of the current resource
  bool cycle_failed = false; // any walk of the current cycle
  static inline const char* name = "shop_poller";
};

using poller_ptr = shop_poller_actor::stateful_pointer<poller_state>;

void start_resource(poller_ptr self);

void note_error(poller_ptr self, std::string what) {
  auto& st = self->state;
  ++st.report.errors;
  if (st.settings.flows)
    st.settings.flows->failed("shop_poll", "walk_failed", "shop poll: " + what);
  st.report.last_error = std::move(what);
  st.failed = true;
  st.cycle_failed = true;
}

void next_resource(poller_ptr self) {
  auto& st = self->state;
  // A failed walk keeps its cursor, so the next cycle covers it again.
  if (!st.failed && !st.newest.empty()) {
    auto saved = st.store->save_cursor(resources[st.resource], st.newest);
    if (!saved)
      note_error(self, persistence::db_error_text(saved.error()));
  }
  ++st.resource;
  st.page = 1;
  start_resource(self);
}

/// One entity of a page, as the inbox event the poll would add.
persistence::polled_change change_of(const char* topic, const std::string& key,
                                     const std::string& version,
                                     const nlohmann::json& resource) {
  persistence::polled_change c;
  c.event.source = "shop";
  c.event.topic = topic;
  c.event.event_id = std::string{"poll:"} + topic + ":" + key + ":" + version;
  c.event.payload = shop::dump_exact(resource);
  c.key = key;
  c.version = version;
  return c;
}

/// Puts the page's changed entities into the inbox unless they are there
/// already (one statement), and moves the newest cursor value seen.
void offer(poller_ptr self, const std::vector<persistence::polled_change>& page,
           const std::vector<std::string>& topics,
           const std::string& newest_on_page) {
  auto& st = self->state;
  auto r = st.store->enqueue_missing(page, topics, "updated_at");
  if (!r) {
    note_error(self, persistence::db_error_text(r.error()));
    return;
  }
  st.report.enqueued += *r;
  if (newest_on_page > st.newest)
    st.newest = newest_on_page;
}

/// Continues with the next page, or the next resource after the last one.
template <class Page>
void after_page(poller_ptr self, const Page& page) {
  auto& st = self->state;
  auto seen = static_cast<std::int64_t>(st.page) * st.settings.page_size;
  if (!st.failed && !page.items.empty() && seen < page.total_count) {
    ++st.page;
    start_resource(self);
    return;
  }
  next_resource(self);
}

/// A page of customers or products: keyed by id, versioned by updated_at.
template <class Page>
void offer_updated(poller_ptr self, const Page& page, const char* topic,
                   const std::vector<std::string>& topics) {
  std::vector<persistence::polled_change> changes;
  std::string newest;
  for (const auto& e : page.items) {
    changes.push_back(
        change_of(topic, std::to_string(e.id), e.updated_at, shop::to_json(e)));
    newest = std::max(newest, e.updated_at);
  }
  offer(self, changes, topics, newest);
  after_page(self, page);
}

void fetch(poller_ptr self) {
  auto& st = self->state;
  auto on_error = [self](caf::error& e) {
    auto se = shop_error_of(e);
    note_error(self, std::string{"list "} + resources[self->state.resource] +
                         ": " + (se ? se->message : self->system().render(e)));
    next_resource(self);
  };
  auto timeout = st.settings.call_timeout;
  switch (st.resource) {
    case 0:
      self->request(st.connector(), timeout,
                    shop_list_orders{st.since, st.settings.page_size, st.page})
          .then(
              [self](shop_order_page& page) {
                std::vector<persistence::polled_change> changes;
                std::string newest;
                for (auto& o : page.items) {
                  auto version =
                      o.updated_at.empty() ? o.created_at : o.updated_at;
                  auto j = shop::to_json(o);
                  j["updated_at"] = version;
                  changes.push_back(change_of("orders/create",
                                              std::to_string(o.entity_id),
                                              version, j));
                  newest = std::max(newest, o.created_at);
                }
                offer(self, changes, {"orders/create", "orders/updated"},
                      newest);
                after_page(self, page);
              },
              on_error);
      break;
    case 1:
      self->request(
              st.connector(), timeout,
              shop_list_customers{st.since, st.settings.page_size, st.page})
          .then(
              [self](shop_customer_page& page) {
                offer_updated(self, page, "customers/update",
                              {"customers/create", "customers/update"});
              },
              on_error);
      break;
    default:
      self->request(
              st.connector(), timeout,
              shop_list_products{st.since, st.settings.page_size, st.page})
          .then(
              [self](shop_product_page& page) {
                offer_updated(self, page, "products/update",
                              {"products/update"});
              },
              on_error);
  }
}

void start_resource(poller_ptr self) {
  auto& st = self->state;
  if (st.resource >= std::size(resources)) {
    ++st.report.cycles;
    if (st.settings.flows && !st.cycle_failed)
      st.settings.flows->cycle_completed("shop_poll");
    st.cycle_failed = false;
    st.running = false;
    self->delayed_send(self, st.settings.interval, shop_poll_atom::value);
    return;
  }
  if (st.page == 1) {
    st.failed = false;
    auto cursor = st.store->cursor(resources[st.resource]);
    if (!cursor) {
      note_error(self, persistence::db_error_text(cursor.error()));
      ++st.resource;
      start_resource(self);
      return;
    }
    st.newest = *cursor;
    st.since.clear();
    if (!cursor->empty())
      st.since = shop::shift_timestamp(*cursor, -st.settings.overlap.count())
                     .value_or("");
  }
  fetch(self);
}

shop_poller_actor::behavior_type
shop_poller(poller_ptr self, shop_poller_settings settings,
            shop_connector_resolver connector,
            std::shared_ptr<persistence::shop_poll_store> store) {
  auto& st = self->state;
  st.settings = settings;
  if (st.settings.flows)
    st.settings.flows->expect_cycles("shop_poll", st.settings.interval);
  st.settings.page_size = std::clamp(st.settings.page_size, 1, 500);
  st.connector = std::move(connector);
  st.store = std::move(store);
  self->send(self, shop_poll_atom::value);
  return {
      [self](shop_poll_atom) {
        auto& st = self->state;
        if (st.running)
          return;
        st.running = true;
        st.resource = 0;
        st.page = 1;
        start_resource(self);
      },
      [self](caf::get_atom) { return self->state.report; },
  };
}

} // namespace

shop_poller_actor
spawn_shop_poller(caf::actor_system& sys, shop_poller_settings settings,
                  shop_connector_actor connector,
                  std::shared_ptr<persistence::shop_poll_store> store) {
  return spawn_shop_poller(
      sys, settings, [connector] { return connector; }, std::move(store));
}

shop_poller_actor
spawn_shop_poller(caf::actor_system& sys, shop_poller_settings settings,
                  shop_connector_resolver connector,
                  std::shared_ptr<persistence::shop_poll_store> store) {
  return sys.spawn<caf::detached>(shop_poller, settings, std::move(connector),
                                  std::move(store));
}

} // namespace ferry
