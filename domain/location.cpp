#include "domain/location.hpp"

namespace comptoir::domain {

std::string_view to_string(location_kind kind) {
  return kind == location_kind::store ? "store" : "warehouse";
}

std::optional<location_kind> parse_location_kind(std::string_view text) {
  if (text == "store")
    return location_kind::store;
  if (text == "warehouse")
    return location_kind::warehouse;
  return std::nullopt;
}

} // namespace comptoir::domain
