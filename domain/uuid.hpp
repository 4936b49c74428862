#pragma once
// UUIDv7 (RFC 9562): time-ordered ids, unique across nodes without coordination.

#include <chrono>
#include <cstdint>
#include <random>
#include <string>

namespace comptoir::domain {

/// Ids from one generator are strictly increasing, even within a millisecond
/// (a 12-bit counter in rand_a, RFC 9562 section 6.2 method 1). Not thread-safe:
/// each owner keeps its own.
class uuid_v7_generator {
public:
  uuid_v7_generator();

  /// "0193d2b4-6f1e-7abc-8def-0123456789ab"
  std::string next(std::chrono::system_clock::time_point now);

private:
  std::mt19937_64 random_;
  std::uint64_t last_millis_ = 0;
  std::uint16_t counter_ = 0;
};

} // namespace comptoir::domain
