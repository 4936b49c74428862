#include "actors/node.hpp"

#include "actors/catalogue_actor.hpp"
#include "actors/database_actor.hpp"
#include "actors/frontend_actor.hpp"
#include "actors/hq_actor.hpp"
#include "actors/metrics_actor.hpp"
#include "actors/store_actor.hpp"
#include "actors/warehouse_actor.hpp"
#include "actors/worker_actor.hpp"

#include <caf/actor_pool.hpp>
#include <caf/all.hpp>

#include <algorithm>
#include <stdexcept>

namespace comptoir::actors {

namespace {

// A cluster node hands its locations over one after the other at shutdown.
constexpr auto leave_timeout = std::chrono::seconds{30};

} // namespace

node start_node(caf::actor_system& sys, const node_settings& settings,
                const std::vector<domain::location>& locations) {
  // Checked before anything is spawned: an actor left running would keep
  // ~actor_system waiting forever.
  auto warehouses =
      std::ranges::count(locations, domain::location_kind::warehouse, &domain::location::kind);
  if (warehouses != 1)
    throw std::invalid_argument(warehouses == 0
                                    ? "the database holds no logistics centre"
                                    : "the database holds more than one logistics centre");
  node running;
  auto counters = std::make_shared<cluster_counters>();
  // First: every other actor reports to it.
  metrics_settings watched;
  watched.registry = settings.registry;
  watched.collectors = settings.collectors;
  watched.flush_interval = settings.flush_interval;
  watched.scheduler_threads = settings.scheduler_threads;
  watched.version = settings.version;
  std::vector<domain::location_id> store_ids;
  for (const auto& where : locations) {
    if (where.kind == domain::location_kind::store)
      store_ids.push_back(where.id);
    else
      watched.warehouse = where.id;
  }
  watched.stores = store_ids;
  watched.workers = settings.workers;
  watched.writers = store_ids.size() + 1;
  watched.readers = settings.readers;
  watched.busy_writers = std::make_shared<std::atomic<std::int64_t>>(0);
  watched.busy_readers = std::make_shared<std::atomic<std::int64_t>>(0);
  watched.cluster = counters;
  auto busy_writers = watched.busy_writers;
  auto busy_readers = watched.busy_readers;
  running.metrics = spawn_metrics(sys, std::move(watched));
  running.actors.push_back(caf::actor_cast<caf::actor>(running.metrics));
  metrics_link link{running.metrics, settings.flush_interval};

  auto routes = std::make_shared<route_table>();
  auto lease = std::make_shared<ownership_lease>();
  // Only the locations' writers and the readers are counted in
  // comptoir_db_sessions (`busy` null for the others).
  auto session = [&](busy_sessions busy) {
    auto db = sys.spawn<caf::detached>(database, settings.database, std::move(busy), std::nullopt);
    running.actors.push_back(caf::actor_cast<caf::actor>(db));
    return db;
  };
  auto owners = std::make_shared<directory>();
  owners->probe = session(nullptr);
  owners->routes = routes;
  owners->lease = lease;
  owners->stores.insert(store_ids.begin(), store_ids.end());
  owners->catalogue = sys.spawn(catalogue, session(nullptr), locations, routes, link);
  running.actors.push_back(caf::actor_cast<caf::actor>(owners->catalogue));
  owners->head_office = sys.spawn(hq, store_ids, routes, settings.head_office, link);
  running.actors.push_back(caf::actor_cast<caf::actor>(owners->head_office));
  auto spawn_reader = [&] { return caf::actor_cast<caf::actor>(session(busy_readers)); };
  auto readers = caf::actor_pool::make(sys.dummy_execution_unit(), settings.readers, spawn_reader,
                                       caf::actor_pool::round_robin());
  running.actors.push_back(readers);
  owners->readers = caf::actor_cast<database_actor>(readers);

  auto board = std::make_shared<stock_board>(store_ids, lease);
  running.stock = board;
  location_spawner spawn_location = [&sys, settings, link, routes, lease, busy_writers, board](
                                        const domain::location& where,
                                        std::optional<persistence::write_fence> fence) {
    local_location spawned;
    spawned.writer =
        sys.spawn<caf::detached>(database, settings.database, busy_writers, std::move(fence));
    if (where.kind == domain::location_kind::store)
      spawned.owner = caf::actor_cast<caf::actor>(
          sys.spawn(store, spawned.writer, where, settings.store, lease, link, board));
    else
      spawned.owner = caf::actor_cast<caf::actor>(
          sys.spawn(warehouse, spawned.writer, where, routes, lease, settings.warehouse, link));
    return spawned;
  };
  if (settings.cluster) {
    cluster_wiring wiring{locations,   spawn_location,        routes,
                          lease,       counters,              owners->catalogue,
                          owners->head_office, settings.cluster->dialer};
    running.cluster = spawn_cluster(sys, settings.cluster->settings, std::move(wiring));
    running.actors.push_back(caf::actor_cast<caf::actor>(running.cluster));
  } else {
    // Every location here, for good: stores first, the logistics centre
    // lands transfers at them.
    auto ordered = locations;
    std::ranges::stable_partition(ordered, [](const domain::location& where) {
      return where.kind == domain::location_kind::store;
    });
    routes->modify([&](struct routes& table) {
      for (const auto& where : ordered) {
        auto spawned = spawn_location(where, std::nullopt);
        running.actors.push_back(caf::actor_cast<caf::actor>(spawned.writer));
        running.actors.push_back(spawned.owner);
        table.local_locations.push_back(caf::actor_cast<location_actor>(spawned.owner));
        if (where.kind == domain::location_kind::store) {
          auto owner = caf::actor_cast<store_actor>(spawned.owner);
          table.stores.emplace(where.id, owner);
          caf::anon_send(owner, subscribe_atom_v,
                         caf::actor_cast<caf::actor>(owners->head_office));
        } else {
          table.warehouse = caf::actor_cast<warehouse_actor>(spawned.owner);
          table.catalogue_writer = owners->catalogue;
        }
      }
    });
    counters->owned = static_cast<std::int64_t>(locations.size());
  }
  running.owners = owners;
  running.workers = spawn_worker_pool(sys, settings.workers, owners, link);
  running.actors.push_back(caf::actor_cast<caf::actor>(running.workers));
  running.frontend = sys.spawn(frontend, running.workers, link);
  running.actors.push_back(running.frontend);
  return running;
}

caf::error await_ready(caf::actor_system& sys, const node& running,
                       std::chrono::milliseconds timeout) {
  caf::scoped_actor self{sys};
  caf::error failure;
  auto ask = [&](const auto& owner) {
    if (failure)
      return;
    self->request(owner, timeout, ready_atom_v)
        .receive([](bool) {}, [&](caf::error& err) { failure = std::move(err); });
  };
  ask(running.owners->catalogue);
  for (const auto& location : running.owners->routes->snapshot()->local_locations)
    ask(location);
  return failure;
}

void stop_node(caf::actor_system& sys, const node& running) {
  caf::scoped_actor self{sys};
  if (running.cluster)
    self->request(running.cluster, leave_timeout, drain_atom_v)
        .receive([](bool) {}, [](caf::error&) {});
  for (const auto& actor : running.actors)
    self->send_exit(actor, caf::exit_reason::user_shutdown);
}

} // namespace comptoir::actors
