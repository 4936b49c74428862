#pragma once
// The head office's actor: the consolidated sales report and the dashboard,
// gathered from every store's in-memory aggregates and cached.

#include "actors/protocol.hpp"
#include "actors/routing.hpp"

#include <caf/typed_event_based_actor.hpp>

#include <chrono>
#include <map>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace comptoir::actors {

struct hq_settings {
  /// A cached report or dashboard is dropped after this, even if no store changed.
  std::chrono::milliseconds cache_ttl{5'000};
  /// Overstock: more than this many times the reorder point on hand.
  std::int64_t overstock_multiple = 3;
  /// The dashboard's weekly trend covers this many ISO weeks.
  int trend_weeks = 8;
  /// Most windows cached at once: a client walking through windows while no
  /// store sells cannot grow the memory without bound.
  std::size_t max_cached = 1024;
};

struct cached_view {
  rendered view;
  std::chrono::steady_clock::time_point made;
};

struct hq_state {
  /// Every store of the chain, each gathered from wherever `routes` says it is served.
  std::vector<domain::location_id> stores;
  std::shared_ptr<const route_table> routes;
  hq_settings settings;
  /// Reports by (from day, to day); the dashboard under ("dashboard", "").
  std::map<std::pair<std::string, std::string>, cached_view> cache;
  /// Bumped by every invalidation: the ETag of reports and dashboards.
  std::uint64_t generation = 1;
  metrics_link metrics;
  /// Counts since the last flush to the metrics actor.
  cache_delta reports{cache_kind::report};
  cache_delta dashboards{cache_kind::dashboard};
  static inline const char* name = "hq";
};

/// Gathers from `stores` as `routes` finds them; the stores tell it of their
/// changes once subscribed (by whoever spawns them). Sends its mailbox depth
/// and cache counts to `metrics` every flush interval.
hq_actor::behavior_type hq(hq_actor::stateful_pointer<hq_state> self,
                           std::vector<domain::location_id> stores,
                           std::shared_ptr<const route_table> routes, hq_settings settings,
                           metrics_link metrics);

} // namespace comptoir::actors
