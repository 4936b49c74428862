#pragma once
// Restock requests in the database: created by a store, approved (the logistics
// centre's stock leaves) or rejected, then fulfilled (the store's stock arrives).

#include "domain/ids.hpp"
#include "domain/restock.hpp"
#include "domain/sale.hpp"
#include "persistence/database_url.hpp"

#include <optional>
#include <string>
#include <vector>

namespace soci {
class session;
} // namespace soci

namespace comptoir::persistence {

struct write_fence;

class restock_repository {
public:
  /// With a `fence`, every write transaction checks it first (write_transaction).
  restock_repository(soci::session& sql, dialect kind, const write_fence* fence = nullptr)
      : sql_(sql), kind_(kind), fence_(fence) {}

  /// In one transaction: the key first when `key.key` is not empty; if that key
  /// is stored already, writes nothing and returns the stored record. Otherwise
  /// inserts the request, as pending, with its lines, and returns nothing.
  std::optional<domain::idempotency_record> create(const domain::restock_request& request,
                                                   const domain::idempotency_record& key);

  /// The request with its lines, in order.
  std::optional<domain::restock_request> load(const std::string& id);

  /// Newest first, with their lines, filtered by status and store when the
  /// query says so.
  domain::restock_page list(const domain::restock_query& query);

  /// Every pending or approved request, oldest first.
  std::vector<domain::restock_request> load_open();

  /// In one transaction: the pending request becomes approved, the warehouse's
  /// stock goes down by the lines, and the key (if not empty) is stored. Throws
  /// std::logic_error when the request is not pending, soci::soci_error when the
  /// warehouse lacks the units, std::runtime_error when it has no stock row for
  /// a product; nothing is written then.
  void approve(const std::string& id, domain::location_id warehouse,
               const std::vector<domain::basket_line>& lines, const std::string& now,
               const domain::idempotency_record& key);

  /// The pending request becomes rejected; std::logic_error when it is not pending.
  void reject(const std::string& id, const std::string& now);

  /// In one transaction: the approved request becomes fulfilled and the store's
  /// stock goes up by the lines. False, writing nothing, when the request is not
  /// approved (fulfilled already): driving a transfer twice lands it once.
  bool fulfil(const std::string& id, domain::location_id store,
              const std::vector<domain::basket_line>& lines, const std::string& now);

private:
  soci::session& sql_;
  dialect kind_;
  const write_fence* fence_;
};

} // namespace comptoir::persistence
