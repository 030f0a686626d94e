#include "config/ferry_config.hpp"

#include "config/values.hpp"
#include "mapping/masking.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <optional>
#include <set>
#include <sstream>
#include <unistd.h>
#include <utility>
#include <yaml-cpp/yaml.h>

extern char** environ;

namespace ferry::config {

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// The state of one load: where errors go and what overrides apply.
struct context {
  const environment& env;
  std::string source;
  fs::path base_dir;
  std::vector<config_error> errors;
  // Line of every key seen in the file, for checks that span keys.
  std::map<std::string, int> lines;
  // Every FERRY_* name that is a config key, for spotting misspelt ones.
  std::set<std::string> override_names;

  void add(std::string key_path, int line, std::string message,
           std::string where = "") {
    errors.push_back(config_error{std::move(key_path), line, std::move(message),
                                  where.empty() ? source : std::move(where)});
  }

  int line_of(const std::string& path) const {
    auto i = lines.find(path);
    return i == lines.end() ? 0 : i->second;
  }

  fs::path resolve(const std::string& path) const {
    fs::path p(path);
    return p.is_absolute() ? p : base_dir / p;
  }
};

// One scalar value, from the file or from an environment override.
struct raw_value {
  std::string text;
  int line = 0;
  // A quoted YAML scalar: the writer meant a string.
  bool quoted = false;
  // Set when the value came from this environment variable.
  std::string env_name;
};

std::string env_name_for(const std::string& path) {
  std::string name = "FERRY_";
  for (char c : path)
    name +=
        c == '.'
            ? '_'
            : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return name;
}

std::string describe(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map:
      return "a mapping";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Scalar:
      return "a single value";
    default:
      return "nothing";
  }
}

// Reads the keys of one YAML mapping. Each typed read registers its key as
// known; finish() reports the keys nobody asked for.
class map_reader {
public:
  map_reader(context& ctx, YAML::Node node, std::string path, int line,
             bool env_overrides = true)
      : ctx_(ctx),
        node_(std::move(node)),
        path_(std::move(path)),
        line_(line),
        env_overrides_(env_overrides) {
    if (node_.IsDefined() && !node_.IsNull() && !node_.IsMap()) {
      ctx_.add(path_, line_,
               "expected a mapping of keys, got " + describe(node_));
      node_ = YAML::Node();
    }
    if (node_.IsMap()) {
      for (auto it = node_.begin(); it != node_.end(); ++it) {
        if (!it->first.IsScalar())
          continue;
        auto key = it->first.Scalar();
        int key_line = it->first.Mark().line + 1;
        if (entries_.count(key)) {
          ctx_.add(path_of(key), key_line,
                   "duplicate key (first given at line " +
                       std::to_string(entries_[key].second) + ")");
          continue;
        }
        entries_[key] = {it->second, key_line};
        ctx_.lines[path_of(key)] = key_line;
      }
    }
  }

  context& ctx() { return ctx_; }
  int line() const { return line_; }
  bool env_overrides() const { return env_overrides_; }
  const std::string& path() const { return path_; }

  std::string path_of(const std::string& key) const {
    return path_.empty() ? key : path_ + "." + key;
  }

  int line_of(const std::string& key) const {
    auto i = entries_.find(key);
    return i == entries_.end() ? line_ : i->second.second;
  }

  // Whether the file gives `key` a non-null value.
  bool has(const std::string& key) const {
    auto i = entries_.find(key);
    return i != entries_.end() && !i->second.first.IsNull();
  }

  // The YAML node of `key` (undefined when absent or null); marks it known.
  YAML::Node child(const std::string& key) {
    known_.push_back(key);
    auto i = entries_.find(key);
    if (i == entries_.end() || i->second.first.IsNull())
      return YAML::Node(YAML::NodeType::Undefined);
    return i->second.first;
  }

  // The scalar value of `key`: the environment override if set, else the
  // file's; nullopt when neither gives one or the file's is not a scalar.
  std::optional<raw_value> scalar(const std::string& key,
                                  const std::string& expected) {
    auto node = child(key);
    if (env_overrides_) {
      auto name = env_name_for(path_of(key));
      ctx_.override_names.insert(name);
      if (auto e = ctx_.env.find(name); e != ctx_.env.end())
        return raw_value{e->second, 0, true, name};
    }
    if (!node.IsDefined())
      return std::nullopt;
    if (!node.IsScalar()) {
      ctx_.add(path_of(key), line_of(key),
               "expected " + expected + ", got " + describe(node));
      return std::nullopt;
    }
    return raw_value{node.Scalar(), line_of(key), node.Tag() == "!", ""};
  }

  // Reports a problem with the value of `key` (as read by scalar()).
  void fail(const std::string& key, const raw_value& value,
            const std::string& message) {
    if (value.env_name.empty())
      ctx_.add(path_of(key), value.line, message);
    else
      ctx_.add(path_of(key), 0, message, "env " + value.env_name);
  }

  void fail(const std::string& key, const std::string& message) {
    ctx_.add(path_of(key), line_of(key), message);
  }

  // Reports a required key that is absent.
  void require(const std::string& key) {
    if (!has(key) &&
        !(env_overrides_ && ctx_.env.count(env_name_for(path_of(key)))))
      ctx_.add(path_of(key), line_, "missing required key \"" + key + "\"");
  }

  // Reports every key of the mapping that no read asked for.
  void finish() {
    if (!node_.IsMap())
      return;
    for (auto it = node_.begin(); it != node_.end(); ++it) {
      int key_line = it->first.Mark().line + 1;
      if (!it->first.IsScalar()) {
        ctx_.add(path_, key_line, "keys must be plain names");
        continue;
      }
      auto key = it->first.Scalar();
      if (std::find(known_.begin(), known_.end(), key) != known_.end())
        continue;
      auto message = "unknown key \"" + key + "\"";
      if (auto near = closest_key(key, known_))
        message += "; did you mean \"" + *near + "\"?";
      ctx_.add(path_of(key), key_line, message);
    }
  }

private:
  context& ctx_;
  YAML::Node node_;
  std::string path_;
  int line_;
  bool env_overrides_;
  std::map<std::string, std::pair<YAML::Node, int>> entries_;
  std::vector<std::string> known_;
};

