// Fuzzes the parsing of the shop's JSON responses (mapping/shop_types.hpp):
// exact number parsing, every entity reader, pages, bulk results and error
// bodies, and the exact writer on whatever parsed.
#include "mapping/shop_types.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

using namespace ferry::shop;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  std::string_view text{reinterpret_cast<const char*>(data), size};
  (void)error_message_from_body(text);
  auto j = parse_exact(text);
  if (!j)
    return 0;
  auto& v = *j;
  (void)dump_exact(v);
  if (auto p = product_from_json(v))
    (void)dump_exact(to_json(*p));
  if (auto c = customer_from_json(v))
    (void)dump_exact(to_json(*c));
  if (auto o = order_from_json(v))
    (void)dump_exact(to_json(*o));
  (void)source_from_json(v);
  (void)source_item_from_json(v);
  (void)item_results_from_json(v);
  (void)page_from_json<shop_order>(
      v, [](const nlohmann::json& x, const std::string& path) {
        return order_from_json(x, path);
      });
  return 0;
}
