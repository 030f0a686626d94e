// Customers both ways end to end: `ferry run` with ferry-sim-shop (sending
// its webhooks to Ferry) and ferry-sim-erp as separate processes, on a
// scratch database. New shop account → ERP customer and erp_customer_no
// back in the shop; a known email in another case maps to the existing ERP
// customer; a bad email is dead-lettered; an ERP-side rename and price
// group reach the shop; Ferry's own ERP write is not synced back; accounts
// whose customers/create never arrived (the shop's seeded ones, a lost
// webhook) reach the ERP through the shop poller; an ERP change that
// cannot be saved is read again, or dead-lettered, never skipped.

#include "protocols/http/client.hpp"
#include "protocols/soap/erp_client.hpp"
#include "protocols/tls.hpp"
#include "protocols/webhook_signature.hpp"
#include "tests/protocols/erp_sim_fixture.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/services.hpp"
#include "tests/support/test_env.hpp"

#include <fstream>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <optional>
#include <pqxx/pqxx>

using namespace std::chrono_literals;
using nlohmann::json;

namespace ferry {
namespace {

const std::string webhook_secret = "customer-sync-webhook-secret";
const std::string shop_secret = "customer-sync-shop-secret";

class customer_sync_env : public ::testing::Test {
public:
  static void SetUpTestSuite() { env_ = new env(); }
  static void TearDownTestSuite() { delete env_; }

  struct env {
    test::scratch_database db;
    test::temp_dir dir;
    test::erp_simulator erp;
    int api_port = test::free_port();
    int shop_admin_port = 0;
    tls::certificate_files certs;
    std::unique_ptr<test::child_process> shop;
    std::unique_ptr<test::child_process> ferry;
    http::client client{http::client_settings{}};
    std::unique_ptr<http::client> api_client;

    env() {
      // Ferry's API certificate, made before the shop needs to trust it.
      certs = tls::ensure_self_signed_certificate(dir.path() + "/data/certs");
      shop = std::make_unique<test::child_process>(std::vector<std::string>{
          FERRY_SIM_SHOP_BIN, "--data-dir", dir.path() + "/shop",
          "--seed-customers", "3", "--seed-products", "5", "--client-secret",
          shop_secret, "--webhook-secret", webhook_secret, "--webhook-url",
          "https://127.0.0.1:" + std::to_string(api_port) + "/webhooks/shop",
          "--webhook-ca-file", certs.ca_file});
      json started;
      EXPECT_TRUE(test::wait_until(
          [&] {
            auto log = shop->log();
            auto at = log.find("{\"admin_port\"");
            auto end = at == std::string::npos ? at : log.find('\n', at);
            if (end == std::string::npos)
              return false;
            started = json::parse(log.substr(at, end - at));
            return true;
          },
          60s))
          << shop->log();
      shop_admin_port = started["admin_port"];
      auto path = dir.path() + "/ferry.yaml";
      std::ofstream(path)
          << "node:\n  id: customers-it\n  data_dir: " << dir.path()
          << "/data\n"
          << "ops:\n  listen: 127.0.0.1:" << test::free_port() << "\n"
          << "api:\n  listen: 127.0.0.1:" << api_port << "\n"
          << "database:\n  url: " << db.url() << "\n  pool_size: 4\n"
          << "redis:\n  host: " << test::redis_host()
          << "\n  port: " << test::redis_port()
          << "\n  key_prefix: 'customers-it:'\n"
          << "smtp:\n  port: " << test::smtp_port()
          << "\n"
          // The lost-webhook test waits for the shop poller.
          << "shop:\n  poll_interval: 1s\n  base_url: https://localhost:"
          << started["https_port"].get<int>()
          << "\n  client_secret: " << shop_secret
          << "\n  ca_file: " << started["ca_file"].get<std::string>()
          << "\n  webhook_secrets: [" << webhook_secret << "]\n"
          << "erp:\n  endpoint: " << erp.endpoint()
          << "\n  ca_file: " << erp.ca_file()
          << "\n"
          // A short breaker cool-down: the outage tests' ERP comes back
          // within the customers' retries.
          << "  breaker:\n    cool_down: 300ms\n"
          << "customers:\n  poll_interval: 1s\n  price_group_to_group_id:\n"
          << "    RETAIL: 1\n    WHOLESALE: 2\n"
          << "  retry:\n    max_attempts: 6\n    first_delay: 500ms\n"
          << "    max_delay: 2s\n";
      ferry = std::make_unique<test::child_process>(
          std::vector<std::string>{FERRY_BIN, "run", "--config", path},
          std::map<std::string, std::string>{
              {"FERRY_ERP_PASSWORD", test::erp_simulator::password()}});
      http::client_settings s;
      s.ca_file = certs.ca_file;
      api_client = std::make_unique<http::client>(s);
      // Up once the webhook endpoint answers (a bad signature: 401).
      EXPECT_TRUE(test::wait_until(
          [&] {
            http::client_request r;
            r.method = "POST";
            r.url = "https://127.0.0.1:" + std::to_string(api_port) +
                    "/webhooks/shop";
            r.body = "{}";
            auto res = api_client->send(r);
            return res.response.has_value();
          },
          90s, 200ms))
          << ferry->log();
    }