// --- typed reads -------------------------------------------------------------

void read_string(map_reader& r, const std::string& key, std::string& out,
                 bool non_empty = false) {
  auto v = r.scalar(key, "a string");
  if (!v)
    return;
  if (non_empty && v->text.empty()) {
    r.fail(key, *v, "must not be empty");
    return;
  }
  out = v->text;
}

template <class Int>
void read_int(map_reader& r, const std::string& key, Int& out, long long min,
              long long max) {
  auto v = r.scalar(key, "a whole number");
  if (!v)
    return;
  std::string why;
  auto n = parse_integer(v->text, why);
  if (!n) {
    r.fail(key, *v, why);
    return;
  }
  if (*n < min || *n > max) {
    r.fail(key, *v,
           "out of range: " + std::to_string(*n) + " is not within " +
               std::to_string(min) + ".." + std::to_string(max));
    return;
  }
  out = static_cast<Int>(*n);
}

void read_bool(map_reader& r, const std::string& key, bool& out) {
  auto v = r.scalar(key, "true or false");
  if (!v)
    return;
  std::string why;
  if (auto b = parse_bool(v->text, why))
    out = *b;
  else
    r.fail(key, *v, why);
}

void read_duration(map_reader& r, const std::string& key, milliseconds& out,
                   milliseconds min, milliseconds max) {
  auto v = r.scalar(key, "a duration such as \"10s\"");
  if (!v)
    return;
  std::string why;
  auto d = parse_duration(v->text, why);
  if (!d) {
    r.fail(key, *v, why);
    return;
  }
  if (*d < min || *d > max) {
    r.fail(key, *v,
           "out of range: " + v->text + " is not within " +
               format_duration(min) + ".." + format_duration(max));
    return;
  }
  out = *d;
}

void read_size(map_reader& r, const std::string& key, std::uint64_t& out,
               std::uint64_t min, std::uint64_t max) {
  auto v = r.scalar(key, "a size such as \"1MiB\"");
  if (!v)
    return;
  std::string why;
  auto s = parse_size(v->text, why);
  if (!s) {
    r.fail(key, *v, why);
    return;
  }
  if (*s < min || *s > max) {
    r.fail(key, *v,
           "out of range: " + v->text + " is not within " +
               std::to_string(min) + ".." + std::to_string(max) + " bytes");
    return;
  }
  out = *s;
}

void read_ratio(map_reader& r, const std::string& key, double& out,
                bool zero_allowed) {
  auto v = r.scalar(key, "a decimal number such as 0.5");
  if (!v)
    return;
  std::string why;
  auto d = parse_ratio(v->text, why);
  if (!d) {
    r.fail(key, *v, why);
    return;
  }
  if (*d > 1.0 || (*d == 0.0 && !zero_allowed)) {
    r.fail(key, *v,
           "out of range: " + v->text + " is not within " +
               (zero_allowed ? "0" : "above 0") + "..1");
    return;
  }
  out = *d;
}

void read_host_port(map_reader& r, const std::string& key, std::string& out,
                    bool allow_any_port) {
  auto v = r.scalar(key, "host:port");
  if (!v)
    return;
  std::string why;
  if (check_host_port(v->text, allow_any_port, why))
    out = v->text;
  else
    r.fail(key, *v, why);
}

void read_url(map_reader& r, const std::string& key, std::string& out,
              const std::vector<std::string>& schemes) {
  auto v = r.scalar(key, "a URL");
  if (!v)
    return;
  std::string why;
  if (check_url(v->text, schemes, why))
    out = v->text;
  else
    r.fail(key, *v, why);
}

void read_time_zone(map_reader& r, const std::string& key, std::string& out) {
  auto v = r.scalar(key, "an IANA time zone name");
  if (!v)
    return;
  std::string why;
  if (check_time_zone(v->text, why))
    out = v->text;
  else
    r.fail(key, *v, why);
}

template <class Enum>
void read_enum(map_reader& r, const std::string& key, Enum& out,
               const std::vector<std::pair<std::string, Enum>>& table,
               const std::string& note = "") {
  auto v = r.scalar(key, "one of a fixed set of words");
  if (!v)
    return;
  std::string allowed;
  for (const auto& [name, value] : table) {
    if (name == v->text) {
      out = value;
      return;
    }
    allowed += (allowed.empty() ? "" : ", ") + name;
  }
  r.fail(key, *v,
         "invalid value \"" + v->text + "\"" + note + " (allowed: " + allowed +
             ")");
}

// A readable file; the stored path is resolved against the config's folder.
void read_file_path(map_reader& r, const std::string& key, std::string& out) {
  auto v = r.scalar(key, "a file path");
  if (!v || v->text.empty())
    return;
  auto path = r.ctx().resolve(v->text);
  std::ifstream in(path);
  if (!in) {
    r.fail(key, *v, "cannot read file " + path.string());
    return;
  }
  out = path.string();
}

// The contents of the secret file named by `key`; nullopt after an error.
std::optional<std::string>
read_secret_file(map_reader& r, const std::string& key, const raw_value& v) {
  auto path = r.ctx().resolve(v.text);
  std::ifstream in(path, std::ios::binary);
  if (v.text.empty() || !in) {
    r.fail(key, v, "cannot read secret file " + path.string());
    return std::nullopt;
  }
  std::ostringstream text;
  text << in.rdbuf();
  auto secret = text.str();
  // Files written by editors and `echo` end with one newline: not part of
  // the secret.
  if (!secret.empty() && secret.back() == '\n')
    secret.pop_back();
  if (!secret.empty() && secret.back() == '\r')
    secret.pop_back();
  if (secret.empty()) {
    r.fail(key, v, "secret file " + path.string() + " is empty");
    return std::nullopt;
  }
  return secret;
}

