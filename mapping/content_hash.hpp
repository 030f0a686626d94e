#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

/// Content hashes of entity fields, for recognising Ferry's own writes when
/// they come back (persistence/echo_store.hpp).
namespace ferry::mapping {

/// SHA-256 of `bytes` as 64 lowercase hex digits.
std::string sha256_hex(std::string_view bytes);

/// The hash of an entity's synced fields: SHA-256 hex of the canonical JSON
/// text of `fields` (object keys sorted, no whitespace), so the same values
/// give the same hash whatever order they were set in; a byte of text that
/// is not UTF-8 counts as U+FFFD. Hash only the fields that are synced to
/// the side in question, in the form written there.
std::string content_hash(const nlohmann::json& fields);

} // namespace ferry::mapping
