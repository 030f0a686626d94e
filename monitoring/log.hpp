#pragma once

#include <functional>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>

/// Ferry's logger: one JSON object per line on stderr (or a sink set by
/// tests), e.g.
/// {"ts":"2026-11-29T11:00:00.123Z","level":"info","component":"shop",
///  "msg":"webhook accepted","event_id":"e-1"}
/// Thread-safe: each line is written whole. Fields are masked by name through
/// mapping/masking (email, name, phone, address, ...), secrets (password,
/// token, authorization, ...) are printed as "***", and e-mail addresses in
/// the message text are masked too, so no call site can leak them.
namespace ferry::monitoring {

/// Severity, lowest first.
enum class log_level { trace, debug, info, warn, error };

/// The name of a level ("trace", "debug", "info", "warn", "error").
const char* to_string(log_level level);

/// Parses "trace", "debug", "info", "warn"/"warning" or "error"; false
/// otherwise (`out` unchanged).
bool parse_log_level(std::string_view text, log_level& out);

/// Extra fields of a log line, in order.
using log_fields =
    std::initializer_list<std::pair<std::string, nlohmann::json>>;

/// Lines below `level` are dropped (default: info).
void set_log_level(log_level level);

/// The current minimum level.
log_level current_log_level();

/// Where lines go: called once per line, without the trailing newline,
/// under the logger's lock. Null restores stderr.
void set_log_sink(std::function<void(const std::string&)> sink);

/// Builds the masked line (without writing it); exposed for tests and for
/// callers that ship lines elsewhere.
std::string format_log_line(log_level level, std::string_view component,
                            std::string_view message, log_fields fields = {});

/// Writes one line when `level` is enabled.
void log(log_level level, std::string_view component, std::string_view message,
         log_fields fields = {});

/// `log(log_level::debug, ...)`.
void log_debug(std::string_view component, std::string_view message,
               log_fields fields = {});
/// `log(log_level::info, ...)`.
void log_info(std::string_view component, std::string_view message,
              log_fields fields = {});
/// `log(log_level::warn, ...)`.
void log_warn(std::string_view component, std::string_view message,
              log_fields fields = {});
/// `log(log_level::error, ...)`.
void log_error(std::string_view component, std::string_view message,
               log_fields fields = {});

} // namespace ferry::monitoring