// A secret from `key` or from the file named by `key`_file, not both. The
// value never appears in a message.
void read_secret(map_reader& r, const std::string& key, std::string& out) {
  auto file_key = key + "_file";
  auto direct = r.scalar(key, "a string");
  auto file = r.scalar(file_key, "a file path");
  if (direct && file) {
    r.fail(key, *direct,
           "give either " + r.path_of(key) + " or " + r.path_of(file_key) +
               ", not both");
    return;
  }
  if (direct) {
    out = direct->text;
  } else if (file) {
    if (auto secret = read_secret_file(r, file_key, *file))
      out = *secret;
  }
}

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> items;
  std::string item;
  std::istringstream in(text);
  while (std::getline(in, item, ',')) {
    auto first = item.find_first_not_of(" \t");
    auto last = item.find_last_not_of(" \t");
    items.push_back(first == std::string::npos
                        ? std::string()
                        : item.substr(first, last - first + 1));
  }
  return items;
}

// A list of strings: a YAML sequence, or a comma-separated environment
// override. `check` validates each item (and sets the message); a secret's
// items are never quoted in messages anyway, since checks do not quote.
bool read_string_list(
    map_reader& r, const std::string& key, std::vector<std::string>& out,
    const std::function<bool(const std::string&, std::string&)>& check) {
  auto node = r.child(key);
  auto env_name = env_name_for(r.path_of(key));
  std::vector<std::string> items;
  if (r.env_overrides())
    r.ctx().override_names.insert(env_name);
  if (auto e = r.ctx().env.find(env_name);
      r.env_overrides() && e != r.ctx().env.end()) {
    items = split_list(e->second);
    bool ok = true;
    for (size_t i = 0; i < items.size(); ++i) {
      std::string why = "must not be empty";
      if (items[i].empty() || !check(items[i], why)) {
        r.ctx().add(r.path_of(key) + "[" + std::to_string(i) + "]", 0, why,
                    "env " + env_name);
        ok = false;
      }
    }
    if (ok)
      out = std::move(items);
    return true;
  }
  if (!node.IsDefined())
    return false;
  if (!node.IsSequence()) {
    r.fail(key, "expected a list, got " + describe(node));
    return true;
  }
  bool ok = true;
  for (size_t i = 0; i < node.size(); ++i) {
    auto item_path = r.path_of(key) + "[" + std::to_string(i) + "]";
    int line = node[i].Mark().line + 1;
    if (!node[i].IsScalar()) {
      r.ctx().add(item_path, line,
                  "expected a string, got " + describe(node[i]));
      ok = false;
      continue;
    }
    std::string why = "must not be empty";
    if (node[i].Scalar().empty() || !check(node[i].Scalar(), why)) {
      r.ctx().add(item_path, line, why);
      ok = false;
      continue;
    }
    items.push_back(node[i].Scalar());
  }
  if (ok)
    out = std::move(items);
  return true;
}

bool any_string(const std::string&, std::string&) {
  return true;
}

bool is_currency(const std::string& code) {
  return code.size() == 3 && std::all_of(code.begin(), code.end(), [](char c) {
           return c >= 'A' && c <= 'Z';
         });
}

// currency → amount, amounts written as quoted decimal strings.
void read_money_map(context& ctx, const YAML::Node& node,
                    const std::string& path, int line,
                    std::map<std::string, ferry::money>& out) {
  if (!node.IsMap()) {
    ctx.add(path, line,
            "expected a mapping of currency to amount, got " + describe(node));
    return;
  }
  std::map<std::string, ferry::money> result;
  bool ok = true;
  for (auto it = node.begin(); it != node.end(); ++it) {
    int key_line = it->first.Mark().line + 1;
    auto currency = it->first.Scalar();
    auto item_path = path + "." + currency;
    if (!is_currency(currency)) {
      ctx.add(item_path, key_line,
              "invalid currency code \"" + currency +
                  "\" (expected three capital letters such as USD)");
      ok = false;
      continue;
    }
    YAML::Node value = it->second;
    if (!value.IsScalar()) {
      ctx.add(item_path, key_line,
              "expected an amount such as \"5000.00\", got " + describe(value));
      ok = false;
      continue;
    }
    // An unquoted 5000.00 is a YAML float: money is never a float, and
    // quoting makes the writer's exact digits the value.
    if (value.Tag() != "!") {
      ctx.add(item_path, key_line,
              "write the amount as a quoted decimal string, e.g. \"" +
                  value.Scalar() + "\"");
      ok = false;
      continue;
    }
    auto amount = ferry::money::parse(value.Scalar());
    if (!amount || *amount < ferry::money()) {
      ctx.add(item_path, key_line,
              "invalid amount \"" + value.Scalar() +
                  "\" (expected a non-negative decimal with at most two "
                  "fraction digits, such as \"5000.00\")");
      ok = false;
      continue;
    }
    if (result.count(currency)) {
      ctx.add(item_path, key_line, "duplicate currency");
      ok = false;
      continue;
    }
    result[currency] = *amount;
  }
  if (ok)
    out = std::move(result);
}

bool all_digits(const std::string& s) {
  return !s.empty() && s.size() <= 9 &&
         std::all_of(s.begin(), s.end(), [](char c) {
           return std::isdigit(static_cast<unsigned char>(c)) != 0;
         });
}

bool is_sha256_hex(const std::string& s) {
  return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) {
           return std::isdigit(static_cast<unsigned char>(c)) ||
                  (c >= 'a' && c <= 'f');
         });
}

