#include "simulators/shop/webhook_queue.hpp"

#include <cmath>
#include <cstdio>
#include <random>

namespace ferry::sim_shop {

std::chrono::milliseconds retry_delay(const webhook_schedule& s, int retry) {
  auto base = static_cast<double>(s.first_retry.count());
  auto ms = base * std::pow(2.0, retry - 1) * s.time_scale;
  return std::chrono::milliseconds{static_cast<std::int64_t>(std::llround(ms))};
}

webhook_queue::webhook_queue(webhook_schedule s, std::uint64_t seed)
    : schedule_(s),
      rng_(seed ^ 0x0e4b0015),
      id_rng_((std::uint64_t{std::random_device{}()} << 32) ^
              std::random_device{}()) {}

std::string webhook_queue::next_uuid() {
  auto a = id_rng_();
  auto b = id_rng_();
  // RFC 4122 version 4, variant 1.
  a = (a & 0xffffffffffff0fffULL) | 0x0000000000004000ULL;
  b = (b & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;
  char buf[40];
  std::snprintf(
      buf, sizeof(buf), "%08x-%04x-%04x-%04x-%012llx",
      static_cast<unsigned>(a >> 32), static_cast<unsigned>((a >> 16) & 0xffff),
      static_cast<unsigned>(a & 0xffff), static_cast<unsigned>(b >> 48),
      static_cast<unsigned long long>(b & 0xffffffffffffULL));
  return buf;
}

webhook_record& webhook_queue::record_of(const std::string& id) {
  return records_[id];
}

void webhook_queue::push(webhook_delivery d) {
  auto due = d.due;
  due_.emplace(due, std::move(d));
}

std::string webhook_queue::enqueue(std::string topic, std::string key,
                                   std::string body, std::string triggered_at,
                                   clock::time_point now,
                                   const webhook_faults& faults) {
  std::lock_guard<std::mutex> guard{mutex_};
  std::uniform_real_distribution<double> share{0.0, 1.0};
  // Draw every share for every event so that one knob's setting does not
  // shift the others' random sequence.
  auto lost = share(rng_) < faults.loss;
  auto dup = share(rng_) < faults.duplicate;
  auto reorder = share(rng_) < faults.reorder;
  webhook_delivery d;
  d.event_id = next_uuid();
  d.topic = std::move(topic);
  d.key = std::move(key);
  d.body = std::move(body);
  d.triggered_at = std::move(triggered_at);
  d.due = now + (reorder ? faults.reorder_delay : std::chrono::milliseconds{0});
  webhook_record rec;
  rec.event_id = d.event_id;
  rec.topic = d.topic;
  rec.key = d.key;
  rec.reordered = reorder;
  rec.copies = dup ? 2 : 1;
  if (lost)
    rec.fate = "lost";
  records_[d.event_id] = rec;
  order_.push_back(d.event_id);
  if (order_.size() > max_records) {
    records_.erase(order_.front());
    order_.pop_front();
  }
  auto id = d.event_id;
  if (!lost) {
    if (dup) {
      auto copy = d;
      copy.due += std::chrono::milliseconds{50};
      push(std::move(copy));
    }
    push(std::move(d));
  }
  return id;
}

std::vector<webhook_delivery> webhook_queue::take_due(clock::time_point now) {
  std::lock_guard<std::mutex> guard{mutex_};
  std::vector<webhook_delivery> out;
  while (!due_.empty() && due_.begin()->first <= now) {
    out.push_back(std::move(due_.begin()->second));
    due_.erase(due_.begin());
  }
  return out;
}

std::optional<webhook_queue::clock::time_point>
webhook_queue::next_due() const {
  std::lock_guard<std::mutex> guard{mutex_};
  if (due_.empty())
    return std::nullopt;
  return due_.begin()->first;
}

void webhook_queue::on_result(webhook_delivery d, bool delivered,
                              clock::time_point now) {
  std::lock_guard<std::mutex> guard{mutex_};
  ++attempts_;
  ++d.attempts;
  auto rec = records_.find(d.event_id);
  if (rec != records_.end())
    rec->second.attempts += 1;
  if (delivered) {
    if (rec != records_.end())
      rec->second.fate = "delivered";
    return;
  }
  ++failed_attempts_;
  if (d.attempts > schedule_.max_retries) {
    if (rec != records_.end() && rec->second.fate != "delivered")
      rec->second.fate = "dropped";
    return;
  }
  d.due = now + retry_delay(schedule_, d.attempts);
  push(std::move(d));
}

void webhook_queue::set_schedule(webhook_schedule s) {
  std::lock_guard<std::mutex> guard{mutex_};
  schedule_ = s;
}

webhook_schedule webhook_queue::schedule() const {
  std::lock_guard<std::mutex> guard{mutex_};
  return schedule_;
}

std::vector<webhook_record> webhook_queue::records() const {
  std::lock_guard<std::mutex> guard{mutex_};
  std::vector<webhook_record> out;
  for (auto& id : order_)
    out.push_back(records_.at(id));
  return out;
}

nlohmann::json webhook_queue::stats() const {
  std::lock_guard<std::mutex> guard{mutex_};
  std::map<std::string, int> fates;
  int duplicated = 0, reordered = 0;
  for (auto& [id, r] : records_) {
    ++fates[r.fate];
    duplicated += r.copies > 1;
    reordered += r.reordered;
  }
  return {{"events", records_.size()},
          {"pending", fates["pending"]},
          {"delivered", fates["delivered"]},
          {"lost", fates["lost"]},
          {"dropped", fates["dropped"]},
          {"duplicated", duplicated},
          {"reordered", reordered},
          {"attempts", attempts_},
          {"failed_attempts", failed_attempts_},
          {"queued", due_.size()}};
}

std::size_t webhook_queue::pending() const {
  std::lock_guard<std::mutex> guard{mutex_};
  return due_.size();
}

} // namespace ferry::sim_shop
