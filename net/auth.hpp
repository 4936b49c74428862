#pragma once
// Bearer-token authentication: which principal a request's token stands for.
//
// Only SHA-256 digests of the tokens are kept; a presented token is hashed and
// its digest compared in constant time, so neither memory nor timing gives a
// token away.

#include "domain/access.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace comptoir::net {

using token_digest = std::array<unsigned char, 32>;

/// SHA-256 of `token`.
token_digest digest_of(std::string_view token);

/// The digest written as 64 lower-case hex digits (sha256sum's output), or
/// nothing when `hex` is not that.
std::optional<token_digest> parse_digest(std::string_view hex);

struct token_grant {
  token_digest digest;
  domain::principal who;
};

/// The tokens of demo mode (API.md): demo-admin, demo-hq, demo-logistics and
/// demo-clerk-1 ... demo-clerk-5.
std::vector<token_grant> demo_grants();

class authenticator {
public:
  /// Throws std::invalid_argument, naming the grants by index, when two grants
  /// have the same digest (the same token given twice, once hashed say).
  explicit authenticator(const std::vector<token_grant>& grants);

  /// The principal of an `Authorization: Bearer <token>` header value, or
  /// nullptr when the header is missing, malformed or names no known token.
  const domain::principal* authenticate(std::string_view authorization) const;

private:
  struct entry {
    token_digest digest;
    domain::principal who;
  };
  // Keyed by the digest's first bytes only: the lookup's timing depends on
  // those, the full digest is then compared in constant time.
  std::unordered_map<std::uint64_t, std::vector<entry>> by_prefix_;
};

} // namespace comptoir::net
