#include "actors/hq_actor.hpp"

#include "actors/fan_out.hpp"
#include "actors/views.hpp"
#include "domain/aggregates.hpp"
#include "domain/timestamp.hpp"

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

namespace comptoir::actors {

namespace {

using self_pointer = hq_actor::stateful_pointer<hq_state>;
using promise_type = caf::typed_response_promise<rendered>;
using cache_key = std::pair<std::string, std::string>;

constexpr auto gather_timeout = std::chrono::seconds{10};

/// Drops the expired entries, and the oldest one if none had expired.
void evict(hq_state& state, std::chrono::steady_clock::time_point now) {
  auto before = state.cache.size();
  std::erase_if(state.cache, [&](const auto& entry) {
    return now - entry.second.made >= state.settings.cache_ttl;
  });
  if (state.cache.size() == before)
    state.cache.erase(std::ranges::min_element(
        state.cache, {}, [](const auto& entry) { return entry.second.made; }));
  state.counters.invalidations += before - state.cache.size();
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
    ++state.counters.hits;
    return found->second.view;
  }
  ++state.counters.misses;
  auto promise = self->make_response_promise<rendered>();
  auto generation = state.generation;
  fan_out<domain::store_summary>(
      self, state.stores, gather_timeout,
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

} // namespace

hq_actor::behavior_type hq(hq_actor::stateful_pointer<hq_state> self,
                           std::vector<store_actor> stores, hq_settings settings) {
  self->state.stores = std::move(stores);
  self->state.settings = settings;
  for (const auto& store : self->state.stores)
    self->send(store, subscribe_atom_v, caf::actor_cast<caf::actor>(self));
  self->set_exit_handler([self](caf::exit_msg& msg) {
    const auto& counters = self->state.counters;
    spdlog::info("hq: report cache {} hits, {} misses, {} invalidations", counters.hits,
                 counters.misses, counters.invalidations);
    self->quit(msg.reason);
  });
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
        if (!state.cache.empty()) {
          state.counters.invalidations += state.cache.size();
          state.cache.clear();
        }
      },
      [](ready_atom) { return true; },
  };
}

} // namespace comptoir::actors
