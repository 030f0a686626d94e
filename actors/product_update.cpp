#include "actors/product_update.hpp"

#include "mapping/masking.hpp"
#include "monitoring/log.hpp"
#include "persistence/dead_letter_store.hpp"
#include "persistence/errors.hpp"
#include "persistence/inbox_store.hpp"

#include <caf/all.hpp>
#include <nlohmann/json.hpp>

namespace ferry {

namespace {

constexpr const char* topic = "products/update";

struct product_update_state {
  std::unique_ptr<product_pipeline> pipeline;
  std::unique_ptr<persistence::inbox_store> inbox;
  std::unique_ptr<persistence::dead_letter_store> dead_letters;
  product_update_settings settings;
  product_sync_report report;
  /// Tags the one pending timer (see product_sync.cpp).
  std::uint64_t timer = 0;
  static inline const char* name = "product_update";
};

using update_ptr = product_update_actor::stateful_pointer<product_update_state>;

void note_error(update_ptr self, const std::string& text) {
  ++self->state.report.errors;
  self->state.report.last_error = text;
}

/// An event whose processing failed with `e`: claimed again after a delay,
/// or dead-lettered and failed when `e` will not pass or its attempts are
/// used up (kept open when the dead letter cannot be written).
void retry_or_dead_letter(update_ptr self,
                          const persistence::claimed_event& event,
                          const caf::error& e) {
  auto& st = self->state;
  auto text = describe_error(self->system(), e);
  note_error(self, text);
  auto delay = next_attempt_in(st.settings.retry, event.attempts, e);
  if (!delay) {
    auto reason = dead_letter_reason(event.attempts, e, text);
    auto dom = nlohmann::json::parse(event.event.payload, nullptr, false);
    auto sku = dom.is_object() && dom.value("sku", nlohmann::json{}).is_string()
                   ? dom["sku"].get<std::string>()
                   : std::string{};
    auto put = st.dead_letters->put("shop", "product", sku, reason,
                                    event.event.payload);
    if (put) {
      ++st.report.rejected;
      monitoring::log_warn(
          "product_update", "product update dead-lettered",
          {{"sku", sku}, {"reason", mapping::mask_text(reason)}});
      auto failed = st.inbox->fail(event.id, st.settings.node, reason);
      if (!failed)
        note_error(self, persistence::db_error_text(failed.error()));
      return;
    }
    note_error(self, persistence::db_error_text(put.error()));
    delay = retry_delay(st.settings.retry, event.attempts);
  }
  auto retried = st.inbox->retry(event.id, st.settings.node, text, *delay);
  if (!retried)
    note_error(self, persistence::db_error_text(retried.error()));
}

/// Applies one claimed batch; the number of events claimed.
std::size_t drain_batch(update_ptr self) {
  auto& st = self->state;
  auto claimed = st.inbox->claim(st.settings.node, st.settings.batch,
                                 st.settings.lease, std::string{topic});
  if (!claimed) {
    note_error(self, persistence::db_error_text(claimed.error()));
    return 0;
  }
  for (const auto& event : *claimed) {
    auto applied =
        st.pipeline->apply_shop_update(event.event.payload, st.report);
    if (applied) {
      auto done = st.inbox->complete(event.id, st.settings.node);
      if (!done)
        note_error(self, persistence::db_error_text(done.error()));
      continue;
    }
    retry_or_dead_letter(self, event, applied.error());
  }
  return claimed->size();
}

product_update_actor::behavior_type
product_update(update_ptr self, persistence::pg_pool* pool, erp_resolver erp,
               shop_resolver shop, product_update_settings settings) {
  auto& st = self->state;
  st.settings = settings;
  st.pipeline =
      std::make_unique<product_pipeline>(self->system(), *pool, std::move(erp),
                                         std::move(shop), settings.pipeline);
  st.inbox = std::make_unique<persistence::inbox_store>(*pool);
  st.dead_letters = std::make_unique<persistence::dead_letter_store>(*pool);
  auto cycle = [self] {
    auto& st = self->state;
    auto claimed = drain_batch(self);
    ++st.report.cycles;
    // A full batch means more may be waiting: go on at once.
    auto delay = claimed >= st.settings.batch ? std::chrono::milliseconds{0}
                                              : st.settings.interval;
    self->delayed_send(self, delay, product_cycle_atom::value, ++st.timer);
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

product_update_actor spawn_product_update(caf::actor_system& sys,
                                          persistence::pg_pool& pool,
                                          erp_resolver erp, shop_resolver shop,
                                          product_update_settings settings) {
  return sys.spawn<caf::detached>(product_update, &pool, std::move(erp),
                                  std::move(shop), std::move(settings));
}

} // namespace ferry