    json shop_admin(const std::string& method, const std::string& path,
                    const json& body = nullptr) {
      auto res = test::http_request(
          method, "http://127.0.0.1:" + std::to_string(shop_admin_port) + path,
          body.is_null() ? std::string{} : body.dump());
      return json::parse(res.body, nullptr, false);
    }

    json shop_customer(std::int64_t id) {
      auto all = shop_admin("GET", "/admin/customers");
      for (auto& c : all["items"])
        if (c["id"].get<std::int64_t>() == id)
          return c;
      return json{};
    }

    static std::string attribute(const json& customer, const char* code) {
      if (!customer.contains("custom_attributes"))
        return {};
      for (auto& a : customer["custom_attributes"])
        if (a.value("attribute_code", "") == code)
          return a.value("value", "");
      return {};
    }

    /// The inbox rows as text, for failure messages.
    std::string inbox_text() {
      std::string out;
      for (const auto& row : query("SELECT topic, status, attempts, "
                                   "coalesce(last_error, '') FROM inbox"))
        out += row[0].as<std::string>() + " " + row[1].as<std::string>() + " " +
               row[2].as<std::string>() + " " + row[3].as<std::string>() + "\n";
      for (const auto& row : query("SELECT entity, entity_id, reason "
                                   "FROM dead_letter"))
        out += "dead letter: " + row[0].as<std::string>() + " " +
               row[1].as<std::string>() + " " + row[2].as<std::string>() + "\n";
      return out;
    }

    /// A new shop account; its id.
    std::int64_t new_shop_account(const std::string& email) {
      auto created = shop_admin(
          "POST", "/admin/customers",
          {{"email", email}, {"firstname", "Olga"}, {"lastname", "Outage"}});
      EXPECT_TRUE(created.contains("id")) << created.dump();
      return created.value("id", std::int64_t{0});
    }

    /// The inbox row of a shop account's customers/create event:
    /// (status, attempts), or nothing before it arrives.
    std::optional<std::pair<std::string, int>> event_of(std::int64_t id) {
      auto rows = query("SELECT status, attempts FROM inbox WHERE topic = "
                        "'customers/create' AND payload->>'id' = '" +
                        std::to_string(id) + "'");
      if (rows.empty())
        return std::nullopt;
      return std::make_pair(rows[0][0].as<std::string>(), rows[0][1].as<int>());
    }

    /// The ERP customer number the shop shows for an account ("" before).
    std::string erp_number_of(std::int64_t id) {
      return attribute(shop_customer(id), "erp_customer_no");
    }

