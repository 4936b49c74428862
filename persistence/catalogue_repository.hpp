#pragma once
// The catalogue of products in the database.

#include "domain/product.hpp"

#include <string>
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

  /// Inserts `item` (its id is ignored) with a stock line of 0 units and
  /// reorder point 0 in every location, in one transaction; returns its id.
  domain::product_id create(const domain::product& item, const std::string& now);

  /// Writes every field of `item` but its id and SKU; throws std::invalid_argument
  /// for an unknown id.
  void update(const domain::product& item, const std::string& now);

private:
  soci::session& sql_;
};

} // namespace comptoir::persistence
