#pragma once
// Cross-origin resource sharing (the Fetch standard's CORS protocol), for the
// browser pages of configured origins only. Tokens travel in the
// Authorization header, not in cookies, so credentials are never allowed and
// there is no wildcard.

#include "net/http_types.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace comptoir::net {

class cors_policy {
public:
  /// `origins` as the browser sends them: scheme://host[:port].
  explicit cors_policy(std::vector<std::string> origins);

  bool allows(std::string_view origin) const;

  /// Whether `incoming` is a preflight: OPTIONS with Origin and
  /// Access-Control-Request-Method.
  static bool is_preflight(const request& incoming);

  /// The answer to a preflight for a path whose methods are `allowed` (an
  /// Allow header value): 204 with the Access-Control-Allow-* headers when the
  /// origin is allowed, else a 403 problem.
  response preflight(const request& incoming, std::string_view allowed) const;

  /// Adds the headers that let an allowed origin's page read `answer`.
  void expose(std::string_view origin, response& answer) const;

private:
  std::vector<std::string> origins_;
};

} // namespace comptoir::net
