#include "config/values.hpp"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <limits>
#include <map>
#include <mutex>
#include <sstream>
#include <sys/stat.h>

namespace ferry::config {

namespace {

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isdigit(static_cast<unsigned char>(c)) != 0;
  });
}

// Parses unsigned digits without overflow; nullopt when too large.
std::optional<std::uint64_t> parse_digits(std::string_view s) {
  std::uint64_t value = 0;
  for (char c : s) {
    auto digit = static_cast<std::uint64_t>(c - '0');
    if (value > (std::numeric_limits<std::uint64_t>::max() - digit) / 10)
      return std::nullopt;
    value = value * 10 + digit;
  }
  return value;
}

std::string quoted(std::string_view text) {
  return "\"" + std::string(text) + "\"";
}

// Splits "123unit" into number and unit.
std::pair<std::string_view, std::string_view>
split_number(std::string_view text) {
  size_t i = 0;
  while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])))
    ++i;
  return {text.substr(0, i), text.substr(i)};
}

} // namespace

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text,
                                                        std::string& why) {
  auto [number, unit] = split_number(text);
  std::uint64_t factor = 0;
  if (unit == "ms")
    factor = 1;
  else if (unit == "s")
    factor = 1000;
  else if (unit == "m")
    factor = 60 * 1000;
  else if (unit == "h")
    factor = 3600 * 1000;
  if (number.empty() || factor == 0) {
    why = "expected a duration such as \"500ms\", \"10s\", \"5m\" or \"2h\" "
          "(a whole number and one of ms, s, m, h), got " +
          quoted(text);
    return std::nullopt;
  }
  auto value = parse_digits(number);
  // A year is far beyond any sensible timeout and keeps arithmetic safe.
  constexpr std::uint64_t max_ms = 366ULL * 24 * 3600 * 1000;
  if (!value || *value > max_ms / factor) {
    why = "duration " + quoted(text) + " is too long";
    return std::nullopt;
  }
  return std::chrono::milliseconds(static_cast<long long>(*value * factor));
}

std::optional<std::uint64_t> parse_size(std::string_view text,
                                        std::string& why) {
  auto [number, unit] = split_number(text);
  std::uint64_t factor = 0;
  if (unit == "B")
    factor = 1;
  else if (unit == "KiB")
    factor = 1024;
  else if (unit == "MiB")
    factor = 1024 * 1024;
  else if (unit == "GiB")
    factor = 1024ULL * 1024 * 1024;
  if (number.empty() || factor == 0) {
    why = "expected a size such as \"512KiB\" or \"1MiB\" (a whole number and "
          "one of B, KiB, MiB, GiB), got " +
          quoted(text);
    return std::nullopt;
  }
  auto value = parse_digits(number);
  if (!value || *value > std::numeric_limits<std::uint64_t>::max() / factor) {
    why = "size " + quoted(text) + " is too large";
    return std::nullopt;
  }
  return *value * factor;
}

std::optional<long long> parse_integer(std::string_view text,
                                       std::string& why) {
  auto digits = text;
  bool negative = false;
  if (!digits.empty() && (digits[0] == '-' || digits[0] == '+')) {
    negative = digits[0] == '-';
    digits.remove_prefix(1);
  }
  auto value = all_digits(digits) ? parse_digits(digits) : std::nullopt;
  if (!value) {
    why = "expected a whole number, got " + quoted(text);
    return std::nullopt;
  }
  if (*value > static_cast<std::uint64_t>(std::numeric_limits<int>::max())) {
    why = "number " + quoted(text) + " is too large";
    return std::nullopt;
  }
  auto signed_value = static_cast<long long>(*value);
  return negative ? -signed_value : signed_value;
}

std::optional<bool> parse_bool(std::string_view text, std::string& why) {
  if (text == "true")
    return true;
  if (text == "false")
    return false;
  why = "expected true or false, got " + quoted(text);
  return std::nullopt;
}

