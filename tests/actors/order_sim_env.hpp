#pragma once

// Both simulators and `ferry run` as separate processes, wired together the
// way an operator wires them, for the order saga's integration and chaos
// tests and its benchmark: the shop sends its webhooks to Ferry's API,
// Ferry calls the shop and the ERP, a scratch database and the services'
// Redis hold the state. Failures throw std::runtime_error (GoogleTest
// reports them), so the benchmark can use it without GoogleTest.

#include "protocols/http/client.hpp"
#include "protocols/soap/erp_client.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/services.hpp"
#include "tests/support/test_env.hpp"

#include <algorithm>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>
#include <stdexcept>
#include <string>

namespace ferry::test {

using json = nlohmann::json;

/// The first line of `process`'s log that starts with `prefix`, as JSON;
/// throws when none comes within a minute.
inline json wait_for_json_line(child_process& process,
                               const std::string& prefix) {
  json out;
  bool found = wait_until(
      [&] {
        auto log = process.log();
        auto at = log.find(prefix);
        auto end = at == std::string::npos ? at : log.find('\n', at);
        if (end == std::string::npos)
          return false;
        out = json::parse(log.substr(at, end - at), nullptr, false);
        return !out.is_discarded();
      },
      std::chrono::seconds(60));
  if (!found)
    throw std::runtime_error("no start-up line " + prefix + " in:\n" +
                             process.log());
  return out;
}

/// An API client id and secret (sha256 of "change-me") with every scope
/// the order API needs.
constexpr const char* approver_client = "approver";
constexpr const char* approver_secret = "change-me";
constexpr const char* approver_secret_sha256 =
    "e2186dbdb1bb4193608605e84f33208765b5693b55edd4f730a719a100eeea6f";

/// An API client (the same secret) that may only read prices.
constexpr const char* price_reader_client = "storefront";

/// What the simulators seed and how Ferry is configured; the defaults are
/// the order tests' node (plain data, 10 ERP items, no customers).
struct order_sim_options {
  /// USD amount from which orders wait for approval.
  std::string approval_threshold = "1000000.00";
  /// Of the lost-webhook poller (a config duration).
  std::string shop_poll_interval = "2s";
  /// `--variant` of each simulator (0: plain ASCII data).
  int erp_variant = 0;
  int shop_variant = 0;
  int erp_seed_items = 10;
  int erp_seed_customers = 0;
  /// `--warehouses` / `--sources`; 0 leaves the simulator's default.
  int erp_warehouses = 0;
  int shop_sources = 0;
  int shop_seed_products = 0;
  int shop_seed_customers = 0;
  /// The shop simulator's per-client limit (`--rate`, `--burst`) and
  /// Ferry's `shop.rate_limit`: far above what the tests need by default;
  /// 0 leaves the simulator's default (20/s, burst 40) and Ferry's (the
  /// same).
  int shop_rate = 2000;
  int shop_burst = 2000;
  /// `--charges-item` of the ERP ("" for none).
  std::string charges_item;
  /// YAML appended to Ferry's config: whole top-level sections the
  /// environment does not write (inventory, customers, catalog, pricing).
  std::string extra_config;
};

/// ERP simulator + shop simulator + a Ferry process on a scratch database.
class order_sim_env {
public:
  /// `approval_threshold`: USD amount from which orders wait for approval.
  /// `shop_poll_interval`: of the lost-webhook poller (a config duration).
  explicit order_sim_env(std::string approval_threshold = "1000000.00",
                         std::string shop_poll_interval = "2s")
      : order_sim_env([&] {
          order_sim_options o;
          o.approval_threshold = std::move(approval_threshold);
          o.shop_poll_interval = std::move(shop_poll_interval);
          return o;
        }()) {}

  explicit order_sim_env(order_sim_options options)
      : options_(std::move(options)) {
    api_port_ = free_port();
    ops_port_ = free_port();
    std::vector<std::string> erp_args{
        FERRY_SIM_ERP_BIN,
        "--data-dir",
        dir_.path() + "/erp",
        "--seed-items",
        std::to_string(options_.erp_seed_items),
        "--seed-customers",
        std::to_string(options_.erp_seed_customers),
        "--no-fsync",
        "--variant",
        std::to_string(options_.erp_variant)};
    if (options_.erp_warehouses > 0)
      erp_args.insert(
          erp_args.end(),
          {"--warehouses", std::to_string(options_.erp_warehouses)});
    if (!options_.charges_item.empty())
      erp_args.insert(erp_args.end(),
                      {"--charges-item", options_.charges_item});
    erp_ = std::make_unique<child_process>(
        erp_args, std::map<std::string, std::string>{
                      {"FERRY_SIM_ERP_PASSWORD", erp_password}});
    erp_info_ = wait_for_json_line(*erp_, "{\"admin\"");
    std::vector<std::string> shop_args{
        FERRY_SIM_SHOP_BIN,
        "--data-dir",
        dir_.path() + "/shop",
        "--no-fsync",
        "--seed-products",
        std::to_string(options_.shop_seed_products),
        "--seed-customers",
        std::to_string(options_.shop_seed_customers),
        "--variant",
        std::to_string(options_.shop_variant),
        "--webhook-secret",
        webhook_secret,
        "--webhook-url",
        "https://127.0.0.1:" + std::to_string(api_port_) + "/webhooks/shop",
        "--webhook-insecure",
        "--webhook-time-scale",
        "0.005"};
    if (options_.shop_rate > 0)
      shop_args.insert(shop_args.end(),
                       {"--rate", std::to_string(options_.shop_rate)});
    if (options_.shop_burst > 0)
      shop_args.insert(shop_args.end(),
                       {"--burst", std::to_string(options_.shop_burst)});
    if (options_.shop_sources > 0)
      shop_args.insert(shop_args.end(),
                       {"--sources", std::to_string(options_.shop_sources)});
    shop_ = std::make_unique<child_process>(shop_args);
    shop_info_ = wait_for_json_line(*shop_, "{\"");
    config_ = write_config();
    start_ferry();
  }

