#include "persistence/shop_rate_budget.hpp"

#include "persistence/errors.hpp"

#include <cstdio>
#include <hiredis/hiredis.h>

namespace ferry::persistence {

namespace {

// KEYS[1] the bucket; ARGV rate per second, burst. Returns microseconds to
// wait (0: a token was taken). Redis's TIME is the one clock of the cluster.
constexpr const char* take_script = R"lua(
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local data = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(data[1])
local ts = tonumber(data[2])
if tokens == nil or ts == nil then
  tokens = burst
  ts = now
end
tokens = math.min(burst, tokens + math.max(0, now - ts) * rate / 1000000)
local wait = 0
if tokens >= 1 then
  tokens = tokens - 1
else
  wait = math.ceil((1 - tokens) * 1000000 / rate)
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate * 1000) + 1000)
return wait
)lua";

struct reply_guard {
  redisReply* r;
  ~reply_guard() {
    if (r)
      freeReplyObject(r);
  }
};

} // namespace

shop_rate_budget::shop_rate_budget(shop_rate_budget_settings s)
    : settings_(std::move(s)) {}

shop_rate_budget::~shop_rate_budget() {
  if (ctx_)
    redisFree(ctx_);
}

bool shop_rate_budget::connect(std::string& error) {
  if (ctx_)
    return true;
  timeval tv{};
  tv.tv_sec = settings_.timeout.count() / 1000;
  tv.tv_usec = (settings_.timeout.count() % 1000) * 1000;
  ctx_ = redisConnectWithTimeout(settings_.host.c_str(), settings_.port, tv);
  if (!ctx_ || ctx_->err) {
    error = "shop rate budget: cannot reach Redis at " + settings_.host + ":" +
            std::to_string(settings_.port) +
            (ctx_ ? std::string{": "} + ctx_->errstr : std::string{});
    if (ctx_)
      redisFree(ctx_);
    ctx_ = nullptr;
    return false;
  }
  redisSetTimeout(ctx_, tv);
  reply_guard load{static_cast<redisReply*>(
      redisCommand(ctx_, "SCRIPT LOAD %s", take_script))};
  if (!load.r || load.r->type != REDIS_REPLY_STRING) {
    error = "shop rate budget: SCRIPT LOAD failed";
    redisFree(ctx_);
    ctx_ = nullptr;
    return false;
  }
  sha_.assign(load.r->str, load.r->len);
  return true;
}

caf::expected<std::chrono::microseconds> shop_rate_budget::try_take() {
  std::lock_guard<std::mutex> guard{mutex_};
  std::string error;
  // One reconnect per call: a Redis restart loses the script and the
  // connection, and the first call after it should still succeed.
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (!connect(error))
      return make_db_error(db_errc::unavailable, error);
    char rate[32], burst[32];
    std::snprintf(rate, sizeof(rate), "%.6f", settings_.rate_per_second);
    std::snprintf(burst, sizeof(burst), "%.6f", settings_.burst);
    reply_guard r{static_cast<redisReply*>(
        redisCommand(ctx_, "EVALSHA %s 1 %s %s %s", sha_.c_str(),
                     settings_.key.c_str(), rate, burst))};
    if (r.r && r.r->type == REDIS_REPLY_INTEGER)
      return std::chrono::microseconds{r.r->integer};
    error = "shop rate budget: " +
            (r.r && r.r->type == REDIS_REPLY_ERROR
                 ? std::string(r.r->str, r.r->len)
                 : std::string{ctx_->errstr[0] ? ctx_->errstr
                                               : "no reply from Redis"});
    redisFree(ctx_);
    ctx_ = nullptr;
  }
  return make_db_error(db_errc::unavailable, error);
}

} // namespace ferry::persistence
