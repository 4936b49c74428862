#pragma once
// Decoding the JSON bodies clients send, and telling malformed (400) from
// invalid (422).

#include "domain/product.hpp"
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

struct decoded_product {
  domain::product item;
  domain::product_patch patch;
  /// Set when a member has the wrong type or the body is not an object: a 400.
  std::string malformed;
  /// Required members the body leaves out (creation only): well-formed but
  /// invalid, a 422.
  std::vector<std::string> missing;
};

/// A product to create (`sku`, `name`, `category`, `price_cents`, optional
/// `description`) or, with `as_patch`, the members to change (any of
/// `name`, `category`, `description`, `price_cents`; `sku` is refused).
/// Range rules are domain::validate_product's.
decoded_product decode_product(std::string_view body, bool as_patch);

/// A stable digest of what a write request asks for, to tell a retry (same
/// digest) from a reuse of its Idempotency-Key for something else.
std::string fingerprint(std::string_view kind, std::string_view target,
                        const std::vector<domain::basket_line>& lines);

} // namespace comptoir::net
