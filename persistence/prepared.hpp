#pragma once

#include <pqxx/pqxx>
#include <string>
#include <utility>

namespace ferry::persistence {

/// Runs `sql` as the prepared statement `name` of the transaction's
/// connection, prepared there on first use: a statement run for every
/// order is parsed and planned once per connection instead of on every
/// call (planning cost PostgreSQL as much as executing the saga's
/// transition). `name` must stand for one `sql` in the whole process.
template <class... Args>
pqxx::result exec_prepared_sql(pqxx::transaction_base& tx,
                               const std::string& name, const std::string& sql,
                               Args&&... args) {
  tx.conn().prepare(name, sql);
  return tx.exec_prepared(name, std::forward<Args>(args)...);
}

} // namespace ferry::persistence
