#pragma once
// The actor that makes a node one of a cluster: it holds the node's lease in
// PostgreSQL, claims and hands over locations so that each has exactly one
// owner, greets the other nodes over CAF's middleman, and keeps the route
// table that sends every request to its location's owner (docs/cluster.md).

#include "actors/metrics_actor.hpp"
#include "actors/protocol.hpp"
#include "actors/routing.hpp"
#include "domain/location.hpp"
#include "persistence/database_url.hpp"
#include "persistence/ownership_repository.hpp"

#include <caf/actor.hpp>
#include <caf/io/middleman_actor.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace comptoir::actors {

/// The owner of a location on this node and its database writer.
struct local_location {
  caf::actor owner;
  database_actor writer;
};

/// Spawns the owner of a location and its writer; the fence (none on a single
/// node) guards every write the writer makes.
using location_spawner = std::function<local_location(
    const domain::location&, std::optional<persistence::write_fence>)>;

struct cluster_settings {
  std::string node_id;
  /// host:port of this node's cluster port, as the others dial it.
  std::string advertise;
  std::int64_t weight = 1;
  /// host:port of other nodes, dialled until one answers.
  std::vector<std::string> seeds;
  /// The lease in the database; renewed every third of it.
  std::chrono::milliseconds lease_ttl{3'000};
  persistence::database_url database;
};

/// What the cluster actor works with on its node.
struct cluster_wiring {
  /// Every location of the chain.
  std::vector<domain::location> locations;
  location_spawner spawn;
  std::shared_ptr<route_table> routes;
  std::shared_ptr<ownership_lease> lease;
  std::shared_ptr<cluster_counters> counters;
  catalogue_actor catalogue;
  hq_actor head_office;
  /// The middleman (or its OpenSSL twin) that dials other nodes.
  caf::io::middleman_actor dialer;
};

/// Spawned detached: it blocks on the database. Starts claiming at once; the
/// node is ready once its lease holds and the locations it claimed are loaded.
cluster_actor spawn_cluster(caf::actor_system& sys, cluster_settings settings,
                            cluster_wiring wiring);

} // namespace comptoir::actors
