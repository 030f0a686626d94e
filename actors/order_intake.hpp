#pragma once

#include "actors/order_handoff.hpp"
#include "actors/order_saga.hpp"
#include "actors/orders_messages.hpp"
#include "actors/webhook_intake.hpp"
#include "persistence/pg_pool.hpp"

#include <caf/actor_system.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>
#include <chrono>
#include <cstddef>
#include <memory>

namespace ferry {

/// What the order intake needs; app/ maps the configuration onto it.
struct order_intake_settings {
  order_saga_settings saga;
  /// The inbox topic of new orders.
  std::string topic = "orders/create";
  /// The inbox topic of order changes (echoes of Ferry's own comments).
  std::string update_topic = "orders/updated";
  /// Inbox events claimed per round.
  std::size_t batch = 100;
  /// How long an inbox claim lasts.
  std::chrono::seconds inbox_lease{60};
  /// An event whose order the database keeps refusing is dead-lettered with
  /// the database's reason at this attempt; an unavailable database never
  /// dead-letters anything.
  int max_event_attempts = 5;
  /// Saga actors running at once on this node (each is a thread: it waits
  /// on PostgreSQL); more runnable sagas wait in the table. 256 measured no
  /// better than 64 in the order saga bench (six runs each).
  std::size_t max_running = 64;
  /// Between rounds when the last one found nothing to do.
  std::chrono::milliseconds poll_interval{200};
  /// Shared with this node's webhook commits (order_webhook_commit); none:
  /// the intake's own, and every new order comes through the inbox.
  std::shared_ptr<order_handoff> handoff;
};

/// Turns `orders/create` inbox events into order sagas and runs them, with
/// the sagas that this node's webhook commits created (`handoff`): each
/// round takes a batch of inbox events and, in the one transaction that
/// locks them, creates one saga row per order (a duplicate or replayed
/// webhook of a known order changes nothing; an unreadable one is
/// dead-lettered) and completes the events; when that batch cannot commit,
/// its events are claimed (leased) and committed one by one. It then claims
/// runnable sagas up to `max_running` and starts a saga actor for each. At
/// start it gives up the claims of its node's previous run, so after a crash
/// every unfinished saga resumes from its last committed state. Answers
/// (get_atom) with its report.
using order_intake_actor =
    caf::typed_actor<caf::reacts_to<order_tick_atom>,
                     caf::replies_to<caf::get_atom>::with<order_intake_report>>;

/// The webhook intake's commit on a node that runs orders: each batch of
/// webhooks is inserted in the inbox in one transaction with the work it
/// creates (order_saga_store::receive_webhooks), so that nothing takes the
/// events from the inbox again. A readable new order gets its saga,
/// claimed for this node and handed to its intake while the intake has
/// free slots (else runnable, for the intake to claim); an
/// `orders/updated` event gets its sync_log entry (an echo of Ferry's
/// comment told apart). Unreadable orders and other topics stay pending
/// for their consumers.
inbox_batch_commit
order_webhook_commit(order_intake_settings settings,
                     std::shared_ptr<persistence::order_saga_store> store);

/// Spawns the intake (detached: it waits on PostgreSQL).
order_intake_actor
spawn_order_intake(caf::actor_system& sys, order_intake_settings settings,
                   persistence::pg_pool& pool,
                   std::shared_ptr<connector_directory> connectors);

} // namespace ferry
