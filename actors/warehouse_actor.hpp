#pragma once
// The actor that owns the logistics centre: its stock, and the approval of
// restock requests (the first side of a transfer).

#include "actors/protocol.hpp"
#include "actors/routing.hpp"
#include "actors/views.hpp"
#include "domain/stock.hpp"
#include "domain/uuid.hpp"

#include <caf/typed_event_based_actor.hpp>

#include <chrono>
#include <string>
#include <unordered_map>
#include <unordered_set>

namespace comptoir::actors {

struct warehouse_settings {
  /// How long an approval's Idempotency-Key is remembered.
  std::chrono::hours key_retention{24};
  /// Test hook: exit the process right after the logistics centre's side of a
  /// transfer is committed, before the store's side.
  bool exit_between_transfer_sides = false;
};

struct warehouse_state {
  domain::location where;
  database_actor db;
  /// Where each store is served, to land transfers.
  std::shared_ptr<const route_table> routes;
  /// Serves only while it holds, and not once draining (handed over).
  std::shared_ptr<const ownership_lease> lease;
  bool draining = false;
  warehouse_settings settings;
  domain::stock_ledger ledger;
  stock_view rendered_stock;
  domain::uuid_v7_generator ids;
  /// Requests being approved or rejected: another approval or rejection of
  /// the same request meanwhile is refused (409), never raced.
  std::unordered_set<std::string> in_progress;
  /// Idempotency-Keys of approvals: key -> request id.
  std::unordered_map<std::string, std::string> approval_keys;
  metrics_link metrics;
  /// `rendered_stock`'s totals at the last flush.
  cache_delta flushed_view;
  static inline const char* name = "warehouse";
};

/// Loads the centre's stock and recent approval keys through `db`, then lands
/// every transfer left in transit (approved, not yet fulfilled) at its store,
/// found in `routes`. Serves while `lease` holds. Sends its stats to `metrics`
/// every flush interval.
warehouse_actor::behavior_type
warehouse(warehouse_actor::stateful_pointer<warehouse_state> self, database_actor db,
          domain::location where, std::shared_ptr<const route_table> routes,
          std::shared_ptr<const ownership_lease> lease, warehouse_settings settings,
          metrics_link metrics);

} // namespace comptoir::actors
