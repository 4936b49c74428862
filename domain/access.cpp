#include "domain/access.hpp"

#include <array>
#include <utility>

namespace comptoir::domain {

namespace {
constexpr std::array<std::pair<role, std::string_view>, 4> role_names{{
    {role::admin, "admin"},
    {role::hq, "hq"},
    {role::logistics, "logistics"},
    {role::clerk, "clerk"},
}};
} // namespace

std::string_view to_string(role r) {
  for (auto& [value, name] : role_names)
    if (value == r)
      return name;
  return "unknown";
}

std::optional<role> parse_role(std::string_view text) {
  for (auto& [value, name] : role_names)
    if (name == text)
      return value;
  return std::nullopt;
}

bool access_rule::allows(const principal& caller, std::optional<location_id> target) const {
  if ((roles_ & bit(caller.who)) == 0)
    return false;
  if (caller.who == role::clerk && own_store_only_)
    return target && *target == caller.store;
  return true;
}

} // namespace comptoir::domain
