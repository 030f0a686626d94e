#pragma once

#include "actors/pricing_messages.hpp"

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace ferry {

/// The prices this process remembers: written by the per-customer pricing
/// actors when their loader answers, read by them and by the pricing API
/// on the HTTP io threads, so that a hot-cache hit is answered without any
/// actor hop (each hop is a thread hand-off, a wake-up and a request
/// timeout on CAF's clock; under load they cost more than the answer).
///
/// An entry answers while it is younger than the TTL, counted from when
/// its loader answered. `forget_all` (a price version was published) drops
/// everything and bumps the generation: an answer loaded under an older
/// generation is not stored afterwards, so a load that was in flight
/// during an invalidation cannot put a stale price back. Thread-safe;
/// sharded so the io threads rarely wait on each other.
class pricing_memory {
public:
  using clock = std::chrono::steady_clock;

  /// At most `max_entries` answers (a shard that outgrows its share starts
  /// over).
  explicit pricing_memory(std::chrono::milliseconds ttl,
                          std::size_t max_entries = 65536);

  pricing_memory(const pricing_memory&) = delete;
  pricing_memory& operator=(const pricing_memory&) = delete;

  /// Read before a load; pass to `remember` with its answers.
  std::uint64_t generation() const;

  /// The remembered answer for one item of `customer_id`, if fresh; marked
  /// `cache_hit`.
  std::optional<price_answer>
  recall(const std::string& customer_id, const std::string& currency,
         const price_item& item, clock::time_point now = clock::now()) const;

  /// Turns one remembered answer of `customer_id` into what a reader sends
  /// (the API's JSON body).
  using renderer = std::string (*)(const std::string& customer_id,
                                   const price_answer& answer);

  /// What `render` makes of the remembered answer for one item, if fresh.
  /// Made once per stored answer and kept beside it until the answer is
  /// replaced or forgotten, so a hot hit costs no formatting; the answer
  /// given to `render` is marked `cache_hit`. `render` runs under a lock:
  /// it must not call this memory.
  std::shared_ptr<const std::string>
  recall_rendered(const std::string& customer_id, const std::string& currency,
                  const price_item& item, renderer render,
                  clock::time_point now = clock::now()) const;

  /// Every item of `query` from memory, in order, or nullopt when any one
  /// is missing or stale.
  std::optional<price_reply>
  recall_all(const price_query& query,
             clock::time_point now = clock::now()) const;

  /// Stores a successful answer (others are ignored) loaded at `loaded_at`
  /// under `generation`; ignored when the generation moved on since.
  void remember(std::uint64_t generation, const std::string& customer_id,
                const std::string& currency, const price_item& item,
                const price_answer& answer, clock::time_point loaded_at);

  /// Drops every answer and bumps the generation.
  void forget_all();

  /// Answers held now (stale ones included until overwritten or dropped).
  std::size_t size() const;

  std::chrono::milliseconds ttl() const { return ttl_; }

private:
  struct entry {
    price_answer answer;
    clock::time_point loaded_at;
    renderer rendered_by = nullptr;
    std::shared_ptr<const std::string> rendered;
  };
  struct shard {
    mutable std::mutex mtx;
    std::unordered_map<std::string, entry> entries;
  };
  static constexpr std::size_t shard_count = 16;

  shard& shard_of(const std::string& key) const;
  /// The entry of `key` in `s` unless missing or older than the TTL; call
  /// with `s.mtx` held.
  entry* fresh(shard& s, const std::string& key, clock::time_point now) const;

  std::chrono::milliseconds ttl_;
  std::size_t max_per_shard_;
  std::atomic<std::uint64_t> generation_{0};
  mutable std::array<shard, shard_count> shards_;
};

} // namespace ferry
