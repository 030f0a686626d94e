#include "actors/customer_sync.hpp"
#include "actors/price_list_poller.hpp"
#include "actors/pricing_actor.hpp"
#include "actors/pricing_loader.hpp"
#include "actors/pricing_memory.hpp"
#include "actors/pricing_registry.hpp"
#include "actors/pricing_source.hpp"
#include "app/components.hpp"
#include "config/values.hpp"
#include "mapping/json_text.hpp"
#include "persistence/customer_store.hpp"
#include "persistence/price_cache.hpp"
#include "persistence/price_list_store.hpp"

#include <caf/actor_cast.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>
#include <nlohmann/json.hpp>

namespace ferry::app {

namespace {

persistence::redis_options redis_of(const config::ferry_config& c) {
  persistence::redis_options o;
  o.host = c.redis.host;
  o.port = c.redis.port;
  o.timeout = c.redis.timeout;
  if (!c.redis.password.empty())
    o.password = c.redis.password;
  return o;
}

// What the pricing children share; lives as long as any of them.
struct pricing_parts {
  persistence::price_list_store lists;
  persistence::customer_store customers;
  persistence::redis_client source_redis;
  persistence::redis_client poller_redis;
  std::shared_ptr<persistence::price_cache> source_cache;
  std::shared_ptr<persistence::price_cache> poller_cache;
  std::shared_ptr<pricing_source> source;
  std::shared_ptr<pricing_memory> memory;

