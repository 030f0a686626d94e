#include "config/values.hpp"
#include "mapping/erp_time.hpp"

#include <fstream>
#include <gtest/gtest.h>
#include <sstream>

namespace ferry {
namespace {

struct local_case {
  const char* utc;
  const char* zone;
  const char* local;
};

TEST(erp_local_time, follows_both_dst_transitions) {
  const local_case cases[] = {
      // America/Chicago, spring forward 2026-03-08 02:00 CST → 03:00 CDT.
      {"2026-03-08 07:59:59", "America/Chicago", "2026-03-08T01:59:59"},
      {"2026-03-08 08:00:00", "America/Chicago", "2026-03-08T03:00:00"},
      // Fall back 2026-11-01 02:00 CDT → 01:00 CST: 01:xx happens twice.
      {"2026-11-01 06:59:59", "America/Chicago", "2026-11-01T01:59:59"},
      {"2026-11-01 07:00:00", "America/Chicago", "2026-11-01T01:00:00"},
      // The contract's example: 04:15 UTC is the evening before in Chicago.
      {"2026-11-29 04:15:00", "America/Chicago", "2026-11-28T22:15:00"},
      {"2026-07-01 12:00:00", "America/Chicago", "2026-07-01T07:00:00"},
      // Southern hemisphere and a half-hour zone.
      {"2026-01-15 00:00:00", "Australia/Sydney", "2026-01-15T11:00:00"},
      {"2026-07-15 00:00:00", "Australia/Sydney", "2026-07-15T10:00:00"},
      {"2026-06-01 00:00:00", "Asia/Kolkata", "2026-06-01T05:30:00"},
      {"2026-06-01 00:00:00", "UTC", "2026-06-01T00:00:00"},
      {"2026-03-29 00:59:59", "Europe/Berlin", "2026-03-29T01:59:59"},
      {"2026-03-29 01:00:00", "Europe/Berlin", "2026-03-29T03:00:00"},
      // After the tz database's last listed transition: the footer's rule.
      {"2045-03-12 07:59:59", "America/Chicago", "2045-03-12T01:59:59"},
      {"2045-03-12 08:00:00", "America/Chicago", "2045-03-12T03:00:00"},
      {"2045-11-05 06:59:59", "America/Chicago", "2045-11-05T01:59:59"},
      {"2045-11-05 07:00:00", "America/Chicago", "2045-11-05T01:00:00"},
      // Year boundary and leap day.
      {"2028-02-29 05:59:59", "America/Chicago", "2028-02-28T23:59:59"},
      {"2027-01-01 03:00:00", "America/Chicago", "2026-12-31T21:00:00"},
  };
  for (const auto& c : cases) {
    auto zone = config::load_time_zone(c.zone);
    ASSERT_NE(zone, nullptr) << c.zone;
    auto utc = parse_utc_timestamp(c.utc);
    ASSERT_TRUE(utc.has_value()) << c.utc;
    EXPECT_EQ(erp_local_time(*utc, *zone), c.local) << c.utc << " " << c.zone;
  }
}

TEST(erp_local_time, footer_rule_matches_the_transition_table) {
  // Every hour of 2030–2036 (inside the table) computed both ways.
  std::ifstream in{"/usr/share/zoneinfo/America/Chicago", std::ios::binary};
  ASSERT_TRUE(in);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  auto table = time_zone::from_tzif(bytes.str());
  ASSERT_TRUE(table);
  // The same zone described by its rule only: a TZif image without
  // transitions is what `from_tzif` builds from the footer.
  auto rule_only = time_zone::from_tzif(
      std::string{"TZif2"} + std::string(15, '\0') + std::string(24, '\0') +
      "TZif2" + std::string(15, '\0') + std::string(12, '\0') +
      std::string{"\0\0\0\0\0\0\0\1\0\0\0\4", 12} +
      std::string{"\xff\xff\xab\xa0\0\0", 6} + std::string{"CST\0", 4} +
      "\nCST6CDT,M3.2.0,M11.1.0\n");
  ASSERT_TRUE(rule_only);
  auto from = *parse_utc_timestamp("2030-01-01 00:00:00");
  auto to = *parse_utc_timestamp("2036-12-31 00:00:00");
  for (auto t = from; t < to; t += 1800)
    ASSERT_EQ(table->offset_at(t), rule_only->offset_at(t)) << t;
}

TEST(parse_utc_timestamp, accepts_only_valid_dates_and_times) {
  EXPECT_EQ(parse_utc_timestamp("1970-01-01 00:00:00"), 0);
  EXPECT_EQ(parse_utc_timestamp("1970-01-02T00:00:01Z"), 86401);
  EXPECT_FALSE(parse_utc_timestamp("2026-02-29 00:00:00"));
  EXPECT_FALSE(parse_utc_timestamp("2026-13-01 00:00:00"));
  EXPECT_FALSE(parse_utc_timestamp("2026-01-01 24:00:00"));
  EXPECT_FALSE(parse_utc_timestamp("2026-01-01"));
  EXPECT_FALSE(parse_utc_timestamp("2026-01-01 00:00:00+02:00"));
  EXPECT_FALSE(parse_utc_timestamp(""));
}

} // namespace
} // namespace ferry
