#include "net/cors.hpp"

#include "net/problem.hpp"

#include <algorithm>

namespace comptoir::net {

namespace {
// The request headers a page may set: everything API.md defines.
constexpr std::string_view allowed_headers =
    "Authorization, Content-Type, Idempotency-Key, If-None-Match, X-Request-Id";
// The response headers a page may read beyond the CORS-safelisted ones.
constexpr std::string_view exposed_headers =
    "ETag, Retry-After, X-Request-Id, WWW-Authenticate, Allow";
// How long a browser may reuse a preflight answer, in seconds.
constexpr std::string_view max_age = "600";
} // namespace

cors_policy::cors_policy(std::vector<std::string> origins) : origins_(std::move(origins)) {}

bool cors_policy::allows(std::string_view origin) const {
  return std::find(origins_.begin(), origins_.end(), origin) != origins_.end();
}

bool cors_policy::is_preflight(const request& incoming) {
  return incoming.method == method::options && !incoming.origin.empty() &&
         !incoming.cors_request_method.empty();
}

response cors_policy::preflight(const request& incoming, std::string_view allowed) const {
  if (!allows(incoming.origin)) {
    auto answer = problem(403, "This origin may not call this API from a browser.",
                          incoming.request_id);
    answer.headers.emplace_back("Vary", "Origin");
    return answer;
  }
  response answer;
  answer.status = 204;
  answer.content_type.clear();
  answer.headers = {
      {"Access-Control-Allow-Origin", incoming.origin},
      {"Access-Control-Allow-Methods", std::string{allowed}},
      {"Access-Control-Allow-Headers", std::string{allowed_headers}},
      {"Access-Control-Max-Age", std::string{max_age}},
      {"Vary", "Origin"},
  };
  return answer;
}

void cors_policy::expose(std::string_view origin, response& answer) const {
  if (origins_.empty())
    return; // answers never depend on the origin
  answer.headers.emplace_back("Vary", "Origin");
  if (!allows(origin))
    return;
  answer.headers.emplace_back("Access-Control-Allow-Origin", std::string{origin});
  answer.headers.emplace_back("Access-Control-Expose-Headers", std::string{exposed_headers});
}

} // namespace comptoir::net
