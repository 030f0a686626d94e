#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

/// Checks on JSON text that come before (or instead of) trusting a parser
/// with it: how deep it nests, and whether a string in it holds U+0000,
/// which JSON allows and PostgreSQL's jsonb (and XML 1.0) cannot carry.
namespace ferry {

/// The deepest nesting of arrays and objects an API body may have.
constexpr std::size_t max_json_depth = 32;

/// Whether `text` nests arrays and objects deeper than `max_depth` levels
/// (brackets inside strings do not count). Linear, no recursion, so it is
/// safe on any input; the text need not be valid JSON.
bool json_deeper_than(std::string_view text, std::size_t max_depth);

/// A parsed body, or why it could not be parsed.
struct bounded_json {
  nlohmann::json value; ///< discarded when `error` is set
  std::string error;    ///< empty when parsed; names the byte or the depth
};

/// Parses `text` after `json_deeper_than` allows it. The error never quotes
/// the text itself (it may hold personal data).
bounded_json parse_bounded_json(std::string_view text,
                                std::size_t max_depth = max_json_depth);

/// Whether JSON text holds the escape `\u0000` inside a string (a raw NUL
/// byte is not valid JSON at all). A fast scan; false positives are
/// impossible, since an escaped backslash is told apart.
bool holds_nul_escape(std::string_view json_text);

/// `value` as compact JSON text; bytes that are not UTF-8 (which
/// nlohmann's `dump()` throws on) are written as U+FFFD, so text from a
/// system that sent bad bytes can always be logged and stored.
std::string dump_utf8_safe(const nlohmann::json& value);

/// The path of the first string (or object key) in `value` holding U+0000,
/// as `items[0].name`; empty when there is none. Walks at most
/// `max_json_depth` levels.
std::string nul_character_path(const nlohmann::json& value);

/// The path of the first string (or object key) in `value` holding
/// `needle` (e.g. U+FFFD, where bad bytes were replaced), as
/// `items[0].name`; empty when there is none. Walks at most
/// `max_json_depth` levels.
std::string character_path(const nlohmann::json& value,
                           std::string_view needle);

} // namespace ferry
