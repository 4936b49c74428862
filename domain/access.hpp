#pragma once
// Who may do what: the roles of API tokens and the rule each route declares.

#include "domain/ids.hpp"

#include <cstdint>
#include <optional>
#include <string_view>

namespace comptoir::domain {

enum class role : std::uint8_t { admin, hq, logistics, clerk };

std::string_view to_string(role r);
std::optional<role> parse_role(std::string_view text);

/// The authenticated caller. A clerk is bound to one store.
struct principal {
  role who = role::clerk;
  location_id store;
};

template <class Inspector> typename Inspector::result_type inspect(Inspector& f, principal& x) {
  return f(x.who, x.store);
}

/// What a route allows: a set of roles, and for clerks whether the route's
/// store must be their own.
class access_rule {
public:
  constexpr access_rule() = default;

  static constexpr access_rule any_role() {
    return access_rule{}.with(role::admin).with(role::hq).with(role::logistics).with(role::clerk);
  }
  constexpr access_rule with(role r) const {
    access_rule copy = *this;
    copy.roles_ |= bit(r);
    return copy;
  }
  constexpr access_rule clerk_of_own_store_only() const {
    access_rule copy = *this;
    copy.own_store_only_ = true;
    return copy;
  }

  /// `target` is the store the request acts on, when the route names one.
  bool allows(const principal& caller, std::optional<location_id> target) const;

  /// Whether the caller's role is in the set, before the store is known.
  constexpr bool allows_role(role r) const { return (roles_ & bit(r)) != 0; }

private:
  static constexpr std::uint8_t bit(role r) { return std::uint8_t(1u << static_cast<unsigned>(r)); }
  std::uint8_t roles_ = 0;
  bool own_store_only_ = false;
};

/// The role matrix of API.md, in one place: every route of net/router.cpp
/// takes one of these rules, and the actors check the same rules where the
/// store is known only once a record is found (a sale's returns, say).
namespace rules {
/// Open to every token: the catalogue, stores, stock.
inline constexpr access_rule any_role = access_rule::any_role();
/// The till: selling, taking returns and asking for stock, at the clerk's
/// own store only.
inline constexpr access_rule till =
    access_rule{}.with(role::admin).with(role::clerk).clerk_of_own_store_only();
/// Reading a store's sales: head office, or the clerk of that store.
inline constexpr access_rule sales_readers =
    access_rule{}.with(role::admin).with(role::hq).with(role::clerk).clerk_of_own_store_only();
/// Approving and rejecting restock requests.
inline constexpr access_rule logistics = access_rule{}.with(role::admin).with(role::logistics);
/// Editing the catalogue, reading the report and the dashboard.
inline constexpr access_rule head_office = access_rule{}.with(role::admin).with(role::hq);
/// Setting reorder points and reading alerts.
inline constexpr access_rule stock_planners =
    access_rule{}.with(role::admin).with(role::hq).with(role::logistics);
} // namespace rules

} // namespace comptoir::domain
