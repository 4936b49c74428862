#pragma once
// From a request Beast has parsed to the API's request. Includes Beast: only
// for the files that already pay for it (the listener and the fuzz target).

#include "net/http_types.hpp"

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include <string>

namespace comptoir::net {

/// `message`'s method, target, headers and body; its own X-Request-Id when it
/// is short and printable, else `fresh_id`. Moves the body out.
request to_request(boost::beast::http::request<boost::beast::http::string_body>& message,
                   std::string fresh_id);

} // namespace comptoir::net
