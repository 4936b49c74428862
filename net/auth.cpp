#include "net/auth.hpp"

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <stdexcept>
#include <string>

namespace comptoir::net {

namespace {

std::uint64_t prefix_of(const token_digest& digest) {
  std::uint64_t prefix = 0;
  std::memcpy(&prefix, digest.data(), sizeof prefix);
  return prefix;
}

} // namespace

token_digest digest_of(std::string_view token) {
  token_digest digest;
  SHA256(reinterpret_cast<const unsigned char*>(token.data()), token.size(), digest.data());
  return digest;
}

std::optional<token_digest> parse_digest(std::string_view hex) {
  if (hex.size() != 64)
    return std::nullopt;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9')
      return c - '0';
    if (c >= 'a' && c <= 'f')
      return c - 'a' + 10;
    return -1;
  };
  token_digest digest;
  for (std::size_t i = 0; i < digest.size(); ++i) {
    int high = nibble(hex[2 * i]);
    int low = nibble(hex[2 * i + 1]);
    if (high < 0 || low < 0)
      return std::nullopt;
    digest[i] = static_cast<unsigned char>(high << 4 | low);
  }
  return digest;
}

std::vector<token_grant> demo_grants() {
  using domain::role;
  std::vector<token_grant> grants{
      {digest_of("demo-admin"), {role::admin, {}}},
      {digest_of("demo-hq"), {role::hq, {}}},
      {digest_of("demo-logistics"), {role::logistics, {}}},
  };
  for (std::int64_t store = 1; store <= 5; ++store)
    grants.push_back({digest_of("demo-clerk-" + std::to_string(store)), {role::clerk, {store}}});
  return grants;
}

authenticator::authenticator(const std::vector<token_grant>& grants) {
  for (std::size_t index = 0; index < grants.size(); ++index) {
    const auto& grant = grants[index];
    auto& bucket = by_prefix_[prefix_of(grant.digest)];
    for (const auto& existing : bucket)
      if (existing.digest == grant.digest)
        throw std::invalid_argument("token " + std::to_string(index) +
                                    " is the same as an earlier one (a token given twice, or a "
                                    "demo token while demo mode is on)");
    bucket.push_back({grant.digest, grant.who});
  }
}

const domain::principal* authenticator::authenticate(std::string_view authorization) const {
  // The scheme is case-insensitive (RFC 9110, 11.1).
  constexpr std::string_view scheme = "bearer ";
  if (authorization.size() <= scheme.size() ||
      !std::equal(scheme.begin(), scheme.end(), authorization.begin(),
                  [](char a, char b) { return a == std::tolower(static_cast<unsigned char>(b)); }))
    return nullptr;
  auto presented = digest_of(authorization.substr(scheme.size()));
  auto found = by_prefix_.find(prefix_of(presented));
  if (found == by_prefix_.end())
    return nullptr;
  for (const auto& candidate : found->second)
    if (CRYPTO_memcmp(candidate.digest.data(), presented.data(), presented.size()) == 0)
      return &candidate.who;
  return nullptr;
}

} // namespace comptoir::net
