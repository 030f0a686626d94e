#include "actors/pricing_actor.hpp"

#include <caf/after.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <unordered_map>

namespace ferry {

namespace {

using clock_type = std::chrono::steady_clock;

struct remembered {
  price_answer answer;
  clock_type::time_point at;
};

struct pricing_state {
  std::string customer_id;
  caf::actor loaders;
  pricing_actor_settings settings;
  pricing_customer customer;
  std::unordered_map<std::string, remembered> memory;
  static inline const char* name = "pricing";
};

std::string memory_key(const std::string& currency, const price_item& item) {
  return item.sku + '\x1f' + item.quantity.to_string() + '\x1f' + currency;
}

pricing_actor::behavior_type
pricing(pricing_actor::stateful_pointer<pricing_state> self,
        std::string customer_id, caf::actor loaders,
        pricing_actor_settings settings) {
  self->state.customer_id = std::move(customer_id);
  self->state.loaders = std::move(loaders);
  self->state.settings = settings;
  return {
    [self](price_query& query) -> caf::result<price_reply> {
      auto& st = self->state;
      auto now = clock_type::now();
      price_reply reply;
      reply.answers.resize(query.items.size());
      std::vector<std::size_t> missing;
      for (std::size_t i = 0; i < query.items.size(); ++i) {
        auto it = st.memory.find(memory_key(query.currency, query.items[i]));
        if (it != st.memory.end() && now - it->second.at < st.settings.ttl) {
          reply.answers[i] = it->second.answer;
          reply.answers[i].cache_hit = true;
        } else {
          missing.push_back(i);
        }
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
      self
        ->request(st.loaders, st.settings.load_timeout, std::move(load))
        .then(
          [self, rp, reply, missing, currency,
           items](price_load_result& loaded) mutable {
            auto& st = self->state;
            if (loaded.customer.resolved)
              st.customer = loaded.customer;
            if (st.memory.size() + missing.size() > st.settings.max_entries)
              st.memory.clear();
            auto now = clock_type::now();
            for (std::size_t k = 0;
                 k < missing.size() && k < loaded.reply.answers.size(); ++k) {
              auto& answer = loaded.reply.answers[k];
              if (answer.status == 200)
                st.memory[memory_key(currency, items[missing[k]])] =
                  remembered{answer, now};
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
              a.message = "prices cannot be computed now: "
                          + caf::to_string(err);
            }
            rp.deliver(std::move(reply));
          });
      return rp;
    },
    [self](pricing_invalidate_atom, std::int64_t) {
      self->state.memory.clear();
      // The customer's price group may have changed with the lists.
      self->state.customer = pricing_customer{};
    },
    caf::after(settings.idle_timeout) >> [self] { self->quit(); },
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
