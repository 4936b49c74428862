#include "actors/hq_actor.hpp"

#include "actors/errors.hpp"
#include "actors/fan_out.hpp"
#include "actors/metrics_actor.hpp"
#include "actors/views.hpp"
#include "domain/aggregates.hpp"
#include "domain/timestamp.hpp"

#include <caf/all.hpp>

#include <utility>

namespace comptoir::actors {

namespace {

using self_pointer = hq_actor::stateful_pointer<hq_state>;
using promise_type = caf::typed_response_promise<rendered>;
using cache_key = std::pair<std::string, std::string>;

constexpr auto gather_timeout = std::chrono::seconds{10};

/// The dashboard is cached under ("dashboard", day), reports under their window.
cache_delta& counts_of(hq_state& state, const cache_key& key) {
  return key.first == "dashboard" ? state.dashboards : state.reports;
}

/// Drops the entries `drop` selects, counting them as invalidated.
template <class Predicate> void drop_if(hq_state& state, Predicate drop) {
  std::erase_if(state.cache, [&](const auto& entry) {
    if (!drop(entry))
      return false;
    ++counts_of(state, entry.first).invalidations;
    return true;
  });
}

/// Drops the expired entries, and the oldest one if none had expired.
void evict(hq_state& state, std::chrono::steady_clock::time_point now) {
  auto before = state.cache.size();
  drop_if(state,
          [&](const auto& entry) { return now - entry.second.made >= state.settings.cache_ttl; });
  if (state.cache.size() == before) {
    auto oldest = std::ranges::min_element(state.cache, {},
                                           [](const auto& entry) { return entry.second.made; });
    ++counts_of(state, oldest->first).invalidations;
    state.cache.erase(oldest);
  }
}

/// Serves `key` from the cache while fresh; otherwise asks every store for its
/// summary and renders all of them with `render`.
template <class Render>
caf::result<rendered> serve(self_pointer self, cache_key key, std::string from_day,
                            std::string to_day, std::vector<std::string> weeks, Render render) {
  auto& state = self->state;
  auto now = std::chrono::steady_clock::now();
  if (auto found = state.cache.find(key);
      found != state.cache.end() && now - found->second.made < state.settings.cache_ttl) {
    ++counts_of(state, key).hits;
    return found->second.view;
  }
  ++counts_of(state, key).misses;
  auto routes = state.routes->snapshot();
  std::vector<store_actor> owners;
  for (auto id : state.stores) {
    auto found = routes->stores.find(id);
    if (found == routes->stores.end())
      return make_error(error_code::unavailable, "a store is between owners");
    owners.push_back(found->second);
  }
  auto promise = self->make_response_promise<rendered>();
  auto generation = state.generation;
  fan_out<domain::store_summary>(
      self, owners, gather_timeout,
      [self, key, generation, render,
       promise](std::vector<domain::store_summary> summaries) mutable {
        auto& state = self->state;
        std::ranges::sort(summaries, {}, &domain::store_summary::store);
        rendered view{render(summaries), generation};
        // A store that changed while we gathered has bumped the generation: what
        // was gathered may predate it, so it is answered but not kept.
        if (generation == state.generation) {
          auto made = std::chrono::steady_clock::now();
          if (state.cache.size() >= state.settings.max_cached)
            evict(state, made);
          state.cache[key] = {view, made};
        }
        promise.deliver(std::move(view));
      },
      [promise](caf::error err) mutable { promise.deliver(std::move(err)); }, report_atom_v,
      from_day, to_day, weeks, state.settings.overstock_multiple);
  return promise;
}

/// Sends the metrics actor its mailbox depth and the cache counts since the last flush.
void report(self_pointer self) {
  auto& state = self->state;
  actor_stats stats{actor_kind::hq,
                    0,
                    self->mailbox().size(),
                    {std::exchange(state.reports, cache_delta{cache_kind::report}),
                     std::exchange(state.dashboards, cache_delta{cache_kind::dashboard})}};
  self->send(state.metrics.sink, std::move(stats));
}

} // namespace

hq_actor::behavior_type hq(hq_actor::stateful_pointer<hq_state> self,
                           std::vector<domain::location_id> stores,
                           std::shared_ptr<const route_table> routes, hq_settings settings,
                           metrics_link metrics) {
  self->state.stores = std::move(stores);
  self->state.routes = std::move(routes);
  self->state.settings = settings;
  self->state.metrics = std::move(metrics);
  start_flushing(self, self->state.metrics.every);
  return {
      [self](report_atom, std::string& from_day, std::string& to_day) {
        return serve(self, {from_day, to_day}, from_day, to_day, {},
                     [](const std::vector<domain::store_summary>& summaries) {
                       return render_report(summaries);
                     });
      },
      [self](dashboard_atom) {
        auto today = domain::day_of(domain::format_timestamp(std::chrono::system_clock::now()));
        auto weeks = domain::last_iso_weeks(today, self->state.settings.trend_weeks);
        return serve(self, {"dashboard", today}, "", "", weeks,
                     [weeks](const std::vector<domain::store_summary>& summaries) {
                       return render_dashboard(summaries, weeks);
                     });
      },
      [self](invalidate_atom) {
        auto& state = self->state;
        ++state.generation;
        drop_if(state, [](const auto&) { return true; });
      },
      [](ready_atom) { return true; },
      [self](caf::tick_atom) {
        report(self);
        schedule_flush(self, self->state.metrics.every);
      },
  };
}

} // namespace comptoir::actors
