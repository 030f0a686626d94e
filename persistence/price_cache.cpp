#include "persistence/price_cache.hpp"

#include <algorithm>
#include <hiredis/hiredis.h>
#include <sys/socket.h>
#include <sys/time.h>

namespace ferry::persistence {

namespace {

// The version and the versioned values with their remaining time in one
// round trip. A missing value is an empty array: a nil would end the Lua
// table, and so the reply, early.
constexpr const char* lookup_script = R"(
local v = redis.call('GET', KEYS[1]) or '0'
local out = {v}
for i = 2, #ARGV do
  local k = ARGV[1] .. v .. ':' .. ARGV[i]
  local value = redis.call('GET', k)
  if value then
    out[#out + 1] = {value, redis.call('PTTL', k)}
  else
    out[#out + 1] = {}
  end
end
return out
)";

// Several SET … PX in one round trip: ARGV holds key, value, milliseconds
// for each.
constexpr const char* store_script = R"(
for i = 1, #ARGV, 3 do
  redis.call('SET', ARGV[i], ARGV[i + 1], 'PX', ARGV[i + 2])
end
return #ARGV / 3
)";

// INCR and PUBLISH together, so no node sees the new version unannounced.
constexpr const char* invalidate_script = R"(
local v = redis.call('INCR', KEYS[1])
redis.call('PUBLISH', ARGV[1], tostring(v))
return v
)";

} // namespace

price_cache::price_cache(redis_client& redis, std::string prefix,
                         std::chrono::milliseconds ttl)
    : redis_(redis), prefix_(std::move(prefix)), ttl_(ttl) {}

std::string price_cache::versioned_key(std::int64_t version,
                                       const std::string& key) const {
  return prefix_ + "price:v" + std::to_string(version) + ":" + key;
}

caf::expected<price_cache_lookup> price_cache::lookup(const std::string& key) {
  auto all = lookup_all({key});
  if (!all)
    return all.error();
  price_cache_lookup out;
  out.version = all->version;
  if (all->entries.at(0))
    out.value = std::move(all->entries[0]->value);
  return out;
}

caf::expected<price_cache_lookups>
price_cache::lookup_all(const std::vector<std::string>& keys) {
  std::vector<std::string> args;
  args.reserve(keys.size() + 1);
  args.push_back(prefix_ + "price:v");
  args.insert(args.end(), keys.begin(), keys.end());
  auto r = redis_.run_script(lookup_script, {version_key()}, args);
  if (!r)
    return r.error();
  auto unexpected = [] {
    return make_db_error(db_errc::rejected,
                         "redis price lookup: unexpected reply");
  };
  if (r->type != redis_reply::kind::array ||
      r->elements.size() != keys.size() + 1)
    return unexpected();
  price_cache_lookups out;
  try {
    out.version = std::stoll(r->elements[0].text);
  } catch (const std::exception&) {
    return make_db_error(db_errc::rejected,
                         "redis " + version_key() + ": not a number");
  }
  out.entries.reserve(keys.size());
  for (std::size_t i = 1; i < r->elements.size(); ++i) {
    const auto& e = r->elements[i];
    if (e.type != redis_reply::kind::array)
      return unexpected();
    if (e.elements.empty()) {
      out.entries.emplace_back();
      continue;
    }
    if (e.elements.size() != 2 ||
        e.elements[1].type != redis_reply::kind::integer)
      return unexpected();
    // PTTL is -1 for a key without expiry (only set by hand): give it the
    // full TTL rather than none.
    auto left = e.elements[1].integer < 0
                    ? ttl_
                    : std::chrono::milliseconds{e.elements[1].integer};
    out.entries.push_back(price_cache_entry{e.elements[0].text, left});
  }
  return out;
}

caf::expected<void>
price_cache::store(std::int64_t version, const std::string& key,
                   const std::string& value,
                   std::optional<std::chrono::milliseconds> ttl) {
  return store_all(version, {price_cache_write{key, value, ttl}});
}

