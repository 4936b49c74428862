#pragma once
// A plain HTTP/1.1 client for the integration tests: real sockets, one
// connection per call.

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

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

/// The HTTP/1.1 responses in `raw` bytes, in order, each framed by its
/// Content-Length (no body when it has none; not for answers to HEAD).
/// `rest`, when given, receives the bytes of an incomplete last response.
std::vector<http_reply> parse_replies(std::string_view raw, std::string* rest = nullptr);

/// One TCP connection to the server for clients no HTTP library would be:
/// the bytes go out exactly as given (at once or one by one), what comes back
/// is read with a deadline, and it tells whether the server closed it.
class raw_connection {
public:
  explicit raw_connection(std::uint16_t port);
  ~raw_connection();
  raw_connection(const raw_connection&) = delete;
  raw_connection& operator=(const raw_connection&) = delete;

  /// Writes all of `bytes`; false once the server has closed or reset the
  /// connection (what it sent before is still read by the calls below).
  bool write(std::string_view bytes);

  /// Writes `bytes` one byte per write, `pause` between two; false as write.
  bool write_slowly(std::string_view bytes, std::chrono::milliseconds pause);

  /// Closes the sending side: the server reads the end of the stream.
  void shutdown_write();

  /// Reads what arrives within `wait`, stopping early when the server closes.
  void read_for(std::chrono::milliseconds wait);

  /// Reads until the server closes the connection or `limit` passes; whether
  /// it closed.
  bool read_until_close(std::chrono::milliseconds limit);

  /// Reads until `count` whole responses have arrived, the server closes, or
  /// `limit` passes; the whole responses received so far (at most `count`
  /// are waited for, all that arrived are returned).
  std::vector<http_reply> read_replies(std::size_t count, std::chrono::milliseconds limit);

  /// Every byte received so far.
  const std::string& received() const { return received_; }

  /// Whether the server closed (end of stream) or reset the connection.
  bool closed() const { return closed_; }

  /// Whether the server reset the connection (rather than closing cleanly).
  bool reset() const { return reset_; }

private:
  /// One wait of at most `wait` for bytes; false when nothing more can come.
  bool read_once(std::chrono::milliseconds wait);

  int fd_ = -1;
  std::string received_;
  bool closed_ = false;
  bool reset_ = false;
};

} // namespace comptoir::test
