#include "net/auth.hpp"

#include <algorithm>
#include <cctype>

namespace comptoir::net {

std::vector<token_grant> demo_grants() {
  using domain::role;
  std::vector<token_grant> grants{
      {"demo-admin", {role::admin, {}}},
      {"demo-hq", {role::hq, {}}},
      {"demo-logistics", {role::logistics, {}}},
  };
  for (std::int64_t store = 1; store <= 5; ++store)
    grants.push_back({"demo-clerk-" + std::to_string(store), {role::clerk, {store}}});
  return grants;
}

authenticator::authenticator(const std::vector<token_grant>& grants) {
  for (const auto& grant : grants)
    by_token_.insert_or_assign(grant.token, grant.who);
}

const domain::principal* authenticator::authenticate(std::string_view authorization) const {
  // The scheme is case-insensitive (RFC 9110, 11.1).
  constexpr std::string_view scheme = "bearer ";
  if (authorization.size() <= scheme.size() ||
      !std::equal(scheme.begin(), scheme.end(), authorization.begin(),
                  [](char a, char b) { return a == std::tolower(static_cast<unsigned char>(b)); }))
    return nullptr;
  auto token = authorization.substr(scheme.size());
  auto found = by_token_.find(std::string{token});
  return found == by_token_.end() ? nullptr : &found->second;
}

} // namespace comptoir::net