  ~order_sim_env() {
    if (ferry_)
      ferry_->stop(10);
    shop_->stop(5);
    erp_->stop(5);
  }

  void start_ferry() {
    ferry_ = std::make_unique<child_process>(
        std::vector<std::string>{FERRY_BIN, "run", "--config", config_},
        std::map<std::string, std::string>{
            {"FERRY_ERP_PASSWORD", erp_password}});
  }

  /// Waits until Ferry's API answers its token endpoint.
  bool wait_ready() {
    return wait_until([&] { return !token().empty(); },
                      std::chrono::seconds(60), std::chrono::milliseconds(200));
  }

  /// How to call the ERP simulator directly, as Ferry does.
  ferry::erp_client_settings erp_settings() const {
    ferry::erp_client_settings s;
    s.endpoint = erp_info_["endpoint"].get<std::string>();
    s.username = "ferry";
    s.password = erp_password;
    s.ca_file = erp_info_["ca_file"].get<std::string>();
    return s;
  }

  child_process& ferry() { return *ferry_; }
  child_process& erp_process() { return *erp_; }
  child_process& shop_process() { return *shop_; }
  const std::string& database_url() const { return db_.url(); }
  /// The config file Ferry runs with (for `ferry` commands beside it).
  const std::string& config_path() const { return config_; }

  /// Waits until at least `n` order sagas exist and each is at its end (in
  /// the ERP with the ERP number on the shop order, parked or failed).
  /// Asked of the database, not the simulators, whose CPU would count as
  /// the sagas': the first count reads the saga table, the second the
  /// runnable sagas' partial index.
  bool wait_sagas_settled(std::size_t n, std::chrono::milliseconds deadline,
                          std::chrono::milliseconds poll) {
    pqxx::connection db{db_.url()};
    auto count = [&](const char* sql) {
      pqxx::read_transaction tx{db};
      return tx.exec1(sql)[0].as<std::size_t>();
    };
    return wait_until(
        [&] {
          return count("SELECT count(*) FROM saga WHERE kind = 'order'") >= n &&
                 count("SELECT count(*) FROM saga WHERE kind = 'order' AND "
                       "state <> 'failed' AND NOT coalesce((data->>'parked')"
                       "::boolean, false)") == 0;
        },
        deadline, poll);
  }
  /// Ferry's ops port (/metrics, /healthz, /readyz) and API port.
  int ops_port() const { return ops_port_; }
  int api_port() const { return api_port_; }

  /// A JSON call to the ERP simulator's admin API.
  json erp_admin(const std::string& method, const std::string& path,
                 const json& body = nullptr) {
    return plain(method, erp_info_["admin"].get<std::string>() + path, body);
  }

  /// A JSON call to the shop simulator's admin API.
  json shop_admin(const std::string& method, const std::string& path,
                  const json& body = nullptr) {
    return plain(method,
                 "http://127.0.0.1:" +
                     std::to_string(shop_info_["admin_port"].get<int>()) + path,
                 body);
  }

  /// The ERP's sales orders by ExternalOrderID (each must appear once).
  std::map<std::string, json> erp_orders(int* duplicates = nullptr) {
    std::map<std::string, json> out;
    auto state = erp_admin("GET", "/admin/state");
    int dup = 0;
    for (auto& o : state.value("orders", json::array())) {
      auto id = o.value("ExternalOrderID", "");
      if (!out.emplace(id, o).second)
        ++dup;
    }
    if (duplicates)
      *duplicates = dup;
    return out;
  }

  /// A shop product that the ERP also knows (ERP items IT-00001…).
  void add_product(const std::string& sku, const std::string& price) {
    shop_admin("PUT", "/admin/products/" + sku,
               {{"product",
                 {{"sku", sku},
                  {"name", "Item " + sku},
                  {"price", price},
                  {"status", 1},
                  {"weight", 1}}}});
  }

  /// Places a shop order; returns it (entity_id, increment_id, …).
  json place_order(const json& body) {
    return shop_admin("POST", "/admin/orders", body);
  }

