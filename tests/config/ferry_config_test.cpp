#include "config/ferry_config.hpp"
#include "config/values.hpp"
#include "tests/support/test_env.hpp"

#include <fstream>
#include <gtest/gtest.h>
#include <string>

using namespace ferry::config;
using namespace std::chrono_literals;

namespace {

const std::string example_path =
    std::string(FERRY_SOURCE_DIR) + "/config/ferry.example.yaml";

load_result load(const std::string& yaml, const environment& env = {},
                 const std::string& base_dir = ".") {
  return load_config_text(yaml, env, "test.yaml", base_dir);
}

std::string all_errors(const load_result& r) {
  std::string out;
  for (const auto& e : r.errors)
    out += format_error(e) + "\n";
  return out;
}

// The one error `yaml` gives; fails the test when there is not exactly one.
config_error only_error(const std::string& yaml, const environment& env = {},
                        const std::string& base_dir = ".") {
  auto r = load(yaml, env, base_dir);
  EXPECT_EQ(r.errors.size(), 1u) << "for:\n" << yaml << "\n" << all_errors(r);
  return r.errors.empty() ? config_error{} : r.errors.front();
}

void write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

} // namespace

TEST(ferry_config, example_config_is_valid) {
  auto r = load_config_file(example_path, {});
  EXPECT_TRUE(r.ok()) << all_errors(r);
  EXPECT_EQ(r.config.api.clients.size(), 1u);
  EXPECT_EQ(r.config.approvals.group_thresholds.at(2).at("USD").minor(),
            1000000);
  EXPECT_EQ(r.config.customers.price_group_to_group_id.at("WHOLESALE"), 2);
}

// The example documents the defaults: where it sets a key to a plain value,
// that value is the built-in default.
TEST(ferry_config, example_shows_the_built_in_defaults) {
  auto example = to_redacted_json(load_config_file(example_path, {}).config);
  auto defaults = to_redacted_json(load("").config);
  const std::pair<const char*, const char*> differ[] = {
      {"node", "id"},
      {"api", "clients"},
      {"smtp", "approver_emails"},
      {"smtp", "customer_service_emails"},
      {"approvals", "group_thresholds"},
      {"inventory", "warehouses"},
      {"customers", "price_group_to_group_id"}};
  for (const auto& [section, key] : differ) {
    example[section].erase(key);
    defaults[section].erase(key);
  }
  EXPECT_EQ(example, defaults) << nlohmann::json::diff(defaults, example);
}

// The product sync's poll interval: a key with a range, not a constant.
TEST(ferry_config, catalog_poll_interval_is_read_and_checked) {
  EXPECT_EQ(load("").config.catalog.poll_interval, std::chrono::seconds(30));
  auto r = load("catalog:\n  poll_interval: 5s\n");
  EXPECT_TRUE(r.errors.empty()) << all_errors(r);
  EXPECT_EQ(r.config.catalog.poll_interval, std::chrono::seconds(5));
  auto env = load("", {{"FERRY_CATALOG_POLL_INTERVAL", "2m"}});
  EXPECT_EQ(env.config.catalog.poll_interval, std::chrono::minutes(2))
      << all_errors(env);
  EXPECT_EQ(only_error("catalog:\n  poll_interval: 10ms\n").key_path,
            "catalog.poll_interval");
}

