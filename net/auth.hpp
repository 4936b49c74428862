#pragma once
// Bearer-token authentication: which principal a request's token stands for.

#include "domain/access.hpp"

#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace comptoir::net {

struct token_grant {
  std::string token;
  domain::principal who;
};

/// The tokens of demo mode (API.md): demo-admin, demo-hq, demo-logistics and
/// demo-clerk-1 ... demo-clerk-5.
std::vector<token_grant> demo_grants();

class authenticator {
public:
  explicit authenticator(const std::vector<token_grant>& grants);

  /// The principal of an `Authorization: Bearer <token>` header value, or
  /// nullptr when the header is missing, malformed or names no known token.
  const domain::principal* authenticate(std::string_view authorization) const;

private:
  std::unordered_map<std::string, domain::principal> by_token_;
};

} // namespace comptoir::net
