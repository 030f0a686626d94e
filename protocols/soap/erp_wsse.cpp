#include "protocols/soap/erp_wsse.hpp"

#include "soapH.h"
#include "wsseapi.h"

#include <cstring>
#include <ctime>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <stdexcept>

namespace ferry::soap {

std::string format_utc(std::chrono::system_clock::time_point t) {
  std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

bool parse_utc(std::string_view text,
               std::chrono::system_clock::time_point& out) {
  // YYYY-MM-DDTHH:MM:SS[.fff]Z
  if (text.size() < 20 || text.back() != 'Z')
    return false;
  std::tm tm{};
  std::string s{text.substr(0, 19)};
  const char* end = strptime(s.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
  if (!end || *end != '\0')
    return false;
  auto rest = text.substr(19, text.size() - 20);
  if (!rest.empty()) {
    if (rest[0] != '.' || rest.size() < 2)
      return false;
    for (char c : rest.substr(1))
      if (c < '0' || c > '9')
        return false;
  }
  out = std::chrono::system_clock::from_time_t(timegm(&tm));
  return true;
}

std::string base64_encode(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(bytes.data()),
                          static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

bool base64_decode(std::string_view text, std::string& out) {
  if (text.size() % 4 != 0)
    return false;
  out.assign(3 * text.size() / 4 + 1, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(text.data()),
                          static_cast<int>(text.size()));
  if (n < 0)
    return false;
  // EVP_DecodeBlock counts the padding as zero bytes.
  std::size_t pad = 0;
  if (!text.empty() && text.back() == '=')
    ++pad;
  if (text.size() > 1 && text[text.size() - 2] == '=')
    ++pad;
  out.resize(static_cast<std::size_t>(n) - pad);
  return true;
}

std::string password_digest(std::string_view nonce, std::string_view created,
                            std::string_view password) {
  unsigned char hash[SHA_DIGEST_LENGTH];
  EVP_MD_CTX* md = EVP_MD_CTX_new();
  if (!md)
    throw std::runtime_error("OpenSSL: no memory for SHA-1");
  // Fetched once: EVP_sha1() makes OpenSSL 3 look the algorithm up (under
  // a lock) on every digest, and both sides digest every ERP call.
  static EVP_MD* const sha1 = EVP_MD_fetch(nullptr, "SHA1", nullptr);
  EVP_DigestInit_ex(md, sha1 != nullptr ? sha1 : EVP_sha1(), nullptr);
  EVP_DigestUpdate(md, nonce.data(), nonce.size());
  EVP_DigestUpdate(md, created.data(), created.size());
  EVP_DigestUpdate(md, password.data(), password.size());
  unsigned int len = 0;
  EVP_DigestFinal_ex(md, hash, &len);
  EVP_MD_CTX_free(md);
  return base64_encode(
      std::string_view{reinterpret_cast<const char*>(hash), len});
}

void add_username_token(struct ::soap* ctx, const std::string& username,
                        const std::string& digest,
                        const std::string& nonce_bytes,
                        const std::string& created) {
  soap_wsse_add_UsernameTokenText(ctx, nullptr, username.c_str(),
                                  digest.c_str());
  _wsse__Security* security = soap_wsse_Security(ctx);
  _wsse__UsernameToken* token = security->UsernameToken;
  token->Password->Type = const_cast<char*>(wsse_PasswordDigestURI);
  token->Nonce = static_cast<wsse__EncodedString*>(
      soap_malloc(ctx, sizeof(wsse__EncodedString)));
  soap_default_wsse__EncodedString(ctx, token->Nonce);
  token->Nonce->__item = soap_strdup(ctx, base64_encode(nonce_bytes).c_str());
  token->Nonce->EncodingType = const_cast<char*>(wsse_Base64BinaryURI);
  token->wsu__Created = soap_strdup(ctx, created.c_str());
}

username_token read_username_token(struct ::soap* ctx) {
  username_token result;
  _wsse__UsernameToken* token = soap_wsse_UsernameToken(ctx, nullptr);
  if (!token)
    return result;
  result.present = true;
  if (token->Username)
    result.username = token->Username;
  if (token->Password) {
    result.digest =
        token->Password->Type &&
        std::strcmp(token->Password->Type, wsse_PasswordDigestURI) == 0;
    if (token->Password->__item)
      result.password = token->Password->__item;
  }
  if (token->Nonce && token->Nonce->__item)
    result.nonce_base64 = token->Nonce->__item;
  if (token->wsu__Created)
    result.created = token->wsu__Created;
  return result;
}

void drop_security_header(struct ::soap* ctx) {
  soap_wsse_delete_Security(ctx);
  ctx->header = nullptr;
}

} // namespace ferry::soap