    /// A new shop account, once it has its ERP customer number.
    std::pair<std::int64_t, std::string>
    linked_shop_account(const std::string& email) {
      auto id = new_shop_account(email);
      std::string no;
      EXPECT_TRUE(test::wait_until(
          [&] {
            no = erp_number_of(id);
            return !no.empty();
          },
          60s, 50ms))
          << inbox_text() << ferry->log();
      return {id, no};
    }

    pqxx::result query(const std::string& sql) {
      pqxx::connection conn(db.url());
      pqxx::nontransaction tx(conn);
      return tx.exec(sql);
    }
  };

  static env* env_;
};

customer_sync_env::env* customer_sync_env::env_ = nullptr;

TEST_F(customer_sync_env, a_new_shop_account_becomes_an_erp_customer) {
  erp_client erp(env_->erp.client_settings());
  auto created = env_->shop_admin("POST", "/admin/customers",
                                  {{"email", "Nora.New@Example.com"},
                                   {"firstname", "Nora"},
                                   {"lastname", "New"}});
  ASSERT_TRUE(created.contains("id")) << created.dump();
  auto id = created["id"].get<std::int64_t>();
  std::string customer_no;
  ASSERT_TRUE(test::wait_until(
      [&] {
        customer_no =
            env_->attribute(env_->shop_customer(id), "erp_customer_no");
        return !customer_no.empty();
      },
      30s, 50ms))
      << "shop: " << env_->shop_customer(id).dump()
      << "\ninbox: " << env_->inbox_text() << "\n"
      << env_->ferry->log();
  auto found = erp.find_customer("nora.new@example.com");
  ASSERT_TRUE(found.ok()) << found.error().message;
  ASSERT_TRUE(found.value().has_value());
  EXPECT_EQ(found.value()->customer_no, customer_no);
  EXPECT_EQ(found.value()->email, "nora.new@example.com");
  EXPECT_EQ(found.value()->first_name, "Nora");
  EXPECT_EQ(found.value()->external_customer_id, std::to_string(id));
  // The log row is written after the shop has the number: wait for it.
  pqxx::result log;
  ASSERT_TRUE(test::wait_until(
      [&] {
        log = env_->query("SELECT outcome, latency_ms FROM sync_log WHERE "
                          "entity = 'customer' "
                          "AND direction = 'shop_to_erp' AND entity_id = '" +
                          std::to_string(id) + "'");
        return !log.empty();
      },
      30s, 50ms));
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0][0].as<std::string>(), "ok");
  // The < 1 s goal is a speed figure (see bench/), not asserted here: the
  // latency only has to be recorded.
  EXPECT_GE(log[0][1].as<long>(), 0);

  // No echo: the ERP poll sees the new customer, recognises Ferry's own
  // write and does not push it back to the shop.
  auto modified = found.value()->modified_at;
  ASSERT_TRUE(test::wait_until(
      [&] {
        auto cursor = env_->query(
            "SELECT cursor_at FROM sync_cursor WHERE name = 'customers.erp'");
        return !cursor.empty() && cursor[0][0].as<std::string>() >= modified;
      },
      30s, 100ms));
  auto back = env_->query(
      "SELECT count(*) FROM sync_log WHERE entity = 'customer' AND direction "
      "= 'erp_to_shop' AND entity_id = '" +
      customer_no + "'");
  EXPECT_EQ(back[0][0].as<int>(), 0);
}

/// Ends an ERP outage whatever the test's outcome.
struct erp_outage {
  const test::erp_simulator& erp;
  explicit erp_outage(const test::erp_simulator& sim) : erp(sim) {
    erp.faults({{"outage", "503"}});
  }
  ~erp_outage() { end(); }
  void end() { erp.faults({{"outage", "none"}}); }
};

