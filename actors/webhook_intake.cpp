#include "actors/webhook_intake.hpp"

#include "actors/backlog.hpp"
#include "mapping/json_text.hpp"
#include "mapping/utf8.hpp"
#include "monitoring/log.hpp"
#include "persistence/errors.hpp"
#include "protocols/webhook_signature.hpp"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <iterator>
#include <mutex>
#include <nlohmann/json.hpp>
#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <thread>

namespace ferry {

namespace {

constexpr std::size_t max_event_id = 128;

bool valid_event_id(const std::string& id) {
  return !id.empty() && id.size() <= max_event_id &&
         std::all_of(id.begin(), id.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                  (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
                  c == ':';
         });
}

webhook_verdict refuse(int status, std::string reason) {
  webhook_verdict v;
  v.status = status;
  v.reason = std::move(reason);
  return v;
}

} // namespace

webhook_verdict check_shop_webhook(const http::request& r,
                                   const webhook_intake_settings& s) {
  if (r.body.size() > s.max_body_bytes)
    return refuse(413, "body exceeds " + std::to_string(s.max_body_bytes) +
                           " bytes");
  auto signature = r.headers.get("X-Shop-Hmac-Sha256");
  if (!signature || signature->empty())
    return refuse(401, "X-Shop-Hmac-Sha256 is missing");
  if (!webhook::verify(r.body, *signature, s.secrets))
    return refuse(401, "X-Shop-Hmac-Sha256 does not match the body");
  // From here on the request is authentic: the reasons may be specific.
  auto id = r.headers.get("X-Shop-Event-Id");
  if (!id || id->empty())
    return refuse(400, "X-Shop-Event-Id is missing");
  if (!valid_event_id(*id))
    return refuse(400, "X-Shop-Event-Id is not an event id (1-128 of "
                       "A-Z a-z 0-9 - _ . :)");
  auto topic = r.headers.get("X-Shop-Topic");
  if (!topic || topic->empty())
    return refuse(400, "X-Shop-Topic is missing");
  if (std::find(s.topics.begin(), s.topics.end(), *topic) == s.topics.end()) {
    // Echo the topic only if short and printable: it is the sender's text.
    bool printable = topic->size() <= 64 &&
                     std::all_of(topic->begin(), topic->end(),
                                 [](char c) { return c >= 0x20 && c < 0x7f; });
    return refuse(400, "X-Shop-Topic '" + (printable ? *topic : "?") +
                           "' is not a known topic");
  }
  auto body = parse_bounded_json(r.body);
  // JSON whose only fault is text that is not UTF-8 is a record that
  // cannot be decoded, not a broken delivery: it is taken (the shop would
  // send it again for hours) and the inbox dead-letters it, naming the
  // field.
  if (!body.error.empty() && !mapping::is_valid_utf8(r.body))
    if (auto readable =
            parse_bounded_json(mapping::replace_invalid_utf8(r.body));
        readable.error.empty())
      body = std::move(readable);
  if (!body.error.empty())
    return refuse(400, "body is refused: " + body.error);
  if (!body.value.is_object())
    return refuse(400, "body is not a JSON object");
  webhook_verdict ok;
  ok.event.source = shop_webhook_source;
  ok.event.event_id = *id;
  ok.event.topic = *topic;
  ok.event.payload = r.body;
  return ok;
}

struct webhook_intake::impl {
  struct job {
    persistence::inbox_event event;
    http::respond_fn respond;
    std::chrono::steady_clock::time_point queued;
  };

  webhook_intake_settings settings;
  inbox_batch_commit commit;
  const throttle_gate* gate;
  prometheus::Family<prometheus::Counter>& outcomes;
  prometheus::Counter& accepted;
  prometheus::Counter& duplicate;
  prometheus::Counter& unauthorized;
  prometheus::Counter& too_large;
  prometheus::Counter& bad_request;
  prometheus::Counter& throttled;
  prometheus::Counter& unavailable;
  prometheus::Histogram& commit_seconds;
  prometheus::Histogram& batch_size;

  std::mutex mutex;
  std::condition_variable wake;
  std::deque<job> queue;
  bool stopping = false;
  std::vector<std::thread> workers;