const std::vector<std::string>& api_scopes() {
  static const std::vector<std::string> scopes{"prices:read", "orders:read",
                                               "approvals:decide", "ops:admin"};
  return scopes;
}

// --- sections ----------------------------------------------------------------

void read_node(map_reader& r, node_section& s) {
  read_string(r, "id", s.id, true);
  read_string(r, "data_dir", s.data_dir, true);
}

void read_ops(map_reader& r, ops_section& s) {
  read_host_port(r, "listen", s.listen, true);
}

void read_api_clients(map_reader& r, std::vector<api_client>& out) {
  auto node = r.child("clients");
  if (!node.IsDefined())
    return;
  auto path = r.path_of("clients");
  if (!node.IsSequence()) {
    r.fail("clients", "expected a list of clients, got " + describe(node));
    return;
  }
  std::vector<api_client> clients;
  std::set<std::string> ids;
  for (size_t i = 0; i < node.size(); ++i) {
    auto item_path = path + "[" + std::to_string(i) + "]";
    map_reader c(r.ctx(), node[i], item_path, node[i].Mark().line + 1, false);
    api_client client;
    c.require("id");
    c.require("secret_sha256");
    read_string(c, "id", client.id, true);
    if (!client.id.empty() && !ids.insert(client.id).second)
      c.fail("id", "duplicate client id \"" + client.id + "\"");
    if (auto v = c.scalar("secret_sha256", "a hex SHA-256")) {
      if (is_sha256_hex(v->text))
        client.secret_sha256 = v->text;
      else
        c.fail("secret_sha256", *v,
               "expected 64 lower-case hex digits (sha256sum of the secret)");
    }
    read_string_list(c, "scopes", client.scopes,
                     [](const std::string& scope, std::string& why) {
                       const auto& all = api_scopes();
                       if (std::find(all.begin(), all.end(), scope) !=
                           all.end())
                         return true;
                       why = "invalid scope \"" + scope +
                             "\" (allowed: prices:read, orders:read, "
                             "approvals:decide, ops:admin)";
                       return false;
                     });
    c.finish();
    clients.push_back(std::move(client));
  }
  out = std::move(clients);
}

void read_api(map_reader& r, api_section& s) {
  read_host_port(r, "listen", s.listen, true);
  read_file_path(r, "tls_cert_file", s.tls_cert_file);
  read_file_path(r, "tls_key_file", s.tls_key_file);
  read_url(r, "public_base_url", s.public_base_url, {"https", "http"});
  read_duration(r, "token_ttl", s.token_ttl, 1s, 24h);
  read_api_clients(r, s.clients);
  read_secret(r, "signing_key", s.signing_key);
  // HMAC-SHA256 wants a key of at least its output size (RFC 2104 §3).
  if (!s.signing_key.empty() && s.signing_key.size() < 32)
    r.fail("signing_key", "too short: give at least 32 bytes (got " +
                              std::to_string(s.signing_key.size()) + ")");
  read_size(r, "max_body_bytes", s.max_body_bytes, 1024, 64 * 1024 * 1024);
  if (auto v = r.scalar("webhook_path", "a URL path")) {
    if (v->text.size() > 1 && v->text[0] == '/' &&
        v->text.find_first_of(" ?#") == std::string::npos)
      s.webhook_path = v->text;
    else
      r.fail("webhook_path", *v,
             "expected an absolute URL path such as \"/webhooks/shop\"");
  }
}

void read_database(map_reader& r, database_section& s) {
  read_url(r, "url", s.url, {"postgresql", "postgres"});
  read_secret(r, "password", s.password);
  read_int(r, "pool_size", s.pool_size, 1, 256);
  read_duration(r, "acquire_timeout", s.acquire_timeout, 1ms, 10min);
  read_duration(r, "statement_timeout", s.statement_timeout, 1ms, 24h);
}

void read_redis(map_reader& r, redis_section& s) {
  read_string(r, "host", s.host, true);
  read_int(r, "port", s.port, 1, 65535);
  read_secret(r, "password", s.password);
  read_duration(r, "timeout", s.timeout, 1ms, 10min);
  read_string(r, "key_prefix", s.key_prefix);
}

bool email_list_item(const std::string& text, std::string& why) {
  return check_email(text, why);
}

void read_smtp(map_reader& r, smtp_section& s) {
  read_string(r, "host", s.host, true);
  read_int(r, "port", s.port, 1, 65535);
  if (auto v = r.scalar("from", "an e-mail address")) {
    std::string why;
    if (check_email(v->text, why))
      s.from = v->text;
    else
      r.fail("from", *v, why);
  }
  read_string(r, "username", s.username);
  read_secret(r, "password", s.password);
  read_bool(r, "starttls", s.starttls);
  read_string_list(r, "approver_emails", s.approver_emails, email_list_item);
  read_string_list(r, "customer_service_emails", s.customer_service_emails,
                   email_list_item);
}

void read_rate_limit(map_reader& r, rate_limit_section& s) {
  read_int(r, "requests_per_second", s.requests_per_second, 1, 100000);
  read_int(r, "burst", s.burst, 1, 100000);
}

