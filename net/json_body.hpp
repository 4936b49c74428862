#pragma once
// Decoding the JSON bodies clients send, and telling malformed (400) from
// invalid (422).

#include "domain/sale.hpp"
#include "net/problem.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace comptoir::net {

struct decoded_lines {
  std::vector<domain::basket_line> lines;
  /// Set when the body is not what the endpoint takes at all: a 400.
  std::string malformed;
  /// Fields of the right type but out of range: a 422 (with the domain's
  /// own rules, checked next).
  std::vector<field_error> out_of_range;
};

/// `{"lines": [{"product_id": 1, "quantity": 2}, ...]}`; other members are ignored.
decoded_lines decode_lines(std::string_view body);

struct decoded_reorder_point {
  std::int64_t reorder_point = 0;
  /// Set when the body is not `{"reorder_point": <integer>}`: a 400.
  std::string malformed;
};

/// `{"reorder_point": 12}`; range checks are the caller's.
decoded_reorder_point decode_reorder_point(std::string_view body);

/// A stable digest of what a write request asks for, to tell a retry (same
/// digest) from a reuse of its Idempotency-Key for something else.
std::string fingerprint(std::string_view kind, std::string_view target,
                        const std::vector<domain::basket_line>& lines);

} // namespace comptoir::net
