#include "mapping/content_hash.hpp"

#include <gtest/gtest.h>

using ferry::mapping::content_hash;
using ferry::mapping::sha256_hex;

TEST(content_hash, sha256_matches_known_vectors) {
  EXPECT_EQ(sha256_hex(""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(content_hash, field_order_does_not_matter_but_values_do) {
  nlohmann::json a;
  a["name"] = "Mug";
  a["price"] = "9.90";
  nlohmann::json b;
  b["price"] = "9.90";
  b["name"] = "Mug";
  EXPECT_EQ(content_hash(a), content_hash(b));
  b["price"] = "9.91";
  EXPECT_NE(content_hash(a), content_hash(b));
  EXPECT_EQ(content_hash(a).size(), 64U);
}

TEST(content_hash, text_that_is_not_utf8_is_hashed_as_its_replacement) {
  // An ERP customer's name is hashed before anything checks its UTF-8; the
  // hash threw instead.
  nlohmann::json broken = {{"first_name", "Ann\xC3"}};
  nlohmann::json replaced = {{"first_name", "Ann\uFFFD"}};
  EXPECT_EQ(content_hash(broken), content_hash(replaced));
  EXPECT_EQ(content_hash(broken).size(), 64U);
}
