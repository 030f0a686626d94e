#pragma once

#include <boost/asio/ssl/context.hpp>
#include <string>

/// TLS contexts for Ferry's servers and clients, and the self-signed
/// certificates that the demo, the simulators and the tests trust.
namespace ferry::tls {

/// A server context: TLS 1.2 and 1.3 only, Mozilla "intermediate" ciphers,
/// the certificate chain and key from PEM files. Throws std::runtime_error
/// naming the file that could not be used.
boost::asio::ssl::context make_server_tls_context(const std::string& cert_file,
                                                  const std::string& key_file);

/// A client context: TLS 1.2 and 1.3 only; trusts `ca_file` (PEM) or, when
/// empty, the system store; `verify` turns peer verification on (host name
/// checks are set per connection). Throws std::runtime_error naming the file.
boost::asio::ssl::context make_client_tls_context(const std::string& ca_file,
                                                  bool verify);

/// Paths of a generated CA and a server certificate signed by it.
struct certificate_files {
  /// The CA certificate clients trust.
  std::string ca_file;
  /// The server certificate chain (leaf + CA), for `make_server_tls_context`.
  std::string cert_file;
  /// The server's private key.
  std::string key_file;
};

/// Creates once and then reuses, in `dir`, a CA and a "localhost" server
/// certificate (subjectAltName DNS:localhost, IP:127.0.0.1) signed by it.
/// Safe when several processes call it at once. Throws std::runtime_error
/// naming the folder on failure.
certificate_files ensure_self_signed_certificate(const std::string& dir);

} // namespace ferry::tls
