#pragma once
// Reading the stores and the logistics centre from the database.

#include "domain/location.hpp"

#include <vector>

namespace soci {
class session;
} // namespace soci

namespace comptoir::persistence {

class location_repository {
public:
  explicit location_repository(soci::session& sql) : sql_(sql) {}

  /// Every store and the logistics centre, ordered by id.
  std::vector<domain::location> load_all();

private:
  soci::session& sql_;
};

} // namespace comptoir::persistence
