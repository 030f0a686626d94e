#include "actors/order_saga.hpp"

#include "actors/inbox_retry.hpp"
#include "mapping/email.hpp"
#include "mapping/shop_types.hpp"

#include <caf/all.hpp>
#include <random>

namespace ferry {

namespace {

using persistence::order_saga_row;
using persistence::order_transition;
using persistence::sync_direction;
using persistence::sync_log_entry;
using persistence::sync_outcome;
using clock_type = std::chrono::steady_clock;

struct saga_state {
  std::string key;
  order_saga_settings settings;
  std::shared_ptr<persistence::order_saga_store> store;
  std::shared_ptr<connector_directory> connectors;
  order_saga_row row;
  shop::shop_order order;
  /// Attempts of the current step (transient failures).
  int attempt = 0;
  /// Version conflicts in a row (another node moved the saga).
  int conflicts = 0;
  clock_type::time_point step_started = clock_type::now();
  std::mt19937_64 rng{std::random_device{}()};
  /// The row came with the spawn (just created by the intake): the first
  /// step needs no load.
  bool preloaded = false;
  /// This run's claim was given up with a committed transition.
  bool released = false;
  static inline const char* name = "order_saga";
};

using saga_ptr = order_saga_actor::stateful_pointer<saga_state>;

void step(saga_ptr self);

sync_log_entry
log_entry(saga_ptr self, sync_outcome outcome, std::string message,
          sync_direction direction = sync_direction::shop_to_erp) {
  auto& st = self->state;
  sync_log_entry e;
  e.entity = "order";
  e.direction = direction;
  e.entity_id = st.key;
  e.external_id = st.row.data.value("sales_order_no", "");
  e.attempt = st.attempt + 1;
  e.latency_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                     clock_type::now() - st.step_started)
                     .count();
  e.outcome = outcome;
  e.message = std::move(message);
  e.payload = {{"external_order_id", external_order_id(st.key)},
               {"state", st.row.state},
               {"grand_total", st.row.data.value("grand_total", "")},
               {"currency", st.row.data.value("currency", "")}};
  return e;
}

/// Tries the current step again after a backoff delay (the step reloads
/// the saga first, so whatever committed meanwhile is seen).
void retry_later(saga_ptr self, const std::string& why) {
  auto& st = self->state;
  st.store->log(log_entry(self, sync_outcome::retry,
                          st.row.state + ": " + why + "; retrying"));
  auto delay = full_jitter_delay(st.settings.retry_backoff, st.attempt, st.rng);
  ++st.attempt;
  self->delayed_send(self, delay, order_step_atom_v);
}

/// Ends this run of the saga: it waits for something from outside or has
/// nothing left to do; the intake starts it again when it is runnable.
void finish(saga_ptr self) {
  auto& st = self->state;
  // Most runs end with a transition that gave the claim up; the others
  // give it up here (a failure to do so leaves it to its lease).
  if (!st.released)
    st.store->release(st.key, st.settings.node);
  self->quit();
}

/// Commits a transition from the loaded row; on success the row in memory
/// is the new one and true is returned. A database failure retries the
/// step later; a version conflict (another node or a decision moved the
/// saga) reloads it and steps again.
bool commit(saga_ptr self, const std::string& to, nlohmann::json data,
            sync_outcome outcome, const std::string& message,
            order_transition extra = {}) {
  auto& st = self->state;
  extra.to = to;
  extra.data = std::move(data);
  auto from_state = st.row.state;
  extra.log = log_entry(self, outcome,
                        message.empty() ? from_state + " -> " + to : message);
  extra.log.payload["state"] = to;
  auto r = st.store->apply_checked(st.row, extra, st.settings.node,
                                   st.settings.lease);
  if (!r) {
    retry_later(self, "could not commit " + from_state + " -> " + to + ": " +
                          persistence::db_error_text(r.error()));
    return false;
  }
  if (!r->moved) {
    if (++st.conflicts > 3) {
      finish(self);
      return false;
    }
    self->send(self, order_step_atom_v);
    return false;
  }
  st.conflicts = 0;
  st.attempt = 0;
  st.released = extra.unclaim;
  st.row.state = to;
  st.row.data = extra.data;
  // The shop customer holds the order's ERP number already: the next
  // transition commits the flag.
  if (r->customer_tagged)
    st.row.data["customer_tagged"] = true;
  ++st.row.version;
  st.step_started = clock_type::now();
  return true;
}

void fail_order(saga_ptr self, const std::string& reason) {
  auto data = self->state.row.data;
  data["reason"] = reason;
  data["parked"] = true;
  order_transition t;
  t.release = true;
  t.unclaim = true;
  t.dead_letter_reason = reason;
  if (commit(self, order_state::failed, data, sync_outcome::failed,
             self->state.row.state + " -> failed: " + reason, std::move(t))) {
    if (self->state.settings.flows)
      self->state.settings.flows->failed(
          "orders", "record_refused",
          "order " + self->state.key + " failed and dead-lettered: " + reason);
    finish(self);
  }
}

/// The shop's order lines as reservations (whole pieces, rounded up).
std::vector<persistence::reserved_line>
reservation_lines(const shop::shop_order& order) {
  std::vector<persistence::reserved_line> lines;
  for (const auto& item : order.items) {
    auto units = item.qty_ordered.units();
    auto pieces = (units + decimal::one - 1) / decimal::one;
    lines.push_back({item.sku, std::max<std::int64_t>(pieces, 1)});
  }
  return lines;
}

std::optional<money> threshold_for(const saga_state& st) {
  auto group = st.row.data.find("customer_group");
  if (group != st.row.data.end() && group->is_number_integer()) {
    auto g = st.settings.group_approval_thresholds.find(group->get<int>());
    if (g != st.settings.group_approval_thresholds.end()) {
      auto it = g->second.find(st.order.base_currency_code);
      if (it != g->second.end())
        return it->second;
    }
  }
  auto it = st.settings.approval_thresholds.find(st.order.base_currency_code);
  if (it == st.settings.approval_thresholds.end())
    return std::nullopt;
  return it->second;
}

std::string describe(const caf::error& e) {
  if (auto erp = erp_error_of(e))
    return std::string{"ERP "} + to_string(erp->kind) + ": " + erp->message;
  if (auto shop = shop_error_of(e))
    return std::string{"shop "} + to_string(shop->kind) + ": " + shop->message;
  return to_string(e);
}

// -- shop side effects --------------------------------------------------------

/// Runs shop calls one after the other; a 409 (the order is already in the
/// wanted state, e.g. after a crash between the call and its commit) counts
/// as done. Then `done` runs; transient failures retry the step.
void shop_calls(saga_ptr self, std::vector<shop_order_action> actions,
                std::optional<shop_comment_order> comment,
                std::function<void(saga_ptr)> done) {
  auto shop = self->state.connectors->shop();
  if (!shop) {
    retry_later(self, "the shop connector is not running");
    return;
  }
  if (!actions.empty()) {
    auto action = actions.front();
    actions.erase(actions.begin());
    self->request(shop, self->state.settings.call_timeout, action)
        .then([=](bool) { shop_calls(self, actions, comment, done); },
              [=](caf::error& e) {
                auto se = shop_error_of(e);
                if (se && se->kind == shop_error_kind::conflict) {
                  shop_calls(self, actions, comment, done);
                  return;
                }
                if (se && !may_pass(e)) {
                  // The shop refuses the change for good (e.g. the order is
                  // gone): keep going, the sync log says so.
                  self->state.store->log(log_entry(
                      self, sync_outcome::skipped,
                      "shop " + action.action + " refused: " + describe(e),
                      sync_direction::erp_to_shop));
                  shop_calls(self, actions, comment, done);
                  return;
                }
                retry_later(self, "shop " + action.action + ": " + describe(e));
              });
    return;
  }
  if (comment) {
    auto c = *comment;
    self->request(shop, self->state.settings.call_timeout, c)
        .then([=](bool) { done(self); },
              [=](caf::error& e) {
                auto se = shop_error_of(e);
                if (se && !may_pass(e)) {
                  self->state.store->log(
                      log_entry(self, sync_outcome::skipped,
                                "shop comment refused: " + describe(e),
                                sync_direction::erp_to_shop));
                  done(self);
                  return;
                }
                retry_later(self, "shop comment: " + describe(e));
              });
    return;
  }
  done(self);
}

/// Marks the state's shop side effect done and parks or continues.
void shop_done(saga_ptr self, bool park, const std::string& message) {
  auto data = self->state.row.data;
  data["shop_done"] = true;
  data["parked"] = park;
  order_transition t;
  t.unclaim = park;
  if (commit(self, self->state.row.state, data, sync_outcome::ok, message,
             std::move(t))) {
    if (park)
      finish(self);
    else
      step(self);
  }
}

// -- ERP steps ---------------------------------------------------------------

void submitted(saga_ptr self, const std::string& sales_order_no,
               const std::string& how) {
  auto data = self->state.row.data;
  data["sales_order_no"] = sales_order_no;
  data["shop_done"] = false;
  data["parked"] = false;
  order_transition t;
  t.release = true;
  // Whether the order's shop customer holds its ERP number already (an
  // earlier order or the customer sync wrote it) rides on this commit: a
  // returning customer's order then makes no shop call for it.
  const auto& order = self->state.order;
  if (order.customer_id && !data.value("customer_tagged", true))
    t.check_customer_tag = {*order.customer_id,
                            data.value("erp_customer_no", "")};
  auto message = self->state.row.state + " -> submitted: " + sales_order_no +
                 " (" + how + ")";
  self->state.row.data["sales_order_no"] = sales_order_no; // for the log
  if (commit(self, order_state::submitted, data, sync_outcome::ok, message,
             std::move(t)))
    step(self);
}

void look_up_sales_order(saga_ptr self, const std::string& why);

void create_sales_order(saga_ptr self) {
  auto& st = self->state;
  auto mapped = map_sales_order(
      st.order, st.row.data.value("erp_customer_no", ""), st.settings.mapping);
  if (auto p = std::get_if<order_problem>(&mapped)) {
    fail_order(self, p->reason);
    return;
  }
  auto erp = st.connectors->erp();
  if (!erp) {
    retry_later(self, "the ERP connector is not running");
    return;
  }
  self->request(erp, st.settings.call_timeout,
                erp_create_sales_order{std::get<erp_sales_order>(mapped)})
      .then(
          [=](erp_created_sales_order& created) {
            submitted(self, created.sales_order_no, "created");
          },
          [=](caf::error& e) {
            auto ee = erp_error_of(e);
            if (!ee) {
              // No answer from the connector at all: the call may have gone
              // out, so it counts as an unknown outcome.
              look_up_sales_order(self, describe(e));
              return;
            }
            if (ee->code == erp_fault_code::duplicate_external_order_id) {
              if (!ee->existing_key.empty())
                submitted(self, ee->existing_key, "already in the ERP");
              else
                look_up_sales_order(self, "DuplicateExternalOrderID");
              return;
            }
            if (ee->kind == erp_error_kind::outcome_unknown) {
              look_up_sales_order(self, ee->message);
              return;
            }
            if (auto p = order_problem_from_erp(self->state.order, *ee)) {
              fail_order(self, p->reason);
              return;
            }
            if (ee->kind == erp_error_kind::client_fault ||
                ee->kind == erp_error_kind::invalid_request) {
              fail_order(self, "order " + self->state.key +
                                   ": the ERP refused the sales order: " +
                                   ee->message);
              return;
            }
            retry_later(self, "CreateSalesOrder: " + describe(e));
          });
}

/// After an unknown outcome: adopt the sales order if the ERP has it, else
/// create it (again).
void look_up_sales_order(saga_ptr self, const std::string& why) {
  auto& st = self->state;
  st.store->log(log_entry(self, sync_outcome::retry,
                          "CreateSalesOrder outcome unknown (" + why +
                              "); looking it up with GetSalesOrder"));
  auto erp = st.connectors->erp();
  if (!erp) {
    retry_later(self, "the ERP connector is not running");
    return;
  }
  self->request(erp, st.settings.call_timeout,
                erp_get_sales_order{external_order_id(st.key)})
      .then(
          [=](erp_sales_order& found) {
            submitted(self, found.sales_order_no, "found by GetSalesOrder");
          },
          [=](caf::error& e) {
            auto ee = erp_error_of(e);
            if (ee && ee->code == erp_fault_code::not_found) {
              ++self->state.attempt;
              create_sales_order(self);
              return;
            }
            retry_later(self, "GetSalesOrder: " + describe(e));
          });
}

/// The ERP number is stored on the shop customer after the submission
/// (`customer_tagged`), so that the shop call does not delay it.
void customer_ensured(saga_ptr self, const std::string& customer_no,
                      const std::string& how) {
  auto data = self->state.row.data;
  data["erp_customer_no"] = customer_no;
  // A guest has no shop customer to tag.
  data["customer_tagged"] = !self->state.order.customer_id.has_value();
  data["shop_done"] = false;
  data["parked"] = false;
  if (commit(self, order_state::customer_ensured, data, sync_outcome::ok,
             self->state.row.state + " -> customer_ensured (" + how + ")"))
    step(self);
}

/// Stores the ERP customer number on the shop customer unless it holds it
/// already (`customer_tagged`, see `submitted`), then runs `next`. The
/// write is recorded (shop_customer_tag) so that the customer's later
/// orders skip it; a customer whose ERP number changed (merged in the ERP)
/// is written again. Rows from before `customer_tagged` existed were
/// tagged before their customer_ensured transition.
void tag_customer(saga_ptr self, std::function<void(saga_ptr)> next) {
  auto& st = self->state;
  if (st.row.data.value("customer_tagged", true) || !st.order.customer_id) {
    next(self);
    return;
  }
  auto shop = st.connectors->shop();
  if (!shop) {
    retry_later(self, "the shop connector is not running");
    return;
  }
  shop_update_customer update;
  update.id = *st.order.customer_id;
  auto customer_no = st.row.data.value("erp_customer_no", "");
  update.custom_attributes = {{"erp_customer_no", customer_no}};
  self->request(shop, st.settings.call_timeout, update)
      .then(
          [=](shop::shop_customer&) {
            auto& st = self->state;
            // Not again if the comment is retried; if the record fails, a
            // later order writes the same number again, which is harmless.
            st.row.data["customer_tagged"] = true;
            auto recorded =
                st.store->record_customer_tag(update.id, customer_no);
            if (!recorded)
              st.store->log(log_entry(
                  self, sync_outcome::skipped,
                  "erp_customer_no stored on the shop customer but not "
                  "recorded: " +
                      persistence::db_error_text(recorded.error()),
                  sync_direction::erp_to_shop));
            next(self);
          },
          [=](caf::error& e) {
            auto se = shop_error_of(e);
            if (se && !may_pass(e)) {
              self->state.store->log(log_entry(
                  self, sync_outcome::skipped,
                  "erp_customer_no not stored on the shop customer: " +
                      describe(e),
                  sync_direction::erp_to_shop));
              next(self);
              return;
            }
            retry_later(self, "shop customer update: " + describe(e));
          });
}

void ensure_customer(saga_ptr self) {
  auto& st = self->state;
  auto erp = st.connectors->erp();
  if (!erp) {
    retry_later(self, "the ERP connector is not running");
    return;
  }
  auto email = normalize_email(st.order.customer_email);
  self->request(erp, st.settings.call_timeout, erp_find_customer{email})
      .then(
          [=](erp_customer_lookup& lookup) {
            if (lookup.found) {
              customer_ensured(self, lookup.customer.customer_no, "found");
              return;
            }
            const auto& bill = self->state.order.billing_address;
            erp_customer c;
            c.email = email;
            c.first_name = bill.firstname.empty() ? "Web" : bill.firstname;
            c.last_name = bill.lastname.empty() ? "Customer" : bill.lastname;
            c.phone = bill.telephone;
            if (self->state.order.customer_id)
              c.external_customer_id =
                  std::to_string(*self->state.order.customer_id);
            auto erp = self->state.connectors->erp();
            if (!erp) {
              retry_later(self, "the ERP connector is not running");
              return;
            }
            self->request(erp, self->state.settings.call_timeout,
                          erp_create_customer{c})
                .then(
                    [=](erp_customer_no& no) {
                      customer_ensured(self, no.value, "created");
                    },
                    [=](caf::error& e) {
                      auto ee = erp_error_of(e);
                      if (ee &&
                          ee->code == erp_fault_code::duplicate_customer &&
                          !ee->existing_key.empty()) {
                        customer_ensured(self, ee->existing_key,
                                         "adopted duplicate");
                        return;
                      }
                      if (ee && ee->kind == erp_error_kind::client_fault &&
                          ee->code == erp_fault_code::validation) {
                        fail_order(self,
                                   "order " + self->state.key +
                                       ": the ERP refused the customer: " +
                                       ee->message);
                        return;
                      }
                      // Unknown outcome included: the next attempt finds it.
                      retry_later(self, "CreateCustomer: " + describe(e));
                    });
          },
          [=](caf::error& e) {
            retry_later(self, "FindCustomer: " + describe(e));
          });
}

// -- the state machine --------------------------------------------------------

/// Reads the order's customer group from the shop for the per-group
/// approval thresholds; it is committed with the next transition. A
/// customer the shop no longer has counts as no group (the default
/// thresholds).
void look_up_customer_group(saga_ptr self) {
  auto& st = self->state;
  auto shop = st.connectors->shop();
  if (!shop) {
    retry_later(self, "the shop connector is not running");
    return;
  }
  self->request(shop, st.settings.call_timeout,
                shop_get_customer{*st.order.customer_id})
      .then(
          [=](shop::shop_customer& c) {
            self->state.row.data["customer_group"] = c.group_id;
            step(self);
          },
          [=](caf::error& e) {
            auto se = shop_error_of(e);
            if (se && se->kind == shop_error_kind::not_found) {
              self->state.row.data["customer_group"] = nullptr;
              step(self);
              return;
            }
            retry_later(self, "shop customer group: " + describe(e));
          });
}

void step(saga_ptr self) {
  auto& st = self->state;
  const auto& state = st.row.state;
  auto shop_done_flag = st.row.data.value("shop_done", false);
  if (state == order_state::received) {
    if (auto p = validate_order(st.order, st.settings.mapping)) {
      fail_order(self, p->reason);
      return;
    }
    auto data = st.row.data;
    data["parked"] = false;
    order_transition t;
    t.reserve = reservation_lines(st.order);
    if (commit(self, order_state::validated, data, sync_outcome::ok, "",
               std::move(t)))
      step(self);
    return;
  }
  if (state == order_state::validated) {
    if (!st.settings.group_approval_thresholds.empty() &&
        st.order.customer_id && !st.row.data.contains("customer_group")) {
      look_up_customer_group(self);
      return;
    }
    auto threshold = threshold_for(st);
    auto data = st.row.data;
    if (threshold && st.order.grand_total >= *threshold) {
      data["shop_done"] = false;
      data["parked"] = false;
      data["threshold"] = threshold->to_string();
      auto group = data.find("customer_group");
      if (commit(self, order_state::pending_approval, data, sync_outcome::ok,
                 "validated -> pending_approval: grand_total " +
                     st.order.grand_total.to_string() + " " +
                     st.order.base_currency_code + " >= threshold " +
                     threshold->to_string() +
                     (group != data.end() && group->is_number_integer()
                          ? " (customer group " +
                                std::to_string(group->get<int>()) + ")"
                          : std::string{})))
        step(self);
      return;
    }
    ensure_customer(self);
    return;
  }
  if (state == order_state::pending_approval) {
    if (shop_done_flag) {
      finish(self);
      return;
    }
    shop_comment_order comment;
    comment.entity_id = st.order.entity_id;
    comment.comment = "Ferry: held for approval (grand total " +
                      st.order.grand_total.to_string() + " " +
                      st.order.base_currency_code + ", threshold " +
                      st.row.data.value("threshold", "") + ")";
    shop_calls(self, {shop_order_action{st.order.entity_id, "hold"}}, comment,
               [](saga_ptr self) {
                 shop_done(self, true, "order held in the shop for approval");
               });
    return;
  }
  if (state == order_state::approved) {
    if (shop_done_flag) {
      ensure_customer(self);
      return;
    }
    shop_calls(self, {shop_order_action{st.order.entity_id, "unhold"}},
               std::nullopt, [](saga_ptr self) {
                 shop_done(self, false, "order released in the shop");
               });
    return;
  }
  if (state == order_state::rejected) {
    if (shop_done_flag) {
      finish(self);
      return;
    }
    auto decision = st.row.data.value("decision", nlohmann::json::object());
    shop_comment_order comment;
    comment.entity_id = st.order.entity_id;
    comment.comment = "Ferry: order rejected by " +
                      decision.value("by", std::string{"an approver"}) + ": " +
                      decision.value("reason", std::string{});
    shop_calls(self,
               {shop_order_action{st.order.entity_id, "unhold"},
                shop_order_action{st.order.entity_id, "cancel"}},
               comment, [](saga_ptr self) {
                 shop_done(self, true, "order cancelled in the shop");
               });
    return;
  }
  if (state == order_state::customer_ensured) {
    create_sales_order(self);
    return;
  }
  if (state == order_state::submitted) {
    if (shop_done_flag) {
      finish(self);
      return;
    }
    shop_comment_order comment;
    comment.entity_id = st.order.entity_id;
    comment.comment =
        erp_number_comment(st.row.data.value("sales_order_no", ""));
    tag_customer(self, [comment](saga_ptr self) {
      shop_calls(self, {}, comment, [](saga_ptr self) {
        shop_done(self, true, "ERP number commented on the shop order");
      });
    });
    return;
  }
  // failed, or a state this version does not know: nothing to do here.
  finish(self);
}

/// Takes the step of the row's state.
void start(saga_ptr self) {
  auto& st = self->state;
  st.step_started = clock_type::now();
  if (st.row.state == order_state::failed ||
      st.row.data.value("parked", false)) {
    finish(self);
    return;
  }
  auto dom = shop::parse_exact(st.row.input);
  auto order = dom ? shop::order_from_json(*dom)
                   : shop::parsed<shop::shop_order>::fail(dom.error);
  if (!order) {
    fail_order(self, "order " + st.key + ": " + order.error);
    return;
  }
  st.order = std::move(*order);
  step(self);
}

/// Loads the saga's row (whatever committed meanwhile, after a failure or
/// a conflict) and takes the step of its state.
void load_and_step(saga_ptr self) {
  auto& st = self->state;
  auto loaded = st.store->load(st.key);
  if (!loaded) {
    retry_later(self, "could not load: " +
                          persistence::db_error_text(loaded.error()));
    return;
  }
  if (!*loaded) {
    finish(self);
    return;
  }
  st.row = std::move(**loaded);
  start(self);
}

order_saga_actor::behavior_type
order_saga(saga_ptr self, std::string key, order_saga_settings settings,
           std::shared_ptr<persistence::order_saga_store> store,
           std::shared_ptr<connector_directory> connectors) {
  auto& st = self->state;
  st.key = std::move(key);
  st.settings = std::move(settings);
  st.store = std::move(store);
  st.connectors = std::move(connectors);
  self->send(self, order_step_atom_v);
  return {
      [self](order_step_atom) {
        if (self->state.preloaded) {
          self->state.preloaded = false;
          start(self);
          return;
        }
        load_and_step(self);
      },
  };
}

order_saga_actor::behavior_type
order_saga_from_row(saga_ptr self, persistence::order_saga_row row,
                    order_saga_settings settings,
                    std::shared_ptr<persistence::order_saga_store> store,
                    std::shared_ptr<connector_directory> connectors) {
  self->state.row = row;
  self->state.preloaded = true;
  return order_saga(self, std::move(row.key), std::move(settings),
                    std::move(store), std::move(connectors));
}

} // namespace