// How the inbox consumers retry: read per section, and checked.
TEST(ferry_config, event_retry_is_read_and_checked) {
  auto defaults = load("").config;
  EXPECT_EQ(defaults.customers.retry.max_attempts, 14);
  EXPECT_EQ(defaults.catalog.retry.first_delay, 1s);
  auto r = load("customers:\n  retry:\n    max_attempts: 3\n"
                "    first_delay: 200ms\n    max_delay: 2s\n");
  EXPECT_TRUE(r.errors.empty()) << all_errors(r);
  EXPECT_EQ(r.config.customers.retry.max_attempts, 3);
  EXPECT_EQ(r.config.customers.retry.first_delay, 200ms);
  EXPECT_EQ(r.config.customers.retry.max_delay, 2s);
  EXPECT_EQ(r.config.catalog.retry.max_attempts, 14)
      << "each section has its own";
  EXPECT_EQ(only_error("catalog:\n  retry:\n    max_attempts: 0\n").key_path,
            "catalog.retry.max_attempts");
  auto shorter = only_error(
      "customers:\n  retry:\n    first_delay: 1m\n    max_delay: 1s\n");
  EXPECT_EQ(shorter.key_path, "customers.retry");
  EXPECT_NE(shorter.message.find("max_delay"), std::string::npos)
      << shorter.message;
  EXPECT_EQ(only_error("customers:\n  retry:\n    max_attempt: 3\n").key_path,
            "customers.retry.max_attempt");
}

TEST(ferry_config, order_concurrency_is_read_and_checked) {
  auto defaults = load("").config;
  EXPECT_EQ(defaults.orders.max_running, 64);
  EXPECT_EQ(defaults.orders.batch, 100);
  auto r = load("orders:\n  max_running: 16\n  batch: 250\n");
  EXPECT_TRUE(r.errors.empty()) << all_errors(r);
  EXPECT_EQ(r.config.orders.max_running, 16);
  EXPECT_EQ(r.config.orders.batch, 250);
  EXPECT_EQ(only_error("orders:\n  max_running: 0\n").key_path,
            "orders.max_running");
  EXPECT_EQ(only_error("orders:\n  batch: many\n").key_path, "orders.batch");
  EXPECT_EQ(only_error("orders:\n  max_runing: 8\n").key_path,
            "orders.max_runing");
}

// Every key of the config appears (set or commented) in the example.
TEST(ferry_config, example_mentions_every_key) {
  std::ifstream in(example_path);
  std::string text((std::istreambuf_iterator<char>(in)), {});
  auto json = to_redacted_json(load("").config);
  for (const auto& [section, keys] : json.items())
    for (const auto& [key, value] : keys.items()) {
      EXPECT_NE(text.find(key + ":"), std::string::npos)
          << section << "." << key << " missing from the example";
      if (key == "password" || key == "client_secret" || key == "signing_key") {
        EXPECT_NE(text.find(key + "_file:"), std::string::npos)
            << section << "." << key << "_file missing from the example";
      }
    }
}

TEST(ferry_config, no_file_gives_working_defaults) {
  auto r = load("");
  ASSERT_TRUE(r.ok()) << all_errors(r);
  EXPECT_EQ(r.config.erp.max_sessions, 8);
  EXPECT_EQ(r.config.erp.timezone, "America/Chicago");
  EXPECT_EQ(r.config.erp.charges_item_code, "SHIPPING");
  EXPECT_EQ(r.config.redis.timeout, 500ms);
  EXPECT_EQ(r.config.api.max_body_bytes, 1024u * 1024u);
  EXPECT_EQ(r.config.approvals.thresholds.at("USD").minor(), 500000);
  EXPECT_EQ(r.config.logging.level, log_level::info);
  EXPECT_FALSE(r.config.node.id.empty()) << "defaults to the host name";
}

TEST(ferry_config, values_from_the_file_are_typed) {
  auto r = load(R"(
erp:
  max_sessions: 4
  call_timeout: 1500ms
  retry: {max_attempts: 3, budget_ratio: 0.25}
api:
  max_body_bytes: 64KiB
smtp:
  starttls: true
  approver_emails: [boss@example.com, deputy@example.com]
catalog:
  field_owner: {name: newest, description: shop}
logging:
  level: debug
)");
  ASSERT_TRUE(r.ok()) << all_errors(r);
  EXPECT_EQ(r.config.erp.max_sessions, 4);
  EXPECT_EQ(r.config.erp.call_timeout, 1500ms);
  EXPECT_EQ(r.config.erp.retry.max_attempts, 3);
  EXPECT_DOUBLE_EQ(r.config.erp.retry.budget_ratio, 0.25);
  EXPECT_EQ(r.config.api.max_body_bytes, 64u * 1024u);
  EXPECT_TRUE(r.config.smtp.starttls);
  EXPECT_EQ(r.config.smtp.approver_emails.size(), 2u);
  EXPECT_EQ(r.config.catalog.field_owner.name, field_owner::newest);
  EXPECT_EQ(r.config.catalog.field_owner.description, field_owner::shop);
  EXPECT_EQ(r.config.logging.level, log_level::debug);
}

