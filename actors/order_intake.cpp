#include "actors/order_intake.hpp"

#include <caf/all.hpp>
#include <map>

#include "mapping/shop_types.hpp"
#include "persistence/dead_letter_store.hpp"
#include "persistence/inbox_store.hpp"

namespace ferry {

namespace {

struct intake_state {
  order_intake_settings settings;
  std::shared_ptr<connector_directory> connectors;
  std::unique_ptr<persistence::inbox_store> inbox;
  std::unique_ptr<persistence::dead_letter_store> dead_letters;
  std::shared_ptr<persistence::order_saga_store> sagas;
  /// Running saga actors by their address, and their keys.
  std::map<caf::actor_addr, std::string> running;
  std::set<std::string> running_keys;
  order_intake_report report;
  static inline const char* name = "order_intake";
};

using intake_ptr = order_intake_actor::stateful_pointer<intake_state>;

void note_error(intake_ptr self, const std::string& what) {
  ++self->state.report.errors;
  self->state.report.last_error = what;
}

/// One inbox event → its saga row. False when the event should be tried
/// again later (a database failure).
bool take_event(intake_ptr self, const persistence::claimed_event& ev) {
  auto& st = self->state;
  auto dom = shop::parse_exact(ev.event.payload);
  auto order = dom ? shop::order_from_json(*dom)
                   : shop::parsed<shop::shop_order>::fail(dom.error);
  if (!order) {
    auto reason = "order event " + ev.event.event_id + ": " + order.error;
    auto put = st.dead_letters->put("shop", "order", ev.event.event_id,
                                    reason, ev.event.payload);
    if (!put) {
      note_error(self, persistence::db_error_text(put.error()));
      return false;
    }
    persistence::sync_log_entry log;
    log.entity = "order";
    log.entity_id = ev.event.event_id;
    log.outcome = persistence::sync_outcome::failed;
    log.message = reason;
    st.sagas->log(log);
    ++st.report.unreadable;
    st.inbox->fail(ev.id, st.settings.saga.node, reason, false);
    return true;
  }
  // An order without increment_id still gets a saga (it fails validation
  // with that reason); its entity id keys it.
  auto key = order->increment_id.empty()
               ? "entity-" + std::to_string(order->entity_id)
               : order->increment_id;
  nlohmann::json data = {
    {"order_json", ev.event.payload},
    {"entity_id", order->entity_id},
    {"grand_total", order->grand_total.to_string()},
    {"currency", order->base_currency_code},
    {"event_id", ev.event.event_id},
    {"parked", false},
  };
  if (order->customer_id)
    data["customer_id"] = *order->customer_id;
  persistence::sync_log_entry log;
  log.entity = "order";
  log.entity_id = key;
  log.external_id = external_order_id(key);
  log.attempt = ev.attempts;
  log.outcome = persistence::sync_outcome::ok;
  log.message = "received (event " + ev.event.event_id + ")";
  log.payload = {{"grand_total", order->grand_total.to_string()},
                 {"currency", order->base_currency_code},
                 {"lines", order->items.size()},
                 {"state", "received"}};
  auto created = st.sagas->receive(key, data, log);
  if (!created) {
    note_error(self, persistence::db_error_text(created.error()));
    return false;
  }
  ++st.report.events;
  if (!*created)
    ++st.report.duplicates;
  auto done = st.inbox->complete(ev.id, st.settings.saga.node);
  if (!done)
    note_error(self, persistence::db_error_text(done.error()));
  return true;
}

/// An `orders/updated` event: Ferry syncs orders shop → ERP once, so an
/// update changes nothing; the echo of Ferry's own write (its comment, whose
/// text carries the origin mark "Ferry:") is told apart in the sync log
/// from a change made in the shop.
void take_update(intake_ptr self, const persistence::claimed_event& ev) {
  auto& st = self->state;
  auto dom = shop::parse_exact(ev.event.payload);
  auto order = dom ? shop::order_from_json(*dom)
                   : shop::parsed<shop::shop_order>::fail(dom.error);
  persistence::sync_log_entry log;
  log.entity = "order";
  log.direction = persistence::sync_direction::shop_to_erp;
  log.outcome = persistence::sync_outcome::skipped;
  log.entity_id = order ? order->increment_id : ev.event.event_id;
  bool echo = order && !order->status_histories.empty()
              && order->status_histories.back().comment.rfind("Ferry:", 0)
                   == 0;
  log.message = echo ? "orders/updated is the echo of Ferry's own write"
                     : "orders/updated from the shop: not synced (orders go "
                       "to the ERP once, at creation)";
  if (echo)
    ++st.report.echoes;
  st.sagas->log(log);
  st.inbox->complete(ev.id, st.settings.saga.node);
}

void start_saga(intake_ptr self, const std::string& key) {
  auto& st = self->state;
  auto saga = spawn_order_saga(self->system(), key, st.settings.saga,
                               st.sagas, st.connectors);
  auto addr = saga.address();
  st.running.emplace(addr, key);
  st.running_keys.insert(key);
  ++st.report.sagas_started;
  // Linked so that no saga outlives the intake; monitored to free its slot.
  self->link_to(saga);
  self->monitor(saga);
}

/// One round; returns whether there may be more work right away.
bool round(intake_ptr self) {
  auto& st = self->state;
  bool busy = false;
  auto events = st.inbox->claim(st.settings.saga.node, st.settings.batch,
                                st.settings.inbox_lease, st.settings.topic);
  if (!events) {
    note_error(self, persistence::db_error_text(events.error()));
  } else {
    busy = events->size() == st.settings.batch;
    for (const auto& ev : *events)
      if (!take_event(self, ev))
        st.inbox->fail(ev.id, st.settings.saga.node,
                       st.report.last_error, true);
  }
  auto updates = st.inbox->claim(st.settings.saga.node, st.settings.batch,
                                 st.settings.inbox_lease,
                                 st.settings.update_topic);
  if (!updates) {
    note_error(self, persistence::db_error_text(updates.error()));
  } else {
    busy = busy || updates->size() == st.settings.batch;
    for (const auto& ev : *updates)
      take_update(self, ev);
  }
  if (st.running.size() < st.settings.max_running) {
    auto keys = st.sagas->claim_runnable(
      st.settings.saga.node, st.settings.max_running - st.running.size(),
      st.settings.saga.lease);
    if (!keys) {
      note_error(self, persistence::db_error_text(keys.error()));
    } else {
      for (const auto& key : *keys)
        if (!st.running_keys.count(key))
          start_saga(self, key);
      busy = busy || !keys->empty();
    }
  }
  st.report.running = st.running.size();
  return busy;
}

order_intake_actor::behavior_type
order_intake(intake_ptr self, order_intake_settings settings,
             persistence::pg_pool* pool,
             std::shared_ptr<connector_directory> connectors) {
  auto& st = self->state;
  st.settings = std::move(settings);
  st.connectors = std::move(connectors);
  st.inbox = std::make_unique<persistence::inbox_store>(*pool);
  st.dead_letters = std::make_unique<persistence::dead_letter_store>(*pool);
  st.sagas = std::make_shared<persistence::order_saga_store>(*pool);
  // The claims of this node's previous run are void: it is gone.
  if (auto r = st.sagas->release_node(st.settings.saga.node); !r)
    note_error(self, persistence::db_error_text(r.error()));
  self->set_down_handler([self](caf::down_msg& msg) {
    auto& st = self->state;
    auto it = st.running.find(msg.source);
    if (it == st.running.end())
      return;
    st.sagas->release(it->second, st.settings.saga.node);
    st.running_keys.erase(it->second);
    st.running.erase(it);
    st.report.running = st.running.size();
  });
  self->set_exit_handler([self](caf::exit_msg& msg) {
    // A saga's end arrives as its down message; anything else ends us.
    if (self->state.running.count(msg.source))
      return;
    if (msg.reason)
      self->quit(msg.reason);
  });
  self->send(self, order_tick_atom_v);
  return {
    [self](order_tick_atom) {
      auto busy = round(self);
      if (busy)
        self->send(self, order_tick_atom_v);
      else
        self->delayed_send(self, self->state.settings.poll_interval,
                           order_tick_atom_v);
    },
    [self](caf::get_atom) { return self->state.report; },
  };
}

} // namespace

order_intake_actor
spawn_order_intake(caf::actor_system& sys, order_intake_settings settings,
                   persistence::pg_pool& pool,
                   std::shared_ptr<connector_directory> connectors) {
  return sys.spawn<caf::detached>(order_intake, std::move(settings), &pool,
                                  std::move(connectors));
}

} // namespace ferry
