#include "persistence/redis_client.hpp"

#include <cerrno>
#include <hiredis/hiredis.h>
#include <sys/time.h>

namespace ferry::persistence {

namespace {

timeval to_timeval(std::chrono::milliseconds ms) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(ms.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((ms.count() % 1000) * 1000);
  return tv;
}

redis_reply convert(const redisReply* r) {
  redis_reply out;
  switch (r->type) {
    case REDIS_REPLY_STRING:
      out.type = redis_reply::kind::string;
      out.text.assign(r->str, r->len);
      break;
    case REDIS_REPLY_STATUS:
      out.type = redis_reply::kind::status;
      out.text.assign(r->str, r->len);
      break;
    case REDIS_REPLY_INTEGER:
      out.type = redis_reply::kind::integer;
      out.integer = r->integer;
      break;
    case REDIS_REPLY_ARRAY:
      out.type = redis_reply::kind::array;
      out.elements.reserve(r->elements);
      for (std::size_t i = 0; i < r->elements; ++i)
        out.elements.push_back(convert(r->element[i]));
      break;
    default:
      out.type = redis_reply::kind::nil;
  }
  return out;
}

std::vector<std::string> script_args(const char* verb, const std::string& body,
                                     const std::vector<std::string>& keys,
                                     const std::vector<std::string>& args) {
  std::vector<std::string> out{verb, body, std::to_string(keys.size())};
  out.insert(out.end(), keys.begin(), keys.end());
  out.insert(out.end(), args.begin(), args.end());
  return out;
}

} // namespace

redis_client::redis_client(redis_options options)
    : options_(std::move(options)) {}

redis_client::~redis_client() {
  std::lock_guard<std::mutex> guard(mtx_);
  drop_locked();
}

std::string redis_client::endpoint() const {
  return options_.host + ":" + std::to_string(options_.port);
}

bool redis_client::connected() const {
  std::lock_guard<std::mutex> guard(mtx_);
  return ctx_ != nullptr;
}

void redis_client::drop_locked() {
  if (ctx_ != nullptr) {
    redisFree(ctx_);
    ctx_ = nullptr;
  }
}

caf::error redis_client::connect_locked() {
  drop_locked();
  auto* ctx = redisConnectWithTimeout(options_.host.c_str(), options_.port,
                                      to_timeval(options_.timeout));
  if (ctx == nullptr)
    return make_db_error(db_errc::unavailable,
                         "redis " + endpoint() + ": cannot allocate context");
  if (ctx->err != 0) {
    std::string why = ctx->errstr;
    redisFree(ctx);
    return make_db_error(db_errc::unavailable,
                         "redis " + endpoint() + ": cannot connect: " + why);
  }
  if (redisSetTimeout(ctx, to_timeval(options_.timeout)) != REDIS_OK) {
    redisFree(ctx);
    return make_db_error(db_errc::unavailable,
                         "redis " + endpoint() + ": cannot set time-out");
  }
  ctx_ = ctx;
  if (options_.password) {
    auto auth = command_locked({"AUTH", *options_.password});
    if (!auth) {
      drop_locked();
      // Redis' answer, not the password.
      return make_db_error(db_errc::unavailable,
                           "redis " + endpoint() +
                               ": AUTH failed: " + db_error_text(auth.error()));
    }
  }
  if (options_.database != 0) {
    auto sel = command_locked({"SELECT", std::to_string(options_.database)});
    if (!sel) {
      drop_locked();
      return sel.error();
    }
  }
  return caf::none;
}

caf::expected<redis_reply>
redis_client::command_locked(const std::vector<std::string>& args) {
  if (args.empty())
    return make_db_error(db_errc::rejected, "redis: empty command");
  if (ctx_ == nullptr) {
    if (auto err = connect_locked())
      return err;
  }
  std::vector<const char*> argv;
  std::vector<std::size_t> lens;
  argv.reserve(args.size());
  lens.reserve(args.size());
  for (const auto& a : args) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  auto* raw = static_cast<redisReply*>(redisCommandArgv(
      ctx_, static_cast<int>(args.size()), argv.data(), lens.data()));
  if (raw == nullptr) {
    // hiredis leaves the context unusable after an I/O or protocol error.
    bool timed_out =
        ctx_->err == REDIS_ERR_IO && (errno == EAGAIN || errno == EWOULDBLOCK);
    std::string why = ctx_->errstr;
    drop_locked();
    if (timed_out)
      return make_db_error(
          db_errc::timeout,
          "redis " + endpoint() + ": " + args[0] + " got no answer within " +
              std::to_string(options_.timeout.count()) + " ms");
    return make_db_error(db_errc::unavailable, "redis " + endpoint() + ": " +
                                                   args[0] + " failed: " + why);
  }
  std::unique_ptr<redisReply, void (*)(void*)> reply(raw, freeReplyObject);
  if (reply->type == REDIS_REPLY_ERROR)
    return make_db_error(db_errc::rejected,
                         "redis " + args[0] + ": " +
                             std::string(reply->str, reply->len));
  return convert(reply.get());
}

caf::expected<redis_reply>
redis_client::command(const std::vector<std::string>& args) {
  std::lock_guard<std::mutex> guard(mtx_);
  return command_locked(args);
}

caf::expected<void> redis_client::ping() {
  std::lock_guard<std::mutex> guard(mtx_);
  // A connection that was open before a Redis restart fails once; a fresh
  // one tells the truth.
  bool was_open = ctx_ != nullptr;
  auto reply = command_locked({"PING"});
  if (!reply && was_open && db_error_code(reply.error()) != db_errc::rejected)
    reply = command_locked({"PING"});
  if (!reply)
    return reply.error();
  if (reply->text != "PONG")
    return make_db_error(db_errc::rejected, "redis " + endpoint() +
                                                ": PING answered '" +
                                                reply->text + "'");
  return caf::unit;
}

caf::expected<redis_reply>
redis_client::eval(const std::string& script,
                   const std::vector<std::string>& keys,
                   const std::vector<std::string>& args) {
  return command(script_args("EVAL", script, keys, args));
}

caf::expected<redis_reply>
redis_client::evalsha(const std::string& sha1,
                      const std::vector<std::string>& keys,
                      const std::vector<std::string>& args) {
  return command(script_args("EVALSHA", sha1, keys, args));
}

caf::expected<std::string>
redis_client::script_load(const std::string& script) {
  auto reply = command({"SCRIPT", "LOAD", script});
  if (!reply)
    return reply.error();
  return reply->text;
}

caf::expected<redis_reply>
redis_client::run_script(const std::string& script,
                         const std::vector<std::string>& keys,
                         const std::vector<std::string>& args) {
  std::lock_guard<std::mutex> guard(mtx_);
  std::string sha;
  for (const auto& [text, known] : script_shas_)
    if (text == script)
      sha = known;
  if (!sha.empty()) {
    auto reply = command_locked(script_args("EVALSHA", sha, keys, args));
    if (reply ||
        db_error_text(reply.error()).find("NOSCRIPT") == std::string::npos)
      return reply;
  }
  auto loaded = command_locked({"SCRIPT", "LOAD", script});
  if (!loaded)
    return loaded.error();
  sha = loaded->text;
  bool stored = false;
  for (auto& entry : script_shas_)
    if (entry.first == script) {
      entry.second = sha;
      stored = true;
    }
  if (!stored)
    script_shas_.emplace_back(script, sha);
  return command_locked(script_args("EVALSHA", sha, keys, args));
}

} // namespace ferry::persistence
