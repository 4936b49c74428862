#include "actors/worker_actor.hpp"

#include "actors/errors.hpp"

#include <caf/actor_pool.hpp>
#include <caf/all.hpp>

namespace comptoir::actors {

worker_actor::behavior_type worker(worker_actor::pointer self,
                                   std::shared_ptr<const directory> owners) {
  // Workers delegate: the owner answers the original requester directly.
  return {
      [self, owners](caf::get_atom, domain::product_id id) {
        return self->delegate(owners->catalogue, caf::get_atom_v, id);
      },
      [self, owners](list_atom, domain::product_query& query) {
        return self->delegate(owners->catalogue, list_atom_v, std::move(query));
      },
      [self, owners](list_atom, stores_atom) {
        return self->delegate(owners->catalogue, list_atom_v, stores_atom_v);
      },
      [self, owners](caf::get_atom, stock_atom,
                     domain::location_id store) -> caf::result<rendered> {
        auto found = owners->stores.find(store);
        if (found == owners->stores.end())
          return make_error(error_code::not_found);
        return self->delegate(found->second, caf::get_atom_v, stock_atom_v);
      },
      [self, owners](caf::get_atom, warehouse_atom) {
        return self->delegate(owners->warehouse, caf::get_atom_v, stock_atom_v);
      },
      [self, owners](ready_atom) { return self->delegate(owners->probe, ping_atom_v); },
  };
}

worker_actor spawn_worker_pool(caf::actor_system& sys, std::size_t size,
                               std::shared_ptr<const directory> owners) {
  auto spawn_one = [&sys, owners] {
    return caf::actor_cast<caf::actor>(sys.spawn(worker, owners));
  };
  auto pool = caf::actor_pool::make(sys.dummy_execution_unit(), size, spawn_one,
                                    caf::actor_pool::round_robin());
  return caf::actor_cast<worker_actor>(pool);
}

} // namespace comptoir::actors