// A shop account made while the ERP is down is tried again after growing
// waits, not in a tight loop, and reaches the ERP once it is back.
TEST_F(customer_sync_env, an_account_made_during_an_erp_outage_waits_it_out) {
  erp_outage outage{env_->erp};
  auto id = env_->new_shop_account("olga.waits@example.com");
  ASSERT_TRUE(test::wait_until(
      [&] {
        auto e = env_->event_of(id);
        return e && e->first == "pending" && e->second >= 2;
      },
      60s, 50ms))
      << env_->inbox_text() << env_->ferry->log();
  // The second failed attempt waits a second before the third: not
  // claimed meanwhile (a tight loop would have used the six attempts).
  EXPECT_LT(env_->event_of(id)->second, 6) << env_->inbox_text();
  outage.end();
  std::string customer_no;
  ASSERT_TRUE(test::wait_until(
      [&] {
        customer_no =
            env_->attribute(env_->shop_customer(id), "erp_customer_no");
        return !customer_no.empty();
      },
      60s, 50ms))
      << env_->inbox_text() << env_->ferry->log();
  ASSERT_TRUE(test::wait_until(
      [&] { return env_->event_of(id)->first == "done"; }, 30s, 50ms))
      << env_->inbox_text();
  EXPECT_GE(env_->event_of(id)->second, 3);
  auto retries = env_->query(
      "SELECT count(*) FROM sync_log WHERE entity = 'customer' AND outcome = "
      "'retry' AND entity_id = '" +
      std::to_string(id) + "'");
  EXPECT_GE(retries[0][0].as<int>(), 2);
  auto letters = env_->query("SELECT count(*) FROM dead_letter WHERE "
                             "entity = 'customer' AND entity_id = '" +
                             std::to_string(id) + "'");
  EXPECT_EQ(letters[0][0].as<int>(), 0);
}

// An outage that outlasts the attempts: the account is dead-lettered with
// the reason (replayable), and its event is failed, not retried forever.
TEST_F(customer_sync_env, an_outage_longer_than_the_retries_dead_letters) {
  erp_outage outage{env_->erp};
  auto id = env_->new_shop_account("olga.gives.up@example.com");
  pqxx::result letter;
  ASSERT_TRUE(test::wait_until(
      [&] {
        letter = env_->query("SELECT reason, payload->>'email' FROM dead_letter"
                             " WHERE entity = 'customer' AND entity_id = '" +
                             std::to_string(id) + "'");
        return !letter.empty();
      },
      90s, 100ms))
      << env_->inbox_text() << env_->ferry->log();
  auto reason = letter[0][0].as<std::string>();
  EXPECT_NE(reason.find("given up after 6 attempts"), std::string::npos)
      << reason;
  EXPECT_EQ(letter[0][1].as<std::string>(), "olga.gives.up@example.com")
      << "the dead letter keeps the event as received, for a replay";
  auto event = env_->event_of(id);
  ASSERT_TRUE(event);
  EXPECT_EQ(event->first, "failed");
  EXPECT_EQ(event->second, 6);
}

// The shop's seeded accounts were made before Ferry ran: no webhook ever
// announced them. The shop poller offers them as customers/update; each
// becomes an ERP customer like a new account.
TEST_F(customer_sync_env, accounts_ferry_never_heard_of_reach_the_erp) {
  erp_client erp(env_->erp.client_settings());
  for (std::int64_t id = 1; id <= 3; ++id) {
    std::string no;
    ASSERT_TRUE(test::wait_until(
        [&] {
          no = env_->erp_number_of(id);
          return !no.empty();
        },
        60s, 50ms))
        << "seeded account " << id << "\n"
        << env_->inbox_text() << env_->ferry->log();
    auto email = env_->shop_customer(id)["email"].get<std::string>();
    auto found = erp.find_customer(email);
    ASSERT_TRUE(found.ok()) << found.error().message;
    ASSERT_TRUE(found.value().has_value()) << email;
    EXPECT_EQ(found.value()->customer_no, no);
  }
}

/// Ends a webhook loss whatever the test's outcome.
struct webhook_loss {
  customer_sync_env::env& env;
  explicit webhook_loss(customer_sync_env::env& e) : env(e) {
    env.shop_admin("POST", "/admin/faults", {{"webhook_loss", 1}});
  }
  ~webhook_loss() {
    env.shop_admin("POST", "/admin/faults", {{"webhook_loss", 0}});
  }
};

