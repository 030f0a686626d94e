#pragma once

// Shared by the catalog integration tests: ferry-sim-shop as a process with
// its admin API, and connectors to it and to ferry-sim-erp.

#include "actors/erp_connector.hpp"
#include "actors/shop_connector.hpp"
#include "mapping/shop_types.hpp"
#include "protocols/http/client.hpp"
#include "tests/protocols/erp_sim_fixture.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/test_env.hpp"

#include <caf/all.hpp>
#include <gtest/gtest.h>
#include <prometheus/registry.h>

namespace ferry::test {

/// ferry-sim-shop in its own data folder (or in memory, without the
/// journal's fsync per change, when not `durable`); `extra` are more flags.
class shop_simulator {
public:
  explicit shop_simulator(std::vector<std::string> extra, bool durable = true) {
    std::vector<std::string> argv{FERRY_SIM_SHOP_BIN,
                                  "--seed",
                                  "3",
                                  "--seed-customers",
                                  "0",
                                  "--rate",
                                  "1000",
                                  "--burst",
                                  "1000"};
    if (durable) {
      argv.push_back("--data-dir");
      argv.push_back(dir_.path());
    }
    argv.insert(argv.end(), extra.begin(), extra.end());
    process_ = std::make_unique<child_process>(argv);
    bool up = wait_until(
        [&] {
          auto log = process_->log();
          auto at = log.find("{\"");
          auto end = at == std::string::npos ? at : log.find('\n', at);
          if (end == std::string::npos)
            return false;
          ports_ = nlohmann::json::parse(log.substr(at, end - at));
          return ports_.contains("admin_port");
        },
        std::chrono::seconds{60});
    if (!up)
      throw std::runtime_error("ferry-sim-shop did not start: " +
                               process_->log());
  }

  /// A request to the admin API; the answer parsed with exact numbers.
  nlohmann::json admin(const std::string& method, const std::string& path,
                       const nlohmann::json& body = nullptr) {
    http::client_request req;
    req.method = method;
    req.url =
        "http://127.0.0.1:" + std::to_string(ports_["admin_port"].get<int>()) +
        path;
    if (!body.is_null())
      req.body = shop::dump_exact(body);
    auto res = client_.send(req);
    if (!res.response)
      return nlohmann::json{{"error", res.error_detail}};
    auto parsed = shop::parse_exact(res.response->body);
    return parsed ? *parsed : nlohmann::json{{"error", parsed.error}};
  }

  shop_connector_settings connector_settings() const {
    shop_connector_settings s;
    s.base_url =
        "https://localhost:" + std::to_string(ports_["https_port"].get<int>());
    s.client_id = "ferry";
    s.client_secret = "ferry-secret";
    s.ca_file = ports_["ca_file"];
    return s;
  }

private:
  temp_dir dir_;
  std::unique_ptr<child_process> process_;
  nlohmann::json ports_;
  http::client client_{http::client_settings{}};
};

/// Connector settings for an erp_simulator.
inline erp_connector_settings
erp_connector_settings_of(const erp_simulator& erp) {
  erp_connector_settings es;
  auto cs = erp.client_settings();
  es.endpoint = cs.endpoint;
  es.username = cs.username;
  es.password = cs.password;
  es.ca_file = cs.ca_file;
  return es;
}

/// The report of a sync actor (caf::get_atom).
template <class Report, class Handle>
Report report_of(caf::actor_system& sys, const Handle& h) {
  Report out;
  caf::scoped_actor self{sys};
  self->request(h, std::chrono::seconds{30}, caf::get_atom::value)
      .receive([&](Report& r) { out = r; },
               [&](caf::error& e) { ADD_FAILURE() << sys.render(e); });
  return out;
}

} // namespace ferry::test