  explicit pricing_parts(component_context& c)
      : lists(c.pool),
        customers(c.pool),
        source_redis(redis_of(c.config)),
        poller_redis(redis_of(c.config)),
        memory(c.prices) {
    source_cache = std::make_shared<persistence::price_cache>(
        source_redis, c.config.redis.key_prefix, c.config.pricing.cache_ttl);
    poller_cache = std::make_shared<persistence::price_cache>(
        poller_redis, c.config.redis.key_prefix, c.config.pricing.cache_ttl);
    pricing_source_settings s;
    s.base_currency = c.config.pricing.base_currency;
    s.erp_time_zone = config::load_time_zone(c.config.erp.timezone);
    source = std::make_shared<pricing_source>(
        lists, customers, source_cache.get(), c.registry, s);
  }
};

// Owns the invalidation listener; clears the process's memory at once and
// forwards what it hears to the registry current at that moment.
struct listener_state {
  std::unique_ptr<persistence::price_invalidation_listener> listener;
  static inline const char* name = "price_invalidation";
};

caf::behavior price_invalidation(caf::stateful_actor<listener_state>* self,
                                 persistence::redis_options options,
                                 std::string channel,
                                 std::shared_ptr<pricing_memory> memory) {
  auto* sys = &self->system();
  self->state.listener =
      std::make_unique<persistence::price_invalidation_listener>(
          std::move(options), std::move(channel),
          [sys, memory](std::optional<std::int64_t> version) {
            memory->forget_all();
            auto reg = sys->registry().get<pricing_registry_actor>(
                pricing_registry_name);
            if (reg)
              caf::anon_send(reg, pricing_invalidate_atom::value,
                             version.value_or(-1));
          });
  return {
      [self](caf::get_atom) { return self->state.listener->subscribed(); },
  };
}

// -- the API ------------------------------------------------------------------

constexpr std::size_t max_batch = 100;

nlohmann::json answer_json(const price_answer& a) {
  nlohmann::json j{{"sku", a.sku}, {"qty", a.quantity.to_string()}};
  if (a.status != 200) {
    j["status"] = a.status;
    j["error"] = a.error;
    j["message"] = a.message;
    return j;
  }
  j["status"] = 200;
  j["unit_price"] = a.quote.unit_price.to_string();
  j["list_price"] = a.quote.list_price.to_string();
  j["currency"] = a.quote.currency;
  j["rule"] = to_string(a.quote.rule);
  j["price_list"] = a.quote.price_list_code;
  j["tier_min_quantity"] = a.quote.tier_min_quantity.to_string();
  return j;
}

// The body of the single form's 200 answer; also what the process's
// memory keeps rendered beside a hot answer.
std::string single_answer_body(const std::string& customer,
                               const price_answer& a) {
  auto j = answer_json(a);
  j.erase("status");
  j["customer_id"] = customer;
  return http::response::json(200, j).body;
}

const char* x_cache(bool hit) {
  return hit ? "hit" : "miss";
}

// A 200 with a JSON body rendered already.
http::response json_200(std::string body) {
  http::response res;
  res.status = 200;
  res.headers.add("Content-Type", "application/json; charset=utf-8");
  res.body = std::move(body);
  return res;
}

// The API's answer to `reply`: the single form as one object (or the
// item's error), the batch form as items; X-Cache is hit only when every
// item came from a cache.
http::response price_response(const price_reply& reply,
                              const std::string& customer, bool batch) {
  bool all_hit = !reply.answers.empty();
  for (const auto& a : reply.answers)
    all_hit = all_hit && a.cache_hit;
  http::response res;
  if (!batch) {
    const auto& a = reply.answers.at(0);
    if (a.status != 200) {
      res = http::response::error(a.status, a.error, a.message);
    } else {
      res = json_200(single_answer_body(customer, a));
    }
  } else {
    nlohmann::json items = nlohmann::json::array();
    for (const auto& a : reply.answers)
      items.push_back(answer_json(a));
    res = http::response::json(
        200, {{"customer_id", customer}, {"items", std::move(items)}});
  }
  res.headers.set("X-Cache", x_cache(all_hit));
  return res;
}

// The single form's answer from the rendered body the memory keeps, if it
// holds a fresh answer: the hot path formats nothing.
bool answer_rendered(const pricing_memory& memory, const price_query& query,
                     const http::respond_fn& respond) {
  auto body = memory.recall_rendered(query.customer_id, query.currency,
                                     query.items.at(0), &single_answer_body);
  if (!body)
    return false;
  auto res = json_200(*body);
  res.headers.add("X-Cache", x_cache(true));
  respond(std::move(res));
  return true;
}

// Answers from the process's memory when it holds every item (on the io
// thread, no actor involved); else sends `query` to the current registry
// from a short-lived actor and answers from there, so the io thread
// returns at once. Misses wait on PostgreSQL or Redis anyway, so the spawn
// is not what they cost.
void ask_registry(caf::actor_system& sys, const pricing_memory& memory,
                  price_query query, bool batch, http::respond_fn respond) {
  if (auto remembered = memory.recall_all(query)) {
    respond(price_response(*remembered, query.customer_id, batch));
    return;
  }
  auto reg = sys.registry().get<pricing_registry_actor>(pricing_registry_name);
  if (!reg) {
    respond(
        http::response::error(503, "unavailable", "pricing is not running"));
    return;
  }
  sys.spawn([reg, query = std::move(query), batch,
             respond](caf::event_based_actor* self) mutable {
    auto customer = query.customer_id;
    self->request(reg, std::chrono::seconds(20), std::move(query))
        .then(
            [self, batch, respond, customer](price_reply& reply) {
              respond(price_response(reply, customer, batch));
              self->quit();
            },
            [self, respond](caf::error& err) {
              respond(http::response::error(503, "unavailable",
                                            "pricing did not answer: " +
                                                self->system().render(err)));
              self->quit();
            });
  });
}

// The quantity as given: a positive decimal with at most six fraction
// digits.
std::optional<decimal> parse_quantity(const std::string& text) {
  auto q = decimal::parse(text);
  if (!q || *q <= decimal{})
    return std::nullopt;
  return q;
}

bool valid_currency(const std::string& c) {
  if (c.empty())
    return true;
  if (c.size() != 3)
    return false;
  for (char ch : c)
    if (ch < 'A' || ch > 'Z')
      return false;
  return true;
}

} // namespace

void add_pricing_children(component_context& c, std::vector<child_spec>& out) {
  auto parts = std::make_shared<pricing_parts>(c);
  auto& config = c.config;
  auto& registry = c.registry;

  child_spec pricing;
  pricing.kind = "pricing";
  pricing.start = [parts, &config, &registry](caf::actor_system& sys) {
    auto loaders = spawn_pricing_loaders(sys, parts->source, 4);
    pricing_actor_settings actor_settings;
    actor_settings.ttl = config.pricing.cache_ttl;
    actor_settings.idle_timeout = config.pricing.idle_timeout;
    actor_settings.memory = parts->memory;
    pricing_registry_settings settings;
    settings.max_actors = static_cast<std::size_t>(config.pricing.max_actors);
    settings.memory = parts->memory;
    auto factory = [loaders, actor_settings](caf::actor_system& s,
                                             const std::string& customer) {
      return spawn_pricing_actor(s, customer, loaders, actor_settings);
    };
    auto reg =
        spawn_pricing_registry(sys, settings, factory, loaders, registry);
    sys.registry().put(pricing_registry_name, reg);
    return caf::actor_cast<caf::actor>(reg);
  };
  out.push_back(std::move(pricing));

  child_spec invalidation;
  invalidation.kind = "price_invalidation";
  invalidation.start = [parts, &config](caf::actor_system& sys) {
    return sys.spawn(price_invalidation, redis_of(config),
                     parts->poller_cache->channel(), parts->memory);
  };
  out.push_back(std::move(invalidation));

  child_spec poller;
  poller.kind = "price_list_poller";
  poller.role = child_role::producer;
  auto directory = c.connectors;
  auto flows = c.flows;
  poller.start = [parts, directory, flows, &config](caf::actor_system& sys) {
    price_list_poller_settings s;
    s.interval = config.pricing.poll_interval;
    s.flows = flows;
    auto store =
        std::shared_ptr<persistence::price_list_store>(parts, &parts->lists);
    auto poller = spawn_price_list_poller(
        sys, s, [directory] { return directory->erp(); }, store,
        parts->poller_cache);
    return caf::actor_cast<caf::actor>(poller);
  };
  out.push_back(std::move(poller));

  child_spec customers;
  customers.kind = "customer_sync";
  customers.role = child_role::producer;
  auto* pool = &c.pool;
  customers.start = [parts, directory, flows, &config,
                     pool](caf::actor_system& sys) {
    customer_sync_settings s;
    s.node_id = config.node.id.empty() ? "ferry" : config.node.id;
    s.erp_poll_interval = config.customers.poll_interval;
    s.group_of_price_group = config.customers.price_group_to_group_id;
    s.retry = inbox_retry_of(config.customers.retry);
    s.flows = flows;
    customer_sync_stores stores;
    stores.inbox = std::make_shared<persistence::inbox_store>(*pool);
    stores.customers =
        std::shared_ptr<persistence::customer_store>(parts, &parts->customers);
    stores.dead_letters =
        std::make_shared<persistence::dead_letter_store>(*pool);
    stores.sync_log = std::make_shared<persistence::sync_log_store>(*pool);
    stores.echoes = std::make_shared<persistence::echo_store>(*pool);
    stores.cursors =
        std::shared_ptr<persistence::price_list_store>(parts, &parts->lists);
    auto sync = spawn_customer_sync(
        sys, s, [directory] { return directory->erp(); },
        [directory] { return directory->shop(); }, std::move(stores));
    return caf::actor_cast<caf::actor>(sync);
  };
  out.push_back(std::move(customers));
}

void add_pricing_routes(api_context& context, http::router& router) {
  auto* sys = &context.components.system;
  auto memory = context.components.prices;

  router.add("GET", "/api/v1/prices",
             context.issuer.require_scopes(
                 {"prices:read"},
                 [sys, memory](http::request&& req, http::respond_fn respond) {
                   auto get = [&](const char* name) {
                     auto it = req.query.find(name);
                     return it == req.query.end() ? std::string{} : it->second;
                   };
                   auto sku = get("sku");
                   auto qty_text = get("qty");
                   auto currency = get("currency");
                   if (sku.empty()) {
                     respond(http::response::error(
                         400, "bad_request", "query parameter sku is missing"));
                     return;
                   }
                   if (qty_text.empty())
                     qty_text = "1";
                   auto qty = parse_quantity(qty_text);
                   if (!qty) {
                     respond(http::response::error(
                         400, "bad_quantity",
                         "query parameter qty must be a number above 0, got '" +
                             qty_text + "'"));
                     return;
                   }
                   if (!valid_currency(currency)) {
                     respond(http::response::error(
                         400, "bad_request",
                         "query parameter currency must be an ISO 4217 code"));
                     return;
                   }
                   price_query q;
                   q.customer_id = get("customer_id");
                   q.currency = currency;
                   q.items.push_back({sku, *qty});
                   if (answer_rendered(*memory, q, respond))
                     return;
                   ask_registry(*sys, *memory, std::move(q), false,
                                std::move(respond));
                 }));

  router.add(
      "POST", "/api/v1/prices/batch",
      context.issuer.require_scopes(
          {"prices:read"},
          [sys, memory](http::request&& req, http::respond_fn respond) {
            auto parsed = parse_bounded_json(req.body);
            if (!parsed.error.empty() || !parsed.value.is_object()) {
              respond(http::response::error(
                  400, "bad_request",
                  parsed.error.empty()
                      ? "the body must be a JSON object"
                      : "the body is refused: " + parsed.error));
              return;
            }
            const auto& body = parsed.value;
            price_query q;
            // A field that should be text: a string, or for ids and quantities
            // a number written as JSON (the shop's ids are numbers); anything
            // else is refused by name rather than turned into text.
            std::string wrong;
            auto text = [&](const nlohmann::json& j, const char* key,
                            const std::string& where, bool number_ok) {
              auto it = j.find(key);
              if (it == j.end() || it->is_null())
                return std::string{};
              if (it->is_string())
                return it->get<std::string>();
              if (number_ok && it->is_number())
                return it->dump();
              if (wrong.empty())
                wrong = where + key +
                        (number_ok ? " must be a string or a number"
                                   : " must be a string");
              return std::string{};
            };
            q.customer_id = text(body, "customer_id", "", true);
            q.currency = text(body, "currency", "", false);
            if (!wrong.empty()) {
              respond(http::response::error(400, "bad_request", wrong));
              return;
            }
            if (!valid_currency(q.currency)) {
              respond(http::response::error(
                  400, "bad_request", "currency must be an ISO 4217 code"));
              return;
            }
            auto items = body.find("items");
            if (items == body.end() || !items->is_array() || items->empty()) {
              respond(http::response::error(400, "bad_request",
                                            "items must be a non-empty array"));
              return;
            }
            if (items->size() > max_batch) {
              respond(http::response::error(
                  400, "bad_request",
                  "items holds " + std::to_string(items->size()) +
                      " entries, at most " + std::to_string(max_batch) +
                      " are allowed"));
              return;
            }
            std::size_t index = 0;
            for (const auto& item : *items) {
              auto where = "items[" + std::to_string(index++) + "]";
              if (!item.is_object()) {
                respond(http::response::error(400, "bad_request",
                                              where + " must be an object"));
                return;
              }
              auto sku = text(item, "sku", where + ".", false);
              auto qty_text = text(item, "qty", where + ".", true);
              if (!wrong.empty()) {
                respond(http::response::error(400, "bad_request", wrong));
                return;
              }
              if (sku.empty()) {
                respond(http::response::error(400, "bad_request",
                                              where + ".sku is missing"));
                return;
              }
              auto qty = parse_quantity(qty_text.empty() ? "1" : qty_text);
              if (!qty) {
                respond(http::response::error(
                    400, "bad_quantity",
                    where + ".qty must be a number above 0, got '" + qty_text +
                        "'"));
                return;
              }
              q.items.push_back({sku, *qty});
            }
            ask_registry(*sys, *memory, std::move(q), true, std::move(respond));
          }));
}

} // namespace ferry::app