// --- each error class names its key ------------------------------------------

TEST(ferry_config_errors, unknown_key_suggests_the_close_one) {
  auto e = only_error("erp:\n  max_sesions: 4\n");
  EXPECT_EQ(e.key_path, "erp.max_sesions");
  EXPECT_EQ(e.line, 2);
  EXPECT_NE(e.message.find("unknown key"), std::string::npos) << e.message;
  EXPECT_NE(e.message.find("did you mean \"max_sessions\""), std::string::npos)
      << e.message;
}

TEST(ferry_config_errors, unknown_section_and_far_key_without_suggestion) {
  auto r = load("erpp:\n  x: 1\nshop:\n  colour: blue\n");
  ASSERT_EQ(r.errors.size(), 2u) << all_errors(r);
  EXPECT_EQ(r.errors[0].key_path, "erpp");
  EXPECT_EQ(r.errors[0].line, 1);
  EXPECT_NE(r.errors[0].message.find("did you mean \"erp\""),
            std::string::npos);
  EXPECT_EQ(r.errors[1].key_path, "shop.colour");
  EXPECT_EQ(r.errors[1].message.find("did you mean"), std::string::npos);
}

TEST(ferry_config_errors, wrong_type) {
  auto e = only_error("erp:\n  max_sessions: [1, 2]\n");
  EXPECT_EQ(e.key_path, "erp.max_sessions");
  EXPECT_NE(e.message.find("expected a whole number, got a list"),
            std::string::npos)
      << e.message;
  e = only_error("redis:\n  port: six\n");
  EXPECT_EQ(e.key_path, "redis.port");
  e = only_error("smtp:\n  starttls: maybe\n");
  EXPECT_EQ(e.key_path, "smtp.starttls");
  e = only_error("shop: 5\n");
  EXPECT_EQ(e.key_path, "shop");
  EXPECT_NE(e.message.find("expected a mapping"), std::string::npos);
}

TEST(ferry_config_errors, out_of_range) {
  auto e = only_error("erp:\n  max_sessions: 0\n");
  EXPECT_EQ(e.key_path, "erp.max_sessions");
  EXPECT_NE(e.message.find("out of range"), std::string::npos) << e.message;
  e = only_error("erp:\n  breaker:\n    failure_ratio: 1.5\n");
  EXPECT_EQ(e.key_path, "erp.breaker.failure_ratio");
  EXPECT_EQ(e.line, 3);
  e = only_error("throttle:\n  high_watermark: 100\n  low_watermark: 200\n");
  EXPECT_EQ(e.key_path, "throttle.low_watermark");
  EXPECT_EQ(e.line, 3);
  e = only_error("api:\n  token_ttl: 0s\n");
  EXPECT_EQ(e.key_path, "api.token_ttl");
}

TEST(ferry_config_errors, bad_durations_and_sizes) {
  for (auto text : {"10", "1.5s", "-1s", "10 s", "10sec", "ten"}) {
    auto e =
        only_error(std::string("shop:\n  poll_interval: \"") + text + "\"\n");
    EXPECT_EQ(e.key_path, "shop.poll_interval") << text;
    EXPECT_NE(e.message.find("expected a duration"), std::string::npos)
        << text << ": " << e.message;
  }
  auto e = only_error("api:\n  max_body_bytes: 1MB\n");
  EXPECT_EQ(e.key_path, "api.max_body_bytes");
  EXPECT_NE(e.message.find("expected a size"), std::string::npos);
}