void read_shop(map_reader& r, shop_section& s) {
  read_url(r, "base_url", s.base_url, {"https"});
  read_string(r, "client_id", s.client_id, true);
  read_secret(r, "client_secret", s.client_secret);
  read_file_path(r, "ca_file", s.ca_file);
  // webhook_secrets (a list) or webhook_secret_file (one secret per line).
  bool listed =
      read_string_list(r, "webhook_secrets", s.webhook_secrets, any_string);
  auto file = r.scalar("webhook_secret_file", "a file path");
  if (listed && file) {
    r.fail("webhook_secrets",
           "give either shop.webhook_secrets or shop.webhook_secret_file, "
           "not both");
  } else if (file) {
    if (auto text = read_secret_file(r, "webhook_secret_file", *file)) {
      std::vector<std::string> secrets;
      std::istringstream lines(*text);
      std::string line;
      while (std::getline(lines, line)) {
        if (!line.empty() && line.back() == '\r')
          line.pop_back();
        if (!line.empty())
          secrets.push_back(line);
      }
      if (secrets.size() > 2)
        r.fail("webhook_secret_file", *file,
               "holds " + std::to_string(secrets.size()) +
                   " secrets; give one, or two during a rotation");
      else
        s.webhook_secrets = std::move(secrets);
    }
  } else if (listed &&
             (s.webhook_secrets.empty() || s.webhook_secrets.size() > 2)) {
    r.fail("webhook_secrets",
           "out of range: give one secret, or two during a rotation (got " +
               std::to_string(s.webhook_secrets.size()) + ")");
    s.webhook_secrets.clear();
  }
  {
    map_reader rl(r.ctx(), r.child("rate_limit"), r.path_of("rate_limit"),
                  r.line_of("rate_limit"));
    read_rate_limit(rl, s.rate_limit);
    rl.finish();
  }
  read_duration(r, "request_timeout", s.request_timeout, 1ms, 10min);
  read_duration(r, "poll_interval", s.poll_interval, 1s, 24h);
  read_duration(r, "poll_overlap", s.poll_overlap, 0ms, 24h);
  read_int(r, "max_sessions", s.max_sessions, 1, 256);
}

void read_erp(map_reader& r, erp_section& s) {
  read_url(r, "endpoint", s.endpoint, {"https"});
  read_string(r, "username", s.username, true);
  read_secret(r, "password", s.password);
  read_file_path(r, "ca_file", s.ca_file);
  read_time_zone(r, "timezone", s.timezone);
  read_string(r, "charges_item_code", s.charges_item_code, true);
  read_int(r, "max_sessions", s.max_sessions, 1, 64);
  read_duration(r, "call_timeout", s.call_timeout, 1ms, 10min);
  {
    map_reader rr(r.ctx(), r.child("retry"), r.path_of("retry"),
                  r.line_of("retry"));
    read_int(rr, "max_attempts", s.retry.max_attempts, 1, 100);
    read_duration(rr, "initial_backoff", s.retry.initial_backoff, 1ms, 10min);
    read_duration(rr, "max_backoff", s.retry.max_backoff, 1ms, 1h);
    read_ratio(rr, "budget_ratio", s.retry.budget_ratio, true);
    rr.finish();
  }
  {
    map_reader br(r.ctx(), r.child("breaker"), r.path_of("breaker"),
                  r.line_of("breaker"));
    read_duration(br, "window", s.breaker.window, 1s, 1h);
    read_ratio(br, "failure_ratio", s.breaker.failure_ratio, false);
    read_duration(br, "cool_down", s.breaker.cool_down, 1ms, 1h);
    br.finish();
  }
  read_duration(r, "status_poll_interval", s.status_poll_interval, 100ms, 1h);
}

void read_supervision(map_reader& r, supervision_section& s) {
  {
    map_reader b(r.ctx(), r.child("backoff"), r.path_of("backoff"),
                 r.line_of("backoff"));
    read_duration(b, "initial", s.backoff.initial, 1ms, 1h);
    read_duration(b, "max", s.backoff.max, 1ms, 24h);
    b.finish();
  }
  read_int(r, "intensity", s.intensity, 0, 10000);
  read_duration(r, "period", s.period, 1ms, 24h);
}

void read_throttle(map_reader& r, throttle_section& s) {
  read_int(r, "high_watermark", s.high_watermark, 1, 100000000);
  read_int(r, "low_watermark", s.low_watermark, 0, 100000000);
  read_duration(r, "max_oldest_age", s.max_oldest_age, 1ms, 1h);
  read_duration(r, "retry_after", s.retry_after, 1s, 1h);
}

void read_approvals(map_reader& r, approvals_section& s) {
  if (auto node = r.child("thresholds"); node.IsDefined())
    read_money_map(r.ctx(), node, r.path_of("thresholds"),
                   r.line_of("thresholds"), s.thresholds);
  auto groups = r.child("group_thresholds");
  if (!groups.IsDefined())
    return;
  auto path = r.path_of("group_thresholds");
  if (!groups.IsMap()) {
    r.fail("group_thresholds",
           "expected a mapping of group_id to thresholds, got " +
               describe(groups));
    return;
  }
  for (auto it = groups.begin(); it != groups.end(); ++it) {
    auto id = it->first.Scalar();
    int line = it->first.Mark().line + 1;
    if (!all_digits(id)) {
      r.ctx().add(path + "." + id, line,
                  "invalid group_id \"" + id +
                      "\" (expected the shop's numeric customer group id)");
      continue;
    }
    std::map<std::string, ferry::money> amounts;
    read_money_map(r.ctx(), it->second, path + "." + id, line, amounts);
    s.group_thresholds[std::stoi(id)] = std::move(amounts);
  }
}

void read_inventory(map_reader& r, inventory_section& s) {
  read_duration(r, "poll_interval", s.poll_interval, 1s, 24h);
  auto node = r.child("warehouses");
  if (!node.IsDefined())
    return;
  if (!node.IsMap()) {
    r.fail("warehouses",
           "expected a mapping of ERP WarehouseCode to shop source_code, got " +
               describe(node));
    return;
  }
  for (auto it = node.begin(); it != node.end(); ++it) {
    auto code = it->first.Scalar();
    int line = it->first.Mark().line + 1;
    auto path = r.path_of("warehouses") + "." + code;
    if (!it->second.IsScalar() || it->second.Scalar().empty()) {
      r.ctx().add(path, line, "expected a shop source_code");
      continue;
    }
    s.warehouses[code] = it->second.Scalar();
  }
}

