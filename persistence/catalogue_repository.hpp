#pragma once
// Reading the catalogue of products from the database.

#include "domain/product.hpp"

#include <vector>

namespace soci {
class session;
} // namespace soci

namespace comptoir::persistence {

class catalogue_repository {
public:
  explicit catalogue_repository(soci::session& sql) : sql_(sql) {}

  /// Every product, ordered by id.
  std::vector<domain::product> load_all();

private:
  soci::session& sql_;
};

} // namespace comptoir::persistence
