#include "support/http_client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <algorithm>
#include <cctype>

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

} // namespace comptoir::test
