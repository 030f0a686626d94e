#pragma once

#include "persistence/pg_pool.hpp"

#include <caf/expected.hpp>
#include <map>
#include <optional>
#include <pqxx/transaction_base>
#include <string>
#include <vector>

namespace ferry::persistence {

/// What Ferry itself wrote, per entity and side (`echo_hash`), so that the
/// change it causes is recognised when it comes back and is not synced back
/// (no echo loops).
class echo_store {
public:
  /// Uses connections of `pool`; the pool must outlive the store.
  explicit echo_store(pg_pool& pool);

  /// Records the content hash Ferry wrote to `side` ("shop"|"erp") for
  /// (entity, key), e.g. ("product", "SKU-1"); replaces an earlier one.
  /// `db_errc::rejected` naming the argument for an empty entity, key or
  /// hash or another side.
  caf::expected<void> record(const std::string& entity, const std::string& side,
                             const std::string& key, const std::string& hash);

  /// The same inside the caller's transaction; throws pqxx exceptions and
  /// `std::invalid_argument` for bad arguments.
  static void record(pqxx::transaction_base& tx, const std::string& entity,
                     const std::string& side, const std::string& key,
                     const std::string& hash);

  /// Records `hash` only if what is recorded is still `expected` (nullopt:
  /// nothing recorded yet); true when this call replaced it. Of several
  /// nodes or actors about to write the same change, the one that wins
  /// writes it and the others leave it (a compare-and-set).
  caf::expected<bool> replace_if(const std::string& entity,
                                 const std::string& side,
                                 const std::string& key,
                                 const std::optional<std::string>& expected,
                                 const std::string& hash);

  /// True when `hash` is what Ferry last wrote there: the change is an echo.
  caf::expected<bool> is_echo(const std::string& entity,
                              const std::string& side, const std::string& key,
                              const std::string& hash);

  /// The hashes Ferry last wrote to `side` for each of `keys` of `entity`
  /// (keys never written are absent): one query for a whole page.
  caf::expected<std::map<std::string, std::string>>
  hashes(const std::string& entity, const std::string& side,
         const std::vector<std::string>& keys);

private:
  pg_pool& pool_;
};

} // namespace ferry::persistence
