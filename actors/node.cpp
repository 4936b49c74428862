#include "actors/node.hpp"

#include "actors/catalogue_actor.hpp"
#include "actors/database_actor.hpp"
#include "actors/frontend_actor.hpp"
#include "actors/hq_actor.hpp"
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
  auto writer = [&] {
    auto db = sys.spawn<caf::detached>(database, settings.database);
    running.actors.push_back(caf::actor_cast<caf::actor>(db));
    return db;
  };
  auto owners = std::make_shared<directory>();
  owners->probe = writer();
  // Stores first: the logistics centre lands transfers at them.
  for (const auto& where : locations)
    if (where.kind == domain::location_kind::store) {
      auto owner = sys.spawn(store, writer(), where, settings.store);
      running.actors.push_back(caf::actor_cast<caf::actor>(owner));
      owners->stores.emplace(where.id, owner);
    }
  for (const auto& where : locations)
    if (where.kind == domain::location_kind::warehouse) {
      owners->warehouse = sys.spawn(warehouse, writer(), where, owners->stores, settings.warehouse);
      running.actors.push_back(caf::actor_cast<caf::actor>(owners->warehouse));
    }
  std::vector<store_actor> stores;
  for (const auto& [id, store] : owners->stores)
    stores.push_back(store);
  owners->head_office = sys.spawn(hq, std::move(stores), settings.head_office);
  running.actors.push_back(caf::actor_cast<caf::actor>(owners->head_office));
  // Last: the catalogue tells every location of new products and prices.
  std::vector<location_actor> holders;
  for (const auto& [id, store] : owners->stores)
    holders.push_back(caf::actor_cast<location_actor>(store));
  holders.push_back(caf::actor_cast<location_actor>(owners->warehouse));
  owners->catalogue = sys.spawn(catalogue, writer(), locations, std::move(holders));
  running.actors.push_back(caf::actor_cast<caf::actor>(owners->catalogue));
  auto spawn_reader = [&] { return caf::actor_cast<caf::actor>(writer()); };
  auto readers = caf::actor_pool::make(sys.dummy_execution_unit(), settings.readers, spawn_reader,
                                       caf::actor_pool::round_robin());
  running.actors.push_back(readers);
  owners->readers = caf::actor_cast<database_actor>(readers);
  running.owners = owners;
  running.workers = spawn_worker_pool(sys, settings.workers, owners);
  running.actors.push_back(caf::actor_cast<caf::actor>(running.workers));
  running.frontend = sys.spawn(frontend, running.workers);
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