  /// An access token for `client` ("" if Ferry does not answer).
  std::string token(const std::string& client = approver_client) {
    http::client_request req;
    req.method = "POST";
    req.url = api_url("/oauth/token");
    req.headers.set("Content-Type", "application/x-www-form-urlencoded");
    req.body = "grant_type=client_credentials&client_id=" + client +
               "&client_secret=" + approver_secret;
    auto res = api_client_.send(req);
    if (!res.response || res.response->status != 200)
      return "";
    auto j = json::parse(res.response->body, nullptr, false);
    return j.is_object() ? j.value("access_token", "") : "";
  }

  /// A call to Ferry's API with `token` (status, JSON body).
  std::pair<int, json> api(const std::string& method, const std::string& path,
                           const std::string& token,
                           const json& body = nullptr) {
    http::client_request req;
    req.method = method;
    req.url = api_url(path);
    if (!token.empty())
      req.headers.set("Authorization", "Bearer " + token);
    if (!body.is_null()) {
      req.headers.set("Content-Type", "application/json");
      req.body = body.dump();
    }
    auto res = api_client_.send(req);
    if (!res.response)
      return {0, json{}};
    return {res.response->status,
            json::parse(res.response->body, nullptr, false)};
  }

  static constexpr const char* erp_password = "erp-sim-password";
  static constexpr const char* webhook_secret = "order-test-webhook-secret";

private:
  std::string api_url(const std::string& path) const {
    return "https://127.0.0.1:" + std::to_string(api_port_) + path;
  }

  json plain(const std::string& method, const std::string& url,
             const json& body) {
    http::client_request req;
    req.method = method;
    req.url = url;
    if (!body.is_null()) {
      req.headers.set("Content-Type", "application/json");
      req.body = body.dump();
    }
    auto res = admin_client_.send(req);
    if (!res.response || res.response->status / 100 != 2)
      throw std::runtime_error(
          method + " " + url + ": " +
          (res.response ? res.response->body : res.error_detail));
    auto j = json::parse(res.response->body, nullptr, false);
    return j.is_discarded() ? json{} : j;
  }

  /// Ferry's `shop.rate_limit`: below the shop's, or its default.
  std::string rate_limit() const {
    if (options_.shop_rate <= 0)
      return "";
    return "  rate_limit:\n    requests_per_second: " +
           std::to_string(options_.shop_rate / 2) + "\n    burst: " +
           std::to_string(std::max(1, options_.shop_burst / 2)) + "\n";
  }

  std::string write_config() {
    auto path = dir_.path() + "/ferry.yaml";
    std::ofstream(path)
        << "node:\n  id: order-test\n  data_dir: " << dir_.path() << "/ferry\n"
        << "ops:\n  listen: 127.0.0.1:" << ops_port_ << "\n"
        << "api:\n  listen: 127.0.0.1:" << api_port_ << "\n"
        << "  signing_key: order-test-signing-key-0123456789abcdef0123\n"
        << "  clients:\n    - id: " << approver_client
        << "\n      secret_sha256: " << approver_secret_sha256
        << "\n      scopes: [orders:read, approvals:decide]\n"
        << "    - id: reader\n      secret_sha256: " << approver_secret_sha256
        << "\n      scopes: [orders:read]\n"
        << "    - id: " << price_reader_client
        << "\n      secret_sha256: " << approver_secret_sha256
        << "\n      scopes: [prices:read]\n"
        << "database:\n  url: " << db_.url() << "\n  pool_size: 16\n"
        << "redis:\n  host: " << redis_host() << "\n  port: " << redis_port()
        << "\n  key_prefix: \"order-test-" << api_port_ << ":\"\n"
        << "smtp:\n  port: " << smtp_port() << "\n"
        << "shop:\n  base_url: https://localhost:"
        << shop_info_["https_port"].get<int>()
        << "\n  client_id: ferry\n  client_secret: ferry-secret\n"
        << "  ca_file: " << shop_info_["ca_file"].get<std::string>() << "\n"
        << "  webhook_secrets: [" << webhook_secret << "]\n"
        << rate_limit() << "  poll_interval: " << options_.shop_poll_interval
        << "\n  poll_overlap: 600s\n"
        << "erp:\n  endpoint: " << erp_info_["endpoint"].get<std::string>()
        << "\n  ca_file: " << erp_info_["ca_file"].get<std::string>() << "\n"
        << "  call_timeout: 3s\n  status_poll_interval: 1s\n"
        << "  breaker:\n    cool_down: 2s\n"
        << "approvals:\n  thresholds:\n    USD: \""
        << options_.approval_threshold << "\"\n"
        << options_.extra_config;
    return path;
  }

  order_sim_options options_;
  temp_dir dir_;
  scratch_database db_;
  int api_port_ = 0;
  int ops_port_ = 0;
  std::unique_ptr<child_process> erp_;
  std::unique_ptr<child_process> shop_;
  std::unique_ptr<child_process> ferry_;
  json erp_info_;
  json shop_info_;
  std::string config_;
  http::client admin_client_{http::client_settings{}};
  http::client api_client_{[] {
    http::client_settings s;
    s.verify_peer = false; // Ferry's demo certificate
    return s;
  }()};
};

} // namespace ferry::test
