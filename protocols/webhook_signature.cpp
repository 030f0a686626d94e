#include "protocols/webhook_signature.hpp"

#include "protocols/http/codec.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

namespace ferry::webhook {

namespace {

std::string hmac_sha256(std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out,
       &len);
  return std::string(reinterpret_cast<char*>(out), len);
}

} // namespace

std::string sign(std::string_view secret, std::string_view body) {
  return http::base64_encode(hmac_sha256(secret, body));
}

bool verify(std::string_view body, std::string_view signature,
            const std::vector<std::string>& secrets) {
  auto given = http::base64_decode(signature);
  if (!given || given->size() != 32)
    return false;
  bool ok = false;
  // Every secret is tried, whatever matched, so the time taken does not tell
  // which secret (old or new) is in use.
  for (const auto& secret : secrets) {
    if (secret.empty())
      continue;
    auto expected = hmac_sha256(secret, body);
    ok |= CRYPTO_memcmp(expected.data(), given->data(), expected.size()) == 0;
  }
  return ok;
}

} // namespace ferry::webhook
