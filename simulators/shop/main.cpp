// ferry-sim-shop: the reference shop (contracts/SHOP-REST.md) as a separate
// process. Flags are documented in README.md.
#include "protocols/tls.hpp"
#include "simulators/shop/simulator.hpp"

#include <cstdlib>
#include <iostream>
#include <nlohmann/json.hpp>
#include <signal.h>
#include <stdexcept>
#include <string>

using namespace ferry::sim_shop;

namespace {

[[noreturn]] void usage_error(const std::string& what) {
  std::cerr << "ferry-sim-shop: " << what << " (see simulators/shop/README.md)"
            << std::endl;
  std::exit(2);
}

double number_flag(const std::string& name, const std::string& value) {
  try {
    std::size_t used = 0;
    auto v = std::stod(value, &used);
    if (used != value.size())
      throw std::invalid_argument(value);
    return v;
  } catch (const std::exception&) {
    usage_error(name + " needs a number, not \"" + value + "\"");
  }
}

} // namespace

int main(int argc, char** argv) {
  simulator_options o;
  std::string client_id = "ferry", client_secret = "ferry-secret";
  if (const char* s = std::getenv("FERRY_SIM_SHOP_CLIENT_SECRET"))
    client_secret = s;
  if (const char* s = std::getenv("FERRY_SIM_SHOP_WEBHOOK_SECRET"))
    o.webhook_secret = s;
  for (int i = 1; i < argc; ++i) {
    std::string flag = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc)
        usage_error(flag + " needs a value");
      return argv[++i];
    };
    auto integer = [&]() {
      auto v = number_flag(flag, value());
      if (v < 0 || v != static_cast<long long>(v))
        usage_error(flag + " needs a whole number >= 0");
      return static_cast<long long>(v);
    };
    if (flag == "--address")
      o.address = value();
    else if (flag == "--port")
      o.port = static_cast<uint16_t>(integer());
    else if (flag == "--admin-port")
      o.admin_port = static_cast<uint16_t>(integer());
    else if (flag == "--data-dir")
      o.data_dir = value();
    else if (flag == "--no-fsync")
      o.fsync = false;
    else if (flag == "--cert")
      o.cert_file = value();
    else if (flag == "--key")
      o.key_file = value();
    else if (flag == "--webhook-url")
      o.webhook_url = value();
    else if (flag == "--webhook-secret")
      o.webhook_secret = value();
    else if (flag == "--webhook-ca-file")
      o.webhook_ca_file = value();
    else if (flag == "--webhook-insecure")
      o.webhook_verify = false;
    else if (flag == "--webhook-time-scale")
      o.schedule.time_scale = number_flag(flag, value());
    else if (flag == "--client-id")
      client_id = value();
    else if (flag == "--client-secret")
      client_secret = value();
    else if (flag == "--seed")
      o.seed = static_cast<std::uint64_t>(integer());
    else if (flag == "--variant")
      o.variant = static_cast<std::uint64_t>(integer());
    else if (flag == "--seed-products")
      o.seed_products = static_cast<int>(integer());
    else if (flag == "--seed-customers")
      o.seed_customers = static_cast<int>(integer());
    else if (flag == "--sources")
      o.sources = static_cast<int>(integer());
    else if (flag == "--token-ttl")
      o.token_ttl = std::chrono::seconds{integer()};
    else if (flag == "--rate")
      o.rate.rate_per_second = number_flag(flag, value());
    else if (flag == "--burst")
      o.rate.burst = number_flag(flag, value());
    else if (flag == "--traffic")
      o.traffic.enabled = value() == "on";
    else if (flag == "--orders-per-second")
      o.traffic.orders_per_second = number_flag(flag, value());
    else if (flag == "--customers-per-second")
      o.traffic.customers_per_second = number_flag(flag, value());
    else if (flag == "--high-value-share")
      o.traffic.high_value_share = number_flag(flag, value());
    else if (flag == "--approval-threshold") {
      auto m = ferry::money::parse(value());
      if (!m)
        usage_error("--approval-threshold needs an amount like 5000.00");
      o.traffic.threshold = *m;
    } else
      usage_error("unknown flag " + flag);
  }
  if (o.token_ttl.count() <= 0)
    usage_error("--token-ttl must be positive");
  if (o.rate.rate_per_second <= 0 || o.rate.burst < 1)
    usage_error("--rate must be > 0 and --burst >= 1");
  o.clients = {{client_id, client_secret}};

  // Block the stop signals before any thread starts, so sigwait gets them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  std::string ca_file;
  try {
    if (o.cert_file.empty()) {
      auto dir = o.data_dir.empty() ? std::string{"/tmp/ferry-sim-shop-certs"}
                                    : o.data_dir + "/tls";
      auto certs = ferry::tls::ensure_self_signed_certificate(dir);
      o.cert_file = certs.cert_file;
      o.key_file = certs.key_file;
      ca_file = certs.ca_file;
    }
    simulator sim{o};
    auto [api_port, admin_port] = sim.start();
    std::cout << nlohmann::json{{"https_port", api_port},
                                {"admin_port", admin_port},
                                {"ca_file", ca_file}}
                     .dump()
              << std::endl;
    int sig = 0;
    sigwait(&stop_signals, &sig);
    sim.stop();
  } catch (const std::exception& e) {
    std::cerr << "ferry-sim-shop: " << e.what() << std::endl;
    return 1;
  }
  return 0;
}
