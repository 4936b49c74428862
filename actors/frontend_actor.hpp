#pragma once
// The bridge from the HTTP threads into the actor system.

#include "actors/protocol.hpp"

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/behavior.hpp>

#include <functional>

namespace comptoir::actors {

/// A request from an HTTP session: `run` issues it to the worker pool from
/// inside the frontend and hands the answer to the session's callback.
/// Local only: it carries a closure, so it never crosses nodes.
struct api_call {
  std::function<void(caf::event_based_actor* self, const worker_actor& workers)> run;
};

/// One long-lived actor: HTTP threads enqueue `api_call`s without blocking.
/// Sends its mailbox depth to `metrics` every flush interval.
caf::behavior frontend(caf::event_based_actor* self, worker_actor workers, metrics_link metrics);

} // namespace comptoir::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(comptoir::actors::api_call)
