#pragma once
// A plain HTTP/1.1 client for the integration tests: real sockets, one
// connection per call.

#include <cstdint>
#include <map>
#include <string>

namespace comptoir::test {

struct http_reply {
  unsigned status = 0;
  /// Header names in lower case.
  std::map<std::string, std::string> headers;
  std::string body;
};

struct http_call {
  std::string method = "GET";
  std::string target = "/";
  std::map<std::string, std::string> headers;
  std::string body;
};

http_reply send(std::uint16_t port, const http_call& call);

/// GET with a bearer token when `token` is not empty.
http_reply get(std::uint16_t port, const std::string& target, const std::string& token = "");

/// Writes `raw` bytes as is and returns what the server answered, for
/// requests no well-behaved client would send.
std::string send_raw(std::uint16_t port, const std::string& raw);

} // namespace comptoir::test
