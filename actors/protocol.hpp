#pragma once
// The typed message protocol between Comptoir's actors, and its type ids.
// Every message type that may cross nodes is registered here, once.

#include "domain/access.hpp"
#include "domain/location.hpp"
#include "domain/product.hpp"
#include "domain/product_query.hpp"
#include "domain/report.hpp"
#include "domain/restock.hpp"
#include "domain/sale.hpp"
#include "domain/stock.hpp"

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/fwd.hpp>
#include <caf/replies_to.hpp>
#include <caf/type_id.hpp>
#include <caf/typed_actor.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace comptoir::actors {

/// A JSON body ready to send, and the version of the state it shows
/// (the ETag of later responses is built from it).
struct rendered {
  std::string body;
  std::uint64_t version = 0;
};

template <class Inspector> typename Inspector::result_type inspect(Inspector& f, rendered& x) {
  return f(x.body, x.version);
}

/// A basket to sell at one store's till.
struct sale_request {
  domain::location_id store;
  std::vector<domain::basket_line> lines;
  /// Empty when the client sent no Idempotency-Key.
  std::string idempotency_key;
  /// Identifies the request, to tell a retry from a reuse of the key.
  std::string fingerprint;
};

template <class Inspector> typename Inspector::result_type inspect(Inspector& f, sale_request& x) {
  return f(x.store, x.lines, x.idempotency_key, x.fingerprint);
}

/// Lines of a sale to take back.
struct return_request {
  std::string sale_id;
  std::vector<domain::basket_line> lines;
  std::string idempotency_key;
  std::string fingerprint;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, return_request& x) {
  return f(x.sale_id, x.lines, x.idempotency_key, x.fingerprint);
}

// -- metrics: what actors send the metrics actor once per flush interval ------

/// The actors whose mailbox depth is sampled (label `actor`).
enum class actor_kind : std::uint8_t { frontend, worker, store, warehouse, catalogue, hq };

/// The caches counted (label `cache`).
enum class cache_kind : std::uint8_t { stock_view, report, dashboard };

/// One cache's counts since the last flush.
struct cache_delta {
  cache_kind cache = cache_kind::stock_view;
  std::uint64_t hits = 0;
  std::uint64_t misses = 0;
  std::uint64_t invalidations = 0;
};

template <class Inspector> typename Inspector::result_type inspect(Inspector& f, cache_delta& x) {
  return f(x.cache, x.hits, x.misses, x.invalidations);
}

/// Observations of a histogram since the last flush: `counts[i]` holds those
/// in (bounds[i-1], bounds[i]] (not cumulative), the last one those above every
/// bound; `sum` adds them all up. Empty `counts`: nothing observed.
struct histogram_delta {
  std::vector<std::uint64_t> counts;
  double sum = 0;

  void observe(const std::vector<double>& bounds, double value) {
    if (counts.empty())
      counts.resize(bounds.size() + 1);
    auto bucket = std::ranges::lower_bound(bounds, value) - bounds.begin();
    ++counts[static_cast<std::size_t>(bucket)];
    sum += value;
  }
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, histogram_delta& x) {
  return f(x.counts, x.sum);
}

/// Upper bounds of `comptoir_commit_batch_size`: 1, 2, 4 ... 512.
inline const std::vector<double> batch_size_bounds{1, 2, 4, 8, 16, 32, 64, 128, 256, 512};

/// Upper bounds of `comptoir_commit_duration_seconds`: 100 µs ... 10 s.
inline const std::vector<double> commit_duration_bounds{
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
    0.05,   0.1,     0.25,   0.5,   1,      2.5,   5,    10};

/// An actor's mailbox depth at the flush, and its caches' counts since the last.
struct actor_stats {
  actor_kind actor = actor_kind::frontend;
  /// The worker's index, the logistics centre's location id, 0 for the others.
  std::int64_t id = 0;
  std::uint64_t mailbox = 0;
  std::vector<cache_delta> caches;
};