TEST(ferry_config_errors, missing_required) {
  auto e = only_error("api:\n  clients:\n    - id: shop\n");
  EXPECT_EQ(e.key_path, "api.clients[0].secret_sha256");
  EXPECT_EQ(e.line, 3);
  EXPECT_NE(e.message.find("missing required"), std::string::npos);
  auto r = load("api:\n  tls_cert_file: " + example_path + "\n");
  ASSERT_EQ(r.errors.size(), 1u) << all_errors(r);
  EXPECT_EQ(r.errors[0].key_path, "api.tls_key_file");
}

TEST(ferry_config_errors, invalid_enum_value) {
  auto e = only_error("logging:\n  level: loud\n");
  EXPECT_EQ(e.key_path, "logging.level");
  EXPECT_NE(e.message.find("allowed: trace, debug, info, warn, error"),
            std::string::npos)
      << e.message;
  e = only_error("catalog:\n  field_owner:\n    price: shop\n");
  EXPECT_EQ(e.key_path, "catalog.field_owner.price");
  EXPECT_NE(e.message.find("allowed: erp"), std::string::npos);
  e = only_error(
      "api:\n  clients:\n    - id: a\n      secret_sha256: "
      "e2186dbdb1bb4193608605e84f33208765b5693b55edd4f730a719a100eeea6f\n"
      "      scopes: [prices:read, everything]\n");
  EXPECT_EQ(e.key_path, "api.clients[0].scopes[1]");
  EXPECT_NE(e.message.find("invalid scope \"everything\""), std::string::npos);
}

TEST(ferry_config_errors, invalid_urls_and_addresses) {
  auto e = only_error("shop:\n  base_url: http://shop.example.com\n");
  EXPECT_EQ(e.key_path, "shop.base_url");
  EXPECT_NE(e.message.find("scheme must be https"), std::string::npos);
  e = only_error("erp:\n  endpoint: https://:8080/soap\n");
  EXPECT_EQ(e.key_path, "erp.endpoint");
  e = only_error("erp:\n  endpoint: https://erp:99999/soap\n");
  EXPECT_EQ(e.key_path, "erp.endpoint");
  e = only_error("ops:\n  listen: localhost\n");
  EXPECT_EQ(e.key_path, "ops.listen");
  EXPECT_NE(e.message.find("host:port"), std::string::npos);
  e = only_error("api:\n  listen: 127.0.0.1:70000\n");
  EXPECT_EQ(e.key_path, "api.listen");
  e = only_error("smtp:\n  approver_emails: [ok@example.com, not-an-email]\n");
  EXPECT_EQ(e.key_path, "smtp.approver_emails[1]");
  EXPECT_EQ(e.message.find("not-an-email"), std::string::npos)
      << "addresses are personal data";
}

TEST(ferry_config_errors, database_url_error_never_shows_its_password) {
  auto e = only_error("database:\n  url: mysql://u:hunter2@db/ferry\n");
  EXPECT_EQ(e.key_path, "database.url");
  EXPECT_EQ(format_error(e).find("hunter2"), std::string::npos);
}

TEST(ferry_config_errors, invalid_time_zone) {
  auto e = only_error("erp:\n  timezone: America/Chcago\n");
  EXPECT_EQ(e.key_path, "erp.timezone");
  EXPECT_NE(e.message.find("unknown IANA time zone"), std::string::npos);
  EXPECT_EQ(only_error("erp:\n  timezone: ../../etc/passwd\n").key_path,
            "erp.timezone");
  EXPECT_TRUE(load("erp:\n  timezone: Europe/Berlin\n").ok());
}

