#include "protocols/tls.hpp"

#include <cstdio>
#include <fcntl.h>
#include <filesystem>
#include <functional>
#include <memory>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdexcept>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace ssl = boost::asio::ssl;

namespace ferry::tls {

namespace {

// Mozilla's "intermediate" configuration (TLS 1.2 part; TLS 1.3 suites are
// OpenSSL's defaults, which are the same three).
constexpr const char* intermediate_ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"
    "DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384:"
    "DHE-RSA-CHACHA20-POLY1305";
constexpr const char* tls13_suites = "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_"
                                     "SHA384:TLS_CHACHA20_POLY1305_SHA256";

std::string openssl_error() {
  unsigned long e = ERR_get_error();
  if (e == 0)
    return "unknown OpenSSL error";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof(buf));
  ERR_clear_error();
  return buf;
}

void restrict_protocols(ssl::context& ctx) {
  SSL_CTX* native = ctx.native_handle();
  SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
  SSL_CTX_set_max_proto_version(native, TLS1_3_VERSION);
  SSL_CTX_set_options(native, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
  if (SSL_CTX_set_cipher_list(native, intermediate_ciphers) != 1 ||
      SSL_CTX_set_ciphersuites(native, tls13_suites) != 1)
    throw std::runtime_error("TLS cipher configuration rejected: " +
                             openssl_error());
}

struct pkey_free {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct x509_free {
  void operator()(X509* p) const { X509_free(p); }
};
using pkey_ptr = std::unique_ptr<EVP_PKEY, pkey_free>;
using x509_ptr = std::unique_ptr<X509, x509_free>;

pkey_ptr new_key() {
  pkey_ptr key{EVP_EC_gen("P-256")};
  if (!key)
    throw std::runtime_error("key generation failed: " + openssl_error());
  return key;
}

void add_ext(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  if (ext == nullptr)
    throw std::runtime_error(std::string("certificate extension ") + value +
                             " rejected: " + openssl_error());
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

x509_ptr new_cert(EVP_PKEY* key, const char* common_name, X509* issuer,
                  EVP_PKEY* issuer_key, long days, bool is_ca) {
  x509_ptr cert{X509_new()};
  X509_set_version(cert.get(), 2);
  unsigned char serial[16];
  RAND_bytes(serial, sizeof(serial));
  serial[0] &= 0x7f;
  BIGNUM* bn = BN_bin2bn(serial, sizeof(serial), nullptr);
  BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert.get()));
  BN_free(bn);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), days * 24L * 3600L);
  X509_set_pubkey(cert.get(), key);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("Ferry"),
                             -1, -1, 0);
  X509_NAME_add_entry_by_txt(
      name, "CN", MBSTRING_ASC,
      reinterpret_cast<const unsigned char*>(common_name), -1, -1, 0);
  X509* signer = issuer != nullptr ? issuer : cert.get();
  X509_set_issuer_name(cert.get(), X509_get_subject_name(signer));
  if (is_ca) {
    add_ext(cert.get(), signer, NID_basic_constraints, "critical,CA:TRUE");
    add_ext(cert.get(), signer, NID_key_usage, "critical,keyCertSign,cRLSign");
    add_ext(cert.get(), signer, NID_subject_key_identifier, "hash");
  } else {
    add_ext(cert.get(), signer, NID_basic_constraints, "critical,CA:FALSE");
    add_ext(cert.get(), signer, NID_key_usage,
            "critical,digitalSignature,keyEncipherment");
    add_ext(cert.get(), signer, NID_ext_key_usage, "serverAuth");
    add_ext(cert.get(), signer, NID_subject_alt_name,
            "DNS:localhost,IP:127.0.0.1");
    add_ext(cert.get(), signer, NID_authority_key_identifier, "keyid:always");
  }
  if (X509_sign(cert.get(), issuer_key, EVP_sha256()) == 0)
    throw std::runtime_error("certificate signing failed: " + openssl_error());
  return cert;
}

void write_file(const std::string& path, mode_t mode,
                const std::function<bool(FILE*)>& writer) {
  std::string tmp = path + ".tmp." + std::to_string(::getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, mode);
  if (fd < 0)
    throw std::runtime_error("cannot write " + tmp);
  FILE* f = ::fdopen(fd, "w");
  bool ok = f != nullptr && writer(f);
  if (f != nullptr)
    ok = (std::fclose(f) == 0) && ok;
  else
    ::close(fd);
  if (!ok || std::rename(tmp.c_str(), path.c_str()) != 0)
    throw std::runtime_error("cannot write " + path);
}

