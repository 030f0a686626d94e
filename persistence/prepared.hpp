#pragma once

#include <pqxx/pqxx>
#include <string>
#include <utility>

namespace ferry::persistence {

/// A statement run for every order or event, by a name of its own: hold it
/// in a function-local `static const`, so that its text is built once per
/// process, not on every call.
struct prepared_sql {
  std::string name;
  std::string text;
};

/// Runs `statement` as a prepared statement of the transaction's
/// connection, prepared there on first use: it is parsed and planned once
/// per connection instead of on every call (planning cost PostgreSQL as
/// much as executing the saga's transition).
template <class... Args>
pqxx::result exec_prepared_sql(pqxx::transaction_base& tx,
                               const prepared_sql& statement, Args&&... args) {
  tx.conn().prepare(statement.name, statement.text);
  return tx.exec_prepared(statement.name, std::forward<Args>(args)...);
}

} // namespace ferry::persistence
