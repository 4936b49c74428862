#pragma once
// The stock alerts of the stores in the database: raised when a product runs low
// or out, cleared when it is back.

#include "domain/ids.hpp"
#include "domain/restock.hpp"
#include "persistence/database_url.hpp"

#include <string>
#include <vector>

namespace soci {
class session;
} // namespace soci

namespace comptoir::persistence {

struct write_fence;

class alert_repository {
public:
  /// With a `fence`, every write transaction checks it first (write_transaction).
  alert_repository(soci::session& sql, dialect kind, const write_fence* fence = nullptr)
      : sql_(sql), kind_(kind), fence_(fence) {}

  /// The store's open alerts, oldest first.
  std::vector<domain::stock_alert> load_open(domain::location_id store);

  /// In one transaction: closes (cleared_at = `now`) the open alerts of the same
  /// store, product and kind as the cleared ones, then opens the raised ones
  /// (raised at their `since`, else `now`). Raising an alert that is open
  /// already keeps the stored one; clearing one that is not open does nothing.
  void apply(const std::vector<domain::stock_alert>& raised,
             const std::vector<domain::stock_alert>& cleared, const std::string& now);

private:
  soci::session& sql_;
  dialect kind_;
  const write_fence* fence_;
};

} // namespace comptoir::persistence
