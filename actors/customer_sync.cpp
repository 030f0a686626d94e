#include "actors/customer_sync.hpp"

#include "mapping/content_hash.hpp"
#include "mapping/customer_mapping.hpp"
#include "mapping/email.hpp"
#include "mapping/masking.hpp"
#include "monitoring/log.hpp"

#include <caf/typed_event_based_actor.hpp>
#include <deque>
#include <nlohmann/json.hpp>

namespace ferry {

namespace {

using persistence::db_error_text;
using persistence::sync_direction;
using persistence::sync_outcome;

constexpr const char* erp_cursor = "customers.erp";

struct sync_state {
  customer_sync_settings settings;
  std::function<erp_connector_actor()> erp;
  std::function<shop_connector_actor()> shop;
  customer_sync_stores stores;
  customer_sync_report report;
  std::deque<persistence::claimed_event> queue;
  bool claiming = false;
  bool polling = false;
  std::string newest;
  /// This poll's cursor may not pass this ModifiedAt: the earliest change
  /// that could not be saved (empty: none).
  std::string hold_at;
  /// Polls that failed to save each ERP change ("<CustomerNo>@<ModifiedAt>").
  std::map<std::string, int> save_failures;
  static inline const char* name = "customer_sync";
};

using sync_pointer = customer_sync_actor::stateful_pointer<sync_state>;

using clock_type = std::chrono::steady_clock;

void next_event(sync_pointer self);

void log_sync(sync_state& st, sync_direction dir, const std::string& id,
              const std::string& external, sync_outcome outcome,
              const std::string& message,
              std::optional<std::int64_t> latency_ms = std::nullopt) {
  persistence::sync_log_entry e;
  e.entity = "customer";
  e.direction = dir;
  e.entity_id = id;
  e.external_id = external;
  e.outcome = outcome;
  e.message = message;
  e.latency_ms = latency_ms;
  if (!st.stores.sync_log->write(e)) {
    ++st.report.errors;
    st.report.last_error = "sync_log write failed";
  }
}

// Rejected for good: dead-letter with the reason, event failed.
void reject(sync_pointer self, const persistence::claimed_event& ev,
            const std::string& entity_id, const std::string& reason) {
  auto& st = self->state;
  auto put = st.stores.dead_letters->put("shop", "customer", entity_id, reason,
                                         ev.event.payload);
  if (!put) {
    // Keep the event open rather than lose it.
    st.stores.inbox->retry(ev.id, st.settings.node_id,
                           "dead-letter write failed: " +
                               db_error_text(put.error()),
                           retry_delay(st.settings.retry, ev.attempts));
    ++st.report.errors;
    return;
  }
  ++st.report.dead_lettered;
  monitoring::log_warn(
      "customer_sync", "shop customer dead-lettered",
      {{"shop_customer", entity_id}, {"reason", mapping::mask_text(reason)}});
  if (st.settings.flows)
    st.settings.flows->failed("customers", "record_refused",
                              "shop customer " + entity_id +
                                  " dead-lettered: " + reason);
  st.stores.inbox->fail(ev.id, st.settings.node_id, reason);
  log_sync(st, sync_direction::shop_to_erp, entity_id, {}, sync_outcome::failed,
           reason);
}

// Failed with `e` (none when Ferry's own step failed, e.g. no connector):
// back to pending for another claim after a delay, or dead-lettered when
// `e` will not pass or the attempts are used up.
void retry_later(sync_pointer self, const persistence::claimed_event& ev,
                 const std::string& entity_id, const std::string& why,
                 const caf::error& e = {}) {
  auto& st = self->state;
  auto delay = next_attempt_in(st.settings.retry, ev.attempts, e);
  if (!delay) {
    reject(self, ev, entity_id, dead_letter_reason(ev.attempts, e, why));
    return;
  }
  ++st.report.errors;
  st.report.last_error = why;
  monitoring::log_warn(
      "customer_sync", "shop customer sync will be retried",
      {{"shop_customer", entity_id}, {"error", mapping::mask_text(why)}});
  auto retried =
      st.stores.inbox->retry(ev.id, st.settings.node_id, why, *delay);
  if (!retried)
    st.report.last_error = db_error_text(retried.error());
  log_sync(st, sync_direction::shop_to_erp, entity_id, {}, sync_outcome::retry,
           why);
}

void finish_event(sync_pointer self, const persistence::claimed_event& ev,
                  const shop::shop_customer& shop_customer,
                  const std::string& customer_no, bool created,
                  clock_type::time_point started) {
  auto& st = self->state;
  auto id = std::to_string(shop_customer.id);
  auto shared = st.stores.customers->link(shop_customer.id, customer_no);
  if (!shared) {
    retry_later(self, ev, id, db_error_text(shared.error()));
    next_event(self);
    return;
  }
  auto shop = st.shop();
  if (!shop) {
    retry_later(self, ev, id, "no shop connector");
    next_event(self);
    return;
  }
  shop_update_customer update;
  update.id = shop_customer.id;
  update.custom_attributes.push_back({erp_customer_no_attribute, customer_no});
  self->request(shop, st.settings.call_timeout, update)
      .then(
          [self, ev, id, shop_id = shop_customer.id, customer_no, created,
           shared = *shared, started](shop::shop_customer&) {
            auto& st = self->state;
            auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                          clock_type::now() - started)
                          .count();
            if (created)
              ++st.report.created;
            else
              ++st.report.linked;
            if (shared)
              ++st.report.shared;
            // The customer's orders need not write it again. If the record
            // fails, the next order writes the same number: harmless.
            auto recorded =
                st.stores.customers->record_shop_tag(shop_id, customer_no);
            if (!recorded)
              st.report.last_error = db_error_text(recorded.error());
            std::string message =
                created ? "created ERP customer"
                        : "mapped to the existing ERP customer with this email";
            if (shared)
              message += "; duplicate: another shop account already maps to "
                         "this ERP customer";
            log_sync(st, sync_direction::shop_to_erp, id, customer_no,
                     sync_outcome::ok, message, ms);
            st.stores.inbox->complete(ev.id, st.settings.node_id);
            next_event(self);
          },
          [self, ev, id](caf::error& err) {
            retry_later(self, ev, id,
                        "erp_customer_no write-back: " +
                            self->system().render(err),
                        err);
            next_event(self);
          });
}

void create_in_erp(sync_pointer self, const persistence::claimed_event& ev,
                   const shop::shop_customer& c, erp_connector_actor erp,
                   clock_type::time_point started) {
  auto& st = self->state;
  auto record = erp_customer_from_shop(c);
  auto id = std::to_string(c.id);
  self->request(erp, st.settings.call_timeout, erp_create_customer{record})
      .then(
          [self, ev, c, record, started](erp_customer_no& no) mutable {
            auto& st = self->state;
            record.customer_no = no.value;
            // Its echo: the ERP → shop poll will see this customer appear.
            st.stores.echoes->record("customer", "erp", no.value,
                                     erp_customer_hash(record));
            st.stores.customers->upsert(record);
            finish_event(self, ev, c, no.value, true, started);
          },
          [self, ev, c, id, started](caf::error& err) {
            auto e = erp_error_of(err);
            if (e && e->code == erp_fault_code::duplicate_customer &&
                !e->existing_key.empty()) {
              // Created meanwhile (another node, or a lost answer): map to it.
              finish_event(self, ev, c, e->existing_key, false, started);
              return;
            }
            if (e && !may_pass(err)) {
              reject(self, ev, id, "CreateCustomer refused: " + e->message);
              next_event(self);
              return;
            }
            retry_later(self, ev, id,
                        "CreateCustomer: " + self->system().render(err), err);
            next_event(self);
          });
}

void handle_event(sync_pointer self, persistence::claimed_event ev) {
  auto& st = self->state;
  auto started = clock_type::now();
  auto dom = shop::parse_exact(ev.event.payload);
  if (!dom) {
    reject(self, ev, ev.event.event_id, "payload is not JSON: " + dom.error);
    next_event(self);
    return;
  }
  auto parsed = shop::customer_from_json(*dom);
  if (!parsed) {
    // Name the shop's customer id when the payload has one.
    auto raw_id = dom->is_object() ? dom->find("id") : dom->end();
    auto entity_id =
        dom->is_object() && raw_id != dom->end() && raw_id->is_number_integer()
            ? std::to_string(raw_id->get<std::int64_t>())
            : ev.event.event_id;
    reject(self, ev, entity_id, parsed.error);
    next_event(self);
    return;
  }
  auto c = *parsed;
  auto id = std::to_string(c.id);
  if (ev.event.topic == "customers/update") {
    // A linked account needs nothing: the update is the echo of Ferry's
    // erp_customer_no write-back or a shop-side edit of fields the ERP
    // owns (they reach the shop from the ERP poll). An account not linked
    // yet is one whose customers/create never arrived (the shop poller
    // offers missed accounts as customers/update): it is created. A
    // customers/create always runs (its write-back may be what failed).
    auto linked = st.stores.customers->customer_no_of(c.id);
    if (!linked) {
      retry_later(self, ev, id, db_error_text(linked.error()));
      next_event(self);
      return;
    }
    if (*linked) {
      // An edit in the shop that replaced the ERP number with another: the
      // account's next order writes it again. An update without one may be
      // a snapshot from before Ferry's write (the shop poller's) and
      // changes nothing.
      auto held = c.attribute(erp_customer_no_attribute).value_or("");
      if (!held.empty()) {
        auto forgotten =
            st.stores.customers->forget_shop_tag_unless(c.id, held);
        if (!forgotten) {
          retry_later(self, ev, id, db_error_text(forgotten.error()));
          next_event(self);
          return;
        }
      }
      st.stores.inbox->complete(ev.id, st.settings.node_id);
      next_event(self);
      return;
    }
  }
  if (auto why = customer_problem(c)) {
    reject(self, ev, id, *why);
    next_event(self);
    return;
  }
  auto erp = st.erp();
  if (!erp) {
    retry_later(self, ev, id, "no ERP connector");
    next_event(self);
    return;
  }
  self->request(erp, st.settings.call_timeout,
                erp_find_customer{normalize_email(c.email)})
      .then(
          [self, ev, c, erp, started](erp_customer_lookup& found) {
            auto& st = self->state;
            if (!found.found) {
              create_in_erp(self, ev, c, erp, started);
              return;
            }
            st.stores.customers->upsert(found.customer);
            finish_event(self, ev, c, found.customer.customer_no, false,
                         started);
          },
          [self, ev, id](caf::error& err) {
            retry_later(self, ev, id,
                        "FindCustomer: " + self->system().render(err), err);
            next_event(self);
          });
}

void next_event(sync_pointer self) {
  auto& st = self->state;
  if (st.queue.empty()) {
    st.claiming = false;
    self->delayed_send(self, st.settings.claim_interval,
                       customer_tick_atom::value);
    return;
  }
  auto ev = std::move(st.queue.front());
  st.queue.pop_front();
  handle_event(self, std::move(ev));
}

// -- ERP → shop
// ----------------------------------------------------------------

void finish_poll(sync_pointer self, const std::string& error) {
  auto& st = self->state;
  if (!error.empty()) {
    ++st.report.errors;
    st.report.last_error = error;
  }
  if (st.settings.flows) {
    if (error.empty())
      st.settings.flows->cycle_completed("customers");
    else
      st.settings.flows->failed("customers", "cycle_abandoned",
                                "customer poll abandoned: " + error);
  }
  st.polling = false;
  self->delayed_send(self, st.settings.erp_poll_interval,
                     pricing_tick_atom::value);
}

std::string erp_customer_json(const erp_customer& c);

// An ERP change the shop refused for one linked account (its account gone,
// a value it does not take, or no answer): dead-lettered with the ERP
// customer and the reason, so that it is not lost but replayable, and
// counted; the flow goes on with the next account and customer.
void shop_refused(sync_pointer self, const erp_customer& c,
                  std::int64_t account, const std::string& why) {
  auto& st = self->state;
  ++st.report.errors;
  st.report.last_error = why;
  auto reason = "ERP customer " + c.customer_no +
                " not applied to shop account " + std::to_string(account) +
                ": " + why;
  auto put = st.stores.dead_letters->put("erp", "customer", c.customer_no,
                                         reason, erp_customer_json(c));
  if (put)
    ++st.report.dead_lettered;
  if (st.settings.flows)
    st.settings.flows->failed(
        "customers", "record_refused",
        reason + (put ? " (dead-lettered)" : " (dead-letter write failed)"),
        {{"customer_no", c.customer_no}});
  log_sync(st, sync_direction::erp_to_shop, c.customer_no,
           std::to_string(account), sync_outcome::failed, reason);
}

// Applies one changed ERP customer to each linked shop account, then `done`.
void apply_to_shop(sync_pointer self, erp_customer c,
                   std::vector<std::int64_t> accounts,
                   std::function<void()> done) {
  auto& st = self->state;
  if (accounts.empty()) {
    done();
    return;
  }
  auto shop = st.shop();
  if (!shop) {
    ++st.report.errors;
    st.report.last_error = "no shop connector";
    done();
    return;
  }
  auto account = accounts.back();
  accounts.pop_back();
  self->request(shop, st.settings.call_timeout, shop_get_customer{account})
      .then(
          [self, c, accounts, done, account,
           shop](shop::shop_customer& current) mutable {
            auto& st = self->state;
            auto changes = shop_changes_from_erp(
                c, current, st.settings.group_of_price_group);
            if (!changes.any()) {
              apply_to_shop(self, c, accounts, done);
              return;
            }
            shop_update_customer update;
            update.id = account;
            update.firstname = changes.firstname;
            update.lastname = changes.lastname;
            update.group_id = changes.group_id;
            self->request(shop, st.settings.call_timeout, update)
                .then(
                    [self, c, accounts, done,
                     account](shop::shop_customer&) mutable {
                      auto& st = self->state;
                      ++st.report.shop_updates;
                      st.stores.echoes->record("customer", "shop",
                                               std::to_string(account),
                                               erp_customer_hash(c));
                      log_sync(st, sync_direction::erp_to_shop, c.customer_no,
                               std::to_string(account), sync_outcome::ok,
                               "names/group applied to the shop account");
                      apply_to_shop(self, c, accounts, done);
                    },
                    [self, c, accounts, done,
                     account](caf::error& err) mutable {
                      shop_refused(self, c, account,
                                   "shop update failed: " +
                                       self->system().render(err));
                      apply_to_shop(self, c, accounts, done);
                    });
          },
          [self, c, accounts, done, account](caf::error& err) mutable {
            shop_refused(self, c, account,
                         "shop account not read: " +
                             self->system().render(err));
            apply_to_shop(self, c, accounts, done);
          });
}

/// The ERP customer as a dead letter's payload.
std::string erp_customer_json(const erp_customer& c) {
  return nlohmann::json{{"CustomerNo", c.customer_no},
                        {"Email", c.email},
                        {"FirstName", c.first_name},
                        {"LastName", c.last_name},
                        {"Company", c.company},
                        {"Phone", c.phone},
                        {"ExternalCustomerId", c.external_customer_id},
                        {"PriceGroup", c.price_group},
                        {"IsActive", c.is_active},
                        {"ModifiedAt", c.modified_at}}
      .dump();
}

// An ERP change that could not be saved holds the cursor at its
// ModifiedAt, so the next polls read it again: a failed save is nearly
// always the database being away for a moment, and an integration engineer
// expects such a change to arrive once it is back, without a replay. Only
// a change that fails `retry.max_attempts` polls in a row (a poison
// record) is dead-lettered with its payload and reason, and the cursor
// moves past it, so that one record cannot stop the flow. When even the
// dead letter cannot be written, the cursor keeps holding: nothing is lost.
void save_failed(sync_pointer self, const erp_customer& c,
                 const std::string& why) {
  auto& st = self->state;
  ++st.report.errors;
  st.report.last_error = "ERP customer " + c.customer_no + " not saved: " + why;
  auto key = c.customer_no + "@" + c.modified_at;
  auto attempts = ++st.save_failures[key];
  if (attempts >= st.settings.retry.max_attempts) {
    auto reason = "ERP customer change not saved after " +
                  std::to_string(attempts) + " polls: " + why;
    auto put = st.stores.dead_letters->put("erp", "customer", c.customer_no,
                                           reason, erp_customer_json(c));
    if (put) {
      ++st.report.dead_lettered;
      st.save_failures.erase(key);
      monitoring::log_warn("customer_sync", "ERP customer change dead-lettered",
                           {{"customer_no", c.customer_no},
                            {"modified_at", c.modified_at},
                            {"reason", mapping::mask_text(reason)}});
      log_sync(st, sync_direction::erp_to_shop, c.customer_no, {},
               sync_outcome::failed, reason);
      return;
    }
  }
  if (attempts == 1)
    monitoring::log_warn("customer_sync",
                         "ERP customer change not saved; the cursor holds "
                         "and it is read again in the next poll",
                         {{"customer_no", c.customer_no},
                          {"modified_at", c.modified_at},
                          {"error", mapping::mask_text(why)}});
  if (st.hold_at.empty() || c.modified_at < st.hold_at)
    st.hold_at = c.modified_at;
}

// Handles rows[i..] of a page one after another, then `done`.
void apply_rows(sync_pointer self,
                std::shared_ptr<std::vector<erp_customer>> rows, std::size_t i,
                std::function<void()> done) {
  auto& st = self->state;
  while (i < rows->size()) {
    const auto& c = (*rows)[i++];
    if (c.modified_at > st.newest)
      st.newest = c.modified_at;
    auto changed = st.stores.customers->upsert(c);
    if (!changed) {
      save_failed(self, c, db_error_text(changed.error()));
      continue;
    }
    st.save_failures.erase(c.customer_no + "@" + c.modified_at);
    if (!*changed)
      continue;
    auto echo = st.stores.echoes->is_echo("customer", "erp", c.customer_no,
                                          erp_customer_hash(c));
    if (echo && *echo) {
      ++st.report.echoes;
      continue;
    }
    auto accounts = st.stores.customers->shop_accounts_of(c.customer_no);
    if (!accounts) {
      ++st.report.errors;
      continue;
    }
    auto linked = *accounts;
    // An ERP customer that names its shop account is linked to it.
    if (linked.empty() && !c.external_customer_id.empty() &&
        c.external_customer_id.find_first_not_of("0123456789") ==
            std::string::npos &&
        c.external_customer_id.size() < 18) {
      auto shop_id = std::stoll(c.external_customer_id);
      if (st.stores.customers->link(shop_id, c.customer_no))
        linked.push_back(shop_id);
    }
    apply_to_shop(self, c, linked,
                  [self, rows, i, done] { apply_rows(self, rows, i, done); });
    return;
  }
  done();
}

void poll_page(sync_pointer self, std::string since, std::string token) {
  auto& st = self->state;
  auto erp = st.erp();
  if (!erp) {
    finish_poll(self, "customer poll: no ERP connector");
    return;
  }
  erp_get_customers req;
  req.page.modified_since = since;
  req.page.page_size = st.settings.page_size;
  req.page.page_token = token;
  self->request(erp, st.settings.call_timeout, req)
      .then(
          [self, since](erp_page<erp_customer>& page) {
            auto rows = std::make_shared<std::vector<erp_customer>>(
                std::move(page.rows));
            auto next = page.next_page_token;
            apply_rows(self, rows, 0, [self, since, next] {
              auto& st = self->state;
              if (!next.empty()) {
                poll_page(self, since, next);
                return;
              }
              // Never past a change that was not saved (rows need not come
              // in ModifiedAt order; the cursor is inclusive).
              auto to = st.hold_at.empty() ? st.newest
                                           : std::min(st.newest, st.hold_at);
              if (!to.empty() && to != since) {
                auto saved = st.stores.cursors->set_cursor(erp_cursor, to);
                if (!saved) {
                  finish_poll(self, db_error_text(saved.error()));
                  return;
                }
              }
              finish_poll(self, {});
            });
          },
          [self](caf::error& err) {
            finish_poll(self, "GetCustomers: " + self->system().render(err));
          });
}

customer_sync_actor::behavior_type
customer_sync(sync_pointer self, customer_sync_settings settings,
              std::function<erp_connector_actor()> erp,
              std::function<shop_connector_actor()> shop,
              customer_sync_stores stores) {
  auto& st = self->state;
  st.settings = std::move(settings);
  st.erp = std::move(erp);
  st.shop = std::move(shop);
  st.stores = std::move(stores);
  if (st.settings.flows)
    st.settings.flows->expect_cycles("customers",
                                     st.settings.erp_poll_interval);
  self->send(self, customer_tick_atom::value);
  self->send(self, pricing_tick_atom::value);
  return {
      [self](customer_tick_atom) {
        auto& st = self->state;
        if (st.claiming)
          return;
        st.claiming = true;
        // New accounts first, then updates (the poller's missed accounts
        // among them), both handled by handle_event.
        for (const char* topic : {"customers/create", "customers/update"}) {
          if (st.queue.size() >= st.settings.claim_batch)
            break;
          auto claimed = st.stores.inbox->claim(
              st.settings.node_id, st.settings.claim_batch - st.queue.size(),
              st.settings.lease, std::string{topic});
          if (!claimed) {
            ++st.report.errors;
            st.report.last_error = db_error_text(claimed.error());
            continue;
          }
          for (auto& ev : *claimed)
            st.queue.push_back(std::move(ev));
        }
        next_event(self);
      },
      [self](pricing_tick_atom) {
        auto& st = self->state;
        if (st.polling)
          return;
        st.polling = true;
        st.newest.clear();
        st.hold_at.clear();
        auto since = st.stores.cursors->cursor(erp_cursor);
        if (!since) {
          finish_poll(self, db_error_text(since.error()));
          return;
        }
        poll_page(self, *since, {});
      },
      [self](caf::get_atom) { return self->state.report; },
  };
}

} // namespace

customer_sync_actor
spawn_customer_sync(caf::actor_system& sys, customer_sync_settings settings,
                    std::function<erp_connector_actor()> erp,
                    std::function<shop_connector_actor()> shop,
                    customer_sync_stores stores) {
  return sys.spawn<caf::detached>(customer_sync, std::move(settings),
                                  std::move(erp), std::move(shop),
                                  std::move(stores));
}

} // namespace ferry
