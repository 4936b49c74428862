#include "actors/frontend_actor.hpp"

#include "actors/metrics_actor.hpp"

#include <caf/all.hpp>

namespace comptoir::actors {

caf::behavior frontend(caf::event_based_actor* self, worker_actor workers, metrics_link metrics) {
  start_flushing(self, metrics.every);
  return {
      [self, workers](api_call& call) { call.run(self, workers); },
      [self, metrics](caf::tick_atom) {
        self->send(metrics.sink, actor_stats{actor_kind::frontend, 0, self->mailbox().size(), {}});
        schedule_flush(self, metrics.every);
      },
  };
}

} // namespace comptoir::actors
