#include "actors/frontend_actor.hpp"

#include <caf/all.hpp>

namespace comptoir::actors {

caf::behavior frontend(caf::event_based_actor* self, worker_actor workers) {
  return {
      [self, workers](api_call& call) { call.run(self, workers); },
  };
}

} // namespace comptoir::actors