TEST(ferry_config_errors, money_must_be_a_quoted_decimal) {
  auto e = only_error("approvals:\n  thresholds:\n    USD: 5000.00\n");
  EXPECT_EQ(e.key_path, "approvals.thresholds.USD");
  EXPECT_EQ(e.line, 3);
  EXPECT_NE(e.message.find("quoted decimal string"), std::string::npos);
  e = only_error("approvals:\n  thresholds:\n    USD: \"5000.001\"\n");
  EXPECT_EQ(e.key_path, "approvals.thresholds.USD");
  e = only_error("approvals:\n  thresholds:\n    USD: \"-1\"\n");
  EXPECT_EQ(e.key_path, "approvals.thresholds.USD");
  e = only_error("approvals:\n  thresholds:\n    dollars: \"1.00\"\n");
  EXPECT_EQ(e.key_path, "approvals.thresholds.dollars");
  EXPECT_NE(e.message.find("currency"), std::string::npos);
  e = only_error(
      "approvals:\n  group_thresholds:\n    gold:\n      USD: \"1.00\"\n");
  EXPECT_EQ(e.key_path, "approvals.group_thresholds.gold");
  auto r = load("approvals:\n  thresholds:\n    EUR: \"10000\"\n");
  ASSERT_TRUE(r.ok()) << all_errors(r);
  EXPECT_EQ(r.config.approvals.thresholds.size(), 1u);
  EXPECT_EQ(r.config.approvals.thresholds.at("EUR").minor(), 1000000);
}

TEST(ferry_config_errors, unreadable_secret_file) {
  auto e = only_error("erp:\n  password_file: /nonexistent/erp-password\n");
  EXPECT_EQ(e.key_path, "erp.password_file");
  EXPECT_NE(e.message.find("cannot read"), std::string::npos);
  e = only_error("shop:\n  ca_file: /nonexistent/ca.pem\n");
  EXPECT_EQ(e.key_path, "shop.ca_file");
}

TEST(ferry_config_errors, secret_and_secret_file_both_given) {
  ferry::test::temp_dir dir;
  write_file(dir.path() + "/pw", "from-file\n");
  auto e = only_error("erp:\n  password: inline-secret\n  password_file: pw\n",
                      {}, dir.path());
  EXPECT_EQ(e.key_path, "erp.password");
  EXPECT_NE(e.message.find("not both"), std::string::npos);
  EXPECT_EQ(format_error(e).find("inline-secret"), std::string::npos);
  EXPECT_EQ(format_error(e).find("from-file"), std::string::npos);
}

TEST(ferry_config_errors, yaml_syntax_error_has_its_line) {
  auto e = only_error("erp:\n  max_sessions: 4\n  retry: [1,\nshop: {}\n");
  EXPECT_GT(e.line, 2);
  EXPECT_NE(e.message.find("YAML syntax error"), std::string::npos);
}

TEST(ferry_config_errors, duplicate_key) {
  auto e = only_error("erp:\n  max_sessions: 4\n  max_sessions: 5\n");
  EXPECT_EQ(e.key_path, "erp.max_sessions");
  EXPECT_EQ(e.line, 3);
  EXPECT_NE(e.message.find("duplicate"), std::string::npos);
}

TEST(ferry_config_errors, all_errors_are_collected_in_file_order) {
  auto r = load(R"(ops:
  listen: nowhere
erp:
  max_sessions: 100
  timezone: Mars/Olympus
logging:
  levle: info
)");
  ASSERT_EQ(r.errors.size(), 4u) << all_errors(r);
  EXPECT_EQ(format_error(r.errors[0]).rfind("test.yaml:2: ops.listen: ", 0), 0u)
      << format_error(r.errors[0]);
  EXPECT_EQ(r.errors[1].key_path, "erp.max_sessions");
  EXPECT_EQ(r.errors[2].key_path, "erp.timezone");
  EXPECT_EQ(r.errors[3].key_path, "logging.levle");
  EXPECT_EQ(r.errors[3].line, 7);
}

// --- environment and secret files
// -----------------------------------------------