void read_orders(map_reader& r, orders_section& s) {
  read_int(r, "max_running", s.max_running, 1, 10000);
  read_int(r, "batch", s.batch, 1, 10000);
}

void read_event_retry(map_reader& r, event_retry_section& s) {
  map_reader e(r.ctx(), r.child("retry"), r.path_of("retry"),
               r.line_of("retry"));
  read_int(e, "max_attempts", s.max_attempts, 1, 1000);
  read_duration(e, "first_delay", s.first_delay, 10ms, 1h);
  read_duration(e, "max_delay", s.max_delay, 10ms, 24h);
  e.finish();
  if (s.max_delay < s.first_delay)
    r.fail("retry", "max_delay is shorter than first_delay");
}

void read_customers(map_reader& r, customers_section& s) {
  read_duration(r, "poll_interval", s.poll_interval, 100ms, 24h);
  read_event_retry(r, s.retry);
  auto node = r.child("price_group_to_group_id");
  if (!node.IsDefined())
    return;
  if (!node.IsMap()) {
    r.fail("price_group_to_group_id",
           "expected a mapping of ERP PriceGroup to shop group_id, got " +
               describe(node));
    return;
  }
  for (auto it = node.begin(); it != node.end(); ++it) {
    auto group = it->first.Scalar();
    int line = it->first.Mark().line + 1;
    auto path = r.path_of("price_group_to_group_id") + "." + group;
    if (!it->second.IsScalar() || !all_digits(it->second.Scalar())) {
      r.ctx().add(path, line, "expected the shop's numeric customer group_id");
      continue;
    }
    s.price_group_to_group_id[group] = std::stoi(it->second.Scalar());
  }
}

void read_catalog(map_reader& r, catalog_section& s) {
  map_reader f(r.ctx(), r.child("field_owner"), r.path_of("field_owner"),
               r.line_of("field_owner"));
  const std::vector<std::pair<std::string, field_owner>> any{
      {"erp", field_owner::erp},
      {"shop", field_owner::shop},
      {"newest", field_owner::newest}};
  const std::vector<std::pair<std::string, field_owner>> erp_only{
      {"erp", field_owner::erp}};
  read_enum(f, "name", s.field_owner.name, any);
  read_enum(f, "description", s.field_owner.description, any);
  const std::string note = ": the ERP is the system of record for it";
  read_enum(f, "price", s.field_owner.price, erp_only, note);
  read_enum(f, "weight", s.field_owner.weight, erp_only, note);
  read_enum(f, "status", s.field_owner.status, erp_only, note);
  f.finish();
  read_duration(r, "poll_interval", s.poll_interval, 1s, 24h);
  read_event_retry(r, s.retry);
}

void read_pricing(map_reader& r, pricing_section& s) {
  read_duration(r, "cache_ttl", s.cache_ttl, 1s, 24h);
  read_int(r, "max_actors", s.max_actors, 1, 10000000);
  read_duration(r, "idle_timeout", s.idle_timeout, 1s, 24h);
  read_duration(r, "poll_interval", s.poll_interval, 100ms, 24h);
  read_string(r, "base_currency", s.base_currency, true);
}

void read_logging(map_reader& r, logging_section& s) {
  read_enum(r, "level", s.level,
            {{"trace", log_level::trace},
             {"debug", log_level::debug},
             {"info", log_level::info},
             {"warn", log_level::warn},
             {"error", log_level::error}});
}

template <class Section, class Read>
void section(map_reader& root, const std::string& name, Section& out,
             Read read) {
  map_reader r(root.ctx(), root.child(name), name, root.line_of(name));
  read(r, out);
  r.finish();
}

// Rules that span several keys.
void check_consistency(context& ctx, const ferry_config& c) {
  auto at = [&](const std::string& path, const std::string& message) {
    ctx.add(path, ctx.line_of(path), message);
  };
  if (c.api.tls_cert_file.empty() != c.api.tls_key_file.empty())
    at(c.api.tls_cert_file.empty() ? "api.tls_cert_file" : "api.tls_key_file",
       "missing required key: api.tls_cert_file and api.tls_key_file go "
       "together");
  if (c.throttle.low_watermark >= c.throttle.high_watermark)
    at("throttle.low_watermark",
       "out of range: must be below throttle.high_watermark (" +
           std::to_string(c.throttle.high_watermark) + ")");
  if (c.supervision.backoff.initial > c.supervision.backoff.max)
    at("supervision.backoff.initial",
       "out of range: must not exceed supervision.backoff.max");
  if (c.erp.retry.initial_backoff > c.erp.retry.max_backoff)
    at("erp.retry.initial_backoff",
       "out of range: must not exceed erp.retry.max_backoff");
  if (c.shop.rate_limit.burst < c.shop.rate_limit.requests_per_second)
    at("shop.rate_limit.burst",
       "out of range: must be at least shop.rate_limit.requests_per_second");
  auto any_port = [](const std::string& listen) {
    return listen.size() >= 2 &&
           listen.compare(listen.size() - 2, 2, ":0") == 0;
  };
  if (c.ops.listen == c.api.listen && !any_port(c.ops.listen))
    at("ops.listen", "must differ from api.listen");
}

