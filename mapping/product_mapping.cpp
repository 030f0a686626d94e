#include "mapping/product_mapping.hpp"

#include "mapping/html_text.hpp"
#include "mapping/utf8.hpp"

namespace ferry::mapping {

namespace {

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
         c == '\v';
}

/// The code point of the valid `length`-byte sequence at `text[i]`.
char32_t code_point_at(std::string_view text, std::size_t i,
                       std::size_t length) {
  auto byte = [&](std::size_t k) {
    return static_cast<char32_t>(static_cast<unsigned char>(text[k]));
  };
  static constexpr char32_t lead_mask[] = {0, 0x7F, 0x1F, 0x0F, 0x07};
  char32_t cp = byte(i) & lead_mask[length];
  for (std::size_t k = 1; k < length; ++k)
    cp = (cp << 6) | (byte(i + k) & 0x3F);
  return cp;
}

/// Whether `cp` belongs to the character before it: a combining mark
/// (`e` + U+0301 is one `é`), a variation selector or a zero-width joiner.
bool extends_previous(char32_t cp) {
  return (cp >= 0x0300 && cp <= 0x036F) || (cp >= 0x1AB0 && cp <= 0x1AFF) ||
         (cp >= 0x1DC0 && cp <= 0x1DFF) || (cp >= 0x20D0 && cp <= 0x20FF) ||
         (cp >= 0xFE20 && cp <= 0xFE2F) || (cp >= 0xFE00 && cp <= 0xFE0F) ||
         cp == 0x200D;
}

std::string_view strip_trailing(std::string_view text) {
  while (!text.empty() && is_space(text.back()))
    text.remove_suffix(1);
  return text;
}

} // namespace

parsed<std::string> trim_code_points(std::string_view text,
                                     std::size_t max_code_points) {
  while (!text.empty() && is_space(text.front()))
    text.remove_prefix(1);
  text = strip_trailing(text);
  std::size_t code_points = 0;
  std::size_t cut = text.size();
  // Where the character of the current code point starts: a cut never
  // leaves a combining mark without its base, nor a joiner at the end.
  std::size_t character = 0;
  bool after_joiner = false;
  for (std::size_t i = 0; i < text.size();) {
    auto length = utf8_sequence_length(text, i);
    if (length == 0)
      return parsed<std::string>::fail("not valid UTF-8 at byte " +
                                       std::to_string(i));
    auto cp = code_point_at(text, i, length);
    if (code_points == 0 || !(extends_previous(cp) || after_joiner))
      character = i;
    if (code_points == max_code_points && cut == text.size())
      cut = character;
    after_joiner = cp == 0x200D;
    ++code_points;
    i += length;
  }
  return parsed<std::string>::ok(
      std::string(strip_trailing(text.substr(0, cut))));
}

parsed<decimal> weight_to_kg(decimal weight, erp_weight_unit unit) {
  if (weight < decimal{})
    return parsed<decimal>::fail("weight must not be negative, got " +
                                 weight.to_string());
  // kg = weight × numerator / denominator, exactly, then rounded.
  __int128 numerator = 1;
  __int128 denominator = 1;
  switch (unit) {
    case erp_weight_unit::kg:
      break;
    case erp_weight_unit::g:
      denominator = 1000;
      break;
    case erp_weight_unit::lb:
      numerator = 45'359'237;
      denominator = 100'000'000;
      break;
    case erp_weight_unit::oz:
      numerator = 45'359'237;
      denominator = 1'600'000'000;
      break;
  }
  __int128 scaled = static_cast<__int128>(weight.units()) * numerator;
  __int128 units = (scaled + denominator / 2) / denominator; // half up, ≥ 0
  return parsed<decimal>::ok(
      decimal::from_units(static_cast<std::int64_t>(units)));
}

parsed<money> shop_price(money price) {
  if (price < money{})
    return parsed<money>::fail("price must not be negative, got " +
                               price.to_string());
  if (price.minor() > price_max_minor)
    return parsed<money>::fail("price " + price.to_string() +
                               " does not fit decimal(10,2) (at most "
                               "99999999.99)");
  return parsed<money>::ok(price);
}

int shop_status(bool is_active) {
  return is_active ? 1 : 2;
}

