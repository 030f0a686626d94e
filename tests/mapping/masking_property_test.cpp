// Properties of masking over random text: no e-mail address is left in
// clear, and masked text of any script is valid UTF-8.

#include "mapping/masking.hpp"
#include "tests/support/property.hpp"

#include <gtest/gtest.h>

namespace ferry::mapping {
namespace {

using namespace ferry::test;

constexpr int cases = 2000;

/// Text around an address: any script, ending in a character that cannot
/// be part of an address (a space, a bracket, a colon) so that the address
/// is a word of its own.
std::string random_context(rng_t& rng) {
  static const char* edges[] = {" ", "\n", "<", "(", ": ", ", ", "\"", " — "};
  auto edge = [&] { return edges[uniform<std::size_t>(rng, 0, 7)]; };
  text_options o;
  return (chance(rng, 30) ? "" : random_text(rng, 30, o)) + edge();
}

std::string random_suffix(rng_t& rng) {
  static const char* edges[] = {" ", "\n", ">", ")", ", ", "\"", ". ",
                                ".", "!",  "?", ";", "，", "」"};
  text_options o;
  return edges[uniform<std::size_t>(rng, 0, 12)] +
         (chance(rng, 30) ? "" : random_text(rng, 30, o));
}

TEST(masking_property, no_address_in_free_text_is_left_in_clear) {
  for_cases(cases, [](rng_t& rng) {
    std::string text;
    std::vector<std::string> addresses;
    auto n = uniform(rng, 1, 3);
    for (int i = 0; i < n; ++i) {
      addresses.push_back(random_email(rng, chance(rng, 30)));
      text += random_context(rng) + addresses.back() + random_suffix(rng);
    }
    SCOPED_TRACE("text '" + text + "'");
    auto masked = mask_text(text);
    EXPECT_TRUE(valid_utf8(masked)) << masked;
    for (auto& a : addresses) {
      EXPECT_EQ(masked.find(a), std::string::npos)
          << a << " in clear in '" << masked << "'";
      // Nothing of the local part but its first character: the address
      // as mask_email shows it, right after the text before it.
      EXPECT_NE(masked.find(mask_email(a)), std::string::npos)
          << a << " not masked as " << mask_email(a) << " in '" << masked
          << "'";
    }
  });
}

TEST(masking_property, masked_text_of_any_script_is_valid_utf8) {
  for_cases(cases, [](rng_t& rng) {
    text_options o;
    o.controls = true;
    auto text = random_text(rng, 200, o);
    if (chance(rng, 50)) { // an address glued to text of other scripts
      auto at = uniform<std::size_t>(rng, 0, text.size());
      while (at < text.size() &&
             (static_cast<unsigned char>(text[at]) & 0xC0) == 0x80)
        ++at;
      text.insert(at, random_email(rng));
    }
    SCOPED_TRACE("text '" + text + "'");
    for (auto& masked : {mask_text(text), mask_email(text), mask_name(text),
                         mask_phone(text), mask_address(text)}) {
      EXPECT_TRUE(valid_utf8(masked)) << "masked '" << masked << "'";
    }
    EXPECT_EQ(code_points(mask_name(text)), code_points(text))
        << "a masked character is one code point, shown as one '*'";
    EXPECT_EQ(code_points(mask_address(text)), code_points(text));
  });
}

TEST(masking_property, json_documents_keep_no_address_or_name_in_clear) {
  for_cases(cases, [](rng_t& rng) {
    auto email = random_email(rng, chance(rng, 30));
    auto name = random_clean_text(rng, 40);
    auto note = random_text(rng, 40) + " " + email + " " + random_text(rng, 40);
    nlohmann::json doc = {
        {"customer_email", email},
        {"firstname", name},
        {"note", note},
        {"items", {{{"sku", "AB-1"}, {"email", email}}}},
        {"billing_address", {{"street", {random_text(rng, 40)}}}},
    };
    SCOPED_TRACE(
        doc.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    auto masked = mask_json(doc);
    std::string text;
    ASSERT_NO_THROW(text = masked.dump()) << "masked JSON is valid UTF-8";
    EXPECT_EQ(text.find(email), std::string::npos) << text;
    EXPECT_EQ(masked["firstname"], mask_name(name));
  });
}

} // namespace
} // namespace ferry::mapping
