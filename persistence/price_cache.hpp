#pragma once

#include "persistence/redis_client.hpp"

#include <atomic>
#include <caf/expected.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace ferry::persistence {

/// What a cache lookup found: the current price version and, when present,
/// the value stored under that version.
struct price_cache_lookup {
  std::int64_t version = 0;
  std::optional<std::string> value;
};

/// One value found by `lookup_all`, with the time it has left before it
/// expires, so that what is derived from it expires no later.
struct price_cache_entry {
  std::string value;
  std::chrono::milliseconds ttl_left{0};
};

/// One value for `store_all`.
struct price_cache_write {
  std::string key;
  std::string value;
  /// Expires after this when shorter than the cache's TTL.
  std::optional<std::chrono::milliseconds> ttl;
};

/// What `lookup_all` found: the current version and, per key asked for in
/// that order, its entry under that version when present.
struct price_cache_lookups {
  std::int64_t version = 0;
  std::vector<std::optional<price_cache_entry>> entries;
};

/// Computed prices and resolved price lists in Redis, shared by every Ferry
/// node. Every key carries the current price version
/// (`<prefix>price:v<N>:<key>`), so bumping the version makes every older
/// entry unreachable at once; each entry also expires after `ttl`, so no
/// answer comes from data older than that. `invalidate` bumps the version
/// and publishes it on `channel()`, for every node to drop what it holds in
/// memory (see price_invalidation_listener).
class price_cache {
public:
  /// `redis` must outlive the cache.
  price_cache(redis_client& redis, std::string prefix,
              std::chrono::milliseconds ttl);

  /// The current version and the value of `key` under it, in one round
  /// trip.
  caf::expected<price_cache_lookup> lookup(const std::string& key);

  /// The current version and the entries of every key under it, in one
  /// round trip and from one version (e.g. a customer's prices and its
  /// resolved lists).
  caf::expected<price_cache_lookups>
  lookup_all(const std::vector<std::string>& keys);

  /// Stores `value` under `key` for `version`, expiring after the TTL, or
  /// after `ttl` when that is shorter (a value derived from another entry
  /// must not outlive it); a `ttl` of zero or less stores nothing.
  caf::expected<void>
  store(std::int64_t version, const std::string& key, const std::string& value,
        std::optional<std::chrono::milliseconds> ttl = std::nullopt);

  /// Stores every value of `writes` for `version` as `store` does, in one
  /// round trip.
  caf::expected<void> store_all(std::int64_t version,
                                const std::vector<price_cache_write>& writes);

  /// Bumps the version and publishes the new one; returns it.
  caf::expected<std::int64_t> invalidate();

  /// The pub/sub channel of invalidations.
  std::string channel() const { return prefix_ + "price:invalidate"; }

  /// The key holding the current version.
  std::string version_key() const { return prefix_ + "price:version"; }

  /// The Redis key of `key` under `version`.
  std::string versioned_key(std::int64_t version, const std::string& key) const;

  std::chrono::milliseconds ttl() const { return ttl_; }

private:
  redis_client& redis_;
  std::string prefix_;
  std::chrono::milliseconds ttl_;
};

/// Listens on the invalidation channel on its own connection and thread.
/// `on_invalidate(version)` runs on that thread for each published version,
/// and with nullopt after every (re)subscription, when invalidations may
/// have been missed while disconnected: the receiver then drops everything.
/// Reconnects with `retry` between attempts until stopped.
class price_invalidation_listener {
public:
  using callback = std::function<void(std::optional<std::int64_t>)>;

  price_invalidation_listener(
      redis_options options, std::string channel, callback on_invalidate,
      std::chrono::milliseconds retry = std::chrono::milliseconds{500});
  /// Stops and joins.
  ~price_invalidation_listener();
  price_invalidation_listener(const price_invalidation_listener&) = delete;
  price_invalidation_listener&
  operator=(const price_invalidation_listener&) = delete;

  /// Whether it is subscribed right now.
  bool subscribed() const { return subscribed_; }

  /// Stops listening; idempotent.
  void stop();

private:
  void run();

  redis_options options_;
  std::string channel_;
  callback on_invalidate_;
  std::chrono::milliseconds retry_;
  std::atomic<bool> subscribed_{false};
  std::mutex mtx_;
  std::condition_variable cv_;
  bool stopping_ = false;
  int fd_ = -1; // of the current connection, to wake a blocked read on stop
  std::thread thread_;
};

} // namespace ferry::persistence
