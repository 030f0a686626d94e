#pragma once

// Messages of the order area (actors/order_saga.hpp, actors/order_intake.hpp):
// type IDs 500.. (block ferry_orders).

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/atom.hpp>
#include <caf/meta/type_name.hpp>
#include <caf/type_id.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace ferry {

/// What the order intake did so far (answer to caf::get_atom), for tests
/// and /readyz detail.
struct order_intake_report {
  /// Inbox events turned into sagas (duplicates of a known order included).
  std::uint64_t events = 0;
  /// Events whose order already had a saga (duplicate or replayed webhook).
  std::uint64_t duplicates = 0;
  /// Events that could not be read as an order (dead-lettered).
  std::uint64_t unreadable = 0;
  /// `orders/updated` events recognised as echoes of Ferry's own writes.
  std::uint64_t echoes = 0;
  /// Saga actors started (first runs and resumptions).
  std::uint64_t sagas_started = 0;
  /// Saga actors running now.
  std::uint64_t running = 0;
  /// Failed database or inbox calls.
  std::uint64_t errors = 0;
  std::string last_error;
};

/// 0.17 inspection.
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, order_intake_report& x) {
  return f(caf::meta::type_name("order_intake_report"), x.events, x.duplicates,
           x.unreadable, x.echoes, x.sagas_started, x.running, x.errors,
           x.last_error);
}

/// Blocking work of the order API (a database query and the answer to an
/// HTTP request), run by the order desk off the io threads (internal; local
/// only, never serialized).
struct order_desk_job {
  std::function<void()> run;
};
using order_desk_job_ptr = std::shared_ptr<order_desk_job>;

} // namespace ferry

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(ferry::order_desk_job_ptr)

CAF_BEGIN_TYPE_ID_BLOCK(ferry_orders, 500)

CAF_ADD_TYPE_ID(ferry_orders, (ferry::order_intake_report))

/// Intake → itself: claim inbox events and runnable sagas now.
CAF_ADD_ATOM(ferry_orders, ferry, order_tick_atom, "ord_tick")
/// Saga → itself: take the next step (after a start or a retry delay).
CAF_ADD_ATOM(ferry_orders, ferry, order_step_atom, "ord_step")

CAF_END_TYPE_ID_BLOCK(ferry_orders)
