#include "actors/location_actor.hpp"

#include "actors/views.hpp"

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

namespace comptoir::actors {

location_actor::behavior_type location(location_actor::stateful_pointer<location_state> self,
                                       database_actor db, domain::location where) {
  self->state.where = std::move(where);
  // await: nothing is served before the stock is in memory.
  self->request(db, caf::infinite, load_atom_v, stock_atom_v, self->state.where.id)
      .await(
          [self](std::vector<domain::stock_item>& items) {
            self->state.ledger = domain::stock_ledger{std::move(items)};
            spdlog::debug("{} {}: {} stock lines loaded", to_string(self->state.where.kind),
                          self->state.where.id.value, self->state.ledger.items().size());
          },
          [self](caf::error& err) {
            spdlog::error("{} {}: cannot load its stock: {}", to_string(self->state.where.kind),
                          self->state.where.id.value, to_string(err));
            self->quit(std::move(err));
          });
  return {
      [self](caf::get_atom, stock_atom) {
      auto& state = self->state;
      return rendered{state.rendered_stock.of(state.where, state.ledger), state.ledger.version()};
    },
    [](ready_atom) { return true; },
  };
}

} // namespace comptoir::actors
