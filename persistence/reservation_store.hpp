#pragma once

#include "persistence/pg_pool.hpp"

#include <caf/expected.hpp>
#include <cstdint>
#include <map>
#include <pqxx/transaction_base>
#include <string>
#include <utility>
#include <vector>

namespace ferry::persistence {

/// One SKU's quantity held by an order.
struct reserved_line {
  std::string sku;
  std::int64_t quantity = 0;
};

/// The reservation ledger (`stock_reservation`): quantities of orders the
/// shop accepted but the ERP does not know yet. The stock pushed to the shop
/// is `Available - open reservations` so that such orders cannot oversell.
///
/// Rule for warehouses: a reservation is per SKU, not per warehouse (the
/// shop order does not say which warehouse ships it), and it is subtracted
/// from the SKU's quantity in every warehouse it is stocked in; this errs
/// towards showing less, never more, than is free.
class reservation_store {
public:
  /// Uses connections of `pool`; the pool must outlive the store.
  explicit reservation_store(pg_pool& pool);

  /// Reserves `lines` for `order_key`; a second call for the same order is a
  /// no-op (the first lines stay), also after a release. Lines of one SKU are
  /// added up. Inside the caller's transaction; throws pqxx exceptions and
  /// `std::invalid_argument` for an empty order key, an empty SKU or a
  /// quantity below 1.
  static void reserve(pqxx::transaction_base& tx, const std::string& order_key,
                      const std::vector<reserved_line>& lines);

  /// `reserve` for several orders (order key, lines) in one statement.
  static void reserve_all(
      pqxx::transaction_base& tx,
      const std::vector<std::pair<std::string, std::vector<reserved_line>>>&
          orders);

  /// Releases every line of the order (the ERP has the order, or it was
  /// rejected or cancelled); idempotent. Inside the caller's transaction.
  static void release(pqxx::transaction_base& tx, const std::string& order_key);

  /// The release as two data-modifying CTEs (`released_order`,
  /// `released_lines`) for a statement that does more: the order's key is
  /// parameter `key_param`, and nothing is released unless `condition`.
  static std::string release_ctes(const std::string& key_param,
                                  const std::string& condition);

  /// Open (not released) reserved quantity per SKU of `skus`; SKUs with none
  /// are absent from the map.
  caf::expected<std::map<std::string, std::int64_t>>
  open_quantities(const std::vector<std::string>& skus);

  /// SKUs whose reservations were made or released after `since` (the
  /// database's time as returned by an earlier call; empty: none yet, so
  /// nothing changed), and the database's time now for the next call. The
  /// stock pushed for them is recomputed without waiting for the ERP.
  /// Looks back a few seconds more than asked, for transactions that
  /// committed late.
  caf::expected<std::pair<std::vector<std::string>, std::string>>
  changed_since(const std::string& since);

private:
  pg_pool& pool_;
};

} // namespace ferry::persistence
