#pragma once

#include "persistence/errors.hpp"

#include <caf/expected.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

struct redisContext;

namespace ferry::persistence {

/// Where and how to reach Redis.
struct redis_options {
  /// Host name or IP address.
  std::string host = "127.0.0.1";
  /// TCP port.
  int port = 6379;
  /// Bounds connecting and every command (read and write).
  std::chrono::milliseconds timeout{1000};
  /// Sent with AUTH after connecting; never logged or put into errors.
  std::optional<std::string> password;
  /// SELECTed after connecting when not 0.
  int database = 0;
};

/// A Redis reply, converted from hiredis' redisReply.
struct redis_reply {
  /// The RESP type (errors never get here: they become `caf::error`s).
  enum class kind { nil, string, status, integer, array };
  /// Which member is meaningful.
  kind type = kind::nil;
  /// For string and status replies.
  std::string text;
  /// For integer replies.
  std::int64_t integer = 0;
  /// For array replies.
  std::vector<redis_reply> elements;

  /// Whether this is a nil reply (a missing key).
  bool is_nil() const { return type == kind::nil; }
};

/// A synchronous Redis client (hiredis 0.14) with connect and command
/// time-outs. Thread-safe: one connection guarded by a mutex, so commands
/// from several threads run one after another; give each busy thread its
/// own client for throughput.
///
/// Reconnects by itself: after an I/O error or time-out the connection is
/// dropped and the next call opens a new one. A failed command is not
/// retried (it may have run), except `ping` which is idempotent.
/// Errors: `db_errc::unavailable` (cannot connect, connection lost),
/// `db_errc::timeout`, `db_errc::rejected` (Redis answered with an error,
/// e.g. WRONGTYPE or a Lua error; its text is in the error).
class redis_client {
public:
  /// Does not connect yet; the first command does.
  explicit redis_client(redis_options options);
  ~redis_client();
  redis_client(const redis_client&) = delete;
  redis_client& operator=(const redis_client&) = delete;

  /// Runs one command given as separate, binary-safe arguments:
  /// `command({"SET", key, value, "PX", "5000"})`.
  caf::expected<redis_reply> command(const std::vector<std::string>& args);

  /// PING, retried once on a fresh connection; for readiness probes.
  caf::expected<void> ping();

  /// EVAL `script` with `keys` and `args`.
  caf::expected<redis_reply> eval(const std::string& script,
                                  const std::vector<std::string>& keys,
                                  const std::vector<std::string>& args);

  /// EVALSHA by the SHA1 of a script loaded before.
  caf::expected<redis_reply> evalsha(const std::string& sha1,
                                     const std::vector<std::string>& keys,
                                     const std::vector<std::string>& args);

  /// SCRIPT LOAD; returns the script's SHA1.
  caf::expected<std::string> script_load(const std::string& script);

  /// EVALSHA of `script`, loading it first when Redis does not know it
  /// (NOSCRIPT, e.g. after a Redis restart): the way to run Lua cheaply.
  caf::expected<redis_reply> run_script(const std::string& script,
                                        const std::vector<std::string>& keys,
                                        const std::vector<std::string>& args);

  /// Whether a connection is open right now (false before the first
  /// command and after an error).
  bool connected() const;

  /// "host:port", for messages.
  std::string endpoint() const;

private:
  caf::expected<redis_reply>
  command_locked(const std::vector<std::string>& args);
  caf::error connect_locked();
  void drop_locked();

  redis_options options_;
  mutable std::mutex mtx_;
  redisContext* ctx_ = nullptr;
  // SHA1 of scripts run through run_script, by script text.
  std::vector<std::pair<std::string, std::string>> script_shas_;
};

} // namespace ferry::persistence
