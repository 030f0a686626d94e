// The pricing registry (spawn on demand, bounded count, idle stop, restart
// with the request answered, invalidation) with fake per-customer actors,
// and the real per-customer actor with a fake loader (memory, TTL,
// invalidation). Real scheduler; conditions are waited for, never slept.

#include "actors/message_types.hpp"
#include "actors/pricing_actor.hpp"
#include "actors/pricing_registry.hpp"
#include "tests/support/test_env.hpp"

#include <atomic>
#include <caf/all.hpp>
#include <gtest/gtest.h>
#include <memory>
#include <mutex>
#include <prometheus/registry.h>
#include <stdexcept>
#include <string>
#include <vector>

using namespace std::chrono_literals;

namespace ferry {
namespace {

struct config : caf::actor_system_config {
  config() { register_message_types(*this); }
};

// What the fake customer actors did, shared with the test body.
struct journal {
  std::mutex mtx;
  std::vector<std::string> spawned; // customer ids, in spawn order
  std::atomic<int> invalidations{0};
  std::atomic<int> fail_next{0}; // queries that throw, counted down
  std::atomic<int> stopped{0};
};

price_query query_for(const std::string& customer, const std::string& sku) {
  price_query q;
  q.customer_id = customer;
  q.items.push_back({sku, decimal::from_int(1)});
  return q;
}

// Answers each item with 1.00 per customer-spawn number, so a test sees
// which incarnation answered; throws while fail_next > 0.
pricing_actor_factory fake_factory(std::shared_ptr<journal> log,
                                   std::chrono::milliseconds idle) {
  return [log, idle](caf::actor_system& sys, const std::string& customer) {
    int incarnation = 0;
    {
      std::lock_guard<std::mutex> guard(log->mtx);
      log->spawned.push_back(customer);
      incarnation = static_cast<int>(log->spawned.size());
    }
    return sys.spawn([log, idle, incarnation](pricing_actor::pointer self)
                         -> pricing_actor::behavior_type {
      self->attach_functor([log](const caf::error&) { ++log->stopped; });
      return {
          [log, incarnation](price_query& q) {
            if (log->fail_next > 0) {
              --log->fail_next;
              throw std::runtime_error("pricing actor failed on purpose");
            }
            price_reply r;
            for (auto& item : q.items) {
              price_answer a;
              a.sku = item.sku;
              a.quantity = item.quantity;
              a.quote.unit_price = money::from_minor(100 * incarnation);
              r.answers.push_back(a);
            }
            return r;
          },
          [log](pricing_invalidate_atom, std::int64_t) {
            ++log->invalidations;
          },
          caf::after(idle) >> [self] { self->quit(); },
      };
    });
  };
}

class pricing_registry_test : public ::testing::Test {
protected:
  pricing_status status(const pricing_registry_actor& reg) {
    caf::scoped_actor self{sys_};
    pricing_status out;
    self->request(reg, 10s, caf::get_atom::value)
        .receive([&](pricing_status& s) { out = s; },
                 [&](caf::error& e) { ADD_FAILURE() << sys_.render(e); });
    return out;
  }

  price_reply ask(const pricing_registry_actor& reg, const price_query& q) {
    caf::scoped_actor self{sys_};
    price_reply out;
    self->request(reg, 30s, q)
        .receive([&](price_reply& r) { out = std::move(r); },
                 [&](caf::error& e) { ADD_FAILURE() << sys_.render(e); });
    return out;
  }