template <class Inspector> typename Inspector::result_type inspect(Inspector& f, actor_stats& x) {
  return f(x.actor, x.id, x.mailbox, x.caches);
}

/// A store's flush: gauges sampled now, and deltas since its last flush.
struct store_stats {
  domain::location_id store;
  std::uint64_t mailbox = 0;
  /// Writes per transaction, over `batch_size_bounds`.
  histogram_delta batch_sizes;
  /// Seconds per transaction, database round trip included, over `commit_duration_bounds`.
  histogram_delta commit_seconds;
  std::uint64_t sales = 0;
  std::int64_t revenue_cents = 0;
  std::uint64_t returns = 0;
  std::int64_t refund_cents = 0;
  cache_delta stock_view;
  /// Open alerts by kind, every kind present.
  std::map<domain::alert_kind, std::uint64_t> open_alerts;
};

template <class Inspector> typename Inspector::result_type inspect(Inspector& f, store_stats& x) {
  return f(x.store, x.mailbox, x.batch_sizes, x.commit_seconds, x.sales, x.revenue_cents, x.returns,
           x.refund_cents, x.stock_view, x.open_alerts);
}

} // namespace comptoir::actors

// -- type ids and atoms -------------------------------------------------------

// clang-format off
CAF_BEGIN_TYPE_ID_BLOCK(comptoir, caf::first_custom_type_id)
  CAF_ADD_TYPE_ID(comptoir, (comptoir::actors::rendered))
  CAF_ADD_TYPE_ID(comptoir, (comptoir::actors::sale_request))
  CAF_ADD_TYPE_ID(comptoir, (comptoir::actors::return_request))
  CAF_ADD_TYPE_ID(comptoir, (comptoir::domain::product_id))
  CAF_ADD_TYPE_ID(comptoir, (comptoir::domain::location_id))
  CAF_ADD_TYPE_ID(comptoir, (comptoir::domain::location_kind))
  CAF_ADD_TYPE_ID(comptoir, (comptoir::domain::product))
  CAF_ADD_TYPE_ID(comptoir, (comptoir::domain::product_patch))
  CAF_ADD_TYPE_ID(comptoir, (comptoir::domain::product_query))
  CAF_ADD_TYPE_ID(comptoir, (comptoir::domain::location))
  CAF_ADD_TYPE_ID(comptoir, (comptoir::domain::stock_item))
  CAF_ADD_TYPE_ID(comptoir, (comptoir::domain::role))
  CAF_ADD_TYPE_ID(comptoir, (comptoir::domain::principal))
  CAF_ADD_TYPE_ID(comptoir, (comptoir::domain::basket_line))
  CAF_ADD_TYPE_ID(comptoir, (comptoir::domain::sale_line))
  CAF_ADD_TYPE_ID(comptoir, (comptoir::domain::sale_status))
  CAF_ADD_TYPE_ID(comptoir, (comptoir::domain::sale))
  CAF_ADD_TYPE_ID(comptoir, (comptoir::domain::sale_return))
  CAF_ADD_TYPE_ID(comptoir, (comptoir::domain::sale_record))
  CAF_ADD_TYPE_ID(comptoir, (comptoir::domain::sales_query))
  CAF_ADD_TYPE_ID(comptoir, (comptoir::domain::idempotency_record))
  CAF_ADD_TYPE_ID(comptoir, (comptoir::domain::restock_status))
  CAF_ADD_TYPE_ID(comptoir, (comptoir::domain::restock_request))
  CAF_ADD_TYPE_ID(comptoir, (comptoir::domain::alert_kind))
  CAF_ADD_TYPE_ID(comptoir, (comptoir::domain::stock_alert))
  CAF_ADD_TYPE_ID(comptoir, (comptoir::domain::product_totals))
  CAF_ADD_TYPE_ID(comptoir, (comptoir::domain::window_totals))
  CAF_ADD_TYPE_ID(comptoir, (comptoir::domain::store_summary))
  CAF_ADD_TYPE_ID(comptoir, (comptoir::actors::actor_stats))
  CAF_ADD_TYPE_ID(comptoir, (comptoir::actors::store_stats))

  CAF_ADD_ATOM(comptoir, comptoir::actors, alerts_atom, "alerts")
  CAF_ADD_ATOM(comptoir, comptoir::actors, approve_atom, "approve")
  CAF_ADD_ATOM(comptoir, comptoir::actors, commit_atom, "commit")
  CAF_ADD_ATOM(comptoir, comptoir::actors, dashboard_atom, "dashboard")
  CAF_ADD_ATOM(comptoir, comptoir::actors, drain_atom, "drain")
  CAF_ADD_ATOM(comptoir, comptoir::actors, hello_atom, "hello")
  CAF_ADD_ATOM(comptoir, comptoir::actors, invalidate_atom, "invalidate")
  CAF_ADD_ATOM(comptoir, comptoir::actors, fulfil_atom, "fulfil")
  CAF_ADD_ATOM(comptoir, comptoir::actors, keys_atom, "keys")
  CAF_ADD_ATOM(comptoir, comptoir::actors, list_atom, "list")
  CAF_ADD_ATOM(comptoir, comptoir::actors, load_atom, "load")
  CAF_ADD_ATOM(comptoir, comptoir::actors, locate_atom, "locate")
  CAF_ADD_ATOM(comptoir, comptoir::actors, metrics_atom, "metrics")
  CAF_ADD_ATOM(comptoir, comptoir::actors, patch_atom, "patch")
  CAF_ADD_ATOM(comptoir, comptoir::actors, ping_atom, "ping")
  CAF_ADD_ATOM(comptoir, comptoir::actors, prices_atom, "prices")
  CAF_ADD_ATOM(comptoir, comptoir::actors, products_atom, "products")
  CAF_ADD_ATOM(comptoir, comptoir::actors, purge_atom, "purge")
  CAF_ADD_ATOM(comptoir, comptoir::actors, ready_atom, "ready")
  CAF_ADD_ATOM(comptoir, comptoir::actors, reject_atom, "reject")
  CAF_ADD_ATOM(comptoir, comptoir::actors, reorder_atom, "reorder")
  CAF_ADD_ATOM(comptoir, comptoir::actors, report_atom, "report")
  CAF_ADD_ATOM(comptoir, comptoir::actors, restock_atom, "restock")
  CAF_ADD_ATOM(comptoir, comptoir::actors, return_atom, "return")
  CAF_ADD_ATOM(comptoir, comptoir::actors, sale_atom, "sale")
  CAF_ADD_ATOM(comptoir, comptoir::actors, sell_atom, "sell")
  CAF_ADD_ATOM(comptoir, comptoir::actors, stock_atom, "stock")
  CAF_ADD_ATOM(comptoir, comptoir::actors, stores_atom, "stores")
  CAF_ADD_ATOM(comptoir, comptoir::actors, subscribe_atom, "subscribe")
  CAF_ADD_ATOM(comptoir, comptoir::actors, sync_atom, "sync")
  CAF_ADD_ATOM(comptoir, comptoir::actors, update_atom, "update")
  CAF_ADD_ATOM(comptoir, comptoir::actors, warehouse_atom, "warehouse")
