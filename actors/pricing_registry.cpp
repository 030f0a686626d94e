#include "actors/pricing_registry.hpp"

#include <caf/exit_reason.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <list>
#include <map>
#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>
#include <unordered_map>

namespace ferry {

namespace {

struct child {
  pricing_actor handle;
  std::list<std::string>::iterator recent; // position in `lru`
};

struct registry_state {
  pricing_registry_settings settings;
  pricing_actor_factory factory;
  std::unordered_map<std::string, child> children;
  // Most recently used first.
  std::list<std::string> lru;
  // Every linked actor whose exit has not arrived yet, by address; an exit
  // from anyone else is the supervisor stopping us.
  std::map<caf::actor_addr, std::string> linked;
  pricing_status status;
  prometheus::Gauge* alive = nullptr;
  prometheus::Counter* restarts = nullptr;
  static inline const char* name = "pricing_registry";
};

using registry_pointer =
    pricing_registry_actor::stateful_pointer<registry_state>;

void publish_alive(registry_state& st) {
  st.status.alive = st.children.size();
  st.alive->Set(static_cast<double>(st.children.size()));
}

void forget(registry_state& st, const std::string& key) {
  auto it = st.children.find(key);
  if (it == st.children.end())
    return;
  st.lru.erase(it->second.recent);
  st.children.erase(it);
  publish_alive(st);
}

pricing_actor spawn_child(registry_pointer self, const std::string& key) {
  auto& st = self->state;
  while (!st.children.empty() && st.children.size() >= st.settings.max_actors) {
    auto victim = st.lru.back();
    self->send_exit(st.children[victim].handle,
                    caf::exit_reason::user_shutdown);
    forget(st, victim);
    ++st.status.evicted;
  }
  auto handle = st.factory(self->system(), key);
  self->link_to(handle);
  st.linked.emplace(handle.address(), key);
  st.lru.push_front(key);
  st.children[key] = child{handle, st.lru.begin()};
  ++st.status.spawned;
  publish_alive(st);
  return handle;
}

pricing_actor child_for(registry_pointer self, const std::string& key) {
  auto& st = self->state;
  auto it = st.children.find(key);
  if (it == st.children.end())
    return spawn_child(self, key);
  st.lru.splice(st.lru.begin(), st.lru, it->second.recent);
  return it->second.handle;
}

// Sends `query` to `handle`; on failure replaces the actor (when it is still
// the current one) and tries once more, then answers 503.
void ask(registry_pointer self, pricing_actor handle, price_query query,
         caf::typed_response_promise<price_reply> rp, bool retried) {
  auto key = query.customer_id;
  self->request(handle, self->state.settings.request_timeout, query)
      .then([rp](price_reply& reply) mutable { rp.deliver(std::move(reply)); },
            [self, handle, query, rp, retried, key](caf::error& err) mutable {
              auto& st = self->state;
              if (retried) {
                price_reply reply;
                for (const auto& item : query.items) {
                  price_answer a;
                  a.sku = item.sku;
                  a.quantity = item.quantity;
                  a.status = 503;
                  a.error = "unavailable";
                  a.message = "pricing failed: " + self->system().render(err);
                  reply.answers.push_back(std::move(a));
                }
                rp.deliver(std::move(reply));
                return;
              }
              auto it = st.children.find(key);
              if (it != st.children.end() &&
                  it->second.handle.address() == handle.address()) {
                // Failed or stuck: make sure it is gone, then replace it.
                self->send_exit(handle, caf::exit_reason::kill);
                forget(st, key);
                ++st.status.restarts;
                st.restarts->Increment();
              }
              ask(self, child_for(self, key), std::move(query), rp, true);
            });
}

pricing_registry_actor::behavior_type
pricing_registry(registry_pointer self, pricing_registry_settings settings,
                 pricing_actor_factory factory, caf::actor owned,
                 prometheus::Gauge* alive, prometheus::Counter* restarts) {
  auto& st = self->state;
  st.settings = settings;
  if (st.settings.max_actors == 0)
    st.settings.max_actors = 1;
  st.factory = std::move(factory);
  st.alive = alive;
  st.restarts = restarts;
  if (owned)
    self->attach_functor([owned](const caf::error&) {
      caf::anon_send_exit(owned, caf::exit_reason::user_shutdown);
    });
  self->set_exit_handler([self](caf::exit_msg& msg) {
    auto& st = self->state;
    auto it = st.linked.find(msg.source);
    if (it == st.linked.end()) {
      self->quit(msg.reason);
      return;
    }
    auto key = it->second;
    st.linked.erase(it);
    auto current = st.children.find(key);
    if (current == st.children.end() ||
        current->second.handle.address() != msg.source)
      return; // evicted or already replaced
    forget(st, key);
    // Stopped when idle: nothing to do. Failed: the next request for the
    // customer starts a new one (its state is in Redis/PostgreSQL).
    if (msg.reason && msg.reason != caf::exit_reason::user_shutdown) {
      ++st.status.restarts;
      st.restarts->Increment();
    }
  });
  return {
      [self](price_query& query) -> caf::result<price_reply> {
        auto rp = self->make_response_promise<price_reply>();
        auto handle = child_for(self, query.customer_id);
        ask(self, handle, std::move(query), rp, false);
        return rp;
      },
      [self](pricing_invalidate_atom atom, std::int64_t version) {
        auto& st = self->state;
        if (version >= 0)
          st.status.version = version;
        if (st.settings.memory)
          st.settings.memory->forget_all();
        for (auto& kv : st.children)
          self->send(kv.second.handle, atom, version);
      },
      [self](caf::get_atom) { return self->state.status; },
  };
}

} // namespace

pricing_registry_actor
spawn_pricing_registry(caf::actor_system& sys,
                       pricing_registry_settings settings,
                       pricing_actor_factory factory, caf::actor owned,
                       prometheus::Registry& registry) {
  auto& alive = prometheus::BuildGauge()
                    .Name("ferry_pricing_actors_alive")
                    .Help("Per-customer pricing actors running")
                    .Register(registry)
                    .Add({});
  auto& restarts = prometheus::BuildCounter()
                       .Name("ferry_pricing_actor_restarts_total")
                       .Help("Per-customer pricing actors that failed and "
                             "were replaced")
                       .Register(registry)
                       .Add({});
  return sys.spawn(pricing_registry, settings, std::move(factory),
                   std::move(owned), &alive, &restarts);
}

} // namespace ferry