std::optional<double> parse_ratio(std::string_view text, std::string& why) {
  auto dot = text.find('.');
  auto whole = text.substr(0, dot);
  auto fraction =
      dot == std::string_view::npos ? std::string_view{} : text.substr(dot + 1);
  bool ok = all_digits(whole) &&
            (dot == std::string_view::npos || all_digits(fraction)) &&
            whole.size() <= 6 && fraction.size() <= 6;
  if (!ok) {
    why = "expected a decimal number such as \"0.5\", got " + quoted(text);
    return std::nullopt;
  }
  return std::stod(std::string(text));
}

bool check_host_port(std::string_view text, bool allow_any_port,
                     std::string& why) {
  std::string_view host;
  std::string_view port;
  if (!text.empty() && text[0] == '[') {
    auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() ||
        text[close + 1] != ':') {
      why = "expected host:port or [ipv6]:port, got " + quoted(text);
      return false;
    }
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    auto colon = text.rfind(':');
    if (colon == std::string_view::npos) {
      why =
          "expected host:port such as \"127.0.0.1:9464\", got " + quoted(text);
      return false;
    }
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) {
      why = "an IPv6 address needs brackets: [::1]:port, got " + quoted(text);
      return false;
    }
  }
  if (host.empty() || host.find_first_of(" /\t") != std::string_view::npos) {
    why = "missing or invalid host in " + quoted(text);
    return false;
  }
  auto number =
      all_digits(port) && port.size() <= 5 ? parse_digits(port) : std::nullopt;
  if (!number || *number > 65535 || (*number == 0 && !allow_any_port)) {
    why = std::string("port must be a number from ") +
          (allow_any_port ? "0" : "1") + " to 65535 in " + quoted(text);
    return false;
  }
  return true;
}

bool check_url(std::string_view text, const std::vector<std::string>& schemes,
               std::string& why) {
  auto scheme_end = text.find("://");
  std::string scheme_list;
  for (const auto& s : schemes)
    scheme_list += (scheme_list.empty() ? "" : " or ") + s;
  if (scheme_end == std::string_view::npos) {
    why = "expected a URL starting with " + scheme_list + "://";
    return false;
  }
  auto scheme = std::string(text.substr(0, scheme_end));
  if (std::find(schemes.begin(), schemes.end(), scheme) == schemes.end()) {
    why = "URL scheme must be " + scheme_list + ", got \"" + scheme + "\"";
    return false;
  }
  auto rest = text.substr(scheme_end + 3);
  auto authority = rest.substr(0, rest.find_first_of("/?#"));
  auto at = authority.rfind('@');
  if (at != std::string_view::npos)
    authority.remove_prefix(at + 1);
  std::string_view host = authority;
  std::string_view port;
  if (!authority.empty() && authority[0] == '[') {
    auto close = authority.find(']');
    if (close == std::string_view::npos) {
      why = "URL has an unterminated [IPv6] host";
      return false;
    }
    host = authority.substr(1, close - 1);
    auto after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') {
        why = "URL has stray characters after its host";
        return false;
      }
      port = after.substr(1);
      if (port.empty()) {
        why = "URL has an empty port";
        return false;
      }
    }
  } else if (auto colon = authority.rfind(':');
             colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
    if (port.empty()) {
      why = "URL has an empty port";
      return false;
    }
  }
  if (host.empty() || host.find_first_of(" \t") != std::string_view::npos) {
    why = "URL has no valid host";
    return false;
  }
  if (!port.empty()) {
    auto number = all_digits(port) && port.size() <= 5 ? parse_digits(port)
                                                       : std::nullopt;
    if (!number || *number == 0 || *number > 65535) {
      why = "URL port must be a number from 1 to 65535";
      return false;
    }
  }
  return true;
}

namespace {

// Refusing "..", absolute and odd names keeps the lookup inside the zone
// database and rejects "posixrules"-like files by shape.
bool zone_shaped(std::string_view name) {
  return !name.empty() && name[0] != '/' &&
         name.find("..") == std::string_view::npos &&
         std::all_of(name.begin(), name.end(), [](char c) {
           return std::isalnum(static_cast<unsigned char>(c)) || c == '/' ||
                  c == '_' || c == '-' || c == '+';
         });
}

} // namespace