TEST(ferry_config_env, overrides_follow_the_key_path) {
  auto r = load("erp:\n  max_sessions: 4\n",
                {{"FERRY_ERP_PASSWORD", "erp-pw"},
                 {"FERRY_SHOP_CLIENT_SECRET", "shop-secret"},
                 {"FERRY_DATABASE_URL", "postgresql://db.internal/ferry"},
                 {"FERRY_ERP_MAX_SESSIONS", "6"},
                 {"FERRY_ERP_RETRY_MAX_ATTEMPTS", "2"},
                 {"FERRY_SHOP_WEBHOOK_SECRETS", "new, old"},
                 {"FERRY_TEST_PG_URL", "not a config key"}});
  ASSERT_TRUE(r.ok()) << all_errors(r);
  EXPECT_EQ(r.config.erp.password, "erp-pw");
  EXPECT_EQ(r.config.shop.client_secret, "shop-secret");
  EXPECT_EQ(r.config.database.url, "postgresql://db.internal/ferry");
  EXPECT_EQ(r.config.erp.max_sessions, 6);
  EXPECT_EQ(r.config.erp.retry.max_attempts, 2);
  EXPECT_EQ(r.config.shop.webhook_secrets,
            (std::vector<std::string>{"new", "old"}));
}

TEST(ferry_config_env, a_bad_override_names_the_variable_and_key) {
  auto e = only_error("", {{"FERRY_ERP_MAX_SESSIONS", "lots"}});
  EXPECT_EQ(e.key_path, "erp.max_sessions");
  EXPECT_EQ(e.source, "env FERRY_ERP_MAX_SESSIONS");
  EXPECT_EQ(format_error(e),
            "env FERRY_ERP_MAX_SESSIONS: erp.max_sessions: expected a whole "
            "number, got \"lots\"");
}

TEST(ferry_config_env, a_misspelt_override_is_an_error) {
  auto e = only_error("", {{"FERRY_ERP_PASWORD", "Sup3r-S3cret"},
                           {"FERRY_CONFIG", "/etc/ferry.yaml"},
                           {"FERRY_TEST_PG_URL", "postgresql://x/y"}});
  EXPECT_EQ(e.source, "env FERRY_ERP_PASWORD");
  EXPECT_NE(e.message.find("did you mean FERRY_ERP_PASSWORD?"),
            std::string::npos)
      << e.message;
  EXPECT_EQ(format_error(e).find("Sup3r-S3cret"), std::string::npos);
  e = only_error("", {{"FERRY_APPROVALS_THRESHOLDS", "USD=1"}});
  EXPECT_NE(e.message.find("set in the file only"), std::string::npos);
}

TEST(ferry_config_env, secret_value_never_appears_in_errors) {
  ferry::test::temp_dir dir;
  write_file(dir.path() + "/pw", "x\n");
  auto r = load("erp:\n  password_file: pw\nredis:\n  password: [a]\n",
                {{"FERRY_ERP_PASSWORD", "Sup3r-S3cret"}}, dir.path());
  ASSERT_EQ(r.errors.size(), 2u) << all_errors(r);
  EXPECT_EQ(all_errors(r).find("Sup3r-S3cret"), std::string::npos);
  EXPECT_EQ(r.errors[0].key_path, "redis.password");
  EXPECT_EQ(r.errors[1].key_path, "erp.password");
  EXPECT_EQ(r.errors[1].source, "env FERRY_ERP_PASSWORD");
}

TEST(ferry_config_env, secret_files_are_read_relative_to_the_config) {
  ferry::test::temp_dir dir;
  write_file(dir.path() + "/erp.pw", "from-file\n");
  write_file(dir.path() + "/hooks", "new-hook\nold-hook\n");
  write_file(dir.path() + "/ferry.yaml",
             "erp:\n  password_file: erp.pw\n"
             "shop:\n  webhook_secret_file: hooks\n");
  auto r = load_config_file(dir.path() + "/ferry.yaml", {});
  ASSERT_TRUE(r.ok()) << all_errors(r);
  EXPECT_EQ(r.config.erp.password, "from-file");
  EXPECT_EQ(r.config.shop.webhook_secrets,
            (std::vector<std::string>{"new-hook", "old-hook"}));
  r = load_config_text("", {{"FERRY_REDIS_PASSWORD_FILE", "erp.pw"}}, "x",
                       dir.path());
  ASSERT_TRUE(r.ok()) << all_errors(r);
  EXPECT_EQ(r.config.redis.password, "from-file");
}