std::optional<order_validation>
validate_on_arrival(const std::string& key, const shop::shop_order& order,
                    const order_saga_settings& settings) {
  if (validate_order(order, settings.mapping))
    return std::nullopt;
  order_validation v;
  v.reserve = reservation_lines(order);
  v.log.entity = "order";
  v.log.direction = sync_direction::shop_to_erp;
  v.log.entity_id = key;
  v.log.attempt = 1;
  v.log.latency_ms = 0;
  v.log.outcome = sync_outcome::ok;
  v.log.message =
      std::string{order_state::received} + " -> " + order_state::validated;
  v.log.payload = {{"external_order_id", external_order_id(key)},
                   {"state", order_state::validated},
                   {"grand_total", order.grand_total.to_string()},
                   {"currency", order.base_currency_code}};
  return v;
}

std::string erp_number_comment(const std::string& sales_order_no) {
  return "Ferry: ERP sales order " + sales_order_no;
}

order_saga_actor
spawn_order_saga(caf::actor_system& sys, std::string key,
                 order_saga_settings settings,
                 std::shared_ptr<persistence::order_saga_store> store,
                 std::shared_ptr<connector_directory> connectors) {
  return sys.spawn<caf::detached>(order_saga, std::move(key),
                                  std::move(settings), std::move(store),
                                  std::move(connectors));
}

order_saga_actor
spawn_order_saga(caf::actor_system& sys, persistence::order_saga_row row,
                 order_saga_settings settings,
                 std::shared_ptr<persistence::order_saga_store> store,
                 std::shared_ptr<connector_directory> connectors) {
  return sys.spawn<caf::detached>(order_saga_from_row, std::move(row),
                                  std::move(settings), std::move(store),
                                  std::move(connectors));
}

} // namespace ferry
