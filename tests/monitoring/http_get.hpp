#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdexcept>
#include <string>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

/// A minimal HTTP/1.0 GET for tests of the ops server: a real TCP socket to
/// 127.0.0.1, a 10 s receive time-out, the whole answer read until close.
namespace ferry::test {

/// Status code and body of one answer.
struct http_answer {
  /// 0 when no valid status line came back.
  int status = 0;
  /// Everything after the blank line.
  std::string body;
  /// The header block.
  std::string headers;
};

/// GET `path` from 127.0.0.1:`port`; throws when it cannot connect.
inline http_answer http_get(int port, const std::string& path) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0)
    throw std::runtime_error("http_get: socket() failed");
  timeval tv{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    throw std::runtime_error("http_get: cannot connect to port " +
                             std::to_string(port));
  }
  std::string request = "GET " + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
  ::send(fd, request.data(), request.size(), MSG_NOSIGNAL);
  std::string raw;
  char buf[4096];
  for (;;) {
    auto n = ::recv(fd, buf, sizeof(buf), 0);
    if (n <= 0)
      break;
    raw.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  http_answer answer;
  auto split = raw.find("\r\n\r\n");
  answer.headers = raw.substr(0, split);
  if (split != std::string::npos)
    answer.body = raw.substr(split + 4);
  if (raw.rfind("HTTP/1.", 0) == 0 && raw.size() > 12)
    answer.status = std::stoi(raw.substr(9, 3));
  return answer;
}

} // namespace ferry::test