  impl(webhook_intake_settings s, inbox_batch_commit c, const throttle_gate* g,
       prometheus::Registry& registry)
      : settings(std::move(s)),
        commit(std::move(c)),
        gate(g),
        outcomes(prometheus::BuildCounter()
                     .Name("ferry_webhooks_total")
                     .Help("Shop webhook deliveries by outcome")
                     .Register(registry)),
        accepted(outcomes.Add({{"outcome", "accepted"}})),
        duplicate(outcomes.Add({{"outcome", "duplicate"}})),
        unauthorized(outcomes.Add({{"outcome", "unauthorized"}})),
        too_large(outcomes.Add({{"outcome", "too_large"}})),
        bad_request(outcomes.Add({{"outcome", "bad_request"}})),
        throttled(outcomes.Add({{"outcome", "throttled"}})),
        unavailable(outcomes.Add({{"outcome", "unavailable"}})),
        commit_seconds(prometheus::BuildHistogram()
                           .Name("ferry_webhook_commit_seconds")
                           .Help("Time from receipt to the inbox commit of a "
                                 "shop webhook")
                           .Register(registry)
                           .Add({},
                                prometheus::Histogram::BucketBoundaries{
                                    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                    0.1, 0.25, 0.5, 1, 2.5, 5})),
        batch_size(prometheus::BuildHistogram()
                       .Name("ferry_webhook_batch_size")
                       .Help("Shop webhooks committed together in one inbox "
                             "transaction")
                       .Register(registry)
                       .Add({}, prometheus::Histogram::BucketBoundaries{
                                    1, 2, 4, 8, 16, 32, 64, 128, 256})) {
    if (settings.secrets.empty() ||
        std::all_of(settings.secrets.begin(), settings.secrets.end(),
                    [](const std::string& x) { return x.empty(); }))
      throw std::invalid_argument(
          "webhook intake: no webhook secret configured (shop.webhook_secret)");
    for (std::size_t i = 0; i < std::max<std::size_t>(1, settings.workers); ++i)
      workers.emplace_back([this] { work(); });
  }

  ~impl() {
    std::deque<job> left;
    {
      std::lock_guard<std::mutex> guard{mutex};
      stopping = true;
      left.swap(queue);
    }
    wake.notify_all();
    for (auto& w : workers)
      w.join();
    for (auto& j : left)
      j.respond(busy(settings.retry_after, "shutting down"));
  }

  static http::response busy(std::chrono::seconds retry_after,
                             const std::string& why) {
    auto res = http::response::error(503, "unavailable", why);
    res.headers.set("Retry-After", std::to_string(retry_after.count()));
    return res;
  }

  void handle(http::request&& r, http::respond_fn respond) {
    auto verdict = check_shop_webhook(r, settings);
    if (verdict.status != 0) {
      (verdict.status == 401   ? unauthorized
       : verdict.status == 413 ? too_large
                               : bad_request)
          .Increment();
      monitoring::log_warn("webhook", "shop webhook refused",
                           {{"status", verdict.status},
                            {"reason", verdict.reason},
                            {"remote", r.remote_address}});
      respond(http::response::error(verdict.status,
                                    verdict.status == 401 ? "unauthorized"
                                    : verdict.status == 413
                                        ? "payload_too_large"
                                        : "bad_request",
                                    verdict.reason));
      return;
    }
    if (gate != nullptr && gate->paused()) {
      throttled.Increment();
      respond(busy(gate->retry_after(), "backlog over its watermark"));
      return;
    }
    {
      std::lock_guard<std::mutex> guard{mutex};
      if (!stopping && queue.size() < settings.max_queued) {
        queue.push_back(job{std::move(verdict.event), std::move(respond),
                            std::chrono::steady_clock::now()});
        wake.notify_one();
        return;
      }
    }
    throttled.Increment();
    respond(busy(settings.retry_after, "too many webhooks waiting"));
  }

  void work() {
    std::vector<job> batch;
    for (;;) {
      batch.clear();
      {
        std::unique_lock<std::mutex> lock{mutex};
        wake.wait(lock, [this] { return stopping || !queue.empty(); });
        if (stopping)
          return;
        // Everything waiting now: it arrived while the last commit ran.
        auto n = std::min(queue.size(),
                          std::max<std::size_t>(1, settings.max_batch));
        std::move(queue.begin(), queue.begin() + static_cast<long>(n),
                  std::back_inserter(batch));
        queue.erase(queue.begin(), queue.begin() + static_cast<long>(n));
      }
      run(batch);
    }
  }

  caf::expected<std::vector<bool>>
  guarded_commit(const std::vector<persistence::inbox_event>& events) {
    try {
      auto inserted = commit(events);
      if (inserted && inserted->size() != events.size())
        return persistence::make_db_error(
            persistence::db_errc::unavailable,
            "inbox commit: an answer for " + std::to_string(inserted->size()) +
                " of " + std::to_string(events.size()) + " events");
      return inserted;
    } catch (const std::exception& e) {
      return persistence::make_db_error(persistence::db_errc::unavailable,
                                        std::string("inbox commit: ") +
                                            e.what());
    }
  }

