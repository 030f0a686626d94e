#include "persistence/errors.hpp"

#include <caf/make_message.hpp>
#include <caf/message.hpp>

namespace ferry::persistence {

caf::error make_db_error(db_errc code, std::string detail) {
  return caf::error(static_cast<std::uint8_t>(code), db_error_category,
                    caf::make_message(std::move(detail)));
}

db_errc db_error_code(const caf::error& err) {
  if (err.category() != db_error_category)
    return static_cast<db_errc>(0);
  return static_cast<db_errc>(err.code());
}

std::string db_error_text(const caf::error& err) {
  if (err.category() == db_error_category &&
      err.context().match_elements<std::string>())
    return err.context().get_as<std::string>(0);
  return caf::to_string(err);
}

} // namespace ferry::persistence
