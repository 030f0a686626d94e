#include "persistence/price_cache.hpp"

#include <hiredis/hiredis.h>
#include <sys/socket.h>
#include <sys/time.h>

namespace ferry::persistence {

namespace {

// The version and the versioned value in one round trip.
constexpr const char* lookup_script = R"(
local v = redis.call('GET', KEYS[1]) or '0'
local value = redis.call('GET', ARGV[1] .. v .. ':' .. ARGV[2])
return {v, value}
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

caf::expected<price_cache_lookup>
price_cache::lookup(const std::string& key) {
  auto r = redis_.run_script(lookup_script, {version_key()},
                             {prefix_ + "price:v", key});
  if (!r)
    return r.error();
  if (r->type != redis_reply::kind::array || r->elements.empty())
    return make_db_error(db_errc::rejected,
                         "redis price lookup: unexpected reply");
  price_cache_lookup out;
  try {
    out.version = std::stoll(r->elements[0].text);
  } catch (const std::exception&) {
    return make_db_error(db_errc::rejected,
                         "redis " + version_key() + ": not a number");
  }
  // A Lua false (missing key) ends the array early or comes back as nil.
  if (r->elements.size() > 1 && !r->elements[1].is_nil())
    out.value = r->elements[1].text;
  return out;
}

caf::expected<void> price_cache::store(std::int64_t version,
                                       const std::string& key,
                                       const std::string& value) {
  auto r = redis_.command({"SET", versioned_key(version, key), value, "PX",
                           std::to_string(ttl_.count())});
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
    redisContext* ctx = redisConnectWithTimeout(options_.host.c_str(),
                                                options_.port, tv);
    bool ok = ctx != nullptr && ctx->err == 0;
    if (ok) {
      // Blocking reads without time-out (a time-out would leave the hiredis
      // context unusable); keep-alive finds a dead peer, stop() wakes us.
      redisEnableKeepAlive(ctx);
      timeval none{};
      redisSetTimeout(ctx, none);
      if (options_.password) {
        auto* auth = static_cast<redisReply*>(redisCommand(
          ctx, "AUTH %b", options_.password->data(), options_.password->size()));
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
        if (reply->type == REDIS_REPLY_ARRAY && reply->elements == 3
            && reply->element[2]->type == REDIS_REPLY_STRING) {
          std::optional<std::int64_t> version;
          try {
            version = std::stoll(std::string(reply->element[2]->str,
                                             reply->element[2]->len));
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