// A FERRY_<SECTION>_* variable that is no config key is a typo (say
// FERRY_ERP_PASWORD) that would otherwise leave a secret silently unset.
void check_override_names(context& ctx) {
  static const std::vector<std::string> sections{
      "node",      "ops",    "api",       "database",    "redis",
      "smtp",      "shop",   "erp",       "supervision", "throttle",
      "approvals", "orders", "inventory", "customers",   "catalog",
      "pricing",   "logging"};
  std::vector<std::string> known(ctx.override_names.begin(),
                                 ctx.override_names.end());
  for (const auto& variable : ctx.env) {
    // Not a structured binding: clang 14 cannot capture one in a lambda.
    const auto& name = variable.first;
    if (ctx.override_names.count(name))
      continue;
    auto in_section = std::any_of(
        sections.begin(), sections.end(), [&](const std::string& section) {
          return name.rfind(env_name_for(section) + "_", 0) == 0;
        });
    if (!in_section)
      continue;
    auto message = std::string("not a config key override (maps and lists "
                               "of records are set in the file only)");
    if (auto near = closest_key(name, known))
      message += "; did you mean " + *near + "?";
    ctx.add("", 0, message, "env " + name);
  }
}

std::string host_name() {
  char buffer[256] = {};
  if (::gethostname(buffer, sizeof(buffer) - 1) != 0 || buffer[0] == '\0')
    return "ferry";
  return buffer;
}

} // namespace

std::string_view to_string(log_level level) {
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
  return "info";
}

std::string_view to_string(field_owner owner) {
  switch (owner) {
    case field_owner::erp:
      return "erp";
    case field_owner::shop:
      return "shop";
    case field_owner::newest:
      return "newest";
  }
  return "erp";
}

std::string format_error(const config_error& e) {
  std::string out = e.source;
  if (e.line > 0)
    out += ":" + std::to_string(e.line);
  out += ": ";
  if (!e.key_path.empty())
    out += e.key_path + ": ";
  return out + e.message;
}

environment process_environment() {
  environment env;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    std::string_view text(*entry);
    if (text.rfind("FERRY_", 0) != 0)
      continue;
    auto eq = text.find('=');
    if (eq == std::string_view::npos)
      continue;
    env.emplace(std::string(text.substr(0, eq)),
                std::string(text.substr(eq + 1)));
  }
  return env;
}

load_result load_config_text(std::string_view yaml, const environment& env,
                             const std::string& source,
                             const std::string& base_dir) {
  load_result result;
  context ctx{env, source, fs::path(base_dir), {}, {}, {}};
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml));
  } catch (const YAML::Exception& e) {
    ctx.add("", e.mark.line >= 0 ? e.mark.line + 1 : 0,
            "YAML syntax error: " + e.msg);
    result.errors = std::move(ctx.errors);
    return result;
  }
  auto& c = result.config;
  map_reader top(ctx, root, "", 1);
  section(top, "node", c.node, read_node);
  section(top, "ops", c.ops, read_ops);
  section(top, "api", c.api, read_api);
  section(top, "database", c.database, read_database);
  section(top, "redis", c.redis, read_redis);
  section(top, "smtp", c.smtp, read_smtp);
  section(top, "shop", c.shop, read_shop);
  section(top, "erp", c.erp, read_erp);
  section(top, "supervision", c.supervision, read_supervision);
  section(top, "throttle", c.throttle, read_throttle);
  section(top, "approvals", c.approvals, read_approvals);
  section(top, "orders", c.orders, read_orders);
  section(top, "inventory", c.inventory, read_inventory);
  section(top, "customers", c.customers, read_customers);
  section(top, "catalog", c.catalog, read_catalog);
  section(top, "pricing", c.pricing, read_pricing);
  section(top, "logging", c.logging, read_logging);
  top.finish();
  check_consistency(ctx, c);
  check_override_names(ctx);
  if (c.node.id.empty())
    c.node.id = host_name();
  // File order reads best; environment errors (no line) come last.
  std::stable_sort(ctx.errors.begin(), ctx.errors.end(),
                   [](const config_error& a, const config_error& b) {
                     auto key = [](const config_error& e) {
                       return e.line == 0 ? std::numeric_limits<int>::max()
                                          : e.line;
                     };
                     return key(a) < key(b);
                   });
  result.errors = std::move(ctx.errors);
  return result;
}

load_result load_config_file(const std::string& path, const environment& env) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    load_result result;
    result.errors.push_back(
        config_error{"", 0, "cannot read the config file", path});
    return result;
  }
  std::ostringstream text;
  text << in.rdbuf();
  auto dir = fs::path(path).parent_path();
  return load_config_text(text.str(), env, path,
                          dir.empty() ? std::string(".") : dir.string());
}

std::string connection_url(const database_section& database) {
  if (database.password.empty())
    return database.url;
  std::string encoded;
  const char* hex = "0123456789ABCDEF";
  for (unsigned char c : database.password) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      encoded += static_cast<char>(c);
    } else {
      encoded += '%';
      encoded += hex[c >> 4];
      encoded += hex[c & 15];
    }
  }
  auto separator = database.url.find('?') == std::string::npos ? '?' : '&';
  return database.url + separator + "password=" + encoded;
}

std::string format_duration(milliseconds d) {
  auto ms = d.count();
  if (ms != 0 && ms % (3600 * 1000) == 0)
    return std::to_string(ms / (3600 * 1000)) + "h";
  if (ms != 0 && ms % (60 * 1000) == 0)
    return std::to_string(ms / (60 * 1000)) + "m";
  if (ms != 0 && ms % 1000 == 0)
    return std::to_string(ms / 1000) + "s";
  return std::to_string(ms) + "ms";
}

