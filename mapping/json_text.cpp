#include "mapping/json_text.hpp"

namespace ferry {

bool json_deeper_than(std::string_view text, std::size_t max_depth) {
  std::size_t depth = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      if (c == '\\')
        ++i;
      else if (c == '"')
        in_string = false;
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth)
        return true;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return false;
}

bounded_json parse_bounded_json(std::string_view text, std::size_t max_depth) {
  bounded_json out;
  if (json_deeper_than(text, max_depth)) {
    out.error = "it nests arrays and objects deeper than " +
                std::to_string(max_depth) + " levels";
    return out;
  }
  try {
    out.value = nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    // nlohmann quotes the bytes it read last: keep the position and the
    // kind of error only.
    std::string what = e.what();
    auto start = what.find("] ");
    what = start == std::string::npos ? what : what.substr(start + 2);
    what = what.substr(0, what.find("; last read"));
    out.error =
        "it is not valid JSON (byte " + std::to_string(e.byte) + "): " + what;
  } catch (const nlohmann::json::exception&) {
    out.error = "it is not valid JSON: a number is out of range";
  }
  return out;
}

std::string dump_utf8_safe(const nlohmann::json& value) {
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

bool holds_nul_escape(std::string_view json_text) {
  static constexpr std::string_view escape = "\\u0000";
  for (auto at = json_text.find(escape); at != std::string_view::npos;
       at = json_text.find(escape, at + 1)) {
    // `\\u0000` is an escaped backslash followed by text: count the
    // backslashes before this one.
    std::size_t backslashes = 0;
    for (auto i = at; i > 0 && json_text[i - 1] == '\\'; --i)
      ++backslashes;
    if (backslashes % 2 == 0)
      return true;
  }
  return false;
}

namespace {

std::string path_in(const nlohmann::json& value, std::string_view needle,
                    const std::string& path, std::size_t depth) {
  auto holds = [needle](const std::string& text) {
    return text.find(needle) != std::string::npos;
  };
  if (value.is_string())
    return holds(value.get_ref<const std::string&>())
               ? (path.empty() ? std::string{"(the value)"} : path)
               : std::string{};
  if (depth >= max_json_depth)
    return {};
  if (value.is_object()) {
    for (auto it = value.begin(); it != value.end(); ++it) {
      auto here = path.empty() ? it.key() : path + "." + it.key();
      if (holds(it.key()))
        return here;
      auto found = path_in(it.value(), needle, here, depth + 1);
      if (!found.empty())
        return found;
    }
  } else if (value.is_array()) {
    for (std::size_t i = 0; i < value.size(); ++i) {
      auto found = path_in(value[i], needle,
                           path + "[" + std::to_string(i) + "]", depth + 1);
      if (!found.empty())
        return found;
    }
  }
  return {};
}

} // namespace

std::string nul_character_path(const nlohmann::json& value) {
  return path_in(value, std::string_view("\0", 1), "", 0);
}

std::string character_path(const nlohmann::json& value,
                           std::string_view needle) {
  return path_in(value, needle, "", 0);
}

} // namespace ferry
