#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

/// HTTP messages as Ferry's handlers and clients see them: plain values with
/// no Beast type, so that handlers are tested without a socket.
namespace ferry::http {

/// Header fields in arrival order; names compare case-insensitively.
struct header_map {
  using field = std::pair<std::string, std::string>;

  /// The first value of `name`, if present.
  std::optional<std::string> get(std::string_view name) const;
  /// Every value of `name`, in order.
  std::vector<std::string> get_all(std::string_view name) const;
  /// Whether `name` is present.
  bool contains(std::string_view name) const;
  /// Replaces every value of `name` with `value`.
  void set(std::string name, std::string value);
  /// Appends a value of `name`, keeping existing ones.
  void add(std::string name, std::string value);
  /// Removes every value of `name`.
  void erase(std::string_view name);
  /// Number of fields.
  std::size_t size() const { return fields_.size(); }

  std::vector<field>::const_iterator begin() const { return fields_.begin(); }
  std::vector<field>::const_iterator end() const { return fields_.end(); }

private:
  std::vector<field> fields_;
};

/// Whether `a` and `b` are equal ignoring ASCII case.
bool iequals(std::string_view a, std::string_view b);

/// A request as a handler receives it.
struct request {
  std::string method;
  /// Raw request target, with the query string.
  std::string target;
  /// Decoded path without the query.
  std::string path;
  /// Decoded query parameters (the last value wins for a repeated name).
  std::map<std::string, std::string> query;
  /// Every value of each query parameter, in order (`sku=A&sku=B`).
  std::multimap<std::string, std::string> query_all;
  /// Values of `{name}` segments of the matched route pattern.
  std::map<std::string, std::string> params;
  header_map headers;
  std::string body;
  /// Peer address "ip:port".
  std::string remote_address;
  /// The OAuth client id that `require_scopes` authenticated; empty otherwise.
  std::string principal;
};

/// A response as a handler produces it (and as the client returns it).
struct response {
  int status = 200;
  header_map headers;
  std::string body;

  /// A JSON response with `Content-Type: application/json; charset=utf-8`.
  static response json(int status, const nlohmann::json& body);
  /// A plain-text response.
  static response text(int status, std::string body);
  /// A JSON error body `{"error":code,"message":message}`; Ferry's own
  /// endpoints use this shape for every 4xx/5xx.
  static response error(int status, std::string code, std::string message);
};

} // namespace ferry::http
