#pragma once
// RFC 9457 problem details: the one shape every error response takes.

#include "net/http_types.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace comptoir::net {

/// One invalid field of a request, for the `errors` member.
struct field_error {
  std::string field;
  std::string message;
};

/// An `application/problem+json` response. `detail` is shown to clients:
/// never put an internal message in it.
response problem(unsigned status, std::string_view detail, std::string_view request_id,
                 const std::vector<field_error>& errors = {});

/// A 503 with `Retry-After: 1`: the node is overloaded or a part of it is
/// unavailable, which passes soon. `note` is the internal reason, for the log.
response unavailable(std::string_view detail, std::string_view request_id, std::string note);

} // namespace comptoir::net
