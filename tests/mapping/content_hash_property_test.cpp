// Properties of content hashes over random fields of every script: the
// order fields are set in does not matter, a changed value does.

#include "mapping/content_hash.hpp"
#include "tests/support/property.hpp"

#include <algorithm>
#include <gtest/gtest.h>

namespace ferry::mapping {
namespace {

using namespace ferry::test;

constexpr int cases = 2000;

TEST(content_hash_property, same_fields_in_any_order_give_the_same_hash) {
  for_cases(cases, [](rng_t& rng) {
    std::vector<std::pair<std::string, std::string>> fields;
    for (int i = uniform(rng, 1, 8); i > 0; --i)
      fields.emplace_back("f" + std::to_string(i) + random_text(rng, 10),
                          random_text(rng, 200));
    nlohmann::json a = nlohmann::json::object();
    for (auto& [k, v] : fields)
      a[k] = v;
    std::shuffle(fields.begin(), fields.end(), rng);
    nlohmann::json b = nlohmann::json::object();
    for (auto& [k, v] : fields)
      b[k] = v;
    auto hash = content_hash(a);
    EXPECT_EQ(hash, content_hash(b));
    EXPECT_EQ(hash.size(), 64u);
    EXPECT_EQ(hash.find_first_not_of("0123456789abcdef"), std::string::npos);
    // One changed value, even by one code point, changes the hash.
    auto& [key, value] =
        fields[uniform<std::size_t>(rng, 0, fields.size() - 1)];
    auto changed = b;
    changed[key] = value + random_clean_text(rng, 1);
    EXPECT_NE(content_hash(changed), hash);
  });
}

TEST(content_hash_property, fields_that_are_not_utf8_hash_without_throwing) {
  // An ERP answer is not checked for UTF-8 before its fields are hashed.
  for_cases(cases, [](rng_t& rng) {
    auto broken = random_invalid_utf8(rng, 50);
    nlohmann::json fields = {{"first_name", broken}, {"last_name", "Lee"}};
    std::string hash;
    try {
      hash = content_hash(fields);
    } catch (const std::exception& e) {
      FAIL() << "threw " << e.what();
    }
    EXPECT_EQ(hash.size(), 64u);
    EXPECT_EQ(hash, content_hash(fields));
  });
}

} // namespace
} // namespace ferry::mapping
