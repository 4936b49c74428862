#pragma once
// Spawns, waits for and stops the actors of one Comptoir node.

#include "actors/cluster_actor.hpp"
#include "actors/hq_actor.hpp"
#include "actors/metrics_actor.hpp"
#include "actors/protocol.hpp"
#include "actors/stock_board.hpp"
#include "actors/store_actor.hpp"
#include "actors/warehouse_actor.hpp"
#include "domain/location.hpp"
#include "persistence/database_url.hpp"

#include <caf/actor.hpp>
#include <caf/io/middleman_actor.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace comptoir::actors {

struct directory;

struct node {
  std::shared_ptr<const directory> owners;
  worker_actor workers;
  /// Accepts `api_call`s from the HTTP layer.
  caf::actor frontend;
  /// The stock views the store actors of this node publish for the HTTP layer.
  std::shared_ptr<const stock_board> stock;
  /// Answers `(get_atom, metrics_atom)` with the Prometheus text exposition.
  metrics_actor metrics;
  /// Null on a single node. Publish it on the cluster port.
  cluster_actor cluster;
  /// Every long-lived actor, for shutdown (in a cluster, the cluster actor
  /// stops the locations' owners it spawned).
  std::vector<caf::actor> actors;
};

/// A node of a cluster: whom it is, and how it reaches the others.
struct cluster_membership {
  cluster_settings settings;
  caf::io::middleman_actor dialer;
};

struct node_settings {
  persistence::database_url database;
  std::size_t workers = 4;
  /// Database actors serving reads of sales.
  std::size_t readers = 2;
  store_settings store;
  warehouse_settings warehouse;
  hq_settings head_office;
  /// Where the metrics go; shared with the HTTP layer's own families. A
  /// fresh one when null.
  std::shared_ptr<prometheus::Registry> registry;
  /// Run by the metrics actor before every scrape and every flush interval.
  std::vector<std::function<void()>> collectors;
  /// How often every actor sends its stats to the metrics actor.
  std::chrono::milliseconds flush_interval{1'000};
  /// Only reported (comptoir_scheduler_threads): the actor system is the caller's.
  std::size_t scheduler_threads = 1;
  /// comptoir_build_info's `version`.
  std::string version;
  /// None: this node owns every location itself.
  std::optional<cluster_membership> cluster;
};

/// Spawns the catalogue, the head office, the worker pool and the frontend;
/// then one actor per location (with a database writer each), or, in a
/// cluster, the cluster actor that claims this node's share of them.
/// `locations` must hold exactly one warehouse (std::invalid_argument
/// otherwise, with nothing spawned).
node start_node(caf::actor_system& sys, const node_settings& settings,
                const std::vector<domain::location>& locations);

/// Waits until the catalogue and every location this node owns have loaded
/// their state; an error names the first that could not.
caf::error await_ready(caf::actor_system& sys, const node& running,
                       std::chrono::milliseconds timeout);

/// Hands a cluster node's locations over, then asks every actor to quit. The
/// caller must then drop `running` (it holds handles) before the actor system
/// is destroyed, or ~actor_system waits for the detached writers forever.
void stop_node(caf::actor_system& sys, const node& running);

} // namespace comptoir::actors
