#include "config/values.hpp"

#include <gtest/gtest.h>

namespace ferry::config {
namespace {

TEST(load_time_zone, refuses_unknown_and_unsafe_names) {
  EXPECT_EQ(load_time_zone("Mars/Olympus_Mons"), nullptr);
  EXPECT_EQ(load_time_zone("../../etc/passwd"), nullptr);
  EXPECT_EQ(load_time_zone("/etc/passwd"), nullptr);
  EXPECT_EQ(load_time_zone(""), nullptr);
}

TEST(load_time_zone, loads_a_zone_once_and_converts_with_it) {
  auto zone = load_time_zone("America/Chicago");
  ASSERT_NE(zone, nullptr);
  EXPECT_EQ(zone, load_time_zone("America/Chicago")) << "cached";
  auto utc = parse_utc_timestamp("2026-07-01 12:00:00");
  ASSERT_TRUE(utc);
  EXPECT_EQ(erp_local_time(*utc, *zone), "2026-07-01T07:00:00"); // CDT
}

TEST(load_time_zone, agrees_with_the_config_check) {
  std::string why;
  EXPECT_TRUE(check_time_zone("Europe/Berlin", why));
  EXPECT_NE(load_time_zone("Europe/Berlin"), nullptr);
  EXPECT_FALSE(check_time_zone("Europe/Atlantis", why));
  EXPECT_EQ(load_time_zone("Europe/Atlantis"), nullptr);
}

} // namespace
} // namespace ferry::config