parsed<shop::shop_product> shop_product_from_erp(const erp_item& item) {
  using result = parsed<shop::shop_product>;
  auto fail = [&](const std::string& field, const std::string& what) {
    return result::fail("item " + item.item_code + ": " + field + ": " + what);
  };
  if (item.item_code.empty())
    return result::fail("item: ItemCode is empty");
  // The code becomes the shop's sku and the key of every later write: it
  // must be text the shop can store and JSON can carry.
  if (!is_valid_utf8(item.item_code))
    return result::fail("item " + replace_invalid_utf8(item.item_code) +
                        ": ItemCode: not valid UTF-8");
  shop::shop_product out;
  out.sku = item.item_code;
  auto name = trim_code_points(item.item_name, shop_name_max);
  if (!name)
    return fail("ItemName", name.error);
  if (name->empty())
    return fail("ItemName", "is empty");
  out.name = std::move(*name);
  out.description = html_to_text(item.description);
  auto price = shop_price(item.base_price);
  if (!price)
    return fail("BasePrice", price.error);
  out.price = *price;
  auto weight = weight_to_kg(item.weight, item.weight_unit);
  if (!weight)
    return fail("Weight", weight.error);
  out.weight = *weight;
  out.status = shop_status(item.is_active);
  return result::ok(std::move(out));
}

parsed<erp_item> erp_item_from_shop(const shop::shop_product& product) {
  using result = parsed<erp_item>;
  auto fail = [&](const std::string& field, const std::string& what) {
    return result::fail("product " + product.sku + ": " + field + ": " + what);
  };
  if (product.sku.empty())
    return result::fail("product: sku is empty");
  if (product.sku.size() > erp_item_code_max)
    return fail("sku", "longer than the ERP's 20 characters");
  erp_item out;
  out.item_code = product.sku;
  auto name = trim_code_points(product.name, erp_name_max);
  if (!name)
    return fail("name", name.error);
  if (name->empty())
    return fail("name", "is empty");
  out.item_name = std::move(*name);
  out.description = text_to_html(product.description);
  auto price = shop_price(product.price);
  if (!price)
    return fail("price", price.error);
  out.base_price = *price;
  if (product.weight < decimal{})
    return fail("weight",
                "must not be negative, got " + product.weight.to_string());
  out.weight = product.weight;
  out.weight_unit = erp_weight_unit::kg;
  if (product.status != 1 && product.status != 2)
    return fail("status", "must be 1 (enabled) or 2 (disabled), got " +
                              std::to_string(product.status));
  out.is_active = product.status == 1;
  return result::ok(std::move(out));
}

nlohmann::json product_fields(const shop::shop_product& product) {
  nlohmann::json out;
  out["sku"] = product.sku;
  out["name"] = product.name;
  out["description"] = product.description;
  out["price"] = product.price.to_string();
  out["weight"] = product.weight.to_string();
  out["status"] = product.status;
  return out;
}

parsed<shop::shop_product> product_from_fields(const nlohmann::json& fields) {
  using result = parsed<shop::shop_product>;
  auto text = [&](const char* key) -> std::optional<std::string> {
    auto at = fields.find(key);
    if (at == fields.end() || !at->is_string())
      return std::nullopt;
    return at->get<std::string>();
  };
  shop::shop_product out;
  auto sku = text("sku");
  auto name = text("name");
  auto description = text("description");
  auto price_text = text("price");
  auto weight_text = text("weight");
  if (!sku || !name || !description)
    return result::fail("product fields: sku, name and description are "
                        "required text");
  auto price = price_text ? money::parse(*price_text) : std::nullopt;
  if (!price)
    return result::fail("product fields of " + *sku +
                        ": price is missing or "
                        "not an amount");
  auto weight = weight_text ? decimal::parse(*weight_text) : std::nullopt;
  if (!weight)
    return result::fail("product fields of " + *sku +
                        ": weight is missing "
                        "or not a number");
  auto status = fields.find("status");
  if (status == fields.end() || !status->is_number_integer())
    return result::fail("product fields of " + *sku + ": status is missing");
  out.sku = *sku;
  out.name = *name;
  out.description = *description;
  out.price = *price;
  out.weight = *weight;
  out.status = status->get<int>();
  return result::ok(std::move(out));
}

std::optional<nlohmann::json> product_fields(const erp_item& item) {
  auto mapped = shop_product_from_erp(item);
  if (!mapped)
    return std::nullopt;
  return product_fields(*mapped);
}

std::string comparable_timestamp(std::string_view timestamp) {
  if (timestamp.size() < 19)
    return {};
  std::string out(timestamp.substr(0, 19));
  if (out[10] == 'T')
    out[10] = ' ';
  if (!shop::is_timestamp(out))
    return {};
  return out;
}

} // namespace ferry::mapping
