#include "actors/pricing_actor.hpp"

#include <caf/after.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <vector>

namespace ferry {

namespace {

struct pricing_state {
  std::string customer_id;
  caf::actor loaders;
  pricing_actor_settings settings;
  pricing_customer customer;
  bool own_memory = false;
  static inline const char* name = "pricing";
};

pricing_actor::behavior_type
pricing(pricing_actor::stateful_pointer<pricing_state> self,
        std::string customer_id, caf::actor loaders,
        pricing_actor_settings settings) {
  auto& init = self->state;
  init.customer_id = std::move(customer_id);
  init.loaders = std::move(loaders);
  init.own_memory = settings.memory == nullptr;
  if (init.own_memory)
    settings.memory =
        std::make_shared<pricing_memory>(settings.ttl, settings.max_entries);
  init.settings = std::move(settings);
  return {
      [self](price_query& query) -> caf::result<price_reply> {
        auto& st = self->state;
        auto& memory = *st.settings.memory;
        auto now = pricing_memory::clock::now();
        price_reply reply;
        reply.answers.resize(query.items.size());
        std::vector<std::size_t> missing;
        for (std::size_t i = 0; i < query.items.size(); ++i) {
          if (auto a = memory.recall(st.customer_id, query.currency,
                                     query.items[i], now))
            reply.answers[i] = std::move(*a);
          else
            missing.push_back(i);
        }
        if (missing.empty())
          return reply;
        price_load load;
        load.customer = st.customer;
        load.query.customer_id = st.customer_id;
        load.query.currency = query.currency;
        for (auto i : missing)
          load.query.items.push_back(query.items[i]);
        auto rp = self->make_response_promise<price_reply>();
        auto currency = query.currency;
        auto items = std::move(query.items);
        auto generation = memory.generation();
        self->request(st.loaders, st.settings.load_timeout, std::move(load))
            .then(
                [self, rp, reply, missing, currency, items,
                 generation](price_load_result& loaded) mutable {
                  auto& st = self->state;
                  if (loaded.customer.resolved &&
                      generation == st.settings.memory->generation())
                    st.customer = loaded.customer;
                  auto now = pricing_memory::clock::now();
                  for (std::size_t k = 0;
                       k < missing.size() && k < loaded.reply.answers.size();
                       ++k) {
                    auto& answer = loaded.reply.answers[k];
                    st.settings.memory->remember(generation, st.customer_id,
                                                 currency, items[missing[k]],
                                                 answer, now);
                    reply.answers[missing[k]] = std::move(answer);
                  }
                  rp.deliver(std::move(reply));
                },
                [rp, reply, missing, items](caf::error& err) mutable {
                  for (auto i : missing) {
                    auto& a = reply.answers[i];
                    a.sku = items[i].sku;
                    a.quantity = items[i].quantity;
                    a.status = 503;
                    a.error = "unavailable";
                    a.message =
                        "prices cannot be computed now: " + caf::to_string(err);
                  }
                  rp.deliver(std::move(reply));
                });
        return rp;
      },
      [self](pricing_invalidate_atom, std::int64_t) {
        if (self->state.own_memory)
          self->state.settings.memory->forget_all();
        // The customer's price group may have changed with the lists.
        self->state.customer = pricing_customer{};
      },
      caf::after(init.settings.idle_timeout) >> [self] { self->quit(); },
  };
}

} // namespace

pricing_actor spawn_pricing_actor(caf::actor_system& sys,
                                  std::string customer_id, caf::actor loaders,
                                  pricing_actor_settings settings) {
  return sys.spawn(pricing, std::move(customer_id), std::move(loaders),
                   settings);
}

} // namespace ferry
