#pragma once

// Starts ferry-sim-erp as a separate process and talks to its admin API;
// shared by the ERP tests (tests/protocols, tests/actors, bench).

#include "protocols/soap/erp_client.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/test_env.hpp"

#include <cstdio>
#include <curl/curl.h>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <unistd.h>
#include <vector>

namespace ferry::test {

/// One HTTP exchange's status and body.
struct http_answer {
  long status = 0;
  std::string body;
};

/// A blocking HTTP(S) request through libcurl; `ca_file` for HTTPS.
inline http_answer http_request(const std::string& method,
                                const std::string& url,
                                const std::string& body = {},
                                const std::string& ca_file = {}) {
  CURL* curl = curl_easy_init();
  if (!curl)
    throw std::runtime_error("curl_easy_init failed");
  http_answer answer;
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method.c_str());
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, 60L);
  struct curl_slist* headers = nullptr;
  if (method == "POST") {
    headers = curl_slist_append(headers, "Content-Type: application/json");
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.c_str());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE,
                     static_cast<long>(body.size()));
  }
  if (!ca_file.empty())
    curl_easy_setopt(curl, CURLOPT_CAINFO, ca_file.c_str());
  curl_easy_setopt(
      curl, CURLOPT_WRITEFUNCTION,
      +[](char* data, size_t size, size_t n, void* out) -> size_t {
        static_cast<std::string*>(out)->append(data, size * n);
        return size * n;
      });
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &answer.body);
  CURLcode rc = curl_easy_perform(curl);
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &answer.status);
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
  if (rc != CURLE_OK)
    throw std::runtime_error(method + " " + url + ": " +
                             curl_easy_strerror(rc));
  return answer;
}

/// ferry-sim-erp running in its own data folder, seeded small.
class erp_simulator {
public:
  /// Starts the simulator; `data_dir` empty: a fresh temporary folder.
  explicit erp_simulator(std::vector<std::string> extra_args = {},
                         std::string data_dir = {})
      : owned_dir_(data_dir.empty() ? std::make_unique<temp_dir>() : nullptr),
        data_dir_(data_dir.empty() ? owned_dir_->path() : data_dir) {
    password_file_ =
        data_dir_ + "/../erp-password-" + std::to_string(::getpid());
    std::ofstream{password_file_} << password() << "\n";
    start(std::move(extra_args));
  }

  ~erp_simulator() {
    process_.reset();
    std::remove(password_file_.c_str());
  }

  /// The integration user's password (a test secret).
  static std::string password() { return "s3cret-test-password"; }

  /// Stops (SIGTERM) and starts again on the same data folder and port.
  void restart() {
    process_->stop();
    start({"--port", std::to_string(soap_port_)});
  }

  /// Settings for an erp_client of this simulator.
  erp_client_settings client_settings() const {
    erp_client_settings s;
    s.endpoint = endpoint_;
    s.username = "ferry";
    s.password = password();
    s.ca_file = ca_file_;
    s.connect_timeout = std::chrono::seconds{10};
    s.call_timeout = std::chrono::seconds{20};
    return s;
  }

  /// A request to the admin API; the parsed JSON answer.
  nlohmann::json admin(const std::string& method, const std::string& path,
                       const nlohmann::json& body = nullptr,
                       long* status = nullptr) const {
    auto answer = http_request(method, admin_url_ + path,
                               body.is_null() ? "" : body.dump());
    if (status)
      *status = answer.status;
    return nlohmann::json::parse(answer.body);
  }

  /// Sets fault knobs (POST /admin/faults).
  void faults(const nlohmann::json& knobs) const {
    long status = 0;
    auto answer = admin("POST", "/admin/faults", knobs, &status);
    if (status != 200)
      throw std::runtime_error("fault knobs refused: " + answer.dump());
  }

  /// Sets one item's stock in one warehouse (POST /admin/stock), as the
  /// ERP's own users would.
  void set_stock(const std::string& sku, const std::string& warehouse,
                 int on_hand, int reserved, bool backorder = false) const {
    long status = 0;
    auto answer = admin("POST", "/admin/stock",
                        {{"ItemCode", sku},
                         {"WarehouseCode", warehouse},
                         {"OnHand", std::to_string(on_hand)},
                         {"Reserved", std::to_string(reserved)},
                         {"AllowBackorder", backorder}},
                        &status);
    if (status != 200)
      throw std::runtime_error("stock change refused: " + answer.dump());
  }

  /// Requests that reached the ERP for `operation` ("" for all).
  long requests(const std::string& operation = {}) const {
    auto stats = admin("GET", "/admin/stats");
    if (operation.empty())
      return stats["requests_total"].get<long>();
    auto& r = stats["requests"];
    return r.contains(operation) ? r[operation].get<long>() : 0;
  }

  const std::string& endpoint() const { return endpoint_; }
  const std::string& ca_file() const { return ca_file_; }
  int soap_port() const { return soap_port_; }
  const std::string& data_dir() const { return data_dir_; }
  std::string log() const { return process_->log(); }
  int pid() const { return process_->pid(); }

private:
  void start(std::vector<std::string> extra) {
    std::vector<std::string> argv{FERRY_SIM_ERP_BIN,
                                  "--data-dir",
                                  data_dir_,
                                  "--password-file",
                                  password_file_,
                                  "--seed",
                                  "7",
                                  "--seed-items",
                                  "12",
                                  "--seed-customers",
                                  "6",
                                  "--warehouses",
                                  "2"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    process_ = std::make_unique<child_process>(argv);
    std::string line;
    bool ready = wait_until(
        [&] {
          auto log = process_->log();
          auto pos = log.find("{\"admin\"");
          if (pos == std::string::npos)
            return false;
          auto end = log.find('\n', pos);
          if (end == std::string::npos)
            return false;
          line = log.substr(pos, end - pos);
          return true;
        },
        std::chrono::seconds{60});
    if (!ready)
      throw std::runtime_error("ferry-sim-erp did not start: " +
                               process_->log());
    auto j = nlohmann::json::parse(line);
    soap_port_ = j["soap_port"].get<int>();
    endpoint_ = j["endpoint"].get<std::string>();
    ca_file_ = j["ca_file"].get<std::string>();
    admin_url_ = j["admin"].get<std::string>();
  }

  std::unique_ptr<temp_dir> owned_dir_;
  std::string data_dir_;
  std::string password_file_;
  std::unique_ptr<child_process> process_;
  int soap_port_ = 0;
  std::string endpoint_;
  std::string ca_file_;
  std::string admin_url_;
};

/// A valid order for the seeded simulator (customer C000001, item
/// IT-00001 and IT-00002).
inline erp_sales_order sample_order(const std::string& external_id) {
  erp_sales_order o;
  o.external_order_id = external_id;
  o.order_date = "2026-11-28T22:15:00";
  o.customer_no = "C000001";
  o.customer_email = "customer1@example.com";
  o.currency_code = "USD";
  o.lines.push_back({"IT-00001", *decimal::parse("3"), *money::parse("12.50"),
                     *money::parse("37.50")});
  o.lines.push_back({"IT-00002", *decimal::parse("1.5"), *money::parse("2.00"),
                     *money::parse("3.00")});
  o.total_amount = *money::parse("40.50");
  return o;
}

} // namespace ferry::test