CAF_END_TYPE_ID_BLOCK(comptoir)
// clang-format on

// Between an owner and its database actor only, which always share a node.
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(comptoir::domain::commit_batch)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(comptoir::domain::batch_result)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(comptoir::domain::sales_page)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(comptoir::domain::restock_query)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(comptoir::domain::restock_page)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(comptoir::domain::sales_aggregate)

namespace comptoir::actors {

// -- actor interfaces ---------------------------------------------------------

/// Owns one database session on a thread of its own (spawned detached), so
/// blocking SQL never runs on the scheduler.
using database_actor = caf::typed_actor<
    caf::replies_to<load_atom, products_atom>::with<std::vector<domain::product>>,
    caf::replies_to<load_atom, stock_atom,
                    domain::location_id>::with<std::vector<domain::stock_item>>,
    // The stock with each product's price, index for index.
    caf::replies_to<load_atom, prices_atom, domain::location_id>::with<
        std::vector<domain::stock_item>, std::vector<std::int64_t>>,
    // Idempotency records of these scopes created at or after the timestamp.
    caf::replies_to<load_atom, keys_atom, std::vector<std::string>,
                    std::string>::with<std::vector<domain::idempotency_record>>,
    caf::replies_to<commit_atom, domain::commit_batch>::with<domain::batch_result>,
    // Deletes idempotency records created before the timestamp.
    caf::replies_to<purge_atom, std::string>::with<std::int64_t>,
    caf::replies_to<locate_atom, std::string>::with<domain::location_id>,
    caf::replies_to<load_atom, sale_atom, std::string>::with<domain::sale_record>,
    caf::replies_to<list_atom, domain::sales_query>::with<domain::sales_page>,
    // Creates a pending request; an empty record, or the one that already held the key.
    caf::replies_to<restock_atom, domain::restock_request,
                    domain::idempotency_record>::with<domain::idempotency_record>,
    caf::replies_to<load_atom, restock_atom, std::string>::with<domain::restock_request>,
    // Every pending or approved request.
    caf::replies_to<load_atom, restock_atom>::with<std::vector<domain::restock_request>>,
    caf::replies_to<list_atom, domain::restock_query>::with<domain::restock_page>,
    // The logistics centre's side of a transfer: approved, its stock lowered.
    caf::replies_to<approve_atom, std::string, domain::location_id,
                    std::vector<domain::basket_line>, std::string,
                    domain::idempotency_record>::with<bool>,
    caf::replies_to<reject_atom, std::string, std::string>::with<bool>,
    // The store's side: fulfilled, its stock raised; false if it was already.
    caf::replies_to<fulfil_atom, std::string, domain::location_id, std::vector<domain::basket_line>,
                    std::string>::with<bool>,
    caf::replies_to<load_atom, alerts_atom,
                    domain::location_id>::with<std::vector<domain::stock_alert>>,
    // Raised, cleared, at.
    caf::replies_to<alerts_atom, std::vector<domain::stock_alert>, std::vector<domain::stock_alert>,
                    std::string>::with<bool>,
    caf::replies_to<reorder_atom, domain::location_id, domain::product_id,
                    std::int64_t>::with<bool>,
    // A new product (and an empty stock line everywhere), at the timestamp.
    caf::replies_to<caf::put_atom, domain::product, std::string>::with<domain::product_id>,
    caf::replies_to<patch_atom, domain::product, std::string>::with<bool>,
    // A store's per-day sales, rebuilt from the sales and returns tables.
    caf::replies_to<load_atom, report_atom, domain::location_id>::with<domain::sales_aggregate>,
    caf::replies_to<ping_atom>::with<bool>>;

/// Owns the products and the directory of locations.
using catalogue_actor = caf::typed_actor<
    caf::replies_to<caf::get_atom, domain::product_id>::with<rendered>,
    caf::replies_to<list_atom, domain::product_query>::with<rendered>,
    caf::replies_to<list_atom, stores_atom>::with<rendered>,
    // Create; answers once every location sells/stocks it.
    caf::replies_to<caf::put_atom, domain::product>::with<rendered>,
    // Change; answers once every store sells at the new price.
    caf::replies_to<patch_atom, domain::product_id, domain::product_patch>::with<rendered>,
    // From the writing catalogue of the cluster: a product created or changed;
    // answers once this node's locations have it.
    caf::replies_to<sync_atom, domain::product>::with<bool>,
    caf::replies_to<ready_atom>::with<bool>,
    // Sent to itself every flush interval: report to the metrics actor.
    caf::reacts_to<caf::tick_atom>>;

/// Owns the stock of one location (stores and the logistics centre extend it).
/// The flag asks for the items below their reorder point only.
using location_actor =
    caf::typed_actor<caf::replies_to<caf::get_atom, stock_atom, bool>::with<rendered>,
                     // From the catalogue: a product's price, and a stock line for a new product.
                     caf::replies_to<caf::put_atom, domain::product_id, std::int64_t>::with<bool>,
                     caf::replies_to<ready_atom>::with<bool>>;

/// Owns one store: its stock, its sales and returns in flight, its recent
/// idempotency keys. Writes go through group commit.
using store_actor = location_actor::extend<
    caf::replies_to<sell_atom, sale_request>::with<rendered>,
    caf::replies_to<return_atom, return_request>::with<rendered>,
    // Sent to itself: forget idempotency keys past their retention.
    caf::reacts_to<purge_atom>,
    // The store's side of an approved transfer (request id, lines); true once done.
    caf::replies_to<fulfil_atom, std::string, std::vector<domain::basket_line>>::with<bool>,
    caf::replies_to<alerts_atom>::with<std::vector<domain::stock_alert>>,
    caf::replies_to<reorder_atom, domain::product_id, std::int64_t>::with<rendered>,
    // From day, to day (exclusive), ISO weeks, overstock multiple.
    caf::replies_to<report_atom, std::string, std::string, std::vector<std::string>,
                    std::int64_t>::with<domain::store_summary>,
    // The head office: told after every committed change of sales or stock.
    caf::reacts_to<subscribe_atom, caf::actor>,
    // Before a handover: refuse new work, answer what is queued, and reply
    // once no write is in flight.
    caf::replies_to<drain_atom>::with<bool>,
    // Sent to itself every flush interval: report to the metrics actor.
    caf::reacts_to<caf::tick_atom>>;

/// The head office: the consolidated report and the dashboard, gathered from
/// every store and cached until a store changes or the TTL runs out.
using hq_actor = caf::typed_actor<
    // From day, to day (exclusive); empty for unbounded.
    caf::replies_to<report_atom, std::string, std::string>::with<rendered>,
    caf::replies_to<dashboard_atom>::with<rendered>, caf::reacts_to<invalidate_atom>,
    caf::replies_to<ready_atom>::with<bool>,
    // Sent to itself every flush interval: report to the metrics actor.
    caf::reacts_to<caf::tick_atom>>;

/// Owns the logistics centre: its stock and the approval of restock requests.
using warehouse_actor = location_actor::extend<
    // Store, lines, idempotency key, fingerprint.
    caf::replies_to<restock_atom, domain::location_id, std::vector<domain::basket_line>,
                    std::string, std::string>::with<rendered>,
    // Request id, idempotency key.
    caf::replies_to<approve_atom, std::string, std::string>::with<rendered>,
    caf::replies_to<reject_atom, std::string>::with<rendered>,
    // Sent to itself: try again to land an approved transfer at its store.
    caf::reacts_to<fulfil_atom, domain::restock_request>,
    // Before a handover: refuse new work; reply once no write is in flight.
    caf::replies_to<drain_atom>::with<bool>,
    // Sent to itself every flush interval: report to the metrics actor.
    caf::reacts_to<caf::tick_atom>>;

/// A stateless worker of the pool the frontend dispatches to: it finds the
/// owner of the data a request needs and asks it.
using worker_actor = caf::typed_actor<
    caf::replies_to<caf::get_atom, domain::product_id>::with<rendered>,
    caf::replies_to<list_atom, domain::product_query>::with<rendered>,
    caf::replies_to<list_atom, stores_atom>::with<rendered>,
    caf::replies_to<caf::get_atom, stock_atom, domain::location_id, bool>::with<rendered>,
    caf::replies_to<caf::get_atom, warehouse_atom, bool>::with<rendered>,
    caf::replies_to<reorder_atom, domain::location_id, domain::product_id,
                    std::int64_t>::with<rendered>,
    caf::replies_to<restock_atom, domain::location_id, std::vector<domain::basket_line>,
                    std::string, std::string>::with<rendered>,
    caf::replies_to<list_atom, domain::restock_query>::with<rendered>,
    caf::replies_to<approve_atom, std::string, std::string>::with<rendered>,
    caf::replies_to<reject_atom, std::string>::with<rendered>,
    caf::replies_to<alerts_atom>::with<rendered>,
    caf::replies_to<report_atom, std::string, std::string>::with<rendered>,
    caf::replies_to<dashboard_atom>::with<rendered>,
    caf::replies_to<caf::put_atom, domain::product>::with<rendered>,
    caf::replies_to<patch_atom, domain::product_id, domain::product_patch>::with<rendered>,
    caf::replies_to<sell_atom, sale_request>::with<rendered>,
    // The principal matters: a clerk may act on the sales of their store only.
    caf::replies_to<return_atom, domain::principal, return_request>::with<rendered>,
    caf::replies_to<caf::get_atom, sale_atom, domain::principal, std::string>::with<rendered>,
    caf::replies_to<list_atom, domain::sales_query>::with<rendered>,
    caf::replies_to<ready_atom>::with<bool>,
    // Sent to itself (not through the pool) every flush interval: report to
    // the metrics actor.
    caf::reacts_to<caf::tick_atom>>;

/// Owns the node's Prometheus registry. Actors send it their stats once per
/// flush interval; a scrape gets the text exposition.
using metrics_actor =
    caf::typed_actor<caf::reacts_to<actor_stats>, caf::reacts_to<store_stats>,
                     caf::replies_to<caf::get_atom, metrics_atom>::with<std::string>,
                     // Sent to itself every flush interval: run the collectors.
                     caf::reacts_to<caf::tick_atom>>;

// -- cluster ------------------------------------------------------------------

/// A location a node owns, at the epoch of its ownership (location_owners).
struct owned_location {
  domain::location_id id;
  std::int64_t epoch = 0;
  /// Null for the logistics centre.
  store_actor store;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, owned_location& x) {
  return f(x.id, x.epoch, x.store);
}

/// What a node tells its peers about itself: who it is, the actors others
/// talk to, and what it owns.
struct peer_info {
  std::string node_id;
  /// Changes at every start: tells a restarted node from its former self.
  std::string incarnation;
  catalogue_actor catalogue;
  hq_actor head_office;
  std::vector<owned_location> stores;
  /// Null unless this node owns the logistics centre.
  warehouse_actor warehouse;
  std::int64_t warehouse_epoch = 0;
};

template <class Inspector> typename Inspector::result_type inspect(Inspector& f, peer_info& x) {
  return f(x.node_id, x.incarnation, x.catalogue, x.head_office, x.stores, x.warehouse,
           x.warehouse_epoch);
}

/// One per node, published on the cluster port: peers greet it and tell it
/// what they own.
using cluster_actor =
    caf::typed_actor<caf::replies_to<hello_atom, peer_info>::with<peer_info>,
                     caf::reacts_to<update_atom, peer_info>,
                     // At shutdown: hand every location over and leave the cluster.
                     caf::replies_to<drain_atom>::with<bool>,
                     // Sent to itself: renew the lease, claim and release locations.
                     caf::reacts_to<caf::tick_atom>>;

/// Where a long-lived actor sends its stats, and how often.
struct metrics_link {
  metrics_actor sink;
  std::chrono::milliseconds every{1'000};
};

} // namespace comptoir::actors

// Types that cross nodes and were not registered above: vectors sent as a
// message element of their own (add_message_types registers no vector<T>),
// and the cluster's greeting.
// clang-format off
CAF_BEGIN_TYPE_ID_BLOCK(comptoir_cluster, caf::id_block::comptoir::end)
  CAF_ADD_TYPE_ID(comptoir_cluster, (std::vector<comptoir::domain::basket_line>))
  CAF_ADD_TYPE_ID(comptoir_cluster, (std::vector<comptoir::domain::stock_alert>))
  CAF_ADD_TYPE_ID(comptoir_cluster, (comptoir::actors::owned_location))
  CAF_ADD_TYPE_ID(comptoir_cluster, (comptoir::actors::peer_info))
CAF_END_TYPE_ID_BLOCK(comptoir_cluster)
// clang-format on
