#pragma once
// The actor that owns the node's Prometheus registry (docs/observability.md):
// it turns the stats the other actors flush into the catalogue's metrics and
// answers a scrape with the text exposition.

#include "actors/protocol.hpp"

#include <caf/fwd.hpp>
#include <caf/message_priority.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace prometheus {
class Registry;
}

namespace comptoir::actors {

/// Database sessions of one role in use right now: a database actor holds
/// one while it runs a handler, the metrics actor reads it at each sample.
using busy_sessions = std::shared_ptr<std::atomic<std::int64_t>>;

/// What the cluster actor counts, read at each sample. A single node sees one
/// member and owns every location.
struct cluster_counters {
  std::atomic<std::int64_t> members{1};
  std::atomic<std::int64_t> owned{0};
  std::atomic<std::uint64_t> claimed{0};
  std::atomic<std::uint64_t> released{0};
  std::atomic<std::uint64_t> lost{0};
};

struct metrics_settings {
  /// Shared with the HTTP layer, which registers its own families in it.
  std::shared_ptr<prometheus::Registry> registry;
  /// Run before every scrape and every flush interval, e.g. to move counts
  /// kept outside the actors into the registry; one that throws is logged.
  std::vector<std::function<void()>> collectors;
  std::chrono::milliseconds flush_interval{1'000};
  std::size_t scheduler_threads = 1;
  std::string version;
  /// The node's own stores, the logistics centre and the pool size: their
  /// series exist from the start, at zero.
  std::vector<domain::location_id> stores;
  domain::location_id warehouse;
  std::size_t workers = 0;
  /// Database sessions: one writer per store and the logistics centre, and
  /// the readers' pool.
  std::size_t writers = 0;
  std::size_t readers = 0;
  busy_sessions busy_writers;
  busy_sessions busy_readers;
  /// Never null once the metrics actor runs.
  std::shared_ptr<const cluster_counters> cluster;
};

/// Sends `self` its first flush tick, from its start.
///
/// Normal priority: an actor that awaits its state at start (`.await`) skips
/// the messages that come meanwhile, and CAF 0.17 puts a skipped message back
/// only when it next handles one of the same priority. Normal messages keep
/// coming (the awaited answers are some); a lone urgent tick would be stuck.
template <class Self> void start_flushing(Self* self, std::chrono::milliseconds every) {
  self->delayed_send(self, every, caf::tick_atom_v);
}

/// Sends `self` its next flush tick, from the tick handler, with high
/// priority: it overtakes the messages waiting, so the actor keeps its pace
/// under load and samples the backlog behind it. Only for an actor that no
/// longer awaits anything (see `start_flushing`).
template <class Self> void schedule_flush(Self* self, std::chrono::milliseconds every) {
  self->template delayed_send<caf::message_priority::high>(self, every, caf::tick_atom_v);
}

class stock_view;

/// A stock view's counts since `flushed`, its totals at the last flush, which
/// become its totals now. Every render but the first replaced one that a
/// change of stock had made stale: that is an invalidation.
cache_delta stock_view_delta(const stock_view& view, cache_delta& flushed);

/// Spawns the metrics actor; it registers every family of the catalogue in
/// `settings.registry` at once.
metrics_actor spawn_metrics(caf::actor_system& sys, metrics_settings settings);

} // namespace comptoir::actors