// Every webhook is lost: the shop poller finds the new account and offers
// it as customers/update, which the customer sync takes for the
// customers/create that never came.
TEST_F(customer_sync_env, an_account_whose_webhook_was_lost_reaches_the_erp) {
  erp_client erp(env_->erp.client_settings());
  std::int64_t id = 0;
  std::string customer_no;
  {
    webhook_loss lost{*env_};
    std::tie(id, customer_no) =
        env_->linked_shop_account("lena.lost@example.com");
    ASSERT_FALSE(customer_no.empty());
  }
  auto found = erp.find_customer("lena.lost@example.com");
  ASSERT_TRUE(found.ok()) << found.error().message;
  ASSERT_TRUE(found.value().has_value());
  EXPECT_EQ(found.value()->customer_no, customer_no);
  auto created = env_->query(
      "SELECT count(*) FROM inbox WHERE topic = 'customers/create' AND "
      "payload->>'id' = '" +
      std::to_string(id) + "'");
  EXPECT_EQ(created[0][0].as<int>(), 0) << "the webhook was lost";
  // Every customers/update of the account ends done: the poller's, and
  // the echoes of Ferry's own write-back, which change nothing.
  ASSERT_TRUE(test::wait_until(
      [&] {
        auto open = env_->query(
            "SELECT count(*) FROM inbox WHERE topic = 'customers/update' AND "
            "status <> 'done' AND payload->>'id' = '" +
            std::to_string(id) + "'");
        return open[0][0].as<int>() == 0;
      },
      30s, 50ms))
      << env_->inbox_text();
  auto log = env_->query(
      "SELECT count(*) FROM sync_log WHERE entity = 'customer' AND direction "
      "= 'shop_to_erp' AND outcome = 'ok' AND entity_id = '" +
      std::to_string(id) + "'");
  EXPECT_EQ(log[0][0].as<int>(), 1) << "created once";
}

/// Makes every save of one ERP customer in Ferry's database fail, until
/// `end` or the end of the test.
struct failing_customer_save {
  customer_sync_env::env& env;
  failing_customer_save(customer_sync_env::env& e, const std::string& no)
      : env(e) {
    env.query("CREATE OR REPLACE FUNCTION test_fail_customer() RETURNS "
              "trigger AS $$ BEGIN IF NEW.customer_no = '" +
              no +
              "' THEN RAISE EXCEPTION 'injected save failure'; END IF; "
              "RETURN NEW; END $$ LANGUAGE plpgsql");
    env.query("CREATE TRIGGER test_fail_customer BEFORE INSERT OR UPDATE ON "
              "erp_customer FOR EACH ROW EXECUTE FUNCTION "
              "test_fail_customer()");
  }
  ~failing_customer_save() { end(); }
  void end() {
    env.query("DROP TRIGGER IF EXISTS test_fail_customer ON erp_customer");
  }
};

/// Renames ERP customer `email` to `last_name` in the ERP.
void rename_in_erp(customer_sync_env::env& env, const std::string& email,
                   const std::string& last_name) {
  erp_client erp(env.erp.client_settings());
  auto found = erp.find_customer(email);
  ASSERT_TRUE(found.ok() && found.value());
  auto changed = *found.value();
  changed.last_name = last_name;
  changed.modified_at.clear();
  auto updated = erp.update_customer(changed);
  ASSERT_TRUE(updated.ok()) << updated.error().message;
}

