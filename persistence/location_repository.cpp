#include "persistence/location_repository.hpp"

#include <soci/soci.h>

#include <stdexcept>
#include <string>

namespace comptoir::persistence {

namespace {

constexpr auto select_all_locations = "SELECT id, kind, name, city FROM locations ORDER BY id";

} // namespace

std::vector<domain::location> location_repository::load_all() {
  domain::location row;
  std::string kind;
  soci::statement query = (sql_.prepare << select_all_locations, soci::into(row.id.value),
                           soci::into(kind), soci::into(row.name), soci::into(row.city));
  query.execute();
  std::vector<domain::location> locations;
  while (query.fetch()) {
    const auto parsed = domain::parse_location_kind(kind);
    // The CHECK constraint allows no other kind; a schema newer than this binary might.
    if (!parsed)
      throw std::runtime_error("location " + std::to_string(row.id.value) + " has unknown kind '" +
                               kind + "'");
    row.kind = *parsed;
    locations.push_back(row);
  }
  return locations;
}

} // namespace comptoir::persistence