bool usable(const certificate_files& f) {
  namespace fs = std::filesystem;
  if (!fs::exists(f.ca_file) || !fs::exists(f.cert_file) ||
      !fs::exists(f.key_file))
    return false;
  FILE* in = std::fopen(f.cert_file.c_str(), "r");
  if (in == nullptr)
    return false;
  x509_ptr cert{PEM_read_X509(in, nullptr, nullptr, nullptr)};
  std::fclose(in);
  if (!cert)
    return false;
  // Replace a certificate that expires within a day.
  time_t soon = time(nullptr) + 24 * 3600;
  return X509_cmp_time(X509_get0_notAfter(cert.get()), &soon) > 0;
}

} // namespace

ssl::context make_server_tls_context(const std::string& cert_file,
                                     const std::string& key_file) {
  ssl::context ctx{ssl::context::tls_server};
  restrict_protocols(ctx);
  SSL_CTX_set_options(ctx.native_handle(), SSL_OP_NO_TICKET);
  if (SSL_CTX_use_certificate_chain_file(ctx.native_handle(),
                                         cert_file.c_str()) != 1)
    throw std::runtime_error("TLS certificate file " + cert_file +
                             " unusable: " + openssl_error());
  if (SSL_CTX_use_PrivateKey_file(ctx.native_handle(), key_file.c_str(),
                                  SSL_FILETYPE_PEM) != 1)
    throw std::runtime_error("TLS key file " + key_file +
                             " unusable: " + openssl_error());
  if (SSL_CTX_check_private_key(ctx.native_handle()) != 1)
    throw std::runtime_error("TLS key file " + key_file +
                             " does not match certificate " + cert_file);
  return ctx;
}

ssl::context make_client_tls_context(const std::string& ca_file, bool verify) {
  ssl::context ctx{ssl::context::tls_client};
  restrict_protocols(ctx);
  if (!ca_file.empty()) {
    if (SSL_CTX_load_verify_locations(ctx.native_handle(), ca_file.c_str(),
                                      nullptr) != 1)
      throw std::runtime_error("TLS CA file " + ca_file +
                               " unusable: " + openssl_error());
  } else {
    ctx.set_default_verify_paths();
  }
  ctx.set_verify_mode(verify ? ssl::verify_peer : ssl::verify_none);
  return ctx;
}

certificate_files ensure_self_signed_certificate(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec)
    throw std::runtime_error("cannot create certificate folder " + dir + ": " +
                             ec.message());
  certificate_files files{dir + "/ca.pem", dir + "/server.pem",
                          dir + "/server.key"};
  // Several simulators and tests start at once: one creates, the rest wait.
  std::string lock_path = dir + "/.lock";
  int lock = ::open(lock_path.c_str(), O_RDWR | O_CREAT, 0600);
  if (lock < 0)
    throw std::runtime_error("cannot lock certificate folder " + dir);
  ::flock(lock, LOCK_EX);
  struct unlock {
    int fd;
    ~unlock() {
      ::flock(fd, LOCK_UN);
      ::close(fd);
    }
  } guard{lock};
  if (usable(files))
    return files;
  try {
    auto ca_key = new_key();
    auto ca = new_cert(ca_key.get(), "Ferry demo CA", nullptr, ca_key.get(),
                       3650, true);
    auto key = new_key();
    auto leaf =
        new_cert(key.get(), "localhost", ca.get(), ca_key.get(), 825, false);
    write_file(dir + "/ca.key", 0600, [&](FILE* f) {
      return PEM_write_PrivateKey(f, ca_key.get(), nullptr, nullptr, 0, nullptr,
                                  nullptr) == 1;
    });
    write_file(files.key_file, 0600, [&](FILE* f) {
      return PEM_write_PrivateKey(f, key.get(), nullptr, nullptr, 0, nullptr,
                                  nullptr) == 1;
    });
    write_file(files.ca_file, 0644,
               [&](FILE* f) { return PEM_write_X509(f, ca.get()) == 1; });
    // The leaf is written last: `usable` checks it, so a crash half-way
    // means the next call starts over.
    write_file(files.cert_file, 0644, [&](FILE* f) {
      return PEM_write_X509(f, leaf.get()) == 1 &&
             PEM_write_X509(f, ca.get()) == 1;
    });
  } catch (const std::exception& e) {
    throw std::runtime_error("cannot create certificates in " + dir + ": " +
                             e.what());
  }
  return files;
}

} // namespace ferry::tls
