#pragma once
// The request and response as the API layer sees them, free of Beast types.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace comptoir::net {

enum class method { get, head, post, put, patch, del, options, other };

struct request {
  net::method method = method::other;
  /// The raw request target: path and query string.
  std::string target;
  std::string authorization;
  std::string request_id;
  /// The Accept header, empty when absent.
  std::string accept;
  /// The If-None-Match header, empty when absent.
  std::string if_none_match;
  /// The Idempotency-Key header, when the client sent one.
  std::optional<std::string> idempotency_key;
  /// The Origin header (CORS), empty when absent.
  std::string origin;
  /// Access-Control-Request-Method: set on a CORS preflight only.
  std::string cors_request_method;
  std::string body;
};

struct response {
  unsigned status = 200;
  std::string content_type = "application/json";
  std::string body;
  /// Sent instead of `body` when set: a body kept by a cache (a published
  /// stock view) goes out as is, without a copy per response.
  std::shared_ptr<const std::string> shared_body;
  std::vector<std::pair<std::string, std::string>> headers;
  /// Why this is an error, for the log line of the request only; never sent.
  std::string log_note;
  // For the metrics and the access log, never sent: the route template
  // ("unmatched" when no route matched, "none" when the request was refused
  // before routing), the store the request acted on (0: none) and the
  // caller's role (empty: no token).
  std::string_view route = "none";
  std::int64_t store = 0;
  std::string_view role;
};

/// The bytes a response sends.
inline std::string_view payload(const response& answer) {
  return answer.shared_body ? std::string_view{*answer.shared_body} : std::string_view{answer.body};
}

/// Delivers the response of one request. Safe to call from any thread, once.
using responder = std::function<void(response)>;

} // namespace comptoir::net
