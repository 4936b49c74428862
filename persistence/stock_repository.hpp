#pragma once
// Reading the stock of a store or of the logistics centre from the database.

#include "domain/ids.hpp"
#include "domain/stock.hpp"

#include <vector>

namespace soci {
class session;
} // namespace soci

namespace comptoir::persistence {

class stock_repository {
public:
  explicit stock_repository(soci::session& sql) : sql_(sql) {}

  /// The stock held at `where`, ordered by product id; empty for an unknown location.
  std::vector<domain::stock_item> load(domain::location_id where);

private:
  soci::session& sql_;
};

} // namespace comptoir::persistence
