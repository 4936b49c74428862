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
  // First: every other actor reports to it.
  metrics_settings watched;
  watched.registry = settings.registry;
  watched.collectors = settings.collectors;
  watched.flush_interval = settings.flush_interval;
  watched.scheduler_threads = settings.scheduler_threads;
  watched.version = settings.version;
  for (const auto& where : locations) {
    if (where.kind == domain::location_kind::store)
      watched.stores.push_back(where.id);
    else
      watched.warehouse = where.id;
  }
  watched.workers = settings.workers;
  watched.writers = watched.stores.size() + 1;
  watched.readers = settings.readers;
  watched.busy_writers = std::make_shared<std::atomic<std::int64_t>>(0);
  watched.busy_readers = std::make_shared<std::atomic<std::int64_t>>(0);
  auto busy_writers = watched.busy_writers;
  auto busy_readers = watched.busy_readers;
  running.metrics = spawn_metrics(sys, std::move(watched));
  running.actors.push_back(caf::actor_cast<caf::actor>(running.metrics));
  metrics_link link{running.metrics, settings.flush_interval};
  // Only the stores' and the logistics centre's writers and the readers are
  // counted in comptoir_db_sessions (`busy` null for the others).
  auto writer = [&](busy_sessions busy) {
    auto db = sys.spawn<caf::detached>(database, settings.database, std::move(busy));
    running.actors.push_back(caf::actor_cast<caf::actor>(db));
    return db;
  };
  auto owners = std::make_shared<directory>();
  owners->probe = writer(nullptr);
  // Stores first: the logistics centre lands transfers at them.
  for (const auto& where : locations)
    if (where.kind == domain::location_kind::store) {
      auto owner = sys.spawn(store, writer(busy_writers), where, settings.store, link);
      running.actors.push_back(caf::actor_cast<caf::actor>(owner));
      owners->stores.emplace(where.id, owner);
    }
  for (const auto& where : locations)
    if (where.kind == domain::location_kind::warehouse) {
      owners->warehouse = sys.spawn(warehouse, writer(busy_writers), where, owners->stores,
                                    settings.warehouse, link);
      running.actors.push_back(caf::actor_cast<caf::actor>(owners->warehouse));
    }
  std::vector<store_actor> stores;
  for (const auto& [id, store] : owners->stores)
    stores.push_back(store);
  owners->head_office = sys.spawn(hq, std::move(stores), settings.head_office, link);
  running.actors.push_back(caf::actor_cast<caf::actor>(owners->head_office));
  // Last: the catalogue tells every location of new products and prices.
  std::vector<location_actor> holders;
  for (const auto& [id, store] : owners->stores)
    holders.push_back(caf::actor_cast<location_actor>(store));
  holders.push_back(caf::actor_cast<location_actor>(owners->warehouse));
  owners->catalogue = sys.spawn(catalogue, writer(nullptr), locations, std::move(holders), link);
  running.actors.push_back(caf::actor_cast<caf::actor>(owners->catalogue));
  auto spawn_reader = [&] { return caf::actor_cast<caf::actor>(writer(busy_readers)); };
  auto readers = caf::actor_pool::make(sys.dummy_execution_unit(), settings.readers, spawn_reader,
                                       caf::actor_pool::round_robin());
  running.actors.push_back(readers);
  owners->readers = caf::actor_cast<database_actor>(readers);
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
  ask(running.owners->warehouse);
  for (const auto& [id, store] : running.owners->stores)
    ask(store);
  return failure;
}

void stop_node(caf::actor_system& sys, const node& running) {
  caf::scoped_actor self{sys};
  for (const auto& actor : running.actors)
    self->send_exit(actor, caf::exit_reason::user_shutdown);
}

} // namespace comptoir::actors
