#pragma once
// The pool of stateless workers that the frontend dispatches requests to.

#include "actors/protocol.hpp"
#include "actors/routing.hpp"

#include <caf/typed_event_based_actor.hpp>

#include <memory>
#include <unordered_set>

namespace comptoir::actors {

/// Where a worker finds the owners of what a request needs.
struct directory {
  /// This node's catalogue, for reads (writes go to `routes`' writer).
  catalogue_actor catalogue;
  /// Every store of the chain; one missing from `routes` is between owners.
  std::unordered_set<domain::location_id> stores;
  std::shared_ptr<const route_table> routes;
  /// This node's hold on its locations: not ready without it.
  std::shared_ptr<const ownership_lease> lease;
  /// A database session kept for readiness checks, apart from the owners' writers.
  database_actor probe;
  /// A pool of database actors for reads that no owner keeps in memory
  /// (sales, returns), so they never wait behind a store's commits.
  database_actor readers;
  hq_actor head_office;
};

/// Worker `index` of the pool: sends its mailbox depth to `metrics` every
/// flush interval.
worker_actor::behavior_type worker(worker_actor::pointer self,
                                   std::shared_ptr<const directory> owners, metrics_link metrics,
                                   std::int64_t index);

/// `size` workers behind one handle, round robin, numbered from 0.
worker_actor spawn_worker_pool(caf::actor_system& sys, std::size_t size,
                               std::shared_ptr<const directory> owners, metrics_link metrics);

} // namespace comptoir::actors