TEST(ferry_config_env, webhook_secrets_hold_one_or_two) {
  auto e = only_error("shop:\n  webhook_secrets: [a, b, c]\n");
  EXPECT_EQ(e.key_path, "shop.webhook_secrets");
  EXPECT_NE(e.message.find("two during a rotation"), std::string::npos);
  EXPECT_EQ(e.message.find("\"a\""), std::string::npos);
}

TEST(ferry_config, missing_file_is_reported) {
  auto r = load_config_file("/nonexistent/ferry.yaml", {});
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(format_error(r.errors[0]),
            "/nonexistent/ferry.yaml: cannot read the config file");
}

TEST(ferry_config, redacted_json_hides_every_secret) {
  auto r =
      load("database:\n  url: postgresql://app:db-pw@db/ferry?password=q-pw\n"
           "api:\n  clients:\n    - id: a\n      secret_sha256: "
           "e2186dbdb1bb4193608605e84f33208765b5693b55edd4f730a719a100eeea6f\n",
           {{"FERRY_ERP_PASSWORD", "erp-pw"},
            {"FERRY_SHOP_CLIENT_SECRET", "shop-pw"},
            {"FERRY_SHOP_WEBHOOK_SECRETS", "hook-pw"},
            {"FERRY_REDIS_PASSWORD", "redis-pw"},
            {"FERRY_SMTP_PASSWORD", "smtp-pw"},
            {"FERRY_DATABASE_PASSWORD", "other-pw"}});
  ASSERT_TRUE(r.ok()) << all_errors(r);
  auto text = to_redacted_json(r.config).dump();
  for (auto* secret : {"db-pw", "q-pw", "erp-pw", "shop-pw", "hook-pw",
                       "redis-pw", "smtp-pw", "other-pw", "e2186dbdb1bb"})
    EXPECT_EQ(text.find(secret), std::string::npos) << secret << " in " << text;
  auto json = to_redacted_json(r.config);
  EXPECT_EQ(json["erp"]["password"], "***");
  EXPECT_EQ(json["database"]["url"],
            "postgresql://app:***@db/ferry?password=***");
  EXPECT_EQ(json["redis"]["timeout"], "500ms");
  EXPECT_EQ(json["approvals"]["thresholds"]["USD"], "5000.00");
}

TEST(ferry_config, connection_url_carries_the_password_encoded) {
  database_section db;
  db.url = "postgresql://app@db/ferry";
  EXPECT_EQ(connection_url(db), db.url);
  db.password = "p@ss word&";
  EXPECT_EQ(connection_url(db),
            "postgresql://app@db/ferry?password=p%40ss%20word%26");
  db.url += "?sslmode=require";
  EXPECT_EQ(connection_url(db).rfind("&password=p%40ss"), db.url.size());
}

// --- single values
// -------------------------------------------------------------

TEST(config_values, durations) {
  std::string why;
  EXPECT_EQ(parse_duration("500ms", why), 500ms);
  EXPECT_EQ(parse_duration("10s", why), 10s);
  EXPECT_EQ(parse_duration("5m", why), 5min);
  EXPECT_EQ(parse_duration("2h", why), 2h);
  for (auto bad : {"", "s", "5", "5 s", "5S", "1.5s", "+5s", "99999999999h"})
    EXPECT_FALSE(parse_duration(bad, why)) << bad;
  EXPECT_EQ(format_duration(1500ms), "1500ms");
  EXPECT_EQ(format_duration(120s), "2m");
  EXPECT_EQ(format_duration(0ms), "0ms");
}

TEST(config_values, sizes_and_numbers) {
  std::string why;
  EXPECT_EQ(parse_size("1MiB", why), 1024u * 1024u);
  EXPECT_EQ(parse_size("512B", why), 512u);
  EXPECT_FALSE(parse_size("1MB", why));
  EXPECT_FALSE(parse_size("1.5MiB", why));
  EXPECT_EQ(parse_integer("-3", why), -3);
  EXPECT_FALSE(parse_integer("3.0", why));
  EXPECT_FALSE(parse_integer("99999999999", why));
  EXPECT_EQ(parse_ratio("0.25", why), 0.25);
  EXPECT_FALSE(parse_ratio("1e-3", why));
  EXPECT_FALSE(parse_ratio("-0.5", why));
}