// An ERP change that Ferry fails to save is read again in the next polls
// (the cursor holds) and reaches the shop once the database takes it.
TEST_F(customer_sync_env, an_erp_change_that_failed_to_save_is_not_lost) {
  auto [id, customer_no] = env_->linked_shop_account("hilde.holds@example.com");
  ASSERT_FALSE(customer_no.empty());
  failing_customer_save failing{*env_, customer_no};
  rename_in_erp(*env_, "hilde.holds@example.com", "Held");
  ASSERT_TRUE(test::wait_until(
      [&] {
        auto log = env_->ferry->log();
        return log.find("ERP customer change not saved") != std::string::npos &&
               log.find(customer_no) != std::string::npos;
      },
      30s, 50ms))
      << env_->ferry->log();
  // One more poll meets the failure again.
  auto polls = env_->erp.requests("GetCustomers");
  ASSERT_TRUE(test::wait_until(
      [&] { return env_->erp.requests("GetCustomers") > polls; }, 30s, 50ms));
  EXPECT_NE(env_->shop_customer(id).value("lastname", ""), "Held");
  failing.end();
  json shop_view;
  EXPECT_TRUE(test::wait_until(
      [&] {
        shop_view = env_->shop_customer(id);
        return shop_view.value("lastname", "") == "Held";
      },
      30s, 100ms))
      << shop_view.dump() << "\n"
      << env_->ferry->log();
}

// A change that never saves (a poison record) is dead-lettered with its
// payload and reason after the attempts, and the flow moves on.
TEST_F(customer_sync_env, an_erp_change_that_never_saves_is_dead_lettered) {
  auto [id, customer_no] =
      env_->linked_shop_account("paula.poison@example.com");
  auto [other_id, other_no] =
      env_->linked_shop_account("otto.other@example.com");
  ASSERT_FALSE(customer_no.empty());
  ASSERT_FALSE(other_no.empty());
  failing_customer_save failing{*env_, customer_no};
  rename_in_erp(*env_, "paula.poison@example.com", "Poison");
  pqxx::result letter;
  ASSERT_TRUE(test::wait_until(
      [&] {
        letter = env_->query(
            "SELECT reason, payload->>'LastName' FROM dead_letter WHERE "
            "source = 'erp' AND entity = 'customer' AND entity_id = '" +
            customer_no + "'");
        return !letter.empty();
      },
      60s, 100ms))
      << env_->inbox_text() << env_->ferry->log();
  EXPECT_NE(letter[0][0].as<std::string>().find("not saved after 6 polls"),
            std::string::npos)
      << letter[0][0].as<std::string>();
  EXPECT_EQ(letter[0][1].as<std::string>(), "Poison");
  // The cursor moved past it: a later change of another customer arrives.
  rename_in_erp(*env_, "otto.other@example.com", "Onward");
  EXPECT_TRUE(test::wait_until(
      [&] {
        return env_->shop_customer(other_id).value("lastname", "") == "Onward";
      },
      30s, 100ms))
      << env_->ferry->log();
}

TEST_F(customer_sync_env,
       a_known_email_in_another_case_maps_to_the_erp_customer) {
  // The seeded shop accounts reach the ERP on their own (see
  // accounts_ferry_never_heard_of_reach_the_erp): count only this
  // account's calls once they are done.
  for (std::int64_t seeded = 1; seeded <= 3; ++seeded)
    ASSERT_TRUE(test::wait_until(
        [&] { return !env_->erp_number_of(seeded).empty(); }, 60s, 50ms))
        << env_->inbox_text();
  auto creates_before = env_->erp.requests("CreateCustomer");
  // The ERP's seeded customer1@example.com is C000001.
  auto created = env_->shop_admin("POST", "/admin/customers",
                                  {{"email", "  CUSTOMER1@Example.COM"},
                                   {"firstname", "Cus"},
                                   {"lastname", "Tomer"}});
  ASSERT_TRUE(created.contains("id")) << created.dump();
  auto id = created["id"].get<std::int64_t>();
  ASSERT_TRUE(test::wait_until(
      [&] {
        return env_->attribute(env_->shop_customer(id), "erp_customer_no") ==
               "C000001";
      },
      30s, 50ms))
      << env_->ferry->log();
  EXPECT_EQ(env_->erp.requests("CreateCustomer"), creates_before);
  auto log =
      env_->query("SELECT message FROM sync_log WHERE entity = 'customer' AND "
                  "direction = 'shop_to_erp' AND entity_id = '" +
                  std::to_string(id) + "'");
  ASSERT_EQ(log.size(), 1u);
  EXPECT_NE(log[0][0].as<std::string>().find("existing ERP customer"),
            std::string::npos)
      << log[0][0].as<std::string>();
}

