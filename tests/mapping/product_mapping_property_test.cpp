// Properties of the product mapping both ways over random items and
// products: names cut at code points and never inside a UTF-8 sequence,
// every text field kept or refused with the field named, descriptions
// through HTML and back, never an exception, never invalid UTF-8.

#include "mapping/content_hash.hpp"
#include "mapping/html_text.hpp"
#include "mapping/product_mapping.hpp"
#include "tests/support/property.hpp"

#include <gtest/gtest.h>

namespace ferry::mapping {
namespace {

using namespace ferry::test;

constexpr int cases = 2000;

bool is_ascii_space(char32_t c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
         c == '\v';
}

/// A code point that belongs to the character before it: a combining
/// mark, a variation selector or a zero-width joiner.
bool extends_previous(char32_t c) {
  return (c >= 0x0300 && c <= 0x036F) || (c >= 0x1AB0 && c <= 0x1AFF) ||
         (c >= 0x1DC0 && c <= 0x1DFF) || (c >= 0x20D0 && c <= 0x20FF) ||
         (c >= 0xFE20 && c <= 0xFE2F) || (c >= 0xFE00 && c <= 0xFE0F) ||
         c == 0x200D;
}

/// What trim_code_points promises, from its comment: trimmed of ASCII
/// whitespace, cut to `n` code points but never between a character and
/// the marks, selectors or joined code points that belong to it (the cut
/// moves back to where that character starts), trimmed again at the end.
std::string expected_trim(std::string_view text, std::size_t n) {
  auto cps = *decode_utf8(text);
  std::size_t begin = 0;
  std::size_t end = cps.size();
  while (begin < end && is_ascii_space(cps[begin]))
    ++begin;
  while (end > begin && is_ascii_space(cps[end - 1]))
    --end;
  if (end - begin > n) {
    end = begin + n;
    while (end > begin &&
           (extends_previous(cps[end]) || cps[end - 1] == 0x200D))
      --end;
  }
  while (end > begin && is_ascii_space(cps[end - 1]))
    --end;
  return encode({cps.begin() + static_cast<long>(begin),
                 cps.begin() + static_cast<long>(end)});
}

std::string without_leading_space(std::string_view text) {
  while (!text.empty() &&
         is_ascii_space(static_cast<unsigned char>(text.front())))
    text.remove_prefix(1);
  return std::string(text);
}

std::size_t random_limit(rng_t& rng) {
  static constexpr std::size_t limits[] = {0, 1, 2, 3, 4, 20, 100, 255, 400};
  return chance(rng, 70) ? limits[uniform<std::size_t>(rng, 0, 8)]
                         : uniform<std::size_t>(rng, 0, 500);
}

TEST(product_mapping_property, trim_keeps_whole_code_points_of_a_prefix) {
  for_cases(cases, [](rng_t& rng) {
    auto limit = random_limit(rng);
    text_options o;
    o.ascii_space = chance(rng, 50);
    o.controls = chance(rng, 20);
    auto text = random_text(rng, chance(rng, 50) ? limit : 300, o);
    SCOPED_TRACE("limit " + std::to_string(limit) + " text '" + text + "'");
    auto trimmed = trim_code_points(text, limit);
    ASSERT_TRUE(trimmed) << trimmed.error;
    EXPECT_TRUE(valid_utf8(*trimmed));
    EXPECT_EQ(without_leading_space(text).rfind(*trimmed, 0), 0u)
        << "a prefix of the input without its leading whitespace";
    auto stripped_length = code_points(expected_trim(text, SIZE_MAX));
    auto kept = code_points(*trimmed);
    EXPECT_LE(kept, std::min(limit, stripped_length));
    EXPECT_EQ(*trimmed, expected_trim(text, limit));
    if (kept < std::min(limit, stripped_length) && !o.ascii_space) {
      // Fewer only when the plain cut after `limit` code points would
      // have fallen inside a character.
      auto cps = *decode_utf8(without_leading_space(text));
      ASSERT_LT(limit, cps.size());
      EXPECT_TRUE(extends_previous(cps[limit]) ||
                  (limit > 0 && cps[limit - 1] == 0x200D))
          << "cut short outside a character";
    }
  });
}

TEST(product_mapping_property, trim_refuses_invalid_utf8) {
  for_cases(cases, [](rng_t& rng) {
    auto text = random_invalid_utf8(rng, 300);
    auto limit = random_limit(rng);
    auto trimmed = trim_code_points(text, limit);
    EXPECT_FALSE(trimmed) << "kept '" << *trimmed << "'";
    if (!trimmed) {
      EXPECT_NE(trimmed.error.find("UTF-8"), std::string::npos)
          << trimmed.error;
    }
  });
}

/// `text` without U+FFFE and U+FFFF, the noncharacters HTML does not allow
/// (html_to_text drops them, as its comment says).
std::string without_nonhtml(const std::string& text) {
  auto cps = *decode_utf8(text);
  cps.erase(
      std::remove_if(cps.begin(), cps.end(),
                     [](char32_t c) { return c == 0xFFFE || c == 0xFFFF; }),
      cps.end());
  return encode(cps);
}

/// Plain text in the form html_to_text produces: lines of words separated
/// by one space, lines by one line break or one empty line.
std::string random_normal_text(rng_t& rng) {
  text_options words;
  words.ascii_space = false;
  std::string out;
  auto lines = uniform(rng, 0, 5);
  for (int l = 0; l < lines; ++l) {
    if (l > 0)
      out += chance(rng, 70) ? "\n" : "\n\n";
    auto n = uniform(rng, 1, 6);
    for (int w = 0; w < n; ++w) {
      if (w > 0)
        out += ' ';
      auto word = random_text(rng, 12, words);
      if (without_nonhtml(word).empty()) // a word HTML keeps something of
        word = "x";
      out += word;
    }
  }
  return out;
}

TEST(product_mapping_property, plain_text_survives_html_and_back) {
  for_cases(cases, [](rng_t& rng) {
    auto text = random_normal_text(rng);
    SCOPED_TRACE("text '" + text + "'");
    auto html = text_to_html(text);
    EXPECT_TRUE(valid_utf8(html));
    EXPECT_EQ(html_to_text(html), without_nonhtml(text))
        << "html '" << html << "'";
  });
}

/// HTML as an ERP may send it: tags, entities, text of every script, and
/// sometimes bytes that are not UTF-8.
std::string random_html(rng_t& rng) {
  static const char* pieces[] = {
      "<p>",       "</p>",     "<br>",       "<b>",    "</b>",
      "<li>",      "&amp;",    "&lt;",       "&nbsp;", "&#x1F600;",
      "&#128512;", "&eacute;", "<div>",      "</div>", "<script>",
      "</script>", "&#0;",     "&#xD800;",   "<!--",   "-->",
      "<",         "&",        "&#x110000;", "]]>",    "<style>x</style>",
      "<h1>",      "</h1>",    "\n",         "\r\n"};
  std::string out;
  auto n = uniform(rng, 0, 20);
  for (int i = 0; i < n; ++i) {
    if (chance(rng, 40))
      out += pieces[uniform<std::size_t>(rng, 0, std::size(pieces) - 1)];
    else if (chance(rng, 10))
      out += random_invalid_utf8(rng, 10);
    else
      out += random_text(rng, 20);
  }
  return out;
}

TEST(product_mapping_property, html_to_text_always_gives_valid_utf8) {
  for_cases(cases, [](rng_t& rng) {
    auto html = random_html(rng);
    SCOPED_TRACE("html '" + html + "'");
    auto text = html_to_text(html);
    EXPECT_TRUE(valid_utf8(text)) << "text '" << text << "'";
  });
}

bool mentions(const std::string& error, const char* field) {
  return error.find(field) != std::string::npos;
}

/// `weight` in `unit` as kg rounded half up to 6 decimals, worked out
/// independently: grams per unit × 1000 units of 10^-6 kg per gram.
decimal expected_kg(decimal weight, erp_weight_unit unit) {
  // kg per unit as a fraction with a power-of-ten denominator.
  __int128 num = 1, den = 1;
  switch (unit) {
    case erp_weight_unit::kg:
      break;
    case erp_weight_unit::g:
      den = 1000;
      break;
    case erp_weight_unit::lb:
      num = 45359237, den = 100000000;
      break;
    case erp_weight_unit::oz:
      num = 28349523125, den = 1000000000000;
      break;
  }
  __int128 exact = static_cast<__int128>(weight.units()) * num;
  __int128 units = exact / den;
  if ((exact % den) * 2 >= den)
    ++units;
  return decimal::from_units(static_cast<std::int64_t>(units));
}

erp_item random_item(rng_t& rng) {
  erp_item item;
  item.item_code = chance(rng, 3) ? "" : random_clean_text(rng, 20);
  item.item_name = random_text(rng, chance(rng, 50) ? 255 : 400);
  if (chance(rng, 3))
    item.item_name = " \t\n ";
  item.description = chance(rng, 50) ? text_to_html(random_normal_text(rng))
                                     : random_html(rng);
  item.base_price = random_money(rng, chance(rng, 90) ? price_max_minor
                                                      : price_max_minor + 2);
  if (chance(rng, 5))
    item.base_price = money::from_minor(-item.base_price.minor() - 1);
  item.weight = chance(rng, 10) ? decimal{} : random_quantity(rng, 100'000);
  if (chance(rng, 5))
    item.weight = decimal::from_units(-item.weight.units() - 1);
  static constexpr erp_weight_unit units[] = {
      erp_weight_unit::kg, erp_weight_unit::g, erp_weight_unit::lb,
      erp_weight_unit::oz};
  item.weight_unit = units[uniform(rng, 0, 3)];
  item.is_active = chance(rng, 50);
  item.modified_at = "2026-05-01T10:00:00Z";
  return item;
}

void expect_valid_utf8(const shop::shop_product& p) {
  EXPECT_TRUE(valid_utf8(p.sku)) << "sku '" << p.sku << "'";
  EXPECT_TRUE(valid_utf8(p.name)) << "name '" << p.name << "'";
  EXPECT_TRUE(valid_utf8(p.description))
      << "description '" << p.description << "'";
}

TEST(product_mapping_property, every_erp_item_maps_or_is_refused_by_field) {
  for_cases(cases, [](rng_t& rng) {
    auto item = random_item(rng);
    SCOPED_TRACE("item '" + item.item_code + "' name '" + item.item_name +
                 "' price " + item.base_price.to_string() + " weight " +
                 item.weight.to_string() + " " + to_string(item.weight_unit));
    parsed<shop::shop_product> mapped;
    try {
      mapped = shop_product_from_erp(item);
    } catch (const std::exception& e) {
      FAIL() << "threw " << e.what();
    }
    auto name = expected_trim(item.item_name, shop_name_max);
    if (item.item_code.empty()) {
      ASSERT_FALSE(mapped);
      EXPECT_TRUE(mentions(mapped.error, "ItemCode")) << mapped.error;
    } else if (name.empty()) {
      ASSERT_FALSE(mapped);
      EXPECT_TRUE(mentions(mapped.error, "ItemName")) << mapped.error;
    } else if (item.base_price < money{} ||
               item.base_price.minor() > price_max_minor) {
      ASSERT_FALSE(mapped);
      EXPECT_TRUE(mentions(mapped.error, "BasePrice")) << mapped.error;
    } else if (item.weight < decimal{}) {
      ASSERT_FALSE(mapped);
      EXPECT_TRUE(mentions(mapped.error, "Weight")) << mapped.error;
    } else {
      ASSERT_TRUE(mapped) << mapped.error;
      EXPECT_EQ(mapped->sku, item.item_code);
      EXPECT_EQ(mapped->name, name);
      EXPECT_EQ(mapped->description, html_to_text(item.description));
      EXPECT_EQ(mapped->price, item.base_price);
      EXPECT_EQ(mapped->weight, expected_kg(item.weight, item.weight_unit));
      EXPECT_EQ(mapped->status, item.is_active ? 1 : 2);
      expect_valid_utf8(*mapped);
      // What is written to the shop and hashed for echoes.
      auto fields = product_fields(item);
      ASSERT_TRUE(fields.has_value());
      EXPECT_EQ(content_hash(*fields).size(), 64u);
      auto back = product_from_fields(nlohmann::json::parse(fields->dump()));
      ASSERT_TRUE(back) << back.error;
      EXPECT_EQ(back->name, mapped->name);
      EXPECT_EQ(back->description, mapped->description);
      EXPECT_EQ(back->price, mapped->price);
      EXPECT_EQ(back->weight, mapped->weight);
    }
  });
}

TEST(product_mapping_property, erp_items_with_broken_utf8_never_leak_it) {
  for_cases(cases, [](rng_t& rng) {
    auto item = random_item(rng);
    item.base_price = money::from_minor(1234);
    item.weight = decimal{};
    switch (uniform(rng, 0, 2)) {
      case 0:
        item.item_code = random_invalid_utf8(rng, 10);
        break;
      case 1:
        item.item_name = random_invalid_utf8(rng, 100);
        break;
      default:
        item.description = random_invalid_utf8(rng, 100);
    }
    SCOPED_TRACE("item '" + item.item_code + "' name '" + item.item_name +
                 "' description '" + item.description + "'");
    try {
      auto mapped = shop_product_from_erp(item);
      if (mapped) {
        expect_valid_utf8(*mapped);
        EXPECT_EQ(content_hash(product_fields(*mapped)).size(), 64u);
      } else {
        EXPECT_TRUE(mentions(mapped.error, "ItemCode") ||
                    mentions(mapped.error, "ItemName"))
            << mapped.error;
      }
    } catch (const std::exception& e) {
      FAIL() << "threw " << e.what();
    }
  });
}

shop::shop_product random_product(rng_t& rng) {
  shop::shop_product p;
  p.sku = chance(rng, 3) ? "" : random_clean_text(rng, 24);
  p.name =
      chance(rng, 70) ? random_clean_text(rng, 255) : random_text(rng, 400);
  p.description = random_normal_text(rng);
  p.price = random_money(rng, chance(rng, 90) ? price_max_minor
                                              : price_max_minor + 2);
  if (chance(rng, 3))
    p.price = money::from_minor(-p.price.minor() - 1);
  p.weight = chance(rng, 10) ? decimal{} : random_quantity(rng, 100'000);
  if (chance(rng, 3))
    p.weight = decimal::from_units(-p.weight.units() - 1);
  p.status = chance(rng, 95) ? uniform(rng, 1, 2) : uniform(rng, -1, 5);
  return p;
}

TEST(product_mapping_property, every_shop_product_maps_or_is_refused_by_field) {
  for_cases(cases, [](rng_t& rng) {
    auto p = random_product(rng);
    SCOPED_TRACE("sku '" + p.sku + "' name '" + p.name + "' price " +
                 p.price.to_string() + " weight " + p.weight.to_string() +
                 " status " + std::to_string(p.status));
    parsed<erp_item> mapped;
    try {
      mapped = erp_item_from_shop(p);
    } catch (const std::exception& e) {
      FAIL() << "threw " << e.what();
    }
    auto name = expected_trim(p.name, erp_name_max);
    const char* refused = nullptr;
    if (p.sku.empty() || p.sku.size() > erp_item_code_max)
      refused = "sku";
    else if (name.empty())
      refused = "name";
    else if (p.price < money{} || p.price.minor() > price_max_minor)
      refused = "price";
    else if (p.weight < decimal{})
      refused = "weight";
    else if (p.status != 1 && p.status != 2)
      refused = "status";
    if (refused) {
      ASSERT_FALSE(mapped) << "expected a refusal naming " << refused;
      EXPECT_TRUE(mentions(mapped.error, refused)) << mapped.error;
      return;
    }
    ASSERT_TRUE(mapped) << mapped.error;
    EXPECT_EQ(mapped->item_code, p.sku);
    EXPECT_EQ(mapped->item_name, name);
    EXPECT_TRUE(valid_utf8(mapped->item_name));
    EXPECT_TRUE(valid_utf8(mapped->description));
    EXPECT_EQ(html_to_text(mapped->description), without_nonhtml(p.description))
        << "html '" << mapped->description << "'";
    EXPECT_EQ(mapped->base_price, p.price);
    EXPECT_EQ(mapped->weight, p.weight);
    EXPECT_EQ(mapped->weight_unit, erp_weight_unit::kg);
    EXPECT_EQ(mapped->is_active, p.status == 1);
    // And back: a product the shop can hold comes back the same.
    if (name == p.name && code_points(p.name) <= shop_name_max) {
      auto back = shop_product_from_erp(*mapped);
      ASSERT_TRUE(back) << back.error;
      EXPECT_EQ(back->sku, p.sku);
      EXPECT_EQ(back->name, p.name);
      EXPECT_EQ(back->description, without_nonhtml(p.description));
      EXPECT_EQ(back->price, p.price);
      EXPECT_EQ(back->weight, p.weight);
      EXPECT_EQ(back->status, p.status);
    }
  });
}

TEST(product_mapping_property, product_fields_round_trip_through_json_text) {
  for_cases(cases, [](rng_t& rng) {
    auto p = random_product(rng);
    p.name = random_text(rng, 300); // any text, even untrimmed
    auto fields = product_fields(p);
    auto text = fields.dump();
    EXPECT_TRUE(valid_utf8(text));
    auto back = product_from_fields(nlohmann::json::parse(text));
    ASSERT_TRUE(back) << back.error;
    EXPECT_EQ(back->sku, p.sku);
    EXPECT_EQ(back->name, p.name);
    EXPECT_EQ(back->description, p.description);
    EXPECT_EQ(back->price, p.price);
    EXPECT_EQ(back->weight, p.weight);
    EXPECT_EQ(back->status, p.status);
    EXPECT_EQ(content_hash(product_fields(*back)), content_hash(fields));
  });
}

} // namespace
} // namespace ferry::mapping
