#include "mapping/content_hash.hpp"

#include <array>
#include <openssl/evp.h>
#include <stdexcept>

namespace ferry::mapping {

std::string sha256_hex(std::string_view bytes) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), digest.data(), &length,
                 EVP_sha256(), nullptr) != 1)
    throw std::runtime_error("SHA-256 failed in OpenSSL");
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(length * 2);
  for (unsigned int i = 0; i < length; ++i) {
    out.push_back(hex[digest[i] >> 4]);
    out.push_back(hex[digest[i] & 0x0f]);
  }
  return out;
}

std::string content_hash(const nlohmann::json& fields) {
  // nlohmann::json keeps object keys sorted, so dump() is canonical. Text
  // that is not UTF-8 (an ERP answer is not checked before it is hashed) is
  // hashed with U+FFFD for its bad bytes rather than throwing.
  return sha256_hex(
      fields.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

} // namespace ferry::mapping
