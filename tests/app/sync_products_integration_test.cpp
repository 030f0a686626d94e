// `ferry sync products --full` as an operator runs it: a separate process
// against both simulators (processes) and a scratch database, killed with
// SIGKILL in the middle and resumed; then the job read back through
// `ferry run`'s API.

#include "protocols/http/client.hpp"
#include "protocols/oauth/token_issuer.hpp"
#include "protocols/tls.hpp"
#include "tests/actors/catalog_sims.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/services.hpp"
#include "tests/support/test_env.hpp"

#include <fstream>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>
#include <signal.h>
#include <unistd.h>

using namespace std::chrono_literals;
using nlohmann::json;

namespace ferry {
namespace {

constexpr int items = 10'000;
const std::string admin_secret = "sync-test-ops-secret";
const std::string reader_secret = "sync-test-prices-secret";

struct job_state {
  std::int64_t id = 0;
  std::string status;
  std::int64_t pages = 0;
  std::int64_t read = 0, written = 0, skipped = 0, dead_lettered = 0;
  std::string cursor;
};

std::optional<job_state> newest_job(const std::string& url) {
  pqxx::connection conn(url);
  pqxx::read_transaction tx(conn);
  auto exists = tx.exec1("SELECT to_regclass('job') IS NOT NULL");
  if (!exists[0].as<bool>())
    return std::nullopt;
  auto rows = tx.exec("SELECT id, status, pages, read_count, written, skipped,"
                      " dead_lettered, position FROM job"
                      " WHERE kind = 'sync_products_full'"
                      " ORDER BY id DESC LIMIT 1");
  if (rows.empty())
    return std::nullopt;
  auto r = rows[0];
  return job_state{r[0].as<std::int64_t>(), r[1].as<std::string>(),
                   r[2].as<std::int64_t>(), r[3].as<std::int64_t>(),
                   r[4].as<std::int64_t>(), r[5].as<std::int64_t>(),
                   r[6].as<std::int64_t>(), r[7].as<std::string>()};
}

class sync_products : public ::testing::Test {
protected:
  sync_products()
      : erp_({"--seed-items", std::to_string(items), "--warehouses", "1",
              "--no-fsync"}),
        shop_({"--seed-products", "0"}, false) {
    api_port_ = test::free_port();
    auto shop_settings = shop_.connector_settings();
    config_ = dir_.path() + "/ferry.yaml";
    std::ofstream(config_)
        << "node:\n  id: sync-test\n  data_dir: " << dir_.path() << "/data\n"
        << "ops:\n  listen: 127.0.0.1:" << test::free_port() << "\n"
        << "api:\n  listen: 127.0.0.1:" << api_port_ << "\n"
        << "  clients:\n"
        << "    - id: operator\n      secret_sha256: "
        << oauth::sha256_hex(admin_secret) << "\n      scopes: [ops:admin]\n"
        << "    - id: storefront\n      secret_sha256: "
        << oauth::sha256_hex(reader_secret) << "\n      scopes: [prices:read]\n"
        << "database:\n  url: " << db_.url() << "\n  pool_size: 4\n"
        << "redis:\n  host: " << test::redis_host()
        << "\n  port: " << test::redis_port() << "\n  key_prefix: 'sync-it-"
        << ::getpid() << ":'\n"
        << "smtp:\n  port: " << test::smtp_port() << "\n"
        << "erp:\n  endpoint: " << erp_.endpoint()
        << "\n  ca_file: " << erp_.ca_file() << "\n"
        << "shop:\n  base_url: " << shop_settings.base_url
        << "\n  ca_file: " << shop_settings.ca_file << "\n";
  }

  std::map<std::string, std::string> secrets() const {
    return {{"FERRY_ERP_PASSWORD", test::erp_simulator::password()},
            {"FERRY_SHOP_CLIENT_SECRET", "ferry-secret"}};
  }

  std::unique_ptr<test::child_process> ferry(std::vector<std::string> args) {
    std::vector<std::string> argv{FERRY_BIN};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.push_back("--config");
    argv.push_back(config_);
    return std::make_unique<test::child_process>(argv, secrets());
  }

  test::scratch_database db_;
  test::temp_dir dir_;
  test::erp_simulator erp_;
  test::shop_simulator shop_;
  std::string config_;
  int api_port_ = 0;
};

/// Ferry's API over HTTPS with its demo certificate.
class api_client {
public:
  api_client(std::string data_dir, int port)
      : data_dir_(std::move(data_dir)), port_(port) {}

  std::string token(const std::string& id, const std::string& secret) {
    http::client_request r;
    r.method = "POST";
    r.url = base() + "/oauth/token";
    r.headers.set("Content-Type", "application/x-www-form-urlencoded");
    r.body = "grant_type=client_credentials&client_id=" + id +
             "&client_secret=" + secret;
    auto res = client().send(r);
    if (!res.response || res.response->status != 200)
      return {};
    return json::parse(res.response->body).value("access_token", "");
  }

