#pragma once
// The actor that owns one location's stock: a store, or the logistics centre.

#include "actors/protocol.hpp"
#include "actors/views.hpp"
#include "domain/stock.hpp"

#include <caf/typed_event_based_actor.hpp>

#include <string>

namespace comptoir::actors {

struct location_state {
  domain::location where;
  domain::stock_ledger ledger;
  stock_view rendered_stock;
  static inline const char* name = "location";
};

/// Loads the location's stock through `db` before it serves anything.
location_actor::behavior_type location(location_actor::stateful_pointer<location_state> self,
                                       database_actor db, domain::location where);

} // namespace comptoir::actors
