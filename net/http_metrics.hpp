#pragma once
// The golden signals of the HTTP listener (docs/observability.md): requests,
// latency per route template, requests in flight, overload rejects, open
// connections.
//
// The I/O threads count into shards of plain counters, one lock each that no
// other thread takes but the collector; the metrics actor calls flush() once
// per flush interval and before a scrape, which moves the counts into the
// prometheus-cpp registry. No message and no registry look-up per request.

#include "net/http_types.hpp"

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string_view>

namespace prometheus {
class Registry;
}

namespace comptoir::net {

enum class reject_reason : std::uint8_t { in_flight, connections, pipelined };

class http_metrics {
public:
  /// Registers the http_* families in `registry`, which must outlive this.
  explicit http_metrics(prometheus::Registry& registry);
  ~http_metrics();
  http_metrics(const http_metrics&) = delete;
  http_metrics& operator=(const http_metrics&) = delete;

  /// One answered request. `route` must be a string with static storage (a
  /// route pattern, "unmatched" or "none").
  void record(method m, std::string_view route, unsigned status,
              std::chrono::steady_clock::duration latency);
  void rejected(reject_reason why);

  /// Gauges the listener keeps current.
  std::atomic<std::int64_t> in_flight{0};
  std::atomic<std::int64_t> connections{0};

  /// Moves what was counted since the last call into the registry; any thread.
  void flush();

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace comptoir::net