TEST(config_values, host_port_and_url) {
  std::string why;
  EXPECT_TRUE(check_host_port("127.0.0.1:9464", false, why));
  EXPECT_TRUE(check_host_port("[::1]:80", false, why));
  EXPECT_TRUE(check_host_port("0.0.0.0:0", true, why));
  EXPECT_FALSE(check_host_port("0.0.0.0:0", false, why));
  EXPECT_FALSE(check_host_port("::1:80", false, why));
  EXPECT_FALSE(check_host_port(":80", false, why));
  EXPECT_TRUE(check_url("https://erp.example.com:8443/soap", {"https"}, why));
  EXPECT_TRUE(check_url("postgresql://u:p@[::1]:5432/db", {"postgresql"}, why));
  EXPECT_FALSE(check_url("https://erp.example.com:/soap", {"https"}, why));
  EXPECT_FALSE(check_url("erp.example.com", {"https"}, why));
}

TEST(config_values, closest_key_finds_typos_only) {
  std::vector<std::string> keys{"max_sessions", "call_timeout", "endpoint"};
  EXPECT_EQ(closest_key("max_session", keys), "max_sessions");
  EXPECT_EQ(closest_key("endpiont", keys), "endpoint");
  EXPECT_FALSE(closest_key("colour", keys));
}

// api.signing_key: the token signing key every node of a cluster shares.
TEST(ferry_config, signing_key_from_file_or_environment_never_shown) {
  const std::string key(40, 'k');
  ferry::test::temp_dir dir;
  write_file(dir.path() + "/signing", key + "\n");
  auto from_file = load("api:\n  signing_key_file: signing\n", {}, dir.path());
  ASSERT_TRUE(from_file.ok()) << all_errors(from_file);
  EXPECT_EQ(from_file.config.api.signing_key, key);
  auto from_env = load("api:\n  signing_key: " + std::string(32, 'f') + "\n",
                       {{"FERRY_API_SIGNING_KEY", key}});
  ASSERT_TRUE(from_env.ok()) << all_errors(from_env);
  EXPECT_EQ(from_env.config.api.signing_key, key) << "env overrides the file";
  EXPECT_EQ(to_redacted_json(from_env.config)["api"]["signing_key"], "***");
  EXPECT_EQ(to_redacted_json(from_env.config).dump().find(key),
            std::string::npos);
  EXPECT_EQ(to_redacted_json(load("").config)["api"]["signing_key"], "")
      << "unset shows as unset";
}

TEST(ferry_config_errors, short_signing_key_names_the_key_not_the_value) {
  auto e = only_error("api:\n  signing_key: tooshort\n");
  EXPECT_EQ(e.key_path, "api.signing_key");
  EXPECT_NE(e.message.find("at least 32 bytes"), std::string::npos)
      << e.message;
  EXPECT_EQ(format_error(e).find("tooshort"), std::string::npos);
}

// The effective config stays readable: only secrets are hidden, e-mail
// addresses are masked one by one.
TEST(ferry_config, redacted_json_hides_secrets_only) {
  auto r = load("smtp:\n  approver_emails: [boss@example.com, "
                "deputy@example.com]\n",
                {{"FERRY_SHOP_WEBHOOK_SECRETS", "old-hook,new-hook"}});
  ASSERT_TRUE(r.ok()) << all_errors(r);
  auto json = to_redacted_json(r.config);
  EXPECT_EQ(json["api"]["token_ttl"], "1h");
  EXPECT_EQ(json["catalog"]["field_owner"]["name"], "erp");
  EXPECT_EQ(json["smtp"]["approver_emails"],
            nlohmann::json({"b***@example.com", "d***@example.com"}));
  EXPECT_EQ(json["shop"]["webhook_secrets"], nlohmann::json({"***", "***"}));
  EXPECT_EQ(json["shop"]["client_secret"], "") << "unset shows as unset";
}
