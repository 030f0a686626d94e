#pragma once

#include "actors/catalog_messages.hpp"
#include "actors/erp_connector.hpp"
#include "actors/shop_connector.hpp"
#include "config/ferry_config.hpp"
#include "mapping/shop_types.hpp"
#include "persistence/pg_pool.hpp"

#include <caf/actor_system.hpp>
#include <caf/expected.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/sec.hpp>
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace ferry {

/// The connector to call now (a supervisor may have restarted it since).
using erp_resolver = std::function<erp_connector_actor()>;
/// The connector to call now.
using shop_resolver = std::function<shop_connector_actor()>;

/// What the product pipeline works with.
struct product_pipeline_settings {
  config::field_owners owners;
  /// How long one connector call may take, retries included.
  std::chrono::milliseconds call_timeout{120'000};
};

/// `erp` mapped to the shop, with each field owned by the shop (or newer
/// there, for `newest`) taken from `shop`; `erp_modified` is the ERP item's
/// ModifiedAt, compared with the shop's `updated_at`. Price, weight and
/// status always come from the ERP. Without `shop` the ERP values stand.
shop::shop_product merge_product(const shop::shop_product& erp,
                                 const std::optional<shop::shop_product>& shop,
                                 const std::string& erp_modified,
                                 const config::field_owners& owners);

/// Sends `request` to `handle` and waits for the answer. Blocks the
/// calling thread: for detached actors and plain threads only.
template <class Answer, class Handle, class Request>
caf::expected<Answer>
blocking_request(caf::actor_system& sys, const Handle& handle,
                 std::chrono::milliseconds timeout, Request request) {
  if (!handle)
    return caf::make_error(caf::sec::invalid_argument,
                           std::string("connector not running"));
  caf::scoped_actor self{sys};
  std::optional<Answer> answer;
  caf::error failure;
  self->request(handle, timeout, std::move(request))
      .receive([&](Answer& a) { answer = std::move(a); },
               [&](caf::error& e) { failure = std::move(e); });
  if (answer)
    return std::move(*answer);
  return failure;
}

/// A failure of a connector call or the database as one line of text
/// ("shop: Product with SKU \"X\" not found", "ferry_db: …").
std::string describe_error(caf::actor_system& sys, const caf::error& e);

/// The product sync's work both ways, shared by the sync actors and the
/// full batch. Blocking (connector calls wait for their answer, database
/// writes are synchronous): used from detached actors and the CLI only.
///
/// Echoes: before Ferry writes a product to a side it records the content
/// hash of the synced fields for that side (persistence/echo_store.hpp);
/// a change read from that side with the same hash is Ferry's own and is
/// not synced back. Per-item failures go to the dead-letter table and the
/// rest goes on; a failed call as a whole is an error (the caller retries).
class product_pipeline {
public:
  product_pipeline(caf::actor_system& sys, persistence::pg_pool& pool,
                   erp_resolver erp, shop_resolver shop,
                   product_pipeline_settings settings);

  /// One `GetItems` page.
  caf::expected<erp_page<erp_item>> get_items(const erp_page_request& page);

  /// ERP → shop for one page of items: mapped, echoes and unchanged ones
  /// skipped, the rest upserted in bulk (≤ 500 a call by the connector);
  /// counts added to `report`. When `force` every mapped item is written
  /// (the full batch), except echoes.
  caf::expected<void> push_to_shop(const std::vector<erp_item>& items,
                                   product_sync_report& report,
                                   bool force = false);

  /// Shop → ERP for one `products/update` payload (the product as JSON
  /// text): Ferry's own writes are skipped; a shop edit of an ERP-owned
  /// field is put back to the ERP's value in the shop; a change of a
  /// shop-owned field (or a product the ERP does not know) is upserted to
  /// the ERP. Counts added to `report`.
  caf::expected<void> apply_shop_update(const std::string& payload,
                                        product_sync_report& report);

private:
  /// Dead-letters a product with `reason`; the database's error when the
  /// dead letter could not be written (the event must then stay open).
  caf::expected<void> reject(const std::string& source, const std::string& sku,
                             const std::string& reason,
                             const std::string& payload,
                             product_sync_report& report);

  caf::actor_system& sys_;
  persistence::pg_pool& pool_;
  erp_resolver erp_;
  shop_resolver shop_;
  product_pipeline_settings settings_;
};

} // namespace ferry
