#include "protocols/http/message.hpp"

#include <algorithm>

namespace ferry::http {

namespace {

char lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

} // namespace

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size())
    return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower(b[i]))
      return false;
  return true;
}

std::optional<std::string> header_map::get(std::string_view name) const {
  for (const auto& [k, v] : fields_)
    if (iequals(k, name))
      return v;
  return std::nullopt;
}

std::vector<std::string> header_map::get_all(std::string_view name) const {
  std::vector<std::string> out;
  for (const auto& [k, v] : fields_)
    if (iequals(k, name))
      out.push_back(v);
  return out;
}

bool header_map::contains(std::string_view name) const {
  return get(name).has_value();
}

void header_map::set(std::string name, std::string value) {
  erase(name);
  fields_.emplace_back(std::move(name), std::move(value));
}

void header_map::add(std::string name, std::string value) {
  fields_.emplace_back(std::move(name), std::move(value));
}

void header_map::erase(std::string_view name) {
  fields_.erase(
      std::remove_if(fields_.begin(), fields_.end(),
                     [&](const field& f) { return iequals(f.first, name); }),
      fields_.end());
}

response response::json(int status, const nlohmann::json& body) {
  response r;
  r.status = status;
  r.headers.set("Content-Type", "application/json; charset=utf-8");
  // Replace invalid UTF-8 rather than throw: a response must always go out.
  r.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return r;
}

response response::text(int status, std::string body) {
  response r;
  r.status = status;
  r.headers.set("Content-Type", "text/plain; charset=utf-8");
  r.body = std::move(body);
  return r;
}

response response::error(int status, std::string code, std::string message) {
  return json(status,
              {{"error", std::move(code)}, {"message", std::move(message)}});
}

} // namespace ferry::http