  config cfg_;
  // Before the system: the actors write their metrics until they stop.
  prometheus::Registry metrics_;
  caf::actor_system sys_{cfg_};
  std::shared_ptr<journal> log_ = std::make_shared<journal>();
};

TEST_F(pricing_registry_test, one_actor_per_customer_spawned_on_demand) {
  auto reg =
      spawn_pricing_registry(sys_, {}, fake_factory(log_, 60s), {}, metrics_);
  EXPECT_EQ(status(reg).alive, 0u);
  ask(reg, query_for("C1", "A"));
  ask(reg, query_for("C1", "B"));
  ask(reg, query_for("C2", "A"));
  auto s = status(reg);
  EXPECT_EQ(s.alive, 2u);
  EXPECT_EQ(s.spawned, 2u);
  std::lock_guard<std::mutex> guard(log_->mtx);
  EXPECT_EQ(log_->spawned, (std::vector<std::string>{"C1", "C2"}));
  caf::anon_send_exit(reg, caf::exit_reason::user_shutdown);
}

TEST_F(pricing_registry_test, keeps_at_most_max_actors_evicting_the_lru) {
  pricing_registry_settings settings;
  settings.max_actors = 2;
  auto reg = spawn_pricing_registry(sys_, settings, fake_factory(log_, 60s), {},
                                    metrics_);
  ask(reg, query_for("C1", "A"));
  ask(reg, query_for("C2", "A"));
  ask(reg, query_for("C1", "A")); // C1 is now the most recent
  ask(reg, query_for("C3", "A")); // evicts C2
  auto s = status(reg);
  EXPECT_EQ(s.alive, 2u);
  EXPECT_EQ(s.evicted, 1u);
  EXPECT_TRUE(test::wait_until([&] { return log_->stopped == 1; }));
  // C1 still has its first actor (incarnation 1 answers 1.00)
  EXPECT_EQ(ask(reg, query_for("C1", "A")).answers.at(0).quote.unit_price,
            money::from_minor(100));
  // C2 comes back as a new actor (the fourth spawned)
  EXPECT_EQ(ask(reg, query_for("C2", "A")).answers.at(0).quote.unit_price,
            money::from_minor(400));
  EXPECT_EQ(status(reg).alive, 2u);
  caf::anon_send_exit(reg, caf::exit_reason::user_shutdown);
}

TEST_F(pricing_registry_test, idle_actors_stop_and_are_forgotten) {
  auto reg =
      spawn_pricing_registry(sys_, {}, fake_factory(log_, 100ms), {}, metrics_);
  ask(reg, query_for("C1", "A"));
  ask(reg, query_for("C2", "A"));
  EXPECT_TRUE(test::wait_until([&] { return status(reg).alive == 0; }));
  EXPECT_EQ(status(reg).restarts, 0u) << "an idle stop is not a failure";
  // The next request starts a new actor.
  EXPECT_EQ(ask(reg, query_for("C1", "A")).answers.at(0).status, 200);
  EXPECT_EQ(status(reg).spawned, 3u);
  caf::anon_send_exit(reg, caf::exit_reason::user_shutdown);
}

TEST_F(pricing_registry_test,
       a_failed_actor_is_replaced_and_the_request_answered) {
  auto reg =
      spawn_pricing_registry(sys_, {}, fake_factory(log_, 60s), {}, metrics_);
  ask(reg, query_for("C1", "A")); // incarnation 1
  log_->fail_next = 1;
  auto reply = ask(reg, query_for("C1", "B"));
  ASSERT_EQ(reply.answers.size(), 1u);
  EXPECT_EQ(reply.answers[0].status, 200);
  EXPECT_EQ(reply.answers[0].sku, "B");
  // answered by the replacement (the second actor spawned)
  EXPECT_EQ(reply.answers[0].quote.unit_price, money::from_minor(200));
  auto s = status(reg);
  EXPECT_EQ(s.restarts, 1u);
  EXPECT_EQ(s.alive, 1u);
  // and it keeps answering
  EXPECT_EQ(ask(reg, query_for("C1", "C")).answers.at(0).status, 200);
  caf::anon_send_exit(reg, caf::exit_reason::user_shutdown);
}

TEST_F(pricing_registry_test, a_request_failing_twice_is_answered_503) {
  auto reg =
      spawn_pricing_registry(sys_, {}, fake_factory(log_, 60s), {}, metrics_);
  log_->fail_next = 2;
  auto reply = ask(reg, query_for("C1", "A"));
  ASSERT_EQ(reply.answers.size(), 1u);
  EXPECT_EQ(reply.answers[0].status, 503);
  EXPECT_EQ(reply.answers[0].sku, "A");
  EXPECT_FALSE(reply.answers[0].message.empty());
  // the registry itself survived
  EXPECT_EQ(ask(reg, query_for("C1", "A")).answers.at(0).status, 200);
  caf::anon_send_exit(reg, caf::exit_reason::user_shutdown);
}

TEST_F(pricing_registry_test, invalidation_reaches_every_actor) {
  auto reg =
      spawn_pricing_registry(sys_, {}, fake_factory(log_, 60s), {}, metrics_);
  ask(reg, query_for("C1", "A"));
  ask(reg, query_for("C2", "A"));
  caf::anon_send(reg, pricing_invalidate_atom::value, std::int64_t{7});
  EXPECT_TRUE(test::wait_until([&] { return log_->invalidations == 2; }));
  EXPECT_EQ(status(reg).version, 7);
  caf::anon_send_exit(reg, caf::exit_reason::user_shutdown);
}

TEST_F(pricing_registry_test, stopping_the_registry_stops_its_actors) {
  auto reg =
      spawn_pricing_registry(sys_, {}, fake_factory(log_, 60s), {}, metrics_);
  ask(reg, query_for("C1", "A"));
  ask(reg, query_for("C2", "A"));
  caf::anon_send_exit(reg, caf::exit_reason::user_shutdown);
  EXPECT_TRUE(test::wait_until([&] { return log_->stopped == 2; }));
}

// -- the real per-customer actor with a fake loader --------------------------

struct loader_log {
  std::atomic<int> loads{0};
  std::atomic<int> items{0};
  std::atomic<std::int64_t> price{1000};
  std::atomic<bool> resolved_seen{false};
};

caf::actor fake_loader(caf::actor_system& sys, std::shared_ptr<loader_log> l) {
  return sys.spawn([l](caf::event_based_actor*) -> caf::behavior {
    return {
        [l](price_load& load) {
          ++l->loads;
          if (load.customer.resolved)
            l->resolved_seen = true;
          price_load_result out;
          out.customer.resolved = true;
          out.customer.customer_no = "C1";
          for (auto& item : load.query.items) {
            ++l->items;
            price_answer a;
            a.sku = item.sku;
            a.quantity = item.quantity;
            if (item.sku == "NOPE") {
              a.status = 404;
              a.error = "unknown_sku";
            } else {
              a.quote.unit_price = money::from_minor(l->price);
            }
            out.reply.answers.push_back(a);
          }
          return out;
        },
    };
  });
}

TEST_F(pricing_registry_test, pricing_actor_remembers_until_invalidated) {
  auto log = std::make_shared<loader_log>();
  auto loader = fake_loader(sys_, log);
  pricing_actor_settings settings;
  auto actor = spawn_pricing_actor(sys_, "C1", loader, settings);
  caf::scoped_actor self{sys_};
  auto ask_actor = [&](const price_query& q) {
    price_reply out;
    self->request(actor, 30s, q)
        .receive([&](price_reply& r) { out = std::move(r); },
                 [&](caf::error& e) { ADD_FAILURE() << sys_.render(e); });
    return out;
  };
  price_query q = query_for("C1", "A");
  q.items.push_back({"NOPE", decimal::from_int(1)});
  auto first = ask_actor(q);
  ASSERT_EQ(first.answers.size(), 2u);
  EXPECT_FALSE(first.answers[0].cache_hit);
  EXPECT_EQ(first.answers[0].quote.unit_price, money::from_minor(1000));
  EXPECT_EQ(first.answers[1].status, 404);
  auto second = ask_actor(q);
  EXPECT_TRUE(second.answers[0].cache_hit);
  EXPECT_EQ(second.answers[0].quote.unit_price, money::from_minor(1000));
  // errors are not remembered: only NOPE went to the loader again
  EXPECT_EQ(second.answers[1].status, 404);
  EXPECT_EQ(log->loads, 2);
  EXPECT_EQ(log->items, 3);
  EXPECT_TRUE(log->resolved_seen) << "the resolved customer is reused";
  // a new price version: memory dropped, the new price is loaded
  log->price = 1200;
  self->send(actor, pricing_invalidate_atom::value, std::int64_t{2});
  auto third = ask_actor(query_for("C1", "A"));
  EXPECT_FALSE(third.answers[0].cache_hit);
  EXPECT_EQ(third.answers[0].quote.unit_price, money::from_minor(1200));
  self->send_exit(actor, caf::exit_reason::user_shutdown);
  self->send_exit(loader, caf::exit_reason::user_shutdown);
}

TEST_F(pricing_registry_test,
       shared_memory_is_filled_by_the_actor_and_cleared_by_the_registry) {
  auto log = std::make_shared<loader_log>();
  auto loader = fake_loader(sys_, log);
  auto memory = std::make_shared<pricing_memory>(60s);
  pricing_actor_settings actor_settings;
  actor_settings.memory = memory;
  pricing_registry_settings settings;
  settings.memory = memory;
  auto reg = spawn_pricing_registry(
      sys_, settings,
      [loader, actor_settings](caf::actor_system& s, const std::string& c) {
        return spawn_pricing_actor(s, c, loader, actor_settings);
      },
      {}, metrics_);
  auto q = query_for("C1", "A");
  EXPECT_FALSE(ask(reg, q).answers.at(0).cache_hit);
  // What the API reads on its io threads without asking any actor.
  auto remembered = memory->recall_all(q);
  ASSERT_TRUE(remembered);
  EXPECT_EQ(remembered->answers.at(0).quote.unit_price,
            money::from_minor(1000));
  EXPECT_TRUE(ask(reg, q).answers.at(0).cache_hit);
  EXPECT_EQ(log->loads, 1);
  log->price = 1300;
  caf::anon_send(reg, pricing_invalidate_atom::value, std::int64_t{3});
  EXPECT_TRUE(test::wait_until([&] { return !memory->recall_all(q); }));
  auto after = ask(reg, q);
  EXPECT_FALSE(after.answers.at(0).cache_hit);
  EXPECT_EQ(after.answers.at(0).quote.unit_price, money::from_minor(1300));
  caf::anon_send_exit(reg, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(loader, caf::exit_reason::user_shutdown);
}

TEST_F(pricing_registry_test, pricing_actor_memory_expires_after_the_ttl) {
  auto log = std::make_shared<loader_log>();
  auto loader = fake_loader(sys_, log);
  pricing_actor_settings settings;
  settings.ttl = 200ms;
  auto actor = spawn_pricing_actor(sys_, "C1", loader, settings);
  caf::scoped_actor self{sys_};
  auto hit = [&] {
    bool out = false;
    self->request(actor, 30s, query_for("C1", "A"))
        .receive([&](price_reply& r) { out = r.answers.at(0).cache_hit; },
                 [&](caf::error& e) { ADD_FAILURE() << sys_.render(e); });
    return out;
  };
  EXPECT_FALSE(hit());
  // Within the TTL it is a hit (asked at once); past it, a load again.
  EXPECT_TRUE(test::wait_until([&] { return !hit(); }, 10s, 50ms));
  EXPECT_GE(log->loads, 2);
  self->send_exit(actor, caf::exit_reason::user_shutdown);
  self->send_exit(loader, caf::exit_reason::user_shutdown);
}

} // namespace
} // namespace ferry
