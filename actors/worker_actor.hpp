#pragma once
// The pool of stateless workers that the frontend dispatches requests to.

#include "actors/protocol.hpp"

#include <caf/typed_event_based_actor.hpp>

#include <memory>
#include <unordered_map>

namespace comptoir::actors {

/// Who owns what on this node; fixed once the node has started.
struct directory {
  catalogue_actor catalogue;
  std::unordered_map<domain::location_id, store_actor> stores;
  warehouse_actor warehouse;
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
