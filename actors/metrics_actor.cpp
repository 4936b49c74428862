#include "actors/metrics_actor.hpp"

#include "actors/views.hpp"

#include <caf/all.hpp>
#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>
#include <spdlog/spdlog.h>

#include <sys/resource.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <numeric>
#include <sstream>
#include <string_view>

#ifndef COMPTOIR_COMPILER
#define COMPTOIR_COMPILER "unknown"
#endif
#ifndef COMPTOIR_BUILD_TYPE
#define COMPTOIR_BUILD_TYPE "unknown"
#endif

namespace comptoir::actors {

namespace {

using prometheus::Counter;
using prometheus::Family;
using prometheus::Gauge;
using prometheus::Histogram;

std::string name_of(actor_kind kind) {
  switch (kind) {
  case actor_kind::frontend:
    return "frontend";
  case actor_kind::worker:
    return "worker";
  case actor_kind::store:
    return "store";
  case actor_kind::warehouse:
    return "warehouse";
  case actor_kind::catalogue:
    return "catalogue";
  case actor_kind::hq:
    return "hq";
  }
  return "unknown";
}

std::string name_of(cache_kind kind) {
  switch (kind) {
  case cache_kind::stock_view:
    return "stock_view";
  case cache_kind::report:
    return "report";
  case cache_kind::dashboard:
    return "dashboard";
  }
  return "unknown";
}

// -- process metrics from /proc -------------------------------------------------

/// What /proc/self/stat says of this process.
struct process_sample {
  double cpu_seconds = 0;
  double virtual_bytes = 0;
  double resident_bytes = 0;
  /// Clock ticks after boot.
  double start_ticks = 0;
  bool valid = false;
};

process_sample read_process_stat() {
  process_sample sample;
  std::ifstream file{"/proc/self/stat"};
  std::string line;
  if (!std::getline(file, line))
    return sample;
  // The command name, in parentheses, may hold spaces: fields count after it.
  auto close = line.rfind(')');
  if (close == std::string::npos)
    return sample;
  std::istringstream fields{line.substr(close + 1)};
  std::vector<std::string> tokens{std::istream_iterator<std::string>{fields},
                                  std::istream_iterator<std::string>{}};
  // tokens[0] is field 3 (state): field n is tokens[n - 3] (proc(5)).
  if (tokens.size() < 22)
    return sample;
  static const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  static const double page = static_cast<double>(sysconf(_SC_PAGESIZE));
  sample.cpu_seconds = (std::stod(tokens[11]) + std::stod(tokens[12])) / ticks;
  sample.start_ticks = std::stod(tokens[19]);
  sample.virtual_bytes = std::stod(tokens[20]);
  sample.resident_bytes = std::stod(tokens[21]) * page;
  sample.valid = true;
  return sample;
}

/// Seconds since the epoch at which this process started, or 0.
double process_start_time(const process_sample& sample) {
  std::ifstream file{"/proc/stat"};
  std::string line;
  while (std::getline(file, line))
    if (line.starts_with("btime "))
      return std::stod(line.substr(6)) +
             sample.start_ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
  return 0;
}

double open_fds() {
  std::error_code ec;
  double count = 0;
  for (std::filesystem::directory_iterator it{"/proc/self/fd", ec}, end; !ec && it != end;
       it.increment(ec))
    ++count;
  return count;
}

double max_fds() {
  rlimit files{};
  if (getrlimit(RLIMIT_NOFILE, &files) != 0)
    return 0;
  return static_cast<double>(files.rlim_cur);
}

// -- state ----------------------------------------------------------------------

struct cache_series {
  Counter* hits;
  Counter* misses;
  Counter* invalidations;
};

struct store_series {
  Histogram* batch_sizes;
  Histogram* commit_seconds;
  Counter* sales;
  Counter* revenue_cents;
  Counter* returns;
  Counter* refund_cents;
  std::map<domain::alert_kind, Gauge*> open_alerts;
};

struct metrics_state {
  metrics_settings settings;

  Family<Gauge>* mailbox = nullptr;
  std::map<std::pair<actor_kind, std::int64_t>, Gauge*> mailboxes;
  Gauge* pool_queue = nullptr;
  /// The last depth each worker reported, by index.
  std::vector<std::uint64_t> worker_mailboxes;

  Family<Histogram>* batch_sizes = nullptr;
  Family<Histogram>* commit_seconds = nullptr;
  Family<Counter>* sales = nullptr;
  Family<Counter>* revenue_cents = nullptr;
  Family<Counter>* returns = nullptr;
  Family<Counter>* refund_cents = nullptr;
  Family<Gauge>* open_alerts = nullptr;
  std::map<std::int64_t, store_series> stores;

  std::map<cache_kind, cache_series> caches;

