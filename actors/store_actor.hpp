#pragma once
// The actor that owns one store: its stock, and the sales and returns on their
// way to the database (group commit).

#include "actors/protocol.hpp"
#include "actors/routing.hpp"
#include "actors/views.hpp"
#include "domain/stock.hpp"
#include "domain/uuid.hpp"

#include <boost/container/flat_map.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <caf/typed_response_promise.hpp>

#include <chrono>
#include <deque>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

namespace comptoir::actors {

struct store_settings {
  /// Most writes committed in one transaction.
  std::size_t max_batch = 256;
  /// How long an Idempotency-Key is remembered.
  std::chrono::hours key_retention{24};
  /// When a product falls below its reorder point, file a restock request
  /// up to `auto_restock_multiple` x the reorder point (once per low-stock alert).
  bool auto_restock = false;
  std::int64_t auto_restock_multiple = 2;
};

/// A sale or a return accepted by the store and waiting for its commit.
struct pending_write {
  bool is_sale = true;
  domain::sale_write sale;
  domain::return_write taken_back;
  /// Reserved for a sale, to put back for a return.
  std::vector<domain::basket_line> stock_lines;
  /// For a return: the lines of the sale, whose unit prices value it.
  std::vector<domain::sale_line> sold_lines;
  caf::typed_response_promise<rendered> promise;
  /// The 201 body.
  std::string body;
  /// Where its key waits in `in_flight_keys`; empty without a key.
  std::string key_slot;
};

/// The answer of a request made with a key: committed, or still in flight
/// with the retries that wait for it.
struct known_key {
  std::string fingerprint;
  std::string body;
  std::vector<caf::typed_response_promise<rendered>> waiting;
};

struct store_state {
  domain::location where;
  database_actor db;
  store_settings settings;
  domain::stock_ledger ledger;
  /// Sorted by product: a third of a hash map's memory (a store of 10,000
  /// products, times 100 stores).
  boost::container::flat_map<domain::product_id, std::int64_t> prices;
  stock_view rendered_stock;
  /// Where its stock view is published for reads on the HTTP threads; null
  /// without a board, and from the start of a hand-over on.
  stock_board::slot* published = nullptr;
  domain::uuid_v7_generator ids;

  std::deque<pending_write> queue;
  bool committing = false;

  /// Keys of committed writes, by slot ("scope\nkey").
  std::unordered_map<std::string, known_key> keys;
  /// The same slots in commit order, for expiry.
  std::deque<std::pair<std::string, std::string>> key_ages;
  /// Keys of writes accepted but not committed yet.
  std::unordered_map<std::string, known_key> in_flight_keys;
  /// Returns accepted but not committed yet, by sale id.
  std::unordered_map<std::string, std::vector<domain::sale_return>> pending_returns;

  /// Sales and returns per day, for the head office's report and dashboard.
  domain::sales_aggregate sales;
  /// Told (invalidate_atom) after every committed change of sales or stock.
  std::vector<caf::actor> subscribers;

  /// Open alerts, at most one per product and kind.
  std::map<std::pair<domain::product_id, domain::alert_kind>, domain::stock_alert> alerts;

  /// Serves only while it holds.
  std::shared_ptr<const ownership_lease> lease;
  /// Handing the store over: no new work; `drained` answered once no write is in flight.
  bool draining = false;
  std::vector<caf::typed_response_promise<bool>> drained;

  metrics_link metrics;
  /// Commits, sales and returns since the last flush to the metrics actor.
  store_stats stats;
  /// `rendered_stock`'s totals at the last flush.
  cache_delta flushed_view;

  static inline const char* name = "store";
};

/// Loads the store's stock, prices and recent keys through `db` before it
/// serves anything, and serves while `lease` holds. Sends its stats to
/// `metrics` every flush interval. Publishes its stock view on `board`
/// (null: none), which must outlive it.
store_actor::behavior_type store(store_actor::stateful_pointer<store_state> self, database_actor db,
                                 domain::location where, store_settings settings,
                                 std::shared_ptr<const ownership_lease> lease, metrics_link metrics,
                                 std::shared_ptr<stock_board> board);

} // namespace comptoir::actors
