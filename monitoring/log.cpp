#include "monitoring/log.hpp"

#include "mapping/masking.hpp"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>

namespace ferry::monitoring {

namespace {

std::atomic<int> min_level{static_cast<int>(log_level::info)};

std::mutex& sink_mutex() {
  static std::mutex mtx;
  return mtx;
}

std::function<void(const std::string&)>& sink() {
  static std::function<void(const std::string&)> fn;
  return fn;
}

std::string utc_timestamp() {
  auto now = std::chrono::system_clock::now();
  auto secs = std::chrono::system_clock::to_time_t(now);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                now.time_since_epoch())
                .count() %
            1000;
  std::tm tm{};
  ::gmtime_r(&secs, &tm);
  // Sized for any int values so that -Wformat-truncation stays quiet.
  char buf[96];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
                tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                tm.tm_min, tm.tm_sec, static_cast<int>(ms));
  return buf;
}

bool reserved(const std::string& key) {
  return key == "ts" || key == "level" || key == "component" || key == "msg";
}

} // namespace

const char* to_string(log_level level) {
  switch (level) {
    case log_level::trace:
      return "trace";
    case log_level::debug:
      return "debug";
    case log_level::info:
      return "info";
    case log_level::warn:
      return "warn";
    case log_level::error:
      return "error";
  }
  return "error";
}

bool parse_log_level(std::string_view text, log_level& out) {
  if (text == "trace")
    out = log_level::trace;
  else if (text == "debug")
    out = log_level::debug;
  else if (text == "info")
    out = log_level::info;
  else if (text == "warn" || text == "warning")
    out = log_level::warn;
  else if (text == "error")
    out = log_level::error;
  else
    return false;
  return true;
}

void set_log_level(log_level level) {
  min_level = static_cast<int>(level);
}

log_level current_log_level() {
  return static_cast<log_level>(min_level.load());
}

void set_log_sink(std::function<void(const std::string&)> fn) {
  std::lock_guard<std::mutex> guard(sink_mutex());
  sink() = std::move(fn);
}

std::string format_log_line(log_level level, std::string_view component,
                            std::string_view message, log_fields fields) {
  // ordered_json keeps ts/level/component/msg first for people reading.
  nlohmann::ordered_json line;
  line["ts"] = utc_timestamp();
  line["level"] = to_string(level);
  line["component"] = std::string(component);
  line["msg"] = mapping::mask_text(message);
  for (const auto& [key, value] : fields) {
    auto masked = mapping::mask_field(key, value);
    line[reserved(key) ? "field_" + key : key] = std::move(masked);
  }
  // Invalid UTF-8 in a field must not make the logger throw.
  return line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void log(log_level level, std::string_view component, std::string_view message,
         log_fields fields) {
  if (static_cast<int>(level) < min_level.load())
    return;
  auto line = format_log_line(level, component, message, fields);
  std::lock_guard<std::mutex> guard(sink_mutex());
  if (sink()) {
    sink()(line);
    return;
  }
  line.push_back('\n');
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fflush(stderr);
}

void log_debug(std::string_view component, std::string_view message,
               log_fields fields) {
  log(log_level::debug, component, message, fields);
}

void log_info(std::string_view component, std::string_view message,
              log_fields fields) {
  log(log_level::info, component, message, fields);
}

void log_warn(std::string_view component, std::string_view message,
              log_fields fields) {
  log(log_level::warn, component, message, fields);
}

void log_error(std::string_view component, std::string_view message,
               log_fields fields) {
  log(log_level::error, component, message, fields);
}

} // namespace ferry::monitoring
