#pragma once
// The HTTP/1.1 listener and its sessions (Boost.Beast), behind a small interface
// so that only http_server.cpp pays for the Beast and Asio headers.

#include "net/http_metrics.hpp"
#include "net/http_types.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace comptoir::net {

struct server_settings {
  std::string address = "127.0.0.1";
  std::uint16_t port = 8080;
  std::size_t io_threads = 1;
  std::uint64_t body_limit = 1 << 20;
  std::uint32_t header_limit = 16 << 10;
  /// Time a client has to send a request's body once its header arrived.
  std::chrono::milliseconds read_timeout{10'000};
  /// Time a connection may wait for its next request's first byte.
  std::chrono::milliseconds idle_timeout{30'000};
  /// Time a client has to send a request's whole header once its first byte
  /// arrived.
  std::chrono::milliseconds header_timeout{10'000};
  /// Longest request target accepted (414 beyond).
  std::uint32_t url_limit = 8 << 10;
  /// Connections beyond this many are answered 503 and closed at once.
  std::size_t max_connections = 10'000;
  /// Requests a client may send ahead of the answers on one connection.
  std::size_t max_pipelined = 32;
  /// Requests read and not yet answered, over all connections; beyond, 503.
  std::size_t max_in_flight = 1024;
  /// One JSON log line per request; off, only for error answers.
  bool access_log = true;
};

/// Called on an I/O thread for every complete request; must not block.
using request_handler = std::function<void(request, responder)>;

class http_server {
public:
  /// Binds the listening socket; throws std::runtime_error naming the
  /// address when it cannot. Counts into `metrics`, which must outlive it.
  http_server(const server_settings& settings, request_handler handler, http_metrics& metrics);
  ~http_server();

  /// Starts accepting, on `io_threads` threads of its own.
  void start();

  /// Stops accepting, closes idle connections, lets in-flight requests answer
  /// for up to `grace`, then stops the I/O threads.
  void stop(std::chrono::milliseconds grace);

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace comptoir::net