  Gauge* writers_busy = nullptr;
  Gauge* readers_busy = nullptr;

  Gauge* resident_bytes = nullptr;
  Gauge* virtual_bytes = nullptr;
  Counter* cpu_seconds = nullptr;
  /// CPU seconds already counted into `cpu_seconds`.
  double cpu_seen = 0;
  Gauge* open_fds = nullptr;
  Gauge* max_fds = nullptr;

  Gauge* cluster_members = nullptr;
  Gauge* owned_locations = nullptr;
  Counter* claimed = nullptr;
  Counter* released = nullptr;
  Counter* lost = nullptr;
  /// The cluster's counts already added to the counters above.
  std::uint64_t claimed_seen = 0;
  std::uint64_t released_seen = 0;
  std::uint64_t lost_seen = 0;

  static inline const char* name = "metrics";
};

using self_pointer = metrics_actor::stateful_pointer<metrics_state>;

Gauge& mailbox_of(metrics_state& state, actor_kind kind, std::int64_t id) {
  auto& gauge = state.mailboxes[{kind, id}];
  if (gauge == nullptr)
    gauge = &state.mailbox->Add({{"actor", name_of(kind)}, {"id", std::to_string(id)}});
  return *gauge;
}

store_series& series_of(metrics_state& state, domain::location_id store) {
  auto found = state.stores.find(store.value);
  if (found != state.stores.end())
    return found->second;
  prometheus::Labels labels{{"store", std::to_string(store.value)}};
  store_series series{&state.batch_sizes->Add(labels, batch_size_bounds),
                      &state.commit_seconds->Add(labels, commit_duration_bounds),
                      &state.sales->Add(labels),
                      &state.revenue_cents->Add(labels),
                      &state.returns->Add(labels),
                      &state.refund_cents->Add(labels),
                      {}};
  for (auto kind : {domain::alert_kind::low_stock, domain::alert_kind::out_of_stock}) {
    auto with_kind = labels;
    with_kind.emplace("kind", std::string{domain::to_string(kind)});
    series.open_alerts[kind] = &state.open_alerts->Add(with_kind);
  }
  return state.stores.emplace(store.value, std::move(series)).first->second;
}

void add(Histogram& histogram, const histogram_delta& delta, std::size_t bounds) {
  if (delta.counts.size() != bounds + 1)
    return; // nothing observed
  std::vector<double> increments(delta.counts.begin(), delta.counts.end());
  histogram.ObserveMultiple(increments, delta.sum);
}

void add(metrics_state& state, const cache_delta& delta) {
  auto found = state.caches.find(delta.cache);
  if (found == state.caches.end())
    return;
  found->second.hits->Increment(static_cast<double>(delta.hits));
  found->second.misses->Increment(static_cast<double>(delta.misses));
  found->second.invalidations->Increment(static_cast<double>(delta.invalidations));
}

/// Runs the collectors and samples what is read rather than reported.
void refresh(metrics_state& state) {
  for (const auto& collect : state.settings.collectors) {
    try {
      collect();
    } catch (const std::exception& e) {
      spdlog::error("metrics: a collector failed: {}", e.what());
    }
  }
  const auto& cluster = *state.settings.cluster;
  state.cluster_members->Set(static_cast<double>(cluster.members.load()));
  state.owned_locations->Set(static_cast<double>(cluster.owned.load()));
  auto count = [](Counter* counter, const std::atomic<std::uint64_t>& total, std::uint64_t& seen) {
    auto now = total.load();
    counter->Increment(static_cast<double>(now - seen));
    seen = now;
  };
  count(state.claimed, cluster.claimed, state.claimed_seen);
  count(state.released, cluster.released, state.released_seen);
  count(state.lost, cluster.lost, state.lost_seen);
  state.writers_busy->Set(static_cast<double>(state.settings.busy_writers->load()));
  state.readers_busy->Set(static_cast<double>(state.settings.busy_readers->load()));
  if (auto sample = read_process_stat(); sample.valid) {
    state.resident_bytes->Set(sample.resident_bytes);
    state.virtual_bytes->Set(sample.virtual_bytes);
    if (sample.cpu_seconds > state.cpu_seen) {
      state.cpu_seconds->Increment(sample.cpu_seconds - state.cpu_seen);
      state.cpu_seen = sample.cpu_seconds;
    }
  }
  state.open_fds->Set(open_fds());
  state.max_fds->Set(max_fds());
}

/// Registers every family of the catalogue (docs/observability.md) but the
/// HTTP ones, with the series known from the start.
void register_families(metrics_state& state) {
  auto& registry = *state.settings.registry;
  const auto& settings = state.settings;
  state.mailbox = &prometheus::BuildGauge()
                       .Name("comptoir_actor_mailbox_messages")
                       .Help("Mailbox depth of an actor, sampled every flush")
                       .Register(registry);
  state.pool_queue = &prometheus::BuildGauge()
                          .Name("comptoir_worker_pool_queue_messages")
                          .Help("Messages waiting in all pool workers' mailboxes")
                          .Register(registry)
                          .Add({});
  prometheus::BuildGauge()
      .Name("comptoir_scheduler_threads")
      .Help("CAF scheduler threads")
      .Register(registry)
      .Add({})
      .Set(static_cast<double>(settings.scheduler_threads));
  state.batch_sizes = &prometheus::BuildHistogram()
                           .Name("comptoir_commit_batch_size")
                           .Help("Sales and returns per store transaction (group commit)")
                           .Register(registry);
  state.commit_seconds = &prometheus::BuildHistogram()
                              .Name("comptoir_commit_duration_seconds")
                              .Help("One group commit, database round trip included")
                              .Register(registry);
  auto& sessions = prometheus::BuildGauge()
                       .Name("comptoir_db_sessions")
                       .Help("Database sessions")
                       .Register(registry);
  sessions.Add({{"role", "writer"}}).Set(static_cast<double>(settings.writers));
  sessions.Add({{"role", "reader"}}).Set(static_cast<double>(settings.readers));
  auto& busy = prometheus::BuildGauge()
                   .Name("comptoir_db_sessions_busy")
                   .Help("Database sessions in use at the sample")
                   .Register(registry);
  state.writers_busy = &busy.Add({{"role", "writer"}});
  state.readers_busy = &busy.Add({{"role", "reader"}});
  auto& hits = prometheus::BuildCounter()
                   .Name("comptoir_cache_hits_total")
                   .Help("Reads served from a cache")
                   .Register(registry);
  auto& misses = prometheus::BuildCounter()
                     .Name("comptoir_cache_misses_total")
                     .Help("Reads a cache could not serve")
                     .Register(registry);
  auto& invalidations = prometheus::BuildCounter()
                            .Name("comptoir_cache_invalidations_total")
                            .Help("Cached entries dropped because what they show changed or aged")
                            .Register(registry);
  for (auto kind : {cache_kind::stock_view, cache_kind::report, cache_kind::dashboard}) {
    prometheus::Labels labels{{"cache", name_of(kind)}};
    state.caches[kind] = {&hits.Add(labels), &misses.Add(labels), &invalidations.Add(labels)};
  }
  state.open_alerts = &prometheus::BuildGauge()
                           .Name("comptoir_open_alerts")
                           .Help("Open stock alerts")
                           .Register(registry);
  state.cluster_members = &prometheus::BuildGauge()
                               .Name("comptoir_cluster_members")
                               .Help("Nodes in the cluster this node sees, itself included")
                               .Register(registry)
                               .Add({});
  state.owned_locations = &prometheus::BuildGauge()
                               .Name("comptoir_cluster_owned_locations")
                               .Help("Stores and logistics centre this node owns now")
                               .Register(registry)
                               .Add({});
  auto& changes = prometheus::BuildCounter()
                      .Name("comptoir_cluster_ownership_changes_total")
                      .Help("Locations this node claimed, released (handed over) or lost "
                            "(its lease lapsed)")
                      .Register(registry);
  state.claimed = &changes.Add({{"change", "claimed"}});
  state.released = &changes.Add({{"change", "released"}});
  state.lost = &changes.Add({{"change", "lost"}});
  prometheus::BuildGauge()
      .Name("comptoir_build_info")
      .Help("Always 1; the labels say which build this is")
      .Register(registry)
      .Add({{"version", settings.version},
            {"compiler", COMPTOIR_COMPILER},
            {"build_type", COMPTOIR_BUILD_TYPE}})
      .Set(1);
  state.sales = &prometheus::BuildCounter()
                     .Name("comptoir_sales_total")
                     .Help("Committed sales")
                     .Register(registry);
  state.revenue_cents = &prometheus::BuildCounter()
                             .Name("comptoir_sales_revenue_cents_total")
                             .Help("Totals of the committed sales")
                             .Register(registry);
  state.returns = &prometheus::BuildCounter()
                       .Name("comptoir_returns_total")
                       .Help("Committed returns")
                       .Register(registry);
  state.refund_cents = &prometheus::BuildCounter()
                            .Name("comptoir_returns_refund_cents_total")
                            .Help("Refunds of the committed returns")
                            .Register(registry);
  state.resident_bytes = &prometheus::BuildGauge()
                              .Name("process_resident_memory_bytes")
                              .Help("Resident memory size in bytes")
                              .Register(registry)
                              .Add({});
  state.virtual_bytes = &prometheus::BuildGauge()
                             .Name("process_virtual_memory_bytes")
                             .Help("Virtual memory size in bytes")
                             .Register(registry)
                             .Add({});
  state.cpu_seconds = &prometheus::BuildCounter()
                           .Name("process_cpu_seconds_total")
                           .Help("Total user and system CPU time spent in seconds")
                           .Register(registry)
                           .Add({});
  state.open_fds = &prometheus::BuildGauge()
                        .Name("process_open_fds")
                        .Help("Number of open file descriptors")
                        .Register(registry)
                        .Add({});
  state.max_fds = &prometheus::BuildGauge()
                       .Name("process_max_fds")
                       .Help("Maximum number of open file descriptors")
                       .Register(registry)
                       .Add({});
  prometheus::BuildGauge()
      .Name("process_start_time_seconds")
      .Help("Start time of the process since unix epoch in seconds")
      .Register(registry)
      .Add({})
      .Set(process_start_time(read_process_stat()));

  // Every actor's and store's series, at zero until its first flush.
  for (auto kind : {actor_kind::frontend, actor_kind::catalogue, actor_kind::hq})
    mailbox_of(state, kind, 0);
  mailbox_of(state, actor_kind::warehouse, settings.warehouse.value);
  state.worker_mailboxes.assign(settings.workers, 0);
  for (std::size_t i = 0; i < settings.workers; ++i)
    mailbox_of(state, actor_kind::worker, static_cast<std::int64_t>(i));
  for (auto store : settings.stores) {
    mailbox_of(state, actor_kind::store, store.value);
    series_of(state, store);
  }
}

metrics_actor::behavior_type metrics(self_pointer self, metrics_settings settings) {
  auto& state = self->state;
  state.settings = std::move(settings);
  if (!state.settings.registry)
    state.settings.registry = std::make_shared<prometheus::Registry>();
  for (auto* busy : {&state.settings.busy_writers, &state.settings.busy_readers})
    if (!*busy)
      *busy = std::make_shared<std::atomic<std::int64_t>>(0);
  if (!state.settings.cluster)
    state.settings.cluster = std::make_shared<cluster_counters>();
  register_families(state);
  refresh(state);
  self->delayed_send(self, state.settings.flush_interval, caf::tick_atom_v);
  return {
      [self](actor_stats& stats) {
        auto& state = self->state;
        mailbox_of(state, stats.actor, stats.id).Set(static_cast<double>(stats.mailbox));
        if (stats.actor == actor_kind::worker && stats.id >= 0 &&
            static_cast<std::size_t>(stats.id) < state.worker_mailboxes.size()) {
          state.worker_mailboxes[static_cast<std::size_t>(stats.id)] = stats.mailbox;
          state.pool_queue->Set(static_cast<double>(std::accumulate(
              state.worker_mailboxes.begin(), state.worker_mailboxes.end(), std::uint64_t{0})));
        }
        for (const auto& cache : stats.caches)
          add(state, cache);
      },
      [self](store_stats& stats) {
        auto& state = self->state;
        mailbox_of(state, actor_kind::store, stats.store.value)
            .Set(static_cast<double>(stats.mailbox));
        auto& series = series_of(state, stats.store);
        add(*series.batch_sizes, stats.batch_sizes, batch_size_bounds.size());
        add(*series.commit_seconds, stats.commit_seconds, commit_duration_bounds.size());
        series.sales->Increment(static_cast<double>(stats.sales));
        series.revenue_cents->Increment(static_cast<double>(stats.revenue_cents));
        series.returns->Increment(static_cast<double>(stats.returns));
        series.refund_cents->Increment(static_cast<double>(stats.refund_cents));
        add(state, stats.stock_view);
        for (const auto& [kind, count] : stats.open_alerts)
          if (auto gauge = series.open_alerts.find(kind); gauge != series.open_alerts.end())
            gauge->second->Set(static_cast<double>(count));
      },
      [self](caf::get_atom, metrics_atom) {
        auto& state = self->state;
        refresh(state);
        return prometheus::TextSerializer{}.Serialize(state.settings.registry->Collect());
      },
      [self](caf::tick_atom) {
        refresh(self->state);
        self->delayed_send(self, self->state.settings.flush_interval, caf::tick_atom_v);
      },
  };
}

} // namespace

cache_delta stock_view_delta(const stock_view& view, cache_delta& flushed) {
  auto misses = view.misses();
  cache_delta total{cache_kind::stock_view, view.hits(), misses, misses > 0 ? misses - 1 : 0};
  cache_delta delta{cache_kind::stock_view, total.hits - flushed.hits,
                    total.misses - flushed.misses, total.invalidations - flushed.invalidations};
  flushed = total;
  return delta;
}

metrics_actor spawn_metrics(caf::actor_system& sys, metrics_settings settings) {
  return sys.spawn(metrics, std::move(settings));
}

} // namespace comptoir::actors
