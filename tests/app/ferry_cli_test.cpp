// The `ferry` command line, run as a separate process as an operator would.

#include "tests/support/child_process.hpp"
#include "tests/support/test_env.hpp"

#include <fstream>
#include <gtest/gtest.h>
#include <sstream>
#include <string>
#include <vector>

namespace {

using ferry::test::child_process;

struct outcome {
  int status;
  std::string output;
};

outcome run_ferry(std::vector<std::string> args,
                  std::map<std::string, std::string> env = {}) {
  args.insert(args.begin(), FERRY_BIN);
  child_process ferry(args, env);
  int status = ferry.wait(60);
  return {status, ferry.log()};
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line))
    lines.push_back(line);
  return lines;
}

bool has_line_starting(const std::string& output, const std::string& prefix) {
  for (const auto& line : lines_of(output))
    if (line.rfind(prefix, 0) == 0)
      return true;
  return false;
}

} // namespace

TEST(ferry_cli, check_config_accepts_the_example) {
  auto r = run_ferry({"check-config", std::string(FERRY_SOURCE_DIR) +
                                          "/config/ferry.example.yaml"});
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_EQ(r.output, "ok\n");
}

TEST(ferry_cli, check_config_names_each_key_with_its_line) {
  ferry::test::temp_dir dir;
  auto file = dir.path() + "/broken.yaml";
  std::ofstream(file) << "ops:\n"
                         "  listen: nowhere\n"
                         "erp:\n"
                         "  max_sesions: 4\n"
                         "  timezone: Mars/Olympus\n"
                         "  password: inline\n"
                         "  password_file: /nonexistent/pw\n"
                         "approvals:\n"
                         "  thresholds:\n"
                         "    USD: 5000.00\n"
                         "logging:\n"
                         "  level: loud\n";
  auto r = run_ferry({"check-config", file});
  EXPECT_EQ(r.status, 1) << r.output;
  for (auto* expected :
       {":2: ops.listen: ", ":4: erp.max_sesions: unknown key",
        ":5: erp.timezone: unknown IANA time zone", ":6: erp.password: ",
        ":10: approvals.thresholds.USD: ", ":12: logging.level: "})
    EXPECT_TRUE(has_line_starting(r.output, file + expected))
        << "no line " << file << expected << " in:\n"
        << r.output;
  EXPECT_NE(r.output.find("did you mean \"max_sessions\""), std::string::npos);
  EXPECT_NE(r.output.find("6 errors in " + file), std::string::npos)
      << r.output;
  EXPECT_EQ(r.output.find("inline"), std::string::npos)
      << "a secret was printed:\n"
      << r.output;
}

TEST(ferry_cli, check_config_reports_bad_environment_overrides) {
  auto r = run_ferry({"check-config", std::string(FERRY_SOURCE_DIR) +
                                          "/config/ferry.example.yaml"},
                     {{"FERRY_ERP_CALL_TIMEOUT", "10"}});
  EXPECT_EQ(r.status, 1) << r.output;
  EXPECT_TRUE(has_line_starting(
      r.output, "env FERRY_ERP_CALL_TIMEOUT: erp.call_timeout: expected a "
                "duration"))
      << r.output;
}

TEST(ferry_cli, check_config_of_a_missing_file_names_it) {
  auto r = run_ferry({"check-config", "/nonexistent/ferry.yaml"});
  EXPECT_EQ(r.status, 1);
  EXPECT_TRUE(has_line_starting(
      r.output, "/nonexistent/ferry.yaml: cannot read the config file"))
      << r.output;
}

TEST(ferry_cli, run_refuses_an_invalid_config_before_starting) {
  ferry::test::temp_dir dir;
  auto file = dir.path() + "/ferry.yaml";
  std::ofstream(file) << "erp:\n  max_sessions: 0\n";
  auto r = run_ferry({"run", "--config", file});
  EXPECT_EQ(r.status, 1) << r.output;
  EXPECT_TRUE(has_line_starting(r.output, file + ":2: erp.max_sessions: "))
      << r.output;
}

TEST(ferry_cli, version_help_and_bad_usage) {
  auto version = run_ferry({"version"});
  EXPECT_EQ(version.status, 0);
  EXPECT_EQ(version.output.rfind("ferry ", 0), 0u) << version.output;
  auto help = run_ferry({"help"});
  EXPECT_EQ(help.status, 0);
  for (auto* command :
       {"run", "migrate", "check-config", "replay dead-letter ID", "version"})
    EXPECT_NE(help.output.find(std::string("  ") + command), std::string::npos)
        << command;
  auto unknown = run_ferry({"frobnicate"});
  EXPECT_EQ(unknown.status, 2);
  EXPECT_NE(unknown.output.find("unknown command \"frobnicate\""),
            std::string::npos);
  auto no_file = run_ferry({"check-config"});
  EXPECT_EQ(no_file.status, 2);
  auto stray = run_ferry({"migrate", "--verbose"});
  EXPECT_EQ(stray.status, 2);
  EXPECT_NE(stray.output.find("unexpected argument \"--verbose\""),
            std::string::npos);
  auto no_id = run_ferry({"replay", "dead-letter"});
  EXPECT_EQ(no_id.status, 2) << no_id.output;
  EXPECT_NE(no_id.output.find("usage: ferry replay dead-letter ID"),
            std::string::npos)
      << no_id.output;
  auto bad_id = run_ferry({"replay", "dead-letter", "12x"});
  EXPECT_EQ(bad_id.status, 2) << bad_id.output;
  EXPECT_NE(bad_id.output.find("dead letter ID \"12x\" is not a positive"),
            std::string::npos)
      << bad_id.output;
}
