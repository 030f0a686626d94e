#pragma once

#include "mapping/money.hpp"

#include <chrono>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

/// Ferry's typed configuration: one struct per section of the YAML file
/// (config/ferry.example.yaml documents every key). Every member has the
/// default that lets the demo run without a file.
///
/// Environment overrides: every scalar key `section.key` (and nested
/// `section.group.key`) may be set by the variable `FERRY_<PATH>` where PATH
/// is the key path upper-cased with dots as underscores, e.g.
/// FERRY_ERP_PASSWORD, FERRY_SHOP_CLIENT_SECRET, FERRY_DATABASE_URL,
/// FERRY_ERP_RETRY_MAX_ATTEMPTS. A list of strings takes a comma-separated
/// value (FERRY_SHOP_WEBHOOK_SECRETS="new,old"). Maps and lists of records
/// (api.clients, approvals.*, inventory.warehouses, …) are file-only. An
/// override replaces the file's value of that key only, so `x` from the
/// environment and `x_file` from the file are still "both given". Other
/// FERRY_* variables (FERRY_TEST_*, FERRY_CONFIG) are not config keys and are
/// ignored here.
///
/// Secrets (`*.password`, shop.client_secret, shop.webhook_secrets) may come
/// from a file instead: `<key>_file: PATH`, read whole, one trailing newline
/// dropped. Relative paths are relative to the config file's folder. A
/// secret's value never appears in an error message or a log.
namespace ferry::config {

using std::chrono::milliseconds;

/// The log level threshold.
enum class log_level { trace, debug, info, warn, error };

/// The text of a log level as written in the file ("info").
std::string_view to_string(log_level level);

/// Who wins when a catalog field differs between ERP and shop.
enum class field_owner { erp, shop, newest };

/// The text of an owner as written in the file ("erp").
std::string_view to_string(field_owner owner);

/// `node`: this Ferry process within a cluster.
struct node_section {
  /// Unique per node (default: the host name).
  std::string id;
  /// Where local state (logs, reports) goes.
  std::string data_dir = ".ferry/demo";
};

/// `ops`: the operations endpoint (/metrics, /healthz, /readyz).
struct ops_section {
  /// host:port to listen on (port 0: any free port).
  std::string listen = "127.0.0.1:9464";
};

/// One client of Ferry's own API.
struct api_client {
  std::string id;
  /// Lower-case hex SHA-256 of the client's secret (the secret itself is
  /// never stored).
  std::string secret_sha256;
  /// Subset of prices:read, orders:read, approvals:decide, ops:admin.
  std::vector<std::string> scopes;
};

/// `api`: Ferry's HTTPS API (prices, approvals, shop webhooks).
struct api_section {
  std::string listen = "127.0.0.1:8443";
  /// PEM certificate chain and key, both or neither (neither is for the
  /// demo only: how the API server then gets a certificate is its choice).
  std::string tls_cert_file;
  std::string tls_key_file;
  /// Base of the links put in approval e-mails.
  std::string public_base_url = "https://127.0.0.1:8443";
  milliseconds token_ttl{std::chrono::seconds(3600)};
  std::vector<api_client> clients;
  /// Secret key that signs the API's access tokens; every node of a cluster
  /// needs the same one to accept the others' tokens. At least 32 bytes;
  /// empty: each process makes a random key (one node only).
  std::string signing_key;
  std::uint64_t max_body_bytes = 1024 * 1024;
  /// Path at which the shop's webhooks are received.
  std::string webhook_path = "/webhooks/shop";
};

/// `database`: PostgreSQL.
struct database_section {
  /// libpq URL; a password inside it is redacted in logs.
  std::string url = "postgresql://postgres@127.0.0.1:5432/ferry";
  /// Secret; empty when the URL or trust authentication suffices.
  std::string password;
  int pool_size = 8;
  milliseconds acquire_timeout{std::chrono::seconds(5)};
  milliseconds statement_timeout{std::chrono::seconds(30)};
};

/// `redis`: the shared price cache and rate budget.
struct redis_section {
  std::string host = "127.0.0.1";
  int port = 6379;
  /// Secret; empty for no AUTH.
  std::string password;
  milliseconds timeout{500};
  std::string key_prefix = "ferry:";
};

/// `smtp`: outgoing notifications.
struct smtp_section {
  std::string host = "127.0.0.1";
  int port = 25;
  std::string from = "ferry@localhost";
  std::string username;
  /// Secret.
  std::string password;
  bool starttls = false;
  /// Who is asked to approve high-value orders.
  std::vector<std::string> approver_emails;
  /// Who is told about rejected orders.
  std::vector<std::string> customer_service_emails;
};

/// A token bucket.
struct rate_limit_section {
  int requests_per_second = 20;
  int burst = 40;
};

/// `shop`: the eCommerce platform (REST, OAuth 2.0).
struct shop_section {
  /// scheme://host:port of the shop; Ferry appends /rest/V1 and /oauth/token.
  std::string base_url = "https://127.0.0.1:9443";
  std::string client_id = "ferry";
  /// Secret.
  std::string client_secret;
  /// PEM CA bundle to verify the shop with (empty: the system's).
  std::string ca_file;
  /// Secrets; a webhook signed with any of them is accepted (two during a
  /// rotation).
  std::vector<std::string> webhook_secrets;
  rate_limit_section rate_limit;
  milliseconds request_timeout{std::chrono::seconds(10)};
  milliseconds poll_interval{std::chrono::seconds(60)};
  /// How far back each poll looks beyond the last one, to catch late rows.
  milliseconds poll_overlap{std::chrono::seconds(120)};
  int max_sessions = 8;
};

/// Retries of ERP calls.
struct retry_section {
  int max_attempts = 5;
  milliseconds initial_backoff{200};
  milliseconds max_backoff{std::chrono::seconds(10)};
  /// Retries allowed as a fraction of calls (0–1).
  double budget_ratio = 0.1;
};

/// The ERP circuit breaker.
struct breaker_section {
  milliseconds window{std::chrono::seconds(30)};
  /// Failure fraction over the window that opens the breaker (0–1].
  double failure_ratio = 0.5;
  milliseconds cool_down{std::chrono::seconds(15)};
};

/// `erp`: the ERP (SOAP, WS-Security).
struct erp_section {
  std::string endpoint = "https://127.0.0.1:9444/erp/soap";
  std::string username = "ferry";
  /// Secret.
  std::string password;
  std::string ca_file;
  /// IANA time zone of the ERP's local times.
  std::string timezone = "America/Chicago";
  /// The ERP item that carries an order's shipping and tax as one line
  /// (the ERP's TotalAmount is the sum of its lines).
  std::string charges_item_code = "SHIPPING";
  int max_sessions = 8;
  milliseconds call_timeout{std::chrono::seconds(10)};
  retry_section retry;
  breaker_section breaker;
  milliseconds status_poll_interval{std::chrono::seconds(5)};
};

/// Restart backoff of supervised actors.
struct backoff_section {
  milliseconds initial{100};
  milliseconds max{std::chrono::seconds(30)};
};

/// `supervision`: OTP-style restart limits.
struct supervision_section {
  backoff_section backoff;
  /// More than `intensity` restarts within `period` escalate.
  int intensity = 5;
  milliseconds period{std::chrono::seconds(30)};
};

/// `throttle`: back-pressure on workers' backlogs.
struct throttle_section {
  /// Messages waiting above which producers are slowed down.
  int high_watermark = 1000;
  /// Messages waiting below which they may go on again.
  int low_watermark = 500;
  milliseconds max_oldest_age{std::chrono::seconds(5)};
  /// The Retry-After given to the shop when webhooks are refused.
  milliseconds retry_after{std::chrono::seconds(2)};
};

/// `approvals`: high-value order thresholds.
struct approvals_section {
  /// Currency (ISO 4217) → amount from which an order needs approval.
  std::map<std::string, ferry::money> thresholds{
      {"USD", ferry::money::from_minor(500000)}};
  /// Shop customer group_id → its own thresholds, replacing `thresholds`
  /// for that group's currencies.
  std::map<int, std::map<std::string, ferry::money>> group_thresholds;
};

/// `orders`: the order sagas of this node.
struct orders_section {
  /// Sagas running at once on this node: each is a thread that waits on
  /// the ERP, the shop and PostgreSQL; more runnable sagas wait in the
  /// table until one ends.
  int max_running = 64;
  /// New-order inbox events taken per intake round.
  int batch = 100;
};

/// `inventory`: stock sync.
struct inventory_section {
  milliseconds poll_interval{std::chrono::seconds(10)};
  /// ERP WarehouseCode → shop source_code.
  std::map<std::string, std::string> warehouses;
};

/// `customers`: customer sync.
/// `customers.retry`, `catalog.retry`: how an inbox event whose processing
/// failed is tried again, and when it is dead-lettered instead.
struct event_retry_section {
  /// Attempts, the first included, before the event is dead-lettered.
  int max_attempts = 14;
  /// The wait after the first failure; it doubles with each one after.
  milliseconds first_delay{std::chrono::seconds(1)};
  milliseconds max_delay{std::chrono::minutes(5)};
};

struct customers_section {
  /// ERP PriceGroup → shop customer group_id.
  std::map<std::string, int> price_group_to_group_id;
  /// How often GetCustomers is polled for ERP-side changes.
  milliseconds poll_interval{std::chrono::seconds(60)};
  event_retry_section retry;
};

/// `catalog.field_owner`: which side wins per product field.
struct field_owners {
  field_owner name = field_owner::erp;
  field_owner description = field_owner::erp;
  /// price, weight and status always belong to the ERP.
  field_owner price = field_owner::erp;
  field_owner weight = field_owner::erp;
  field_owner status = field_owner::erp;
};

/// `catalog`: product sync.
struct catalog_section {
  field_owners field_owner;
  /// How often GetItems is polled for changed products.
  milliseconds poll_interval{std::chrono::seconds(30)};
  /// For shop product updates (`products/update` events).
  event_retry_section retry;
};

/// `pricing`: per-customer price actors and their cache.
struct pricing_section {
  milliseconds cache_ttl{std::chrono::seconds(300)};
  int max_actors = 10000;
  milliseconds idle_timeout{std::chrono::seconds(60)};
  /// How often GetPriceLists (and base prices) are polled.
  milliseconds poll_interval{std::chrono::seconds(30)};
  /// ISO 4217 currency of the ERP's BasePrice (asked when none is given).
  std::string base_currency = "USD";
};

/// `logging`.
struct logging_section {
  log_level level = log_level::info;
};

/// The whole configuration.
struct ferry_config {
  node_section node;
  ops_section ops;
  api_section api;
  database_section database;
  redis_section redis;
  smtp_section smtp;
  shop_section shop;
  erp_section erp;
  supervision_section supervision;
  throttle_section throttle;
  approvals_section approvals;
  orders_section orders;
  inventory_section inventory;
  customers_section customers;
  catalog_section catalog;
  pricing_section pricing;
  logging_section logging;
};

/// One problem found while loading.
struct config_error {
  /// Dotted key path, e.g. "erp.max_sessions" or "api.clients[1].id";
  /// empty for a YAML syntax error.
  std::string key_path;
  /// 1-based line in the file, 0 when unknown (environment, defaults).
  int line = 0;
  std::string message;
  /// The file name, or "env FERRY_X" for an environment override.
  std::string source;
};

/// "SOURCE:LINE: key.path: message" (LINE and key left out when unknown).
std::string format_error(const config_error& error);

/// The config, valid only when `errors` is empty; every error is collected,
/// not just the first.
struct load_result {
  ferry_config config;
  std::vector<config_error> errors;
  bool ok() const { return errors.empty(); }
};

/// Environment variables (name → value) used for overrides.
using environment = std::map<std::string, std::string>;

/// The FERRY_* variables of this process.
environment process_environment();

/// Loads the YAML file at `path`, then the environment overrides.
load_result load_config_file(const std::string& path, const environment& env);

/// Loads YAML text; `source` names it in errors and `base_dir` anchors
/// relative *_file paths. Empty text gives the defaults.
load_result load_config_text(std::string_view yaml, const environment& env,
                             const std::string& source = "<text>",
                             const std::string& base_dir = ".");

/// database.url with database.password (when set) added as the libpq
/// `password` parameter, percent-encoded. Holds a secret: never log it.
std::string connection_url(const database_section& database);

/// The effective config for logging: secrets (every key that
/// mapping::is_secret_key names, and a password inside database.url) as
/// "***", e-mail addresses masked, durations as "10s".
nlohmann::json to_redacted_json(const ferry_config& config);

/// "500ms", "10s", "5m", "2h": the largest unit that divides `d` exactly.
std::string format_duration(milliseconds d);

} // namespace ferry::config
