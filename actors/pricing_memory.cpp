#include "actors/pricing_memory.hpp"

#include <algorithm>
#include <functional>

namespace ferry {

namespace {

// The key of one answer, written into a buffer of the calling thread: a
// lookup allocates nothing once the buffer has grown.
const std::string& memory_key(const std::string& customer_id,
                              const std::string& currency,
                              const price_item& item) {
  thread_local std::string key;
  auto qty = item.quantity.to_string();
  key.clear();
  key += customer_id;
  key += '\x1f';
  key += currency;
  key += '\x1f';
  key += item.sku;
  key += '\x1f';
  key += qty;
  return key;
}

} // namespace

pricing_memory::pricing_memory(std::chrono::milliseconds ttl,
                               std::size_t max_entries)
    : ttl_(ttl),
      max_per_shard_(std::max<std::size_t>(1, max_entries / shard_count)) {}

std::uint64_t pricing_memory::generation() const {
  return generation_.load(std::memory_order_acquire);
}

pricing_memory::shard& pricing_memory::shard_of(const std::string& key) const {
  return shards_[std::hash<std::string>{}(key) % shard_count];
}

pricing_memory::entry* pricing_memory::fresh(shard& s, const std::string& key,
                                             clock::time_point now) const {
  auto it = s.entries.find(key);
  if (it == s.entries.end() || now - it->second.loaded_at >= ttl_)
    return nullptr;
  return &it->second;
}

std::optional<price_answer>
pricing_memory::recall(const std::string& customer_id,
                       const std::string& currency, const price_item& item,
                       clock::time_point now) const {
  const auto& key = memory_key(customer_id, currency, item);
  auto& s = shard_of(key);
  std::lock_guard<std::mutex> guard(s.mtx);
  auto* e = fresh(s, key, now);
  if (e == nullptr)
    return std::nullopt;
  auto out = e->answer;
  out.cache_hit = true;
  return out;
}

std::shared_ptr<const std::string> pricing_memory::recall_rendered(
    const std::string& customer_id, const std::string& currency,
    const price_item& item, renderer render, clock::time_point now) const {
  const auto& key = memory_key(customer_id, currency, item);
  auto& s = shard_of(key);
  std::lock_guard<std::mutex> guard(s.mtx);
  auto* e = fresh(s, key, now);
  if (e == nullptr)
    return nullptr;
  if (e->rendered_by != render || !e->rendered) {
    auto hit = e->answer;
    hit.cache_hit = true;
    e->rendered = std::make_shared<const std::string>(render(customer_id, hit));
    e->rendered_by = render;
  }
  return e->rendered;
}

std::optional<price_reply>
pricing_memory::recall_all(const price_query& query,
                           clock::time_point now) const {
  if (query.items.empty())
    return std::nullopt;
  price_reply reply;
  reply.answers.reserve(query.items.size());
  for (const auto& item : query.items) {
    auto a = recall(query.customer_id, query.currency, item, now);
    if (!a)
      return std::nullopt;
    reply.answers.push_back(std::move(*a));
  }
  return reply;
}

void pricing_memory::remember(std::uint64_t generation,
                              const std::string& customer_id,
                              const std::string& currency,
                              const price_item& item,
                              const price_answer& answer,
                              clock::time_point loaded_at) {
  if (answer.status != 200)
    return;
  const auto& key = memory_key(customer_id, currency, item);
  auto& s = shard_of(key);
  std::lock_guard<std::mutex> guard(s.mtx);
  // Checked under the shard's lock: forget_all bumps the generation before
  // it clears the shards, so a stale store either sees the new generation
  // or is cleared after it.
  if (generation != generation_.load(std::memory_order_acquire))
    return;
  if (s.entries.size() >= max_per_shard_ && s.entries.count(key) == 0)
    s.entries.clear();
  auto& e = s.entries[key];
  e.answer = answer;
  e.answer.cache_hit = false;
  e.loaded_at = loaded_at;
  e.rendered_by = nullptr;
  e.rendered.reset();
}

void pricing_memory::forget_all() {
  generation_.fetch_add(1, std::memory_order_acq_rel);
  for (auto& s : shards_) {
    std::lock_guard<std::mutex> guard(s.mtx);
    s.entries.clear();
  }
}

std::size_t pricing_memory::size() const {
  std::size_t n = 0;
  for (auto& s : shards_) {
    std::lock_guard<std::mutex> guard(s.mtx);
    n += s.entries.size();
  }
  return n;
}

} // namespace ferry
