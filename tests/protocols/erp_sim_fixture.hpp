#pragma once

// Starts ferry-sim-erp as a separate process and talks to its admin API;
// shared by the ERP tests (tests/protocols, tests/actors, bench).

#include "protocols/soap/erp_client.hpp"
#include "protocols/soap/erp_wsse.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/property.hpp"
#include "tests/support/test_env.hpp"

#include <cstdio>
#include <curl/curl.h>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <random>
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

/// A blocking HTTP(S) request through libcurl; `ca_file` for HTTPS. A POST
/// sends `body` with `post_headers`.
inline http_answer http_request(const std::string& method,
                                const std::string& url,
                                const std::string& body = {},
                                const std::string& ca_file = {},
                                const std::vector<std::string>& post_headers = {
                                    "Content-Type: application/json"}) {
  CURL* curl = curl_easy_init();
  if (!curl)
    throw std::runtime_error("curl_easy_init failed");
  http_answer answer;
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method.c_str());
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, 60L);
  struct curl_slist* headers = nullptr;
  if (method == "POST") {
    for (const auto& h : post_headers)
      headers = curl_slist_append(headers, h.c_str());
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

/// A SOAP 1.1 POST of `envelope` to `url` as any client would send it;
/// `soap_action` is the SOAPAction header's value (sent quoted), or no
/// header at all when `send_soap_action` is false.
inline http_answer soap_post(const std::string& url,
                             const std::string& envelope,
                             const std::string& soap_action,
                             bool send_soap_action,
                             const std::string& ca_file) {
  // "SOAPAction:" with no value makes libcurl send no such header.
  return http_request("POST", url, envelope, ca_file,
                      {"Content-Type: text/xml; charset=utf-8",
                       send_soap_action ? "SOAPAction: \"" + soap_action + "\""
                                        : std::string{"SOAPAction:"}});
}

/// The text of the first `<erp:NAME>` element of `xml` at or after `from`,
/// with XML's entity and character references decoded to UTF-8; empty
/// when there is none.
inline std::string xml_element_text(const std::string& xml,
                                    const std::string& name,
                                    std::size_t from = 0) {
  auto open = xml.find("<erp:" + name + ">", from);
  if (open == std::string::npos)
    return {};
  open += name.size() + 6;
  auto close = xml.find("</erp:" + name + ">", open);
  if (close == std::string::npos)
    return {};
  std::string raw = xml.substr(open, close - open);
  std::string out;
  auto put_utf8 = [&out](unsigned long cp) {
    out += utf8(static_cast<char32_t>(cp));
  };
  for (std::size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] != '&') {
      out += raw[i];
      continue;
    }
    auto semi = raw.find(';', i);
    if (semi == std::string::npos) {
      out += raw.substr(i);
      break;
    }
    auto ref = raw.substr(i + 1, semi - i - 1);
    if (ref == "amp")
      out += '&';
    else if (ref == "lt")
      out += '<';
    else if (ref == "gt")
      out += '>';
    else if (ref == "quot")
      out += '"';
    else if (ref == "apos")
      out += '\'';
    else if (ref.size() > 2 && ref[0] == '#' &&
             (ref[1] == 'x' || ref[1] == 'X'))
      put_utf8(std::stoul(ref.substr(2), nullptr, 16));
    else if (ref.size() > 1 && ref[0] == '#')
      put_utf8(std::stoul(ref.substr(1)));
    else
      out += "&" + ref + ";";
    i = semi;
  }
  return out;
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

  /// A SOAP request written by hand, as another client of the contract
  /// would send it: `body` (the operation's element, e.g.
  /// `<erp:GetWarehouses/>`) in an envelope with a valid WS-Security
  /// UsernameToken, with `SOAPAction: "soap_action"` (no header when
  /// `send_soap_action` is false). The raw HTTP answer.
  http_answer soap(const std::string& soap_action, const std::string& body,
                   bool send_soap_action = true) const {
    std::random_device random;
    std::string nonce;
    for (int i = 0; i < 16; ++i)
      nonce += static_cast<char>(random() & 0xFF);
    auto created = soap::format_utc(std::chrono::system_clock::now());
    auto digest = soap::password_digest(nonce, created, password());
    const std::string wss = "http://docs.oasis-open.org/wss/2004/01/";
    std::string envelope =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<soap:Envelope "
        "xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\" "
        "xmlns:erp=\"urn:ferry:erp:v1\" xmlns:wsse=\"" +
        wss + "oasis-200401-wss-wssecurity-secext-1.0.xsd\" xmlns:wsu=\"" +
        wss +
        "oasis-200401-wss-wssecurity-utility-1.0.xsd\">"
        "<soap:Header><wsse:Security soap:mustUnderstand=\"1\">"
        "<wsse:UsernameToken><wsse:Username>ferry</wsse:Username>"
        "<wsse:Password Type=\"" +
        wss + "oasis-200401-wss-username-token-profile-1.0#PasswordDigest\">" +
        digest + "</wsse:Password><wsse:Nonce EncodingType=\"" + wss +
        "oasis-200401-wss-soap-message-security-1.0#Base64Binary\">" +
        soap::base64_encode(nonce) + "</wsse:Nonce><wsu:Created>" + created +
        "</wsu:Created></wsse:UsernameToken></wsse:Security></soap:Header>"
        "<soap:Body>" +
        body + "</soap:Body></soap:Envelope>";
    return soap_post(endpoint_, envelope, soap_action, send_soap_action,
                     ca_file_);
  }

  /// Whether the simulator process is still running.
  bool running() const { return process_->running(); }

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
