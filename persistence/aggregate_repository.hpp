#pragma once
// Rebuilding a store's sales aggregate from the database, as the store starts.

#include "domain/aggregates.hpp"
#include "domain/ids.hpp"

namespace soci {
class session;
} // namespace soci

namespace comptoir::persistence {

class aggregate_repository {
public:
  explicit aggregate_repository(soci::session& sql) : sql_(sql) {}

  /// One store's committed sales and returns summed by UTC day and product, in
  /// one statement (one snapshot). Throws soci::soci_error.
  domain::sales_aggregate load(domain::location_id store);

private:
  soci::session& sql_;
};

} // namespace comptoir::persistence
