#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <string>
#include <vector>

namespace ferry::sim_shop {

/// The contract's delivery schedule: a delivery without a 2xx within
/// `attempt_timeout` is retried `max_retries` times with exponential backoff
/// (60 s, 120 s, … 7680 s: 8 retries over about 4¼ hours), then dropped.
/// `time_scale` shrinks every delay so tests run the schedule in seconds.
struct webhook_schedule {
  std::chrono::milliseconds first_retry{60'000};
  int max_retries = 8;
  std::chrono::milliseconds attempt_timeout{5'000};
  double time_scale = 1.0;
};

/// The delay before retry `retry` (1 = the first retry), scaled.
std::chrono::milliseconds retry_delay(const webhook_schedule& s, int retry);

/// Faults applied to each new event (shares in [0, 1]).
struct webhook_faults {
  /// Delivered twice (same event id).
  double duplicate = 0;
  /// Held back by `reorder_delay` so that later events overtake it.
  double reorder = 0;
  /// Never delivered (the receiver must catch up by polling).
  double loss = 0;
  std::chrono::milliseconds reorder_delay{1500};
};

/// One delivery attempt's input.
struct webhook_delivery {
  std::string event_id;
  std::string topic;
  std::string key;
  std::string body;
  std::string triggered_at;
  /// Attempts already made.
  int attempts = 0;
  std::chrono::steady_clock::time_point due;
};

/// What happened to an event, for the admin view and tests.
struct webhook_record {
  std::string event_id;
  std::string topic;
  std::string key;
  /// "pending", "delivered", "lost" (loss knob), "dropped" (retries spent).
  std::string fate = "pending";
  int attempts = 0;
  int copies = 1;
  bool reordered = false;
};

/// Due deliveries in time order, the retry schedule and the faults; no I/O
/// and no clock of its own, so tests drive it with explicit times.
/// Thread-safe.
class webhook_queue {
public:
  using clock = std::chrono::steady_clock;

  webhook_queue(webhook_schedule s, std::uint64_t seed);

  /// Adds a new event; returns its id (a UUID).
  std::string enqueue(std::string topic, std::string key, std::string body,
                      std::string triggered_at, clock::time_point now,
                      const webhook_faults& faults);

  /// Removes and returns every delivery due at `now`.
  std::vector<webhook_delivery> take_due(clock::time_point now);

  /// When the next delivery is due.
  std::optional<clock::time_point> next_due() const;

  /// Records an attempt's outcome: done on success, else rescheduled per
  /// the schedule or dropped once the retries are spent.
  void on_result(webhook_delivery d, bool delivered, clock::time_point now);

  void set_schedule(webhook_schedule s);
  webhook_schedule schedule() const;

  /// Every event so far (the latest `max_records`), oldest first.
  std::vector<webhook_record> records() const;
  /// Counts per fate and of attempts.
  nlohmann::json stats() const;
  /// Deliveries waiting (including retries).
  std::size_t pending() const;

private:
  static constexpr std::size_t max_records = 200'000;
  std::string next_uuid();
  void push(webhook_delivery d);
  webhook_record& record_of(const std::string& id);

  mutable std::mutex mutex_;
  webhook_schedule schedule_;
  std::mt19937_64 rng_;
  // Event ids must never repeat, not even after a restart with the same
  // seed (the receiver would take new events for duplicates), so they come
  // from a generator of their own, seeded afresh by each process; the fault
  // draws stay deterministic by the seed.
  std::mt19937_64 id_rng_;
  std::multimap<clock::time_point, webhook_delivery> due_;
  std::deque<std::string> order_;
  std::map<std::string, webhook_record> records_;
  std::int64_t attempts_ = 0;
  std::int64_t failed_attempts_ = 0;
};

} // namespace ferry::sim_shop
