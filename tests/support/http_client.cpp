#include "support/http_client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <algorithm>
#include <arpa/inet.h>
#include <cctype>
#include <cerrno>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdexcept>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

namespace comptoir::test {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

tcp::socket connect(asio::io_context& io, std::uint16_t port) {
  tcp::socket socket{io};
  socket.connect({asio::ip::make_address("127.0.0.1"), port});
  return socket;
}

} // namespace

http_reply send(std::uint16_t port, const http_call& call) {
  asio::io_context io;
  auto socket = connect(io, port);
  http::request<http::string_body> out{http::string_to_verb(call.method), call.target, 11};
  out.set(http::field::host, "127.0.0.1");
  for (const auto& [name, value] : call.headers)
    out.set(name, value);
  out.body() = call.body;
  if (!call.body.empty() || call.method == "POST" || call.method == "PATCH")
    out.prepare_payload();
  http::write(socket, out);

  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(64 << 20);
  parser.skip(call.method == "HEAD");
  http::read(socket, buffer, parser);
  auto in = parser.release();
  http_reply reply;
  reply.status = in.result_int();
  for (const auto& field : in) {
    std::string name{field.name_string()};
    std::ranges::transform(name, name.begin(), [](unsigned char c) { return std::tolower(c); });
    reply.headers[name] = std::string{field.value()};
  }
  reply.body = std::move(in.body());
  return reply;
}

http_reply get(std::uint16_t port, const std::string& target, const std::string& token) {
  http_call call;
  call.target = target;
  if (!token.empty())
    call.headers["Authorization"] = "Bearer " + token;
  return send(port, call);
}

std::string send_raw(std::uint16_t port, const std::string& raw) {
  asio::io_context io;
  auto socket = connect(io, port);
  asio::write(socket, asio::buffer(raw));
  std::string answer;
  beast::error_code ec;
  asio::read(socket, asio::dynamic_buffer(answer), ec); // until the server closes
  return answer;
}

namespace {

std::string lower(std::string_view text) {
  std::string out{text};
  std::ranges::transform(out, out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t'))
    text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t'))
    text.remove_suffix(1);
  return text;
}

} // namespace

std::vector<http_reply> parse_replies(std::string_view raw, std::string* rest) {
  std::vector<http_reply> replies;
  while (!raw.empty()) {
    auto head_end = raw.find("\r\n\r\n");
    if (head_end == std::string_view::npos)
      break;
    auto head = raw.substr(0, head_end);
    auto line_end = head.find("\r\n");
    auto status_line = head.substr(0, line_end);
    // "HTTP/1.1 200 OK"
    if (!status_line.starts_with("HTTP/1.") || status_line.size() < 12)
      break;
    http_reply reply;
    try {
      reply.status = static_cast<unsigned>(std::stoul(std::string{status_line.substr(9, 3)}));
    } catch (const std::exception&) {
      break;
    }
    auto fields =
        line_end == std::string_view::npos ? std::string_view{} : head.substr(line_end + 2);
    while (!fields.empty()) {
      auto end = fields.find("\r\n");
      auto field = fields.substr(0, end);
      fields = end == std::string_view::npos ? std::string_view{} : fields.substr(end + 2);
      auto colon = field.find(':');
      if (colon == std::string_view::npos)
        continue;
      reply.headers[lower(trim(field.substr(0, colon)))] =
          std::string{trim(field.substr(colon + 1))};
    }
    std::size_t length = 0;
    if (auto found = reply.headers.find("content-length"); found != reply.headers.end())
      length = std::stoul(found->second);
    auto body_start = head_end + 4;
    if (raw.size() - body_start < length)
      break;
    reply.body = std::string{raw.substr(body_start, length)};
    replies.push_back(std::move(reply));
    raw.remove_prefix(body_start + length);
  }
  if (rest)
    *rest = std::string{raw};
  return replies;
}

raw_connection::raw_connection(std::uint16_t port) {
  fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd_ < 0)
    throw std::runtime_error("raw_connection: socket failed");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    ::close(fd_);
    throw std::runtime_error("raw_connection: cannot connect to port " + std::to_string(port));
  }
  int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

raw_connection::~raw_connection() {
  if (fd_ >= 0)
    ::close(fd_);
}

bool raw_connection::write(std::string_view bytes) {
  while (!bytes.empty()) {
    auto sent = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (sent < 0) {
      if (errno == EINTR)
        continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        // The server reads slower than we write: let it catch up.
        pollfd waiting{fd_, POLLOUT, 0};
        ::poll(&waiting, 1, 100);
        continue;
      }
      if (errno == ECONNRESET)
        reset_ = true;
      closed_ = true;
      return false;
    }
    bytes.remove_prefix(static_cast<std::size_t>(sent));
  }
  return true;
}

bool raw_connection::write_slowly(std::string_view bytes, std::chrono::milliseconds pause) {
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    if (i > 0)
      std::this_thread::sleep_for(pause);
    if (!write(bytes.substr(i, 1)))
      return false;
  }
  return true;
}

void raw_connection::shutdown_write() {
  ::shutdown(fd_, SHUT_WR);
}

bool raw_connection::read_once(std::chrono::milliseconds wait) {
  if (closed_) {
    // A write may have failed while bytes still wait in the receive queue.
    char probe[65536];
    auto got = ::recv(fd_, probe, sizeof probe, MSG_DONTWAIT);
    if (got > 0) {
      received_.append(probe, static_cast<std::size_t>(got));
      return true;
    }
    return false;
  }
  pollfd readable{fd_, POLLIN, 0};
  int ready = ::poll(&readable, 1, static_cast<int>(std::max<long long>(0, wait.count())));
  if (ready <= 0)
    return ready == 0 || errno == EINTR; // timeout: more may come later
  char chunk[65536];
  auto got = ::recv(fd_, chunk, sizeof chunk, 0);
  if (got > 0) {
    received_.append(chunk, static_cast<std::size_t>(got));
    return true;
  }
  if (got < 0 && (errno == EINTR || errno == EAGAIN))
    return true;
  closed_ = true;
  reset_ = got < 0;
  return false;
}

void raw_connection::read_for(std::chrono::milliseconds wait) {
  auto deadline = std::chrono::steady_clock::now() + wait;
  while (true) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0 || !read_once(left))
      return;
  }
}

bool raw_connection::read_until_close(std::chrono::milliseconds limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (true) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0)
      return closed_;
    if (!read_once(left))
      return closed_;
  }
}

std::vector<http_reply> raw_connection::read_replies(std::size_t count,
                                                     std::chrono::milliseconds limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (true) {
    auto replies = parse_replies(received_);
    if (replies.size() >= count)
      return replies;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0 || !read_once(left))
      return parse_replies(received_);
  }
}

} // namespace comptoir::test
