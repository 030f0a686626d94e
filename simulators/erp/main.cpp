// ferry-sim-erp: the reference ERP. See README.md for the command line, the
// admin API and the fault knobs.

#include "simulators/erp/admin_server.hpp"
#include "simulators/erp/soap_server.hpp"

#include <csignal>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <sys/stat.h>
#include <thread>

namespace {

struct options {
  int port = 0;
  int admin_port = 0;
  std::string data_dir = "./ferry-sim-erp-data";
  std::string cert_file;
  std::string key_file;
  std::string username = "ferry";
  std::string password_file;
  bool fsync = true;
  /// The ERP's zone: OrderDate is local time there (ERP-SOAP.md).
  std::string timezone = "America/Chicago";
  ferry::sim::seed_settings seed;
};

[[noreturn]] void usage(const std::string& error) {
  std::cerr << "ferry-sim-erp: " << error << "\n"
            << "usage: ferry-sim-erp [--port N] [--admin-port N] "
               "[--data-dir DIR] [--cert PEM --key PEM] [--username U] "
               "[--password-file FILE] [--seed N] [--seed-items N] "
               "[--seed-customers N] [--warehouses K] [--charges-item CODE] "
               "[--no-fsync] "
               "[--timezone IANA-NAME] [--variant N]\n";
  std::exit(2);
}

int int_arg(const std::string& name, const char* value) {
  try {
    std::size_t used = 0;
    int v = std::stoi(value, &used);
    if (used != std::string{value}.size() || v < 0)
      throw std::invalid_argument(name);
    return v;
  } catch (const std::exception&) {
    usage(name + " needs a non-negative integer, got '" + value + "'");
  }
}

options parse(int argc, char** argv) {
  options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> const char* {
      if (i + 1 >= argc)
        usage(a + " needs a value");
      return argv[++i];
    };
    if (a == "--port")
      o.port = int_arg(a, next());
    else if (a == "--admin-port")
      o.admin_port = int_arg(a, next());
    else if (a == "--data-dir")
      o.data_dir = next();
    else if (a == "--cert")
      o.cert_file = next();
    else if (a == "--key")
      o.key_file = next();
    else if (a == "--username")
      o.username = next();
    else if (a == "--password-file")
      o.password_file = next();
    else if (a == "--seed")
      o.seed.seed = static_cast<std::uint64_t>(int_arg(a, next()));
    else if (a == "--seed-items")
      o.seed.items = int_arg(a, next());
    else if (a == "--seed-customers")
      o.seed.customers = int_arg(a, next());
    else if (a == "--warehouses")
      o.seed.warehouses = int_arg(a, next());
    else if (a == "--charges-item")
      o.seed.charges_item = next();
    else if (a == "--no-fsync")
      o.fsync = false;
    else if (a == "--timezone")
      o.timezone = next();
    else if (a == "--variant")
      o.seed.variant = int_arg(a, next());
    else
      usage("unknown argument '" + a + "'");
  }
  if (o.cert_file.empty() != o.key_file.empty())
    usage("--cert and --key go together");
  // Before any thread: it sets TZ for the process.
  if (!ferry::sim::set_erp_time_zone(o.timezone))
    usage("--timezone '" + o.timezone + "' is no IANA time zone name");
  return o;
}

std::string read_file(const std::string& path) {
  std::ifstream in{path};
  if (!in)
    throw std::runtime_error("cannot read " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

// The key file gSOAP's server wants: private key and certificate in one PEM.
std::string prepare_tls(const options& o, std::string& ca_file) {
  std::string server_pem = o.data_dir + "/server.pem";
  std::string cert = o.cert_file;
  std::string key = o.key_file;
  if (cert.empty()) {
    cert = o.data_dir + "/cert.pem";
    key = o.data_dir + "/key.pem";
    if (!exists(cert) || !exists(key)) {
      std::string cmd =
          "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 "
          "-nodes -days 3650 -subj /CN=localhost "
          "-addext subjectAltName=DNS:localhost,IP:127.0.0.1 -keyout '" +
          key + "' -out '" + cert + "' 2>/dev/null";
      if (std::system(cmd.c_str()) != 0)
        throw std::runtime_error("openssl could not create a certificate in " +
                                 o.data_dir);
    }
  }
  std::ofstream out{server_pem, std::ios::trunc};
  out << read_file(key) << read_file(cert);
  if (!out)
    throw std::runtime_error("cannot write " + server_pem);
  ::chmod(server_pem.c_str(), 0600);
  ca_file = cert;
  return server_pem;
}

std::string trim(std::string s) {
  while (!s.empty() &&
         (s.back() == '\n' || s.back() == '\r' || s.back() == ' '))
    s.pop_back();
  return s;
}

} // namespace

int main(int argc, char** argv) {
  std::signal(SIGPIPE, SIG_IGN);
  auto o = parse(argc, argv);
  try {
    ::mkdir(o.data_dir.c_str(), 0700);
    ferry::sim::sim_credentials creds;
    creds.username = o.username;
    if (!o.password_file.empty())
      creds.password = trim(read_file(o.password_file));
    else if (const char* env = std::getenv("FERRY_SIM_ERP_PASSWORD"))
      creds.password = env;
    if (creds.password.empty())
      usage("no password: give --password-file or FERRY_SIM_ERP_PASSWORD");
    std::string ca_file;
    auto key_file = prepare_tls(o, ca_file);
    ferry::sim::sim_store store{o.data_dir, o.seed, o.fsync};
    ferry::sim::knob_board knobs;
    ferry::sim::soap_server soap{store, knobs, creds, key_file};
    ferry::sim::admin_server admin{store, knobs};
    int soap_port = soap.bind(o.port);
    int admin_port = admin.bind(o.admin_port);
    std::string endpoint =
        "https://localhost:" + std::to_string(soap_port) + "/erp/soap";
    nlohmann::json ready = {
        {"soap_port", soap_port},
        {"admin_port", admin_port},
        {"endpoint", endpoint},
        {"wsdl", endpoint + "?wsdl"},
        {"admin", "http://127.0.0.1:" + std::to_string(admin_port)},
        {"ca_file", ca_file}};
    std::cout << ready.dump() << std::endl;
    std::thread([&admin] { admin.run(); }).detach();
    soap.run();
  } catch (const std::exception& e) {
    std::cerr << "ferry-sim-erp: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
