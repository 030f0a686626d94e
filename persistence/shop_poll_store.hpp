#pragma once

#include <string>
#include <vector>

#include <caf/expected.hpp>

#include "persistence/inbox_store.hpp"
#include "persistence/pg_pool.hpp"

namespace ferry::persistence {

/// What the lost-webhook poller persists: a cursor per shop resource, and
/// inbox rows for the changes whose webhook never came.
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

  /// Commits `event` (source "shop") unless the inbox already holds an
  /// event with one of `topics` about the entity `key` (the payload's
  /// entity_id or id) at `version` (the payload's `version_field`), e.g. the
  /// webhook of the same change; true when inserted.
  caf::expected<bool> enqueue_if_missing(const inbox_event& event,
                                         const std::vector<std::string>& topics,
                                         const std::string& key,
                                         const std::string& version_field,
                                         const std::string& version);

private:
  pg_pool& pool_;
};

} // namespace ferry::persistence
