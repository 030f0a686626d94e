#pragma once

#include "actors/catalog_messages.hpp"
#include "actors/inbox_retry.hpp"
#include "actors/product_pipeline.hpp"

#include <caf/actor_system.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>
#include <chrono>
#include <cstdint>
#include <string>

namespace ferry {

/// How the shop → ERP product sync takes its work from the inbox.
struct product_update_settings {
  /// This node's name in inbox claims.
  std::string node = "ferry";
  /// Time between polls of the inbox while it is empty.
  std::chrono::milliseconds interval{1'000};
  /// Events claimed at once.
  std::size_t batch = 50;
  /// How long a claim is held before another node may take it.
  std::chrono::seconds lease{120};
  /// When an event whose processing failed is tried again, and when it is
  /// dead-lettered instead.
  inbox_retry_policy retry;
  product_pipeline_settings pipeline;
};

/// Shop → ERP product sync: claims `products/update` events from the inbox
/// (webhooks and the lost-webhook poller put them there) and applies each
/// through the product pipeline. An event whose call failed goes back to
/// pending for another attempt after a growing delay (`retry`); one that
/// cannot be processed, that the ERP or the shop refused, or whose attempts
/// are used up is in the dead-letter table and failed. Runs detached.
using product_update_actor =
    caf::typed_actor<caf::reacts_to<product_cycle_atom>,
                     caf::reacts_to<product_cycle_atom, std::uint64_t>,
                     caf::replies_to<caf::get_atom>::with<product_sync_report>>;

product_update_actor spawn_product_update(caf::actor_system& sys,
                                          persistence::pg_pool& pool,
                                          erp_resolver erp, shop_resolver shop,
                                          product_update_settings settings);

} // namespace ferry