TEST_F(customer_sync_env, an_invalid_email_is_dead_lettered_with_its_reason) {
  const std::string body = R"({"id":9901,"email":"not-an-address",)"
                           R"("firstname":"Bad","lastname":"Mail",)"
                           R"("group_id":1,"created_at":"2026-11-29 10:00:00",)"
                           R"("updated_at":"2026-11-29 10:00:00",)"
                           R"("custom_attributes":[]})";
  http::client_request r;
  r.method = "POST";
  r.url =
      "https://127.0.0.1:" + std::to_string(env_->api_port) + "/webhooks/shop";
  r.headers.set("Content-Type", "application/json");
  r.headers.set("X-Shop-Topic", "customers/create");
  r.headers.set("X-Shop-Event-Id", "5d0c7a8e-1111-4c53-9a51-3f0c2f6a7d10");
  r.headers.set("X-Shop-Triggered-At", "2026-11-29 10:15:00");
  r.headers.set("X-Shop-Hmac-Sha256", webhook::sign(webhook_secret, body));
  r.body = body;
  auto res = env_->api_client->send(r);
  ASSERT_TRUE(res.response) << res.error_detail;
  ASSERT_EQ(res.response->status, 200) << res.response->body;
  pqxx::result rows;
  ASSERT_TRUE(test::wait_until(
      [&] {
        rows = env_->query("SELECT reason, payload->>'email' FROM dead_letter "
                           "WHERE entity = 'customer' AND entity_id = '9901'");
        return !rows.empty();
      },
      30s, 50ms))
      << "inbox: " << env_->inbox_text() << "\n"
      << env_->ferry->log();
  EXPECT_NE(rows[0][0].as<std::string>().find("customer.email"),
            std::string::npos)
      << rows[0][0].as<std::string>();
  EXPECT_EQ(rows[0][1].as<std::string>(), "not-an-address")
      << "the payload is kept for replay";
  auto inbox = env_->query("SELECT status FROM inbox WHERE event_id = "
                           "'5d0c7a8e-1111-4c53-9a51-3f0c2f6a7d10'");
  ASSERT_EQ(inbox.size(), 1u);
  EXPECT_EQ(inbox[0][0].as<std::string>(), "failed");
}

TEST_F(customer_sync_env, an_erp_side_rename_and_group_reach_the_shop) {
  erp_client erp(env_->erp.client_settings());
  auto created = env_->shop_admin("POST", "/admin/customers",
                                  {{"email", "rita.rename@example.com"},
                                   {"firstname", "Rita"},
                                   {"lastname", "Before"}});
  ASSERT_TRUE(created.contains("id")) << created.dump();
  auto id = created["id"].get<std::int64_t>();
  std::string customer_no;
  ASSERT_TRUE(test::wait_until(
      [&] {
        customer_no =
            env_->attribute(env_->shop_customer(id), "erp_customer_no");
        return !customer_no.empty();
      },
      30s, 50ms));
  auto found = erp.find_customer("rita.rename@example.com");
  ASSERT_TRUE(found.ok() && found.value());
  auto changed = *found.value();
  changed.last_name = "After";
  changed.price_group = "WHOLESALE";
  changed.modified_at.clear();
  auto updated = erp.update_customer(changed);
  ASSERT_TRUE(updated.ok()) << updated.error().message;
  json shop_view;
  EXPECT_TRUE(test::wait_until(
      [&] {
        shop_view = env_->shop_customer(id);
        return shop_view.value("lastname", "") == "After" &&
               shop_view.value("group_id", 0) == 2;
      },
      30s, 100ms))
      << shop_view.dump() << "\n"
      << env_->ferry->log();
  EXPECT_EQ(shop_view.value("firstname", ""), "Rita");
}

} // namespace
} // namespace ferry
