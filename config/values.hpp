#pragma once

#include "mapping/erp_time.hpp"

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

/// Strict parsers for the text of single config values. Each returns the
/// value, or nullopt and sets `why` to a message that says what was expected
/// (it quotes the text only where the text cannot be a secret).
namespace ferry::config {

/// "500ms", "10s", "5m", "2h": a whole number and a unit, nothing else.
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text,
                                                        std::string& why);

/// "512B", "64KiB", "1MiB", "2GiB".
std::optional<std::uint64_t> parse_size(std::string_view text,
                                        std::string& why);

/// A decimal integer that fits an int ("-3", "8").
std::optional<long long> parse_integer(std::string_view text, std::string& why);

/// "true" or "false".
std::optional<bool> parse_bool(std::string_view text, std::string& why);

/// A plain decimal fraction such as "0.5" or "1" (no exponent, no sign).
std::optional<double> parse_ratio(std::string_view text, std::string& why);

/// "host:port" or "[v6]:port"; port 1–65535, or 0 when `allow_any_port`.
bool check_host_port(std::string_view text, bool allow_any_port,
                     std::string& why);

/// scheme://[user[:password]@]host[:port][/path…] with a scheme among
/// `schemes`. The message never quotes the URL (it may hold a password).
bool check_url(std::string_view text, const std::vector<std::string>& schemes,
               std::string& why);

/// Whether `name` is an IANA zone with a file under `zoneinfo_dir`.
bool check_time_zone(std::string_view name, std::string& why,
                     const std::string& zoneinfo_dir = "/usr/share/zoneinfo");

/// The zone `name` ("America/Chicago") read from `zoneinfo_dir`, once per
/// process and then cached; nullptr when check_time_zone refuses it or the
/// file is no valid TZif. Thread-safe. The mapping layer converts with it and
/// never reads files itself.
std::shared_ptr<const time_zone>
load_time_zone(const std::string& name,
               const std::string& zoneinfo_dir = "/usr/share/zoneinfo");

/// local@domain with a dot in the domain, no spaces. Does not quote the
/// address (personal data).
bool check_email(std::string_view text, std::string& why);

/// The candidate closest to `key` by edit distance, if close enough to be a
/// likely typo.
std::optional<std::string> closest_key(std::string_view key,
                                       const std::vector<std::string>& keys);

/// `url` with the password of its user-info replaced by "***".
std::string redact_url_password(const std::string& url);

} // namespace ferry::config
