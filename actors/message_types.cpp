#include "actors/message_types.hpp"

#include "actors/runtime_messages.hpp"

#include <caf/message.hpp>
#include <string>

// Each area's block is registered as soon as its header exists, so that
// adding an area needs no edit here; one line per block of the table in
// docs/DEVELOPING.md.
#if __has_include("actors/erp_messages.hpp")
#include "actors/erp_messages.hpp"
#define FERRY_HAS_ERP_MESSAGES 1
#endif
#if __has_include("actors/shop_messages.hpp")
#include "actors/shop_messages.hpp"
#define FERRY_HAS_SHOP_MESSAGES 1
#endif
#if __has_include("actors/orders_messages.hpp")
#include "actors/orders_messages.hpp"
#define FERRY_HAS_ORDERS_MESSAGES 1
#endif
#if __has_include("actors/catalog_messages.hpp")
#include "actors/catalog_messages.hpp"
#define FERRY_HAS_CATALOG_MESSAGES 1
#endif
#if __has_include("actors/pricing_messages.hpp")
#include "actors/pricing_messages.hpp"
#define FERRY_HAS_PRICING_MESSAGES 1
#endif

namespace ferry {

void register_message_types(caf::actor_system_config& cfg) {
  cfg.add_message_types<caf::id_block::ferry_runtime>();
#ifdef FERRY_HAS_ERP_MESSAGES
  cfg.add_message_types<caf::id_block::ferry_erp>();
#endif
#ifdef FERRY_HAS_SHOP_MESSAGES
  cfg.add_message_types<caf::id_block::ferry_shop>();
#endif
#ifdef FERRY_HAS_ORDERS_MESSAGES
  cfg.add_message_types<caf::id_block::ferry_orders>();
#endif
#ifdef FERRY_HAS_CATALOG_MESSAGES
  cfg.add_message_types<caf::id_block::ferry_catalog>();
#endif
#ifdef FERRY_HAS_PRICING_MESSAGES
  cfg.add_message_types<caf::id_block::ferry_pricing>();
#endif
  cfg.add_error_category(
      runtime_error_category,
      [](std::uint8_t code, caf::atom_value, const caf::message& context) {
        auto text = std::string{"ferry_rt: "} +
                    to_string(static_cast<runtime_errc>(code));
        if (context.match_elements<std::string>())
          text += " (" + context.get_as<std::string>(0) + ")";
        else if (!context.empty())
          text += " " + caf::to_string(context);
        return text;
      });
}

} // namespace ferry
