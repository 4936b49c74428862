#include "net/http_metrics.hpp"

#include "net/router.hpp"

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <algorithm>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace comptoir::net {

namespace {

// 100 µs to 10 s, about three per decade.
const std::vector<double> latency_buckets{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
                                          0.01,   0.025,   0.05,   0.1,   0.25,   0.5,
                                          1,      2.5,     5,      10};

struct series_key {
  method verb;
  std::string_view route;
  unsigned status;
  bool operator==(const series_key&) const = default;
};

struct route_key {
  method verb;
  std::string_view route;
  bool operator==(const route_key&) const = default;
};

// Routes are static strings: their addresses tell them apart.
struct key_hash {
  std::size_t operator()(const series_key& k) const noexcept {
    return std::hash<const void*>{}(k.route.data()) ^ (std::size_t(k.verb) << 12) ^ k.status;
  }
  std::size_t operator()(const route_key& k) const noexcept {
    return std::hash<const void*>{}(k.route.data()) ^ (std::size_t(k.verb) << 12);
  }
};

struct latency_counts {
  std::vector<double> buckets = std::vector<double>(latency_buckets.size() + 1, 0.0);
  double sum = 0;
};

struct shard {
  std::mutex lock;
  std::unordered_map<series_key, std::uint64_t, key_hash> requests;
  std::unordered_map<route_key, latency_counts, key_hash> latencies;
  std::array<std::uint64_t, 3> rejected{};
};

constexpr std::size_t shard_count = 8;

} // namespace

struct http_metrics::impl {
  prometheus::Family<prometheus::Counter>& requests;
  prometheus::Family<prometheus::Histogram>& durations;
  prometheus::Gauge& in_flight;
  prometheus::Gauge& connections;
  std::array<prometheus::Counter*, 3> rejected;
  std::array<shard, shard_count> shards;
  std::atomic<std::size_t> next_shard{0};
  std::mutex flushing;

  shard& mine() {
    thread_local std::size_t index = next_shard.fetch_add(1) % shard_count;
    return shards[index];
  }
};

http_metrics::http_metrics(prometheus::Registry& registry) {
  auto& rejected = prometheus::BuildCounter()
                       .Name("http_requests_rejected_total")
                       .Help("Requests answered 503 because the node was at a limit")
                       .Register(registry);
  impl_.reset(new impl{
      prometheus::BuildCounter()
          .Name("http_requests_total")
          .Help("Answered HTTP requests, by method, route template and status")
          .Register(registry),
      prometheus::BuildHistogram()
          .Name("http_request_duration_seconds")
          .Help("Time from a request's last byte read to its answer, by route template")
          .Register(registry),
      prometheus::BuildGauge()
          .Name("http_requests_in_flight")
          .Help("Requests read and not yet answered")
          .Register(registry)
          .Add({}),
      prometheus::BuildGauge()
          .Name("http_connections_open")
          .Help("Open client connections")
          .Register(registry)
          .Add({}),
      {&rejected.Add({{"reason", "in_flight"}}), &rejected.Add({{"reason", "connections"}}),
       &rejected.Add({{"reason", "pipelined"}})},
      {},
      {},
      {}});
}

http_metrics::~http_metrics() = default;

void http_metrics::record(method m, std::string_view route, unsigned status,
                          std::chrono::steady_clock::duration latency) {
  double seconds = std::chrono::duration<double>(latency).count();
  // The first bucket whose upper bound is at least the latency ("le").
  auto bucket = std::size_t(
      std::lower_bound(latency_buckets.begin(), latency_buckets.end(), seconds) -
      latency_buckets.begin());
  auto& here = impl_->mine();
  std::lock_guard guard{here.lock};
  ++here.requests[{m, route, status}];
  auto& counts = here.latencies[{m, route}];
  counts.buckets[bucket] += 1;
  counts.sum += seconds;
}

void http_metrics::rejected(reject_reason why) {
  auto& here = impl_->mine();
  std::lock_guard guard{here.lock};
  ++here.rejected[static_cast<std::size_t>(why)];
}

void http_metrics::flush() {
  std::lock_guard flushing{impl_->flushing};
  for (auto& part : impl_->shards) {
    decltype(part.requests) requests;
    decltype(part.latencies) latencies;
    decltype(part.rejected) rejected{};
    {
      std::lock_guard guard{part.lock};
      requests.swap(part.requests);
      latencies.swap(part.latencies);
      rejected.swap(part.rejected);
    }
    for (const auto& [key, count] : requests)
      impl_->requests
          .Add({{"method", std::string{to_string(key.verb)}},
                {"route", std::string{key.route}},
                {"status", std::to_string(key.status)}})
          .Increment(static_cast<double>(count));
    for (const auto& [key, counts] : latencies)
      impl_->durations
          .Add({{"method", std::string{to_string(key.verb)}}, {"route", std::string{key.route}}},
               latency_buckets)
          .ObserveMultiple(counts.buckets, counts.sum);
    for (std::size_t i = 0; i < rejected.size(); ++i)
      if (rejected[i] > 0)
        impl_->rejected[i]->Increment(static_cast<double>(rejected[i]));
  }
  impl_->in_flight.Set(static_cast<double>(in_flight.load(std::memory_order_relaxed)));
  impl_->connections.Set(static_cast<double>(connections.load(std::memory_order_relaxed)));
}

} // namespace comptoir::net