  void run(std::vector<job>& batch) {
    std::vector<persistence::inbox_event> events;
    events.reserve(batch.size());
    for (auto& j : batch)
      events.push_back(std::move(j.event));
    batch_size.Observe(static_cast<double>(events.size()));
    auto inserted = guarded_commit(events);
    auto now = std::chrono::steady_clock::now();
    for (const auto& j : batch)
      commit_seconds.Observe(
          std::chrono::duration<double>(now - j.queued).count());
    if (!inserted && events.size() > 1 &&
        persistence::db_error_code(inserted.error()) ==
            persistence::db_errc::rejected) {
      // One payload PostgreSQL refuses fails the whole statement and nothing
      // of it was stored: commit each on its own so that only that one is
      // refused.
      for (std::size_t i = 0; i < batch.size(); ++i) {
        std::vector<persistence::inbox_event> one{std::move(events[i])};
        auto alone = guarded_commit(one);
        answer(batch[i], one.front(),
               alone ? caf::expected<bool>{alone->at(0)}
                     : caf::expected<bool>{alone.error()});
      }
      return;
    }
    for (std::size_t i = 0; i < batch.size(); ++i)
      answer(batch[i], events[i],
             inserted ? caf::expected<bool>{inserted->at(i)}
                      : caf::expected<bool>{inserted.error()});
  }

  void answer(job& j, const persistence::inbox_event& event,
              const caf::expected<bool>& inserted) {
    if (!inserted) {
      auto code = persistence::db_error_code(inserted.error());
      auto text = persistence::db_error_text(inserted.error());
      if (code == persistence::db_errc::rejected) {
        // PostgreSQL refused the payload (say a \u0000 in a jsonb string):
        // redelivering will not help.
        bad_request.Increment();
        monitoring::log_warn("webhook", "shop webhook payload rejected",
                             {{"event_id", event.event_id},
                              {"topic", event.topic},
                              {"reason", text}});
        j.respond(http::response::error(400, "bad_request",
                                        "payload rejected by the inbox"));
        return;
      }
      unavailable.Increment();
      monitoring::log_error("webhook", "shop webhook not committed",
                            {{"event_id", event.event_id},
                             {"topic", event.topic},
                             {"reason", text}});
      j.respond(busy(settings.retry_after, "inbox unavailable"));
      return;
    }
    (*inserted ? accepted : duplicate).Increment();
    // Taken once, and refused by the inbox: counted as the record it is.
    if (*inserted && settings.flows &&
        (holds_nul_escape(event.payload) ||
         !mapping::is_valid_utf8(event.payload)))
      settings.flows->failed(
          "webhooks", "record_refused",
          "shop webhook dead-lettered: its text cannot be stored",
          {{"event_id", event.event_id}, {"topic", event.topic}});
    j.respond(http::response::json(
        200, {{"status", *inserted ? "accepted" : "duplicate"},
              {"event_id", event.event_id}}));
  }
};

webhook_intake::webhook_intake(webhook_intake_settings s,
                               inbox_batch_commit commit,
                               const throttle_gate* gate,
                               prometheus::Registry& registry)
    : impl_(std::make_shared<impl>(std::move(s), std::move(commit), gate,
                                   registry)) {}

webhook_intake::webhook_intake(webhook_intake_settings s, inbox_commit commit,
                               const throttle_gate* gate,
                               prometheus::Registry& registry)
    : webhook_intake(
          [&s] {
            s.max_batch = 1;
            return std::move(s);
          }(),
          [commit = std::move(commit)](
              const std::vector<persistence::inbox_event>& events)
              -> caf::expected<std::vector<bool>> {
            std::vector<bool> inserted;
            for (const auto& e : events) { // one: max_batch is 1
              auto one = commit(e);
              if (!one)
                return one.error();
              inserted.push_back(*one);
            }
            return inserted;
          },
          gate, registry) {}

webhook_intake::webhook_intake(webhook_intake_settings s,
                               persistence::inbox_store& store,
                               const throttle_gate* gate,
                               prometheus::Registry& registry)
    : webhook_intake(
          std::move(s),
          inbox_batch_commit{
              [&store](const std::vector<persistence::inbox_event>& events) {
                return store.insert_all_if_absent(events);
              }},
          gate, registry) {}

webhook_intake::~webhook_intake() = default;

http::handler webhook_intake::handler() {
  return [i = impl_.get()](http::request&& r, http::respond_fn respond) {
    i->handle(std::move(r), std::move(respond));
  };
}

void webhook_intake::add_routes(http::router& r) {
  r.add("POST", "/webhooks/shop", handler());
}

} // namespace ferry
