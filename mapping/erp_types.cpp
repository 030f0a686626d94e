#include "mapping/erp_types.hpp"

#include <array>
#include <utility>

namespace ferry {

namespace {

template <class Enum, std::size_t N>
bool parse_enum(std::string_view text,
                const std::array<std::pair<Enum, const char*>, N>& names,
                Enum& out) {
  for (const auto& [value, name] : names)
    if (text == name) {
      out = value;
      return true;
    }
  return false;
}

template <class Enum, std::size_t N>
const char* name_of(Enum x,
                    const std::array<std::pair<Enum, const char*>, N>& names) {
  for (const auto& [value, name] : names)
    if (value == x)
      return name;
  return "";
}

constexpr std::array<std::pair<erp_weight_unit, const char*>, 4> weight_units{{
    {erp_weight_unit::kg, "KG"},
    {erp_weight_unit::g, "G"},
    {erp_weight_unit::lb, "LB"},
    {erp_weight_unit::oz, "OZ"},
}};

constexpr std::array<std::pair<erp_order_status, const char*>, 5> statuses{{
    {erp_order_status::open, "Open"},
    {erp_order_status::released, "Released"},
    {erp_order_status::shipped, "Shipped"},
    {erp_order_status::invoiced, "Invoiced"},
    {erp_order_status::cancelled, "Cancelled"},
}};

constexpr std::array<std::pair<erp_upsert_outcome, const char*>, 3> outcomes{{
    {erp_upsert_outcome::created, "Created"},
    {erp_upsert_outcome::updated, "Updated"},
    {erp_upsert_outcome::error, "Error"},
}};

constexpr std::array<std::pair<erp_fault_code, const char*>, 8> fault_codes{{
    {erp_fault_code::validation, "Validation"},
    {erp_fault_code::not_found, "NotFound"},
    {erp_fault_code::duplicate_external_order_id, "DuplicateExternalOrderID"},
    {erp_fault_code::duplicate_customer, "DuplicateCustomer"},
    {erp_fault_code::unknown_item, "UnknownItem"},
    {erp_fault_code::unknown_customer, "UnknownCustomer"},
    {erp_fault_code::throttled, "Throttled"},
    {erp_fault_code::unavailable, "Unavailable"},
}};

constexpr std::array<std::pair<erp_error_kind, const char*>, 9> error_kinds{{
    {erp_error_kind::client_fault, "client_fault"},
    {erp_error_kind::server_fault, "server_fault"},
    {erp_error_kind::security_fault, "security_fault"},
    {erp_error_kind::outcome_unknown, "outcome_unknown"},
    {erp_error_kind::connection_failed, "connection_failed"},
    {erp_error_kind::bad_response, "bad_response"},
    {erp_error_kind::invalid_request, "invalid_request"},
    {erp_error_kind::circuit_open, "circuit_open"},
    {erp_error_kind::overloaded, "overloaded"},
}};

} // namespace

const char* to_string(erp_weight_unit x) {
  return name_of(x, weight_units);
}

const char* to_string(erp_order_status x) {
  return name_of(x, statuses);
}

const char* to_string(erp_upsert_outcome x) {
  return name_of(x, outcomes);
}

const char* to_string(erp_fault_code x) {
  return name_of(x, fault_codes);
}

const char* to_string(erp_error_kind x) {
  return name_of(x, error_kinds);
}

bool from_string(std::string_view text, erp_weight_unit& out) {
  return parse_enum(text, weight_units, out);
}

bool from_string(std::string_view text, erp_order_status& out) {
  return parse_enum(text, statuses, out);
}

bool from_string(std::string_view text, erp_fault_code& out) {
  return parse_enum(text, fault_codes, out);
}

bool erp_error::retryable() const {
  return kind == erp_error_kind::server_fault ||
         kind == erp_error_kind::connection_failed;
}

} // namespace ferry
