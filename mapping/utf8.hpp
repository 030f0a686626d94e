#pragma once

#include <cstddef>
#include <string>
#include <string_view>

/// UTF-8 as every mapping reads it: strict (no overlong forms, surrogates or
/// values above U+10FFFF), counted in code points.
namespace ferry::mapping {

/// The length of the UTF-8 sequence starting at `text[i]`, or 0 when it is
/// not a valid one.
std::size_t utf8_sequence_length(std::string_view text, std::size_t i);

/// Whether all of `text` is valid UTF-8.
bool is_valid_utf8(std::string_view text);

/// The number of code points of `text`, an invalid byte counting as one.
std::size_t utf8_code_points(std::string_view text);

/// `text` with each byte that is not part of a valid sequence replaced by
/// U+FFFD.
std::string replace_invalid_utf8(std::string_view text);

} // namespace ferry::mapping
