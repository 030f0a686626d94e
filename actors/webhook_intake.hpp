#pragma once

#include "monitoring/flow_health.hpp"
#include "persistence/inbox_store.hpp"
#include "protocols/http/server.hpp"

#include <caf/expected.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace prometheus {
class Registry;
}

namespace ferry {

class throttle_gate;

/// What `POST /webhooks/shop` accepts.
struct webhook_intake_settings {
  /// HMAC secrets accepted: the current one, and the previous one during a
  /// rotation. Never logged.
  std::vector<std::string> secrets;
  /// Bodies over this → 413 (keep the server's limit at least as high).
  std::size_t max_body_bytes = 1 << 20;
  /// The shop's topics (X-Shop-Topic); any other → 400.
  std::vector<std::string> topics = {"orders/create", "orders/updated",
                                     "customers/create", "customers/update",
                                     "products/update"};
  /// Threads doing the blocking inbox commits (never an io or CAF thread).
  /// Each takes every webhook waiting (up to `max_batch`) and commits them
  /// together (group commit), so one is enough to keep a database busy and
  /// each uses one pooled connection at a time.
  std::size_t workers = 1;
  /// The most webhooks committed in one statement.
  std::size_t max_batch = 256;
  /// Webhooks waiting for a commit; past it → 503 + Retry-After, so memory
  /// stays flat under a flood.
  std::size_t max_queued = 256;
  /// Retry-After when the queue is full or the database is unavailable (the
  /// throttle gate brings its own).
  std::chrono::seconds retry_after{2};
  /// Where a webhook taken but refused by the inbox (text PostgreSQL cannot
  /// store: U+0000, bytes that are not UTF-8; dead-lettered there) is
  /// counted (flow "webhooks"); may be null.
  std::shared_ptr<monitoring::flow_health> flows;
};

/// The inbox `source` of shop webhooks.
inline constexpr const char* shop_webhook_source = "shop";

/// The outcome of checking a webhook request before any I/O.
struct webhook_verdict {
  /// 0: valid, commit `event`; else the HTTP status to answer (401, 413, 400).
  int status = 0;
  /// Why it was refused, for the response body and the log.
  std::string reason;
  /// The event to commit: source "shop", event_id = X-Shop-Event-Id, topic =
  /// X-Shop-Topic verbatim, payload = the raw body.
  persistence::inbox_event event;
};

/// Checks size, `X-Shop-Hmac-Sha256` (constant time, every secret),
/// `X-Shop-Event-Id`, `X-Shop-Topic` and that the body is a JSON object, in
/// that order. Pure: no I/O, no allocation beyond the request's size.
webhook_verdict check_shop_webhook(const http::request& r,
                                   const webhook_intake_settings& s);

/// Commits one event: true if inserted, false for a duplicate, an error
/// (persistence's db_errc) otherwise. Blocking.
using inbox_commit =
    std::function<caf::expected<bool>(const persistence::inbox_event&)>;

/// Commits events all or nothing, in one transaction: element i true if
/// events[i] was inserted, false for a duplicate (also of an earlier
/// element), an error (persistence's db_errc) when nothing was stored.
/// Blocking. `inbox_store::insert_all_if_absent` is one.
using inbox_batch_commit = std::function<caf::expected<std::vector<bool>>(
    const std::vector<persistence::inbox_event>&)>;

/// The `POST /webhooks/shop` endpoint: checks the request on the io thread,
/// hands the commit to its own worker threads and answers from there, 2xx
/// only after the commit. A worker commits every webhook waiting at once
/// (group commit): each request of a batch is answered after that commit,
/// and all of them 503 when it failed. A payload the database refuses fails
/// its batch, whose events are then committed one by one so that only that
/// one is refused (400). A duplicate is 200 with no second effect; a paused
/// throttle gate, a full queue or an unavailable database is 503 with
/// `Retry-After`.
///
/// Metrics: `ferry_webhooks_total{outcome}` (accepted, duplicate,
/// unauthorized, too_large, bad_request, throttled, unavailable),
/// `ferry_webhook_commit_seconds` and `ferry_webhook_batch_size`.
class webhook_intake {
public:
  /// `gate` may be null (never throttled); it and `registry` must outlive
  /// this object.
  webhook_intake(webhook_intake_settings s, inbox_batch_commit commit,
                 const throttle_gate* gate, prometheus::Registry& registry);
  /// Commits one event per transaction with `commit` (`max_batch` is 1).
  webhook_intake(webhook_intake_settings s, inbox_commit commit,
                 const throttle_gate* gate, prometheus::Registry& registry);
  /// Group commits with `store.insert_all_if_absent`; `store` must outlive
  /// this.
  webhook_intake(webhook_intake_settings s, persistence::inbox_store& store,
                 const throttle_gate* gate, prometheus::Registry& registry);
  /// Answers still-queued requests 503 and joins the workers.
  ~webhook_intake();
  webhook_intake(const webhook_intake&) = delete;
  webhook_intake& operator=(const webhook_intake&) = delete;

  /// The handler; this object must outlive the server using it.
  http::handler handler();
  /// Registers `POST /webhooks/shop` on `r`.
  void add_routes(http::router& r);

private:
  struct impl;
  std::shared_ptr<impl> impl_;
};

} // namespace ferry
