#include "actors/order_intake.hpp"

#include "mapping/shop_types.hpp"
#include "persistence/dead_letter_store.hpp"
#include "persistence/inbox_store.hpp"
#include "persistence/inbox_wakeup.hpp"

#include <atomic>
#include <caf/all.hpp>
#include <map>

namespace ferry {

namespace {

struct intake_state {
  order_intake_settings settings;
  std::shared_ptr<connector_directory> connectors;
  std::unique_ptr<persistence::inbox_store> inbox;
  std::unique_ptr<persistence::dead_letter_store> dead_letters;
  std::shared_ptr<persistence::order_saga_store> sagas;
  /// Free saga slots, shared with the webhook commits, and the sagas they
  /// created claimed for this node.
  std::shared_ptr<order_handoff> handoff;
  std::uint64_t attachment = 0;
  /// Running saga actors by their address, and their keys.
  std::map<caf::actor_addr, std::string> running;
  std::set<std::string> running_keys;
  /// Sagas claimed while the run before them was still ending, by key:
  /// each holds its slot and its claim, and starts when that run is down.
  std::map<std::string, persistence::order_saga_row> deferred;
  order_intake_report report;
  /// A tick is in the mailbox already (saga ends and inbox commits ask for
  /// one each; the inbox's listener runs on the committing thread).
  std::shared_ptr<std::atomic<bool>> tick_pending =
      std::make_shared<std::atomic<bool>>(false);
  /// Until when a delayed tick (the poll) is pending.
  std::chrono::steady_clock::time_point poll_due;
  /// Whether unclaimed runnable sagas may wait in the table: orders that
  /// found no free slot (here or in a webhook commit), sagas whose run
  /// broke off, and, once per poll
  /// interval, whatever other nodes or decisions left. Saves the claim
  /// query on the rounds that new events cause.
  bool runnable_maybe = true;
  std::chrono::steady_clock::time_point next_poll;
  /// Whether open inbox events may wait: this process inserted some (its
  /// inbox wake-up, on the committing thread), the last take found a full
  /// batch or failed, or a poll interval passed (other nodes' events,
  /// expired leases). Saves the take transactions on the rounds that
  /// handed-off sagas and saga ends cause.
  std::shared_ptr<std::atomic<bool>> inbox_maybe =
      std::make_shared<std::atomic<bool>>(true);
  std::chrono::steady_clock::time_point next_inbox_poll;
  static inline const char* name = "order_intake";
};

using intake_ptr = order_intake_actor::stateful_pointer<intake_state>;

void note_error(intake_ptr self, const std::string& what) {
  ++self->state.report.errors;
  self->state.report.last_error = what;
}

void start_saga(intake_ptr self, persistence::order_saga_row row);

/// One inbox event → the arrival of its order (committed later with the
/// round's others), or why the event is unreadable. Changes nothing.
persistence::order_event_reading
read_event(const order_intake_settings& settings,
           const persistence::claimed_event& ev) {
  persistence::order_event_reading out;
  auto dom = shop::parse_exact(ev.event.payload);
  auto order = dom ? shop::order_from_json(*dom)
                   : shop::parsed<shop::shop_order>::fail(dom.error);
  if (!order) {
    out.unreadable = "order event " + ev.event.event_id + ": " + order.error;
    return out;
  }
  // An order without increment_id still gets a saga (it fails validation
  // with that reason); its entity id keys it.
  auto key = order->increment_id.empty()
                 ? "entity-" + std::to_string(order->entity_id)
                 : order->increment_id;
  nlohmann::json data = {
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
  persistence::order_arrival arrival;
  arrival.key = key;
  arrival.state = order_state::received;
  arrival.logs.push_back(std::move(log));
  if (auto valid = validate_on_arrival(key, *order, settings.saga)) {
    arrival.state = order_state::validated;
    arrival.logs.push_back(std::move(valid->log));
    arrival.reserve = std::move(valid->reserve);
  }
  arrival.data = std::move(data);
  arrival.input = ev.event.payload;
  arrival.inbox_id = ev.id;
  arrival.node = settings.saga.node;
  arrival.lease = settings.saga.lease;
  out.arrival = std::move(arrival);
  return out;
}

/// The readings of a round's events, each new order's saga claimed for
/// this node while `slots` last (once per key, none of a running saga).
/// Changes nothing.
std::vector<persistence::order_event_reading>
read_events(const order_intake_settings& settings,
            const std::set<std::string>& running_keys,
            const std::vector<persistence::claimed_event>& events,
            std::size_t slots) {
  std::set<std::string> keys;
  std::vector<persistence::order_event_reading> out;
  out.reserve(events.size());
  for (const auto& ev : events) {
    auto reading = read_event(settings, ev);
    if (auto& a = reading.arrival) {
      a->claim = slots > 0 && !running_keys.count(a->key) &&
                 keys.insert(a->key).second;
      if (a->claim)
        --slots;
    }
    out.push_back(std::move(reading));
  }
  return out;
}

/// How many of `readings` claim their saga.
std::size_t
claims(const std::vector<persistence::order_event_reading>& readings) {
  return static_cast<std::size_t>(
      std::count_if(readings.begin(), readings.end(), [](const auto& r) {
        return r.arrival && r.arrival->claim;
      }));
}

/// Accounts for a committed arrival and starts its saga if it claimed it.
void arrived(intake_ptr self, const persistence::order_arrival& arrival,
             std::optional<persistence::order_saga_row> created) {
  auto& st = self->state;
  ++st.report.events;
  if (!created) {
    ++st.report.duplicates;
    if (arrival.claim)
      st.handoff->release(1);
  } else if (arrival.claim) {
    start_saga(self, std::move(*created));
  } else {
    st.runnable_maybe = true;
  }
}

/// The leased way, for events that `take_arrivals` could not commit as a
/// batch: claimed events, each order committed alone, so that one event
/// the database refuses holds up no other and fails alone.
/// Dead-letters a claimed event with `reason`, logs it and fails it for
/// good; when the dead letter cannot be written, the event is given back
/// for another attempt. Whether it was dead-lettered.
bool dead_letter(intake_ptr self, const persistence::claimed_event& ev,
                 const std::string& reason) {
  auto& st = self->state;
  auto put = st.dead_letters->put("shop", "order", ev.event.event_id, reason,
                                  ev.event.payload);
  if (!put) {
    note_error(self, persistence::db_error_text(put.error()));
    st.inbox->retry(ev.id, st.settings.saga.node, st.report.last_error);
    return false;
  }
  st.sagas->log(persistence::order_saga_store::unreadable_log(ev, reason));
  st.inbox->fail(ev.id, st.settings.saga.node, reason);
  return true;
}

void take_claimed(intake_ptr self,
                  const std::vector<persistence::claimed_event>& events) {
  auto& st = self->state;
  auto slots = st.handoff->reserve(events.size());
  auto readings = read_events(st.settings, st.running_keys, events, slots);
  // Each arrival that claims gives its slot to its saga, or back (arrived).
  st.handoff->release(slots - claims(readings));
  for (std::size_t i = 0; i < events.size(); ++i) {
    const auto& ev = events[i];
    auto& reading = readings[i];
    if (!reading.arrival) {
      if (dead_letter(self, ev, reading.unreadable))
        ++st.report.unreadable;
      continue;
    }
    auto created = st.sagas->arrive(*reading.arrival);
    if (!created) {
      if (reading.arrival->claim)
        st.handoff->release(1);
      auto why = persistence::db_error_text(created.error());
      note_error(self, why);
      if (persistence::db_error_code(created.error()) ==
              persistence::db_errc::rejected &&
          ev.attempts >= st.settings.max_event_attempts)
        dead_letter(self, ev,
                    "order event " + ev.event.event_id + " refused " +
                        std::to_string(ev.attempts) + " times: " + why);
      else
        st.inbox->retry(ev.id, st.settings.saga.node, why);
      continue;
    }
    arrived(self, *reading.arrival, std::move(*created));
  }
}

/// New orders: taken and committed in one transaction with their events'
/// completion (no claim committed first); when that fails, the round's
/// events are claimed and committed one by one. Whether a full batch was
/// found.
bool take_new_orders(intake_ptr self) {
  auto& st = self->state;
  auto slots = st.handoff->reserve(st.settings.batch);
  std::size_t claimed = 0;
  auto taken = st.sagas->take_arrivals(
      st.settings.topic, st.settings.batch, st.settings.saga.node,
      [&](const std::vector<persistence::claimed_event>& events) {
        auto readings =
            read_events(st.settings, st.running_keys, events, slots);
        claimed = claims(readings);
        return readings;
      });
  // The arrivals that claim hold their slots (arrived gives back those of
  // duplicates); the rest go back.
  st.handoff->release(taken ? slots - claimed : slots);
  if (taken) {
    st.report.unreadable += taken->unreadable;
    for (auto& [arrival, created] : taken->arrivals)
      arrived(self, arrival, std::move(created));
    return taken->events == st.settings.batch;
  }
  note_error(self, persistence::db_error_text(taken.error()));
  auto events = st.inbox->claim(st.settings.saga.node, st.settings.batch,
                                st.settings.inbox_lease, st.settings.topic);
  if (!events) {
    note_error(self, persistence::db_error_text(events.error()));
    return false;
  }
  take_claimed(self, *events);
  return events->size() == st.settings.batch;
}

/// The sync_log message of an `orders/updated` event that is the echo of
/// Ferry's own write.
constexpr const char* echo_message =
    "orders/updated is the echo of Ferry's own write";

/// An `orders/updated` event: Ferry syncs orders shop → ERP once, so an
/// update changes nothing; the echo of Ferry's own write (its comment, whose
/// text carries the origin mark "Ferry:") is told apart in the sync log
/// from a change made in the shop. Changes nothing.
persistence::sync_log_entry update_entry(const persistence::claimed_event& ev) {
  auto dom = shop::parse_exact(ev.event.payload);
  auto order = dom ? shop::order_from_json(*dom)
                   : shop::parsed<shop::shop_order>::fail(dom.error);
  persistence::sync_log_entry log;
  log.entity = "order";
  log.direction = persistence::sync_direction::shop_to_erp;
  log.outcome = persistence::sync_outcome::skipped;
  log.entity_id = order ? order->increment_id : ev.event.event_id;
  bool echo = order && !order->status_histories.empty() &&
              order->status_histories.back().comment.rfind("Ferry:", 0) == 0;
  log.message = echo ? echo_message
                     : "orders/updated from the shop: not synced (orders go "
                       "to the ERP once, at creation)";
  return log;
}

/// An event as the inbox hands it, for the readers of a webhook's event.
persistence::claimed_event first_attempt(const persistence::inbox_event& ev) {
  return persistence::claimed_event{0, ev, 1};
}

void watch_saga(intake_ptr self, const std::string& key,
                order_saga_actor saga) {
  auto& st = self->state;
  auto addr = saga.address();
  st.running.emplace(addr, key);
  st.running_keys.insert(key);
  ++st.report.sagas_started;
  // Linked so that no saga outlives the intake; monitored to free its slot.
  self->link_to(saga);
  self->monitor(saga);
}

void start_saga(intake_ptr self, persistence::order_saga_row row) {
  auto& st = self->state;
  auto key = row.key;
  watch_saga(self, key,
             spawn_order_saga(self->system(), std::move(row), st.settings.saga,
                              st.sagas, st.connectors));
}

/// Starts a saga for each of `rows`, each holding a reserved slot. A row
/// whose key still has a run here is started once that run is down: a
/// decision can make a saga runnable (and claimed) between its run's last
/// commit and its end, and a claimed row left unstarted would wait for its
/// lease to run out.
void start_all(intake_ptr self, std::vector<persistence::order_saga_row> rows) {
  auto& st = self->state;
  for (auto& row : rows) {
    if (!st.running_keys.count(row.key)) {
      start_saga(self, std::move(row));
      continue;
    }
    // Claimed twice before its run ended: one start, one slot.
    if (!st.deferred.emplace(row.key, std::move(row)).second)
      st.handoff->release(1);
  }
}

/// Claims runnable sagas (resumptions, decided ones, those that found no
/// free slot) up to the free slots and starts them; whether any were.
bool start_runnable(intake_ptr self) {
  auto& st = self->state;
  auto now = std::chrono::steady_clock::now();
  if (now >= st.next_poll) {
    st.runnable_maybe = true;
    st.next_poll = now + st.settings.poll_interval;
  }
  if (!st.runnable_maybe)
    return false;
  auto wanted = st.handoff->reserve(st.settings.max_running);
  if (wanted == 0)
    return false;
  auto rows = st.sagas->claim_runnable(st.settings.saga.node, wanted,
                                       st.settings.saga.lease);
  if (!rows) {
    st.handoff->release(wanted);
    note_error(self, persistence::db_error_text(rows.error()));
    return false;
  }
  auto claimed = rows->size();
  st.runnable_maybe = claimed >= wanted;
  st.handoff->release(wanted - claimed);
  start_all(self, std::move(*rows));
  return claimed > 0;
}

/// One round; returns whether there may be more work right away. Waiting
/// sagas are started before new orders take the free slots, so that none
/// starves under a flood.
bool round(intake_ptr self) {
  auto& st = self->state;
  bool runnable = false;
  start_all(self, st.handoff->take_delivered(runnable));
  st.runnable_maybe = st.runnable_maybe || runnable;
  bool busy = start_runnable(self);
  auto now = std::chrono::steady_clock::now();
  if (now >= st.next_inbox_poll) {
    st.inbox_maybe->store(true);
    st.next_inbox_poll = now + st.settings.poll_interval;
  }
  if (st.inbox_maybe->exchange(false)) {
    bool more = take_new_orders(self);
    // A failure leaves the events pending for the next round.
    auto logged =
        st.sagas->take_logged(st.settings.update_topic, st.settings.batch,
                              st.settings.saga.node, update_entry);
    if (!logged) {
      note_error(self, persistence::db_error_text(logged.error()));
      more = true;
    } else {
      more = more || logged->size() == st.settings.batch;
      for (const auto& entry : *logged)
        if (entry.message == echo_message)
          ++st.report.echoes;
    }
    if (more)
      st.inbox_maybe->store(true);
    busy = busy || more;
  }
  st.report.running = st.running.size();
  return busy;
}

void queue_tick(intake_ptr self) {
  if (!self->state.tick_pending->exchange(true))
    self->send(self, order_tick_atom_v);
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
  st.handoff = st.settings.handoff ? st.settings.handoff
                                   : std::make_shared<order_handoff>();
  // Attached before the claims are given up, so that a saga a webhook
  // commit claims from now on is this intake's to start.
  st.attachment = st.handoff->attach(
      st.settings.max_running,
      [pending = st.tick_pending, hdl = caf::actor_cast<caf::actor>(self)] {
        if (!pending->exchange(true))
          caf::anon_send(hdl, order_tick_atom_v);
      });
  self->attach_functor([handoff = st.handoff, number = st.attachment] {
    handoff->detach(number);
  });
  // The claims of this node's previous run are void: it is gone.
  if (auto r = st.sagas->release_node(st.settings.saga.node); !r)
    note_error(self, persistence::db_error_text(r.error()));
  self->set_down_handler([self](caf::down_msg& msg) {
    auto& st = self->state;
    auto it = st.running.find(msg.source);
    if (it == st.running.end())
      return;
    auto key = it->second;
    auto next = st.deferred.find(key);
    // A saga that ended normally gave its claim up itself; one that broke
    // off is runnable again (unless its next run, claimed, starts now).
    if (msg.reason && next == st.deferred.end()) {
      st.sagas->release(key, st.settings.saga.node);
      st.runnable_maybe = true;
    }
    st.running_keys.erase(key);
    st.running.erase(it);
    st.handoff->release(1);
    if (next != st.deferred.end()) {
      auto row = std::move(next->second);
      st.deferred.erase(next);
      start_saga(self, std::move(row));
    }
    st.report.running = st.running.size();
    // Its slot may go to a waiting saga at once.
    if (st.runnable_maybe)
      queue_tick(self);
  });
  self->set_exit_handler([self](caf::exit_msg& msg) {
    // A saga's end arrives as its down message; anything else ends us.
    if (self->state.running.count(msg.source))
      return;
    if (msg.reason)
      self->quit(msg.reason);
  });
  // This process's inbox commits ask for a round at once; the actor never
  // blocks waiting for them, so that a saga's end is seen at once too.
  auto& wakeup = persistence::inbox_wakeup::instance();
  auto subscription =
      wakeup.subscribe([pending = st.tick_pending, maybe = st.inbox_maybe,
                        hdl = caf::actor_cast<caf::actor>(self)] {
        maybe->store(true);
        if (!pending->exchange(true))
          caf::anon_send(hdl, order_tick_atom_v);
      });
  self->attach_functor([subscription] {
    persistence::inbox_wakeup::instance().unsubscribe(subscription);
  });
  queue_tick(self);
  return {
      [self](order_tick_atom) {
        auto& st = self->state;
        st.tick_pending->store(false);
        if (round(self)) {
          queue_tick(self);
          return;
        }
        // Nothing more right now: saga ends and this process's inbox commits
        // ask for the next round; the poll finds the rest (the events of
        // other nodes, decided approvals, expired leases), one delayed tick
        // at a time.
        auto now = std::chrono::steady_clock::now();
        if (now >= st.poll_due) {
          st.poll_due = now + st.settings.poll_interval;
          self->delayed_send(self, st.settings.poll_interval,
                             order_tick_atom_v);
        }
      },
      [self](caf::get_atom) {
        auto report = self->state.report;
        auto& webhooks = self->state.handoff->counted();
        report.events += webhooks.events;
        report.duplicates += webhooks.duplicates;
        report.echoes += webhooks.echoes;
        return report;
      },
  };
}

} // namespace

inbox_batch_commit
order_webhook_commit(order_intake_settings settings,
                     std::shared_ptr<persistence::order_saga_store> store) {
  auto handoff =
      settings.handoff ? settings.handoff : std::make_shared<order_handoff>();
  return [settings = std::move(settings), store = std::move(store),
          handoff = std::move(handoff)](
             const std::vector<persistence::inbox_event>& events)
             -> caf::expected<std::vector<bool>> {
    std::vector<persistence::webhook_work> work(events.size());
    std::vector<persistence::claimed_event> orders;
    std::vector<std::size_t> order_at;
    for (std::size_t i = 0; i < events.size(); ++i) {
      const auto& ev = events[i];
      if (ev.topic == settings.topic) {
        orders.push_back(first_attempt(ev));
        order_at.push_back(i);
      } else if (ev.topic == settings.update_topic) {
        work[i].log = update_entry(first_attempt(ev));
      }
    }
    auto slots = handoff->reserve(orders.size());
    auto readings = read_events(settings, {}, orders, slots);
    auto left = slots - claims(readings);
    for (std::size_t j = 0; j < readings.size(); ++j)
      work[order_at[j]].arrival = std::move(readings[j].arrival);
    auto received = store->receive_webhooks(events, work, settings.saga.node);
    if (!received) {
      handoff->release(slots);
      if (persistence::db_error_code(received.error()) !=
          persistence::db_errc::rejected)
        return received.error();
      // The database refuses the work of an event (or its payload): the
      // events alone, pending, so that the intake tries each order on its
      // own and dead-letters the one it keeps refusing.
      auto alone = store->receive_webhooks(events, {}, settings.saga.node);
      if (!alone)
        return alone.error();
      return std::move(alone->inserted);
    }
    handoff->release(left + received->claims_unused);
    auto& counted = handoff->counted();
    for (std::size_t i = 0; i < events.size(); ++i) {
      if (!received->inserted[i])
        continue;
      if (work[i].arrival)
        ++counted.events;
      else if (work[i].log && work[i].log->message == echo_message)
        ++counted.echoes;
    }
    counted.duplicates += received->duplicates;
    handoff->deliver(std::move(received->claimed), received->unclaimed > 0);
    return std::move(received->inserted);
  };
}

order_intake_actor
spawn_order_intake(caf::actor_system& sys, order_intake_settings settings,
                   persistence::pg_pool& pool,
                   std::shared_ptr<connector_directory> connectors) {
  return sys.spawn<caf::detached>(order_intake, std::move(settings), &pool,
                                  std::move(connectors));
}

} // namespace ferry
