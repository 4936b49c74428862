#include "actors/frontend_actor.hpp"

#include "actors/metrics_actor.hpp"

#include <caf/all.hpp>

namespace comptoir::actors {

caf::behavior frontend(caf::event_based_actor* self, worker_actor workers, metrics_link metrics) {
  start_flushing(self, metrics.every);
  auto deadlines = std::make_shared<request_deadlines>();
  self->delayed_send(self, request_deadlines::sweep_interval, purge_atom_v);
  return {
      [self, workers, deadlines](api_call& call) { call.run(self, workers, *deadlines); },
      [self, deadlines](purge_atom) {
        deadlines->sweep(request_deadlines::clock::now());
        self->delayed_send(self, request_deadlines::sweep_interval, purge_atom_v);
      },
      [self, metrics](caf::tick_atom) {
        self->send(metrics.sink, actor_stats{actor_kind::frontend, 0, self->mailbox().size(), {}});
        schedule_flush(self, metrics.every);
      },
  };
}

} // namespace comptoir::actors
