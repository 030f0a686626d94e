#include "mapping/utf8.hpp"

namespace ferry::mapping {

std::size_t utf8_sequence_length(std::string_view text, std::size_t i) {
  auto byte = [&](std::size_t k) {
    return static_cast<unsigned char>(text[k]);
  };
  auto c = byte(i);
  std::size_t length = c < 0x80           ? 1
                       : (c >> 5) == 0x6  ? 2
                       : (c >> 4) == 0xE  ? 3
                       : (c >> 3) == 0x1E ? 4
                                          : 0;
  if (length == 0 || i + length > text.size())
    return 0;
  for (std::size_t k = 1; k < length; ++k)
    if ((byte(i + k) & 0xC0) != 0x80)
      return 0;
  if (length == 2 && c < 0xC2)
    return 0;
  if (length == 3) {
    auto next = byte(i + 1);
    if ((c == 0xE0 && next < 0xA0) || (c == 0xED && next >= 0xA0))
      return 0;
  }
  if (length == 4) {
    auto next = byte(i + 1);
    if ((c == 0xF0 && next < 0x90) || c > 0xF4 || (c == 0xF4 && next >= 0x90))
      return 0;
  }
  return length;
}

bool is_valid_utf8(std::string_view text) {
  for (std::size_t i = 0; i < text.size();) {
    auto length = utf8_sequence_length(text, i);
    if (length == 0)
      return false;
    i += length;
  }
  return true;
}

std::size_t utf8_code_points(std::string_view text) {
  std::size_t count = 0;
  for (std::size_t i = 0; i < text.size(); ++count) {
    auto length = utf8_sequence_length(text, i);
    i += length == 0 ? 1 : length;
  }
  return count;
}

std::string replace_invalid_utf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    auto length = utf8_sequence_length(text, i);
    if (length == 0) {
      out += "\xEF\xBF\xBD";
      ++i;
      continue;
    }
    out.append(text.substr(i, length));
    i += length;
  }
  return out;
}

} // namespace ferry::mapping
