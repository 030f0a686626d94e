#pragma once

#include <string>
#include <vector>

namespace ferry::persistence {

/// `values` as a PostgreSQL text array literal (`{"a","b\"c"}`), for one
/// `= ANY($1::text[])` parameter instead of a query per value.
std::string text_array_literal(const std::vector<std::string>& values);

} // namespace ferry::persistence
