#pragma once
// The places that hold stock: the stores and the logistics centre.

#include "domain/ids.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace comptoir::domain {

enum class location_kind : std::uint8_t { store, warehouse };

std::string_view to_string(location_kind kind);
std::optional<location_kind> parse_location_kind(std::string_view text);

struct location {
  location_id id;
  location_kind kind = location_kind::store;
  std::string name;
  std::string city;
};

template <class Inspector> typename Inspector::result_type inspect(Inspector& f, location& x) {
  return f(x.id, x.kind, x.name, x.city);
}

} // namespace comptoir::domain