caf::expected<void>
price_cache::store_all(std::int64_t version,
                       const std::vector<price_cache_write>& writes) {
  std::vector<std::string> args;
  args.reserve(writes.size() * 3);
  for (const auto& w : writes) {
    auto px = w.ttl ? std::min(*w.ttl, ttl_) : ttl_;
    if (px.count() <= 0)
      continue;
    args.push_back(versioned_key(version, w.key));
    args.push_back(w.value);
    args.push_back(std::to_string(px.count()));
  }
  if (args.empty())
    return caf::unit;
  auto r = redis_.run_script(store_script, {}, args);
  if (!r)
    return r.error();
  return caf::unit;
}

caf::expected<std::int64_t> price_cache::invalidate() {
  auto r = redis_.run_script(invalidate_script, {version_key()}, {channel()});
  if (!r)
    return r.error();
  return r->integer;
}

price_invalidation_listener::price_invalidation_listener(
    redis_options options, std::string channel, callback on_invalidate,
    std::chrono::milliseconds retry)
    : options_(std::move(options)),
      channel_(std::move(channel)),
      on_invalidate_(std::move(on_invalidate)),
      retry_(retry) {
  thread_ = std::thread([this] { run(); });
}

price_invalidation_listener::~price_invalidation_listener() {
  stop();
}

void price_invalidation_listener::stop() {
  {
    std::lock_guard<std::mutex> guard(mtx_);
    if (stopping_ && !thread_.joinable())
      return;
    stopping_ = true;
    // Wakes the blocked read; the thread then sees `stopping_`.
    if (fd_ >= 0)
      ::shutdown(fd_, SHUT_RDWR);
  }
  cv_.notify_all();
  if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id())
    thread_.join();
}

void price_invalidation_listener::run() {
  for (;;) {
    {
      std::lock_guard<std::mutex> guard(mtx_);
      if (stopping_)
        return;
    }
    timeval tv{};
    tv.tv_sec = static_cast<time_t>(options_.timeout.count() / 1000);
    tv.tv_usec =
        static_cast<suseconds_t>((options_.timeout.count() % 1000) * 1000);
    redisContext* ctx =
        redisConnectWithTimeout(options_.host.c_str(), options_.port, tv);
    bool ok = ctx != nullptr && ctx->err == 0;
    if (ok) {
      // Blocking reads without time-out (a time-out would leave the hiredis
      // context unusable); keep-alive finds a dead peer, stop() wakes us.
      redisEnableKeepAlive(ctx);
      timeval none{};
      redisSetTimeout(ctx, none);
      if (options_.password) {
        auto* auth = static_cast<redisReply*>(
            redisCommand(ctx, "AUTH %b", options_.password->data(),
                         options_.password->size()));
        ok = auth != nullptr && auth->type != REDIS_REPLY_ERROR;
        if (auth != nullptr)
          freeReplyObject(auth);
      }
    }
    if (ok) {
      auto* sub = static_cast<redisReply*>(
          redisCommand(ctx, "SUBSCRIBE %b", channel_.data(), channel_.size()));
      ok = sub != nullptr && sub->type == REDIS_REPLY_ARRAY;
      if (sub != nullptr)
        freeReplyObject(sub);
    }
    if (ok) {
      {
        std::lock_guard<std::mutex> guard(mtx_);
        if (stopping_) {
          redisFree(ctx);
          return;
        }
        fd_ = ctx->fd;
      }
      subscribed_ = true;
      // Whatever was published while we were not subscribed is lost.
      on_invalidate_(std::nullopt);
      for (;;) {
        void* raw = nullptr;
        if (redisGetReply(ctx, &raw) != REDIS_OK || raw == nullptr)
          break;
        auto* reply = static_cast<redisReply*>(raw);
        if (reply->type == REDIS_REPLY_ARRAY && reply->elements == 3 &&
            reply->element[2]->type == REDIS_REPLY_STRING) {
          std::optional<std::int64_t> version;
          try {
            version = std::stoll(
                std::string(reply->element[2]->str, reply->element[2]->len));
          } catch (const std::exception&) {
            version.reset(); // unreadable: drop everything to be safe
          }
          on_invalidate_(version);
        }
        freeReplyObject(reply);
      }
      subscribed_ = false;
      std::lock_guard<std::mutex> guard(mtx_);
      fd_ = -1;
    }
    if (ctx != nullptr)
      redisFree(ctx);
    std::unique_lock<std::mutex> lock(mtx_);
    if (cv_.wait_for(lock, retry_, [this] { return stopping_; }))
      return;
  }
}

} // namespace ferry::persistence
