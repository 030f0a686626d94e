#include "mapping/json_text.hpp"

#include <gtest/gtest.h>

namespace ferry {
namespace {

std::string nested(std::size_t levels, char open = '[', char close = ']') {
  return std::string(levels, open) + std::string(levels, close);
}

TEST(json_text, depth_counts_arrays_and_objects_not_brackets_in_strings) {
  EXPECT_FALSE(json_deeper_than(nested(32), 32));
  EXPECT_TRUE(json_deeper_than(nested(33), 32));
  EXPECT_FALSE(
      json_deeper_than(R"({"a":"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["})", 2));
  EXPECT_FALSE(json_deeper_than(R"(["\"[[[["])", 1));
  EXPECT_TRUE(json_deeper_than(R"({"a":{"b":[1]}})", 2));
}

// The report's request: a 400 KB body whose customer_id is 200,000 nested
// arrays. Parsing and printing it recursed until the stack ran out.
TEST(json_text, a_body_nested_200000_levels_is_refused_without_recursion) {
  auto body =
      R"({"customer_id":)" + nested(200000) + R"(,"items":[{"sku":"AB-1"}]})";
  auto parsed = parse_bounded_json(body);
  EXPECT_NE(parsed.error.find("deeper than 32 levels"), std::string::npos)
      << parsed.error;
}

TEST(json_text, bounded_parse_names_the_byte_and_never_quotes_the_text) {
  auto parsed = parse_bounded_json(R"({"email":"ann@example.com",})");
  EXPECT_NE(parsed.error.find("byte"), std::string::npos) << parsed.error;
  EXPECT_EQ(parsed.error.find("ann@"), std::string::npos) << parsed.error;
  auto ok = parse_bounded_json(R"({"a":[1,2,{"b":null}]})");
  EXPECT_EQ(ok.error, "");
  EXPECT_EQ(ok.value["a"][2].count("b"), 1u);
}

TEST(json_text, nul_escapes_are_found_and_escaped_backslashes_are_not) {
  EXPECT_TRUE(holds_nul_escape(R"({"name":"a\u0000b"})"));
  EXPECT_TRUE(holds_nul_escape(R"({"name":"a\\\u0000"})"));
  EXPECT_FALSE(holds_nul_escape(R"({"name":"a\\u0000b"})"));
  EXPECT_FALSE(holds_nul_escape(R"({"name":"a\u0001b"})"));
  EXPECT_FALSE(holds_nul_escape(R"({"name":"plain"})"));
}

TEST(json_text, the_field_holding_nul_is_named) {
  auto order = nlohmann::json::parse(
      R"({"increment_id":"1","items":[{"sku":"A"},{"sku":"B","name":"x\u0000"}]})");
  EXPECT_EQ(nul_character_path(order), "items[1].name");
  EXPECT_EQ(nul_character_path(nlohmann::json::parse(R"({"a":[1,"ok"]})")), "");
}

} // namespace
} // namespace ferry