nlohmann::json to_redacted_json(const ferry_config& c) {
  using nlohmann::json;
  // Secrets are hidden at the end by key, with the logger's own test
  // (mapping::is_secret_key), so a new secret key cannot be forgotten here.
  auto d = [](milliseconds v) { return format_duration(v); };
  auto retry = [&](const event_retry_section& r) {
    return nlohmann::json{{"max_attempts", r.max_attempts},
                          {"first_delay", d(r.first_delay)},
                          {"max_delay", d(r.max_delay)}};
  };
  auto emails = [](const std::vector<std::string>& list) {
    json out = json::array();
    for (const auto& e : list)
      out.push_back(mapping::mask_email(e));
    return out;
  };
  auto money_map = [](const std::map<std::string, ferry::money>& m) {
    json out = json::object();
    for (const auto& [currency, amount] : m)
      out[currency] = amount.to_string();
    return out;
  };
  json clients = json::array();
  for (const auto& client : c.api.clients)
    clients.push_back({{"id", client.id},
                       {"secret_sha256", client.secret_sha256},
                       {"scopes", client.scopes}});
  json groups = json::object();
  for (const auto& [id, amounts] : c.approvals.group_thresholds)
    groups[std::to_string(id)] = money_map(amounts);
  const auto& owners = c.catalog.field_owner;
  auto effective = json{
      {"node", {{"id", c.node.id}, {"data_dir", c.node.data_dir}}},
      {"ops", {{"listen", c.ops.listen}}},
      {"api",
       {{"listen", c.api.listen},
        {"tls_cert_file", c.api.tls_cert_file},
        {"tls_key_file", c.api.tls_key_file},
        {"public_base_url", c.api.public_base_url},
        {"token_ttl", d(c.api.token_ttl)},
        {"clients", clients},
        {"signing_key", c.api.signing_key},
        {"max_body_bytes", c.api.max_body_bytes},
        {"webhook_path", c.api.webhook_path}}},
      {"database",
       {{"url", redact_url_password(c.database.url)},
        {"password", c.database.password},
        {"pool_size", c.database.pool_size},
        {"acquire_timeout", d(c.database.acquire_timeout)},
        {"statement_timeout", d(c.database.statement_timeout)}}},
      {"redis",
       {{"host", c.redis.host},
        {"port", c.redis.port},
        {"password", c.redis.password},
        {"timeout", d(c.redis.timeout)},
        {"key_prefix", c.redis.key_prefix}}},
      // E-mail addresses are personal data: logged masked (a***@example.com).
      {"smtp",
       {{"host", c.smtp.host},
        {"port", c.smtp.port},
        {"from", c.smtp.from},
        {"username", c.smtp.username},
        {"password", c.smtp.password},
        {"starttls", c.smtp.starttls},
        {"approver_emails", emails(c.smtp.approver_emails)},
        {"customer_service_emails", emails(c.smtp.customer_service_emails)}}},
      {"shop",
       {{"base_url", c.shop.base_url},
        {"client_id", c.shop.client_id},
        {"client_secret", c.shop.client_secret},
        {"ca_file", c.shop.ca_file},
        {"webhook_secrets", c.shop.webhook_secrets},
        {"rate_limit",
         {{"requests_per_second", c.shop.rate_limit.requests_per_second},
          {"burst", c.shop.rate_limit.burst}}},
        {"request_timeout", d(c.shop.request_timeout)},
        {"poll_interval", d(c.shop.poll_interval)},
        {"poll_overlap", d(c.shop.poll_overlap)},
        {"max_sessions", c.shop.max_sessions}}},
      {"erp",
       {{"endpoint", c.erp.endpoint},
        {"username", c.erp.username},
        {"password", c.erp.password},
        {"ca_file", c.erp.ca_file},
        {"timezone", c.erp.timezone},
        {"charges_item_code", c.erp.charges_item_code},
        {"max_sessions", c.erp.max_sessions},
        {"call_timeout", d(c.erp.call_timeout)},
        {"retry",
         {{"max_attempts", c.erp.retry.max_attempts},
          {"initial_backoff", d(c.erp.retry.initial_backoff)},
          {"max_backoff", d(c.erp.retry.max_backoff)},
          {"budget_ratio", c.erp.retry.budget_ratio}}},
        {"breaker",
         {{"window", d(c.erp.breaker.window)},
          {"failure_ratio", c.erp.breaker.failure_ratio},
          {"cool_down", d(c.erp.breaker.cool_down)}}},
        {"status_poll_interval", d(c.erp.status_poll_interval)}}},
      {"supervision",
       {{"backoff",
         {{"initial", d(c.supervision.backoff.initial)},
          {"max", d(c.supervision.backoff.max)}}},
        {"intensity", c.supervision.intensity},
        {"period", d(c.supervision.period)}}},
      {"throttle",
       {{"high_watermark", c.throttle.high_watermark},
        {"low_watermark", c.throttle.low_watermark},
        {"max_oldest_age", d(c.throttle.max_oldest_age)},
        {"retry_after", d(c.throttle.retry_after)}}},
      {"approvals",
       {{"thresholds", money_map(c.approvals.thresholds)},
        {"group_thresholds", groups}}},
      {"orders",
       {{"max_running", c.orders.max_running}, {"batch", c.orders.batch}}},
      {"inventory",
       {{"poll_interval", d(c.inventory.poll_interval)},
        {"warehouses", c.inventory.warehouses}}},
      {"customers",
       {{"price_group_to_group_id", c.customers.price_group_to_group_id},
        {"poll_interval", d(c.customers.poll_interval)},
        {"retry", retry(c.customers.retry)}}},
      {"catalog",
       {{"field_owner",
         {{"name", to_string(owners.name)},
          {"description", to_string(owners.description)},
          {"price", to_string(owners.price)},
          {"weight", to_string(owners.weight)},
          {"status", to_string(owners.status)}}},
        {"poll_interval", d(c.catalog.poll_interval)},
        {"retry", retry(c.catalog.retry)}}},
      {"pricing",
       {{"cache_ttl", d(c.pricing.cache_ttl)},
        {"max_actors", c.pricing.max_actors},
        {"idle_timeout", d(c.pricing.idle_timeout)},
        {"poll_interval", d(c.pricing.poll_interval)},
        {"base_currency", c.pricing.base_currency}}},
      {"logging", {{"level", to_string(c.logging.level)}}},
  };
  return mapping::hide_secrets(effective);
}

} // namespace ferry::config
