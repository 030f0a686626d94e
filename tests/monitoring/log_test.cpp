#include "config/ferry_config.hpp"
#include "monitoring/log.hpp"

#include <gtest/gtest.h>
#include <mutex>
#include <nlohmann/json.hpp>
#include <regex>
#include <thread>
#include <vector>

using namespace ferry::monitoring;
using nlohmann::json;

namespace {

/// Captures log lines for one test and restores stderr and the level after.
class captured_log : public ::testing::Test {
protected:
  void SetUp() override {
    set_log_sink([this](const std::string& line) { lines_.push_back(line); });
    set_log_level(log_level::debug);
  }
  void TearDown() override {
    set_log_sink(nullptr);
    set_log_level(log_level::info);
  }
  json line(std::size_t i) const { return json::parse(lines_.at(i)); }

  std::vector<std::string> lines_; // written under the logger's lock
};

} // namespace

TEST_F(captured_log, writes_one_json_object_per_line) {
  log_info("shop", "webhook accepted", {{"event_id", "e-1"}, {"count", 3}});
  ASSERT_EQ(lines_.size(), 1u);
  EXPECT_EQ(lines_[0].find('\n'), std::string::npos);
  auto l = line(0);
  EXPECT_EQ(l["level"], "info");
  EXPECT_EQ(l["component"], "shop");
  EXPECT_EQ(l["msg"], "webhook accepted");
  EXPECT_EQ(l["event_id"], "e-1");
  EXPECT_EQ(l["count"], 3);
  std::regex iso(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)");
  EXPECT_TRUE(std::regex_match(l["ts"].get<std::string>(), iso)) << l["ts"];
  EXPECT_EQ(lines_[0].rfind("{\"ts\":", 0), 0u) << "ts comes first";
}

TEST_F(captured_log, personal_fields_are_masked_and_secrets_hidden) {
  log_warn("customer_sync", "customer ann@example.com rejected",
           {{"email", "ann@example.com"},
            {"first_name", "Ann"},
            {"phone", "+49 170 1234567"},
            {"street", "Main St 12"},
            {"password", "hunter2"},
            {"client_secret", "s3cr3t"},
            {"Authorization", "Bearer abc.def"},
            {"customer", {{"email", "bob@example.com"}, {"id", 7}}}});
  ASSERT_EQ(lines_.size(), 1u);
  EXPECT_EQ(lines_[0].find("ann@"), std::string::npos) << lines_[0];
  EXPECT_EQ(lines_[0].find("hunter2"), std::string::npos) << lines_[0];
  EXPECT_EQ(lines_[0].find("s3cr3t"), std::string::npos) << lines_[0];
  EXPECT_EQ(lines_[0].find("abc.def"), std::string::npos) << lines_[0];
  auto l = line(0);
  EXPECT_EQ(l["msg"], "customer a***@example.com rejected");
  EXPECT_EQ(l["email"], "a***@example.com");
  EXPECT_EQ(l["first_name"], "A**");
  EXPECT_EQ(l["phone"], "+** *** *****67");
  EXPECT_EQ(l["street"], "M*** S* **");
  EXPECT_EQ(l["password"], "***");
  EXPECT_EQ(l["client_secret"], "***");
  EXPECT_EQ(l["Authorization"], "***");
  EXPECT_EQ(l["customer"]["email"], "b***@example.com");
  EXPECT_EQ(l["customer"]["id"], 7);
}

TEST_F(captured_log, levels_below_the_minimum_are_dropped) {
  set_log_level(log_level::warn);
  log_debug("c", "debug");
  log_info("c", "info");
  log_warn("c", "warn");
  log_error("c", "error");
  ASSERT_EQ(lines_.size(), 2u);
  EXPECT_EQ(line(0)["level"], "warn");
  EXPECT_EQ(line(1)["level"], "error");
}

TEST_F(captured_log, reserved_names_and_bad_utf8_do_not_break_lines) {
  log_info("c", "m", {{"msg", "field"}, {"raw", std::string("\xff\xfe")}});
  ASSERT_EQ(lines_.size(), 1u);
  auto l = line(0);
  EXPECT_EQ(l["msg"], "m");
  EXPECT_EQ(l["field_msg"], "field");
}

TEST_F(captured_log, lines_from_many_threads_stay_whole) {
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([t] {
      for (int i = 0; i < 250; ++i)
        log_info("worker", "tick", {{"thread", t}, {"i", i}});
    });
  for (auto& t : threads)
    t.join();
  ASSERT_EQ(lines_.size(), 1000u);
  for (const auto& l : lines_)
    EXPECT_NO_THROW(json::parse(l)) << l;
}

TEST(log_levels, parse_names) {
  log_level level = log_level::info;
  EXPECT_TRUE(parse_log_level("debug", level));
  EXPECT_EQ(level, log_level::debug);
  EXPECT_TRUE(parse_log_level("warning", level));
  EXPECT_EQ(level, log_level::warn);
  EXPECT_FALSE(parse_log_level("verbose", level));
  EXPECT_EQ(level, log_level::warn) << "unchanged on bad input";
}

// The effective-config line `ferry run` writes at start: secrets hidden,
// e-mail addresses masked one by one, everything else readable.
TEST_F(captured_log, effective_config_line_hides_secrets_and_stays_useful) {
  auto loaded = ferry::config::load_config_text(
      "smtp:\n  approver_emails: [boss@example.com, deputy@example.com]\n"
      "  password: smtp-pw\n"
      "api:\n  signing_key: " +
          std::string(32, 'S') + "\n",
      {}, "test.yaml", ".");
  ASSERT_TRUE(loaded.ok());
  log_info("run", "effective config",
           {{"config", ferry::config::to_redacted_json(loaded.config)}});
  ASSERT_EQ(lines_.size(), 1u);
  EXPECT_EQ(lines_[0].find("smtp-pw"), std::string::npos) << lines_[0];
  EXPECT_EQ(lines_[0].find("SSSS"), std::string::npos) << lines_[0];
  EXPECT_EQ(lines_[0].find("boss@"), std::string::npos) << lines_[0];
  auto config = line(0)["config"];
  EXPECT_EQ(config["api"]["token_ttl"], "1h");
  EXPECT_EQ(config["api"]["signing_key"], "***");
  EXPECT_EQ(config["smtp"]["password"], "***");
  EXPECT_EQ(config["catalog"]["field_owner"]["name"], "erp");
  EXPECT_EQ(config["smtp"]["approver_emails"],
            json({"b***@example.com", "d***@example.com"}));
}
