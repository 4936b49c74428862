#include "net/beast_request.hpp"

#include <cctype>

namespace comptoir::net {

namespace http = boost::beast::http;

namespace {

method to_method(http::verb verb) {
  switch (verb) {
  case http::verb::get:
    return method::get;
  case http::verb::head:
    return method::head;
  case http::verb::post:
    return method::post;
  case http::verb::put:
    return method::put;
  case http::verb::patch:
    return method::patch;
  case http::verb::delete_:
    return method::del;
  case http::verb::options:
    return method::options;
  default:
    return method::other;
  }
}

/// A client's request id is echoed only when it is short and printable.
bool acceptable_request_id(boost::beast::string_view id) {
  if (id.empty() || id.size() > 128)
    return false;
  for (char c : id)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.' &&
        c != ':')
      return false;
  return true;
}

} // namespace

request to_request(http::request<http::string_body>& message, std::string fresh_id) {
  request incoming;
  incoming.method = to_method(message.method());
  incoming.target = std::string{message.target()};
  incoming.authorization = std::string{message[http::field::authorization]};
  auto given_id = message["X-Request-Id"];
  incoming.request_id = acceptable_request_id(given_id) ? std::string{given_id} : std::move(fresh_id);
  incoming.accept = std::string{message[http::field::accept]};
  incoming.if_none_match = std::string{message[http::field::if_none_match]};
  if (auto key = message.find("Idempotency-Key"); key != message.end())
    incoming.idempotency_key = std::string{key->value()};
  incoming.origin = std::string{message[http::field::origin]};
  incoming.cors_request_method = std::string{message[http::field::access_control_request_method]};
  incoming.body = std::move(message.body());
  return incoming;
}

} // namespace comptoir::net
