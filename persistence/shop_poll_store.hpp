#pragma once

#include "persistence/inbox_store.hpp"
#include "persistence/pg_pool.hpp"

#include <caf/expected.hpp>
#include <string>
#include <vector>

namespace ferry::persistence {

/// What the lost-webhook poller persists: a cursor per shop resource, and
/// inbox rows for the changes whose webhook never came.
/// One entity the poll found: its inbox event, the entity's key and the
/// version it was seen at.
struct polled_change {
  inbox_event event;
  std::string key;
  std::string version;
};

class shop_poll_store {
public:
  /// The pool must outlive the store.
  explicit shop_poll_store(pg_pool& pool);

  /// The cursor of `resource` ("orders", "customers", "products"); empty
  /// when it was never polled.
  caf::expected<std::string> cursor(const std::string& resource);

  /// Moves the cursor of `resource` to `value` (never backwards).
  caf::expected<bool> save_cursor(const std::string& resource,
                                  const std::string& value);

  /// Commits each of `changes` (source "shop") unless the inbox already
  /// holds an event with one of `topics` about the same entity (the
  /// payload's entity_id or id) at the same version (the payload's
  /// `version_field`), e.g. the webhook of the same change: one statement
  /// for a page of the poll. Returns how many were inserted.
  caf::expected<std::size_t>
  enqueue_missing(const std::vector<polled_change>& changes,
                  const std::vector<std::string>& topics,
                  const std::string& version_field);

private:
  pg_pool& pool_;
};

} // namespace ferry::persistence