  std::pair<int, json> get(const std::string& path, const std::string& bearer) {
    http::client_request r;
    r.method = "GET";
    r.url = base() + path;
    if (!bearer.empty())
      r.headers.set("Authorization", "Bearer " + bearer);
    auto res = client().send(r);
    if (!res.response)
      return {0, json(res.error_detail)};
    return {res.response->status,
            json::parse(res.response->body, nullptr, false)};
  }

private:
  std::string base() const {
    return "https://127.0.0.1:" + std::to_string(port_);
  }
  http::client& client() {
    if (!client_) {
      auto certs = tls::ensure_self_signed_certificate(data_dir_ + "/certs");
      http::client_settings s;
      s.ca_file = certs.ca_file;
      client_ = std::make_unique<http::client>(s);
    }
    return *client_;
  }
  std::string data_dir_;
  int port_;
  std::unique_ptr<http::client> client_;
};

} // namespace

TEST_F(sync_products, killed_in_the_middle_and_resumed_writes_every_item_once) {
  // The shop answers 2 s after it wrote: the kill lands while a page's
  // products are in the shop but the page is not committed, the case that
  // could write them twice.
  shop_.admin("POST", "/admin/faults", {{"latency_ms", 2000}});
  auto first = ferry({"sync", "products", "--full"});
  std::optional<job_state> job;
  ASSERT_TRUE(test::wait_until(
      [&] {
        job = newest_job(db_.url());
        if (!job || job->pages < 2)
          return false;
        auto writes = shop_.admin("GET", "/admin/product-writes");
        return writes.value("total", std::int64_t{0}) > job->written;
      },
      120s, 10ms))
      << first->log();
  first->signal(SIGKILL);
  EXPECT_EQ(first->wait(10), 128 + SIGKILL);
  job = newest_job(db_.url());
  ASSERT_TRUE(job);
  ASSERT_EQ(job->status, "running") << "not killed in the middle";
  ASSERT_LT(job->pages, items / 1000) << "not killed in the middle";
  EXPECT_FALSE(job->cursor.empty());
  auto uncommitted =
      shop_.admin("GET", "/admin/product-writes")["total"].get<std::int64_t>() -
      job->written;
  ASSERT_GT(uncommitted, 0) << "no write after the last commit";

  // Without --resume the unfinished job is not silently abandoned.
  auto refused = ferry({"sync", "products", "--full"});
  EXPECT_EQ(refused->wait(60), 1) << refused->log();
  EXPECT_NE(refused->log().find("pass --resume"), std::string::npos)
      << refused->log();

  shop_.admin("POST", "/admin/faults", {{"latency_ms", 0}});
  auto second = ferry({"sync", "products", "--full", "--resume"});
  ASSERT_EQ(second->wait(120), 0) << second->log();
  auto log = second->log();
  EXPECT_NE(log.find("resuming job " + std::to_string(job->id)),
            std::string::npos)
      << log;
  // Not a terminal: one plain line per page.
  EXPECT_NE(log.find("page 10: 10000 read"), std::string::npos) << log;
  EXPECT_NE(log.find("job " + std::to_string(job->id) + " done"),
            std::string::npos)
      << log;

  auto done = newest_job(db_.url());
  ASSERT_TRUE(done);
  EXPECT_EQ(done->id, job->id);
  EXPECT_EQ(done->status, "done");
  EXPECT_EQ(done->pages, items / 1000);
  EXPECT_EQ(done->read, items);
  EXPECT_EQ(done->dead_lettered, 0);
  // What the killed run wrote after its last commit counts as skipped.
  EXPECT_EQ(done->skipped, uncommitted);
  EXPECT_EQ(done->written + done->skipped, items);

  auto writes = shop_.admin("GET", "/admin/product-writes");
  EXPECT_EQ(writes["total"].get<std::int64_t>(), items) << writes.dump();
  EXPECT_EQ(writes["skus"].get<std::int64_t>(), items);
  EXPECT_TRUE(writes["repeated"].empty())
      << writes["repeated"].size() << " SKUs written more than once, e.g. "
      << writes["repeated"].begin().key();
  auto products = shop_.admin("GET", "/admin/products");
  EXPECT_EQ(products["total_count"].get<int>(), items);
  auto one = shop_.admin("GET", "/admin/products/IT-05000");
  EXPECT_EQ(one.value("sku", ""), "IT-05000") << one.dump();

  // Nothing left to resume.
  auto again = ferry({"sync", "products", "--full", "--resume"});
  EXPECT_EQ(again->wait(60), 1) << again->log();
  EXPECT_NE(again->log().find("no unfinished"), std::string::npos)
      << again->log();

  // The job through the API of `ferry run`.
  auto run = ferry({"run"});
  api_client api(dir_.path() + "/data", api_port_);
  std::string admin;
  ASSERT_TRUE(test::wait_until(
      [&] {
        admin = api.token("operator", admin_secret);
        return !admin.empty();
      },
      90s, 200ms))
      << run->log();
  auto path = "/api/v1/jobs/" + std::to_string(job->id);
  EXPECT_EQ(api.get(path, "").first, 401);
  EXPECT_EQ(api.get(path, api.token("storefront", reader_secret)).first, 403);
  auto [status, body] = api.get(path, admin);
  ASSERT_EQ(status, 200) << body.dump();
  EXPECT_EQ(body["id"], job->id);
  EXPECT_EQ(body["kind"], "sync_products_full");
  EXPECT_EQ(body["status"], "done");
  EXPECT_EQ(body["counts"]["read"], items);
  EXPECT_EQ(body["counts"]["written"], done->written);
  EXPECT_EQ(body["counts"]["skipped_unchanged"], done->skipped);
  EXPECT_EQ(body["counts"]["dead_lettered"], 0);
  EXPECT_EQ(body["pages"], items / 1000);
  EXPECT_EQ(body["cursor"], "");
  EXPECT_TRUE(body["started_at"].is_string());
  EXPECT_TRUE(body["updated_at"].is_string());
  EXPECT_TRUE(body["finished_at"].is_string());
  EXPECT_GT(body["items_per_second"].get<double>(), 0.0);
  EXPECT_EQ(api.get("/api/v1/jobs/999999", admin).first, 404);
  EXPECT_EQ(api.get("/api/v1/jobs/abc", admin).first, 400);
  run->stop();
}

} // namespace ferry
