#pragma once

// CAF 0.17 inspection of the money types of mapping/money.hpp. One place for
// every actors/*_messages.hpp whose records carry money or decimal, so the
// overloads exist exactly once in namespace ferry (found by ADL).

#include "mapping/money.hpp"

#include <caf/error.hpp>
#include <caf/meta/load_callback.hpp>
#include <caf/meta/type_name.hpp>

namespace ferry {

/// 0.17 inspection of money (its minor units).
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, money& x) {
  auto minor = x.minor();
  auto load = caf::meta::load_callback([&]() -> caf::error {
    x = money::from_minor(minor);
    return caf::none;
  });
  return f(caf::meta::type_name("money"), minor, load);
}

/// 0.17 inspection of decimal (its millionths).
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, decimal& x) {
  auto units = x.units();
  auto load = caf::meta::load_callback([&]() -> caf::error {
    x = decimal::from_units(units);
    return caf::none;
  });
  return f(caf::meta::type_name("decimal"), units, load);
}

} // namespace ferry