bool check_time_zone(std::string_view name, std::string& why,
                     const std::string& zoneinfo_dir) {
  struct stat st {};
  if (!zone_shaped(name) ||
      ::stat((zoneinfo_dir + "/" + std::string(name)).c_str(), &st) != 0 ||
      !S_ISREG(st.st_mode)) {
    why = "unknown IANA time zone " + quoted(name) +
          " (expected a name such as \"America/Chicago\" or \"UTC\")";
    return false;
  }
  return true;
}

std::shared_ptr<const time_zone> load_time_zone(const std::string& name,
                                                const std::string& dir) {
  if (!zone_shaped(name))
    return nullptr;
  static std::mutex mutex;
  static std::map<std::string, std::shared_ptr<const time_zone>> cache;
  auto key = dir + "/" + name;
  std::lock_guard<std::mutex> guard{mutex};
  if (auto it = cache.find(key); it != cache.end())
    return it->second;
  std::ifstream in{key, std::ios::binary};
  if (!in)
    return nullptr;
  std::ostringstream content;
  content << in.rdbuf();
  auto zone = time_zone::from_tzif(content.str());
  if (!zone)
    return nullptr;
  auto shared = std::make_shared<const time_zone>(std::move(*zone));
  cache.emplace(key, shared);
  return shared;
}

bool check_email(std::string_view text, std::string& why) {
  auto at = text.find('@');
  bool ok = at != std::string_view::npos && at > 0 &&
            text.find('@', at + 1) == std::string_view::npos &&
            text.find_first_of(" \t<>,;") == std::string_view::npos;
  if (ok) {
    auto domain = text.substr(at + 1);
    auto dot = domain.find('.');
    // "localhost" is accepted: the demo's SMTP sink and local tests use it.
    ok = domain == "localhost" ||
         (dot != std::string_view::npos && dot > 0 && dot + 1 < domain.size());
  }
  if (!ok)
    why = "expected an e-mail address such as name@example.com";
  return ok;
}

std::optional<std::string> closest_key(std::string_view key,
                                       const std::vector<std::string>& keys) {
  auto distance = [](std::string_view a, std::string_view b) {
    std::vector<size_t> row(b.size() + 1);
    for (size_t j = 0; j <= b.size(); ++j)
      row[j] = j;
    for (size_t i = 1; i <= a.size(); ++i) {
      size_t diagonal = row[0];
      row[0] = i;
      for (size_t j = 1; j <= b.size(); ++j) {
        size_t above = row[j];
        row[j] = std::min({row[j] + 1, row[j - 1] + 1,
                           diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
        diagonal = above;
      }
    }
    return row[b.size()];
  };
  std::optional<std::string> best;
  size_t best_distance = std::max<size_t>(2, key.size() / 3) + 1;
  for (const auto& candidate : keys) {
    auto d = distance(key, candidate);
    if (d < best_distance) {
      best_distance = d;
      best = candidate;
    }
  }
  return best;
}

std::string redact_url_password(const std::string& url) {
  auto scheme_end = url.find("://");
  if (scheme_end == std::string::npos)
    return url;
  auto start = scheme_end + 3;
  auto end = url.find_first_of("/?#", start);
  auto authority = url.substr(
      start, end == std::string::npos ? std::string::npos : end - start);
  auto redacted = url;
  auto at = authority.rfind('@');
  auto colon = authority.find(':');
  if (at != std::string::npos && colon != std::string::npos && colon < at)
    redacted =
        url.substr(0, start + colon + 1) + "***" + url.substr(start + at);
  // libpq also takes the password as a query parameter.
  auto query = redacted.find('?');
  for (auto p = query; p != std::string::npos; p = redacted.find('&', p + 1)) {
    if (redacted.compare(p + 1, 9, "password=") != 0)
      continue;
    auto value = p + 10;
    auto end = redacted.find('&', value);
    redacted.replace(value,
                     end == std::string::npos ? std::string::npos : end - value,
                     "***");
  }
  return redacted;
}

} // namespace ferry::config
