#pragma once
// One request to many actors, one answer when all have replied.

#include <caf/error.hpp>
#include <caf/fwd.hpp>

#include <iterator>
#include <memory>
#include <vector>

namespace comptoir::actors {

/// Sends the same request to every handle in `targets`; calls `done` once
/// with all the replies (in arrival order), or `failed` once with the first
/// error. With no targets, `done` runs at once with none.
template <class Reply, class Self, class Targets, class Timeout, class Done, class Failed,
          class... Ts>
void fan_out(Self* self, const Targets& targets, Timeout timeout, Done done, Failed failed,
             const Ts&... xs) {
  struct gathering {
    std::vector<Reply> replies;
    std::size_t waiting = 0;
    bool failed = false;
  };
  auto gathered = std::make_shared<gathering>();
  gathered->waiting = static_cast<std::size_t>(std::ranges::distance(targets));
  if (gathered->waiting == 0) {
    done(std::move(gathered->replies));
    return;
  }
  for (const auto& target : targets)
    self->request(target, timeout, xs...)
        .then(
            [gathered, done](Reply& reply) mutable {
              gathered->replies.push_back(std::move(reply));
              if (--gathered->waiting == 0 && !gathered->failed)
                done(std::move(gathered->replies));
            },
            [gathered, failed](caf::error& err) mutable {
              --gathered->waiting;
              if (!gathered->failed) {
                gathered->failed = true;
                failed(std::move(err));
              }
            });
}

} // namespace comptoir::actors
