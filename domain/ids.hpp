#pragma once
// Typed integer ids, so a product id cannot be passed where a store id is meant.

#include <compare>
#include <cstdint>
#include <functional>

namespace comptoir::domain {

template <class Tag> struct tagged_id {
  std::int64_t value = 0;
  friend auto operator<=>(const tagged_id&, const tagged_id&) = default;
};

// Serialization hook for CAF's inspectors (found by argument-dependent lookup).
template <class Inspector, class Tag>
typename Inspector::result_type inspect(Inspector& f, tagged_id<Tag>& x) {
  return f(x.value);
}

struct product_tag {};
struct location_tag {};

using product_id = tagged_id<product_tag>;
/// A store or the logistics centre: both hold stock.
using location_id = tagged_id<location_tag>;

} // namespace comptoir::domain

template <class Tag> struct std::hash<comptoir::domain::tagged_id<Tag>> {
  std::size_t operator()(comptoir::domain::tagged_id<Tag> id) const noexcept {
    return std::hash<std::int64_t>{}(id.value);
  }
};
