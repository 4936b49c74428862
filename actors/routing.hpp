#pragma once
// Who serves each location now, on this node or on another of the cluster:
// the table that workers, the head office, the catalogue and the logistics
// centre route by. On a single node it is filled once at start.

#include "actors/errors.hpp"
#include "actors/protocol.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace comptoir::actors {

struct routes {
  /// The stores served now. A store of the chain missing here is between
  /// owners: its requests get 503 until it is back.
  std::unordered_map<domain::location_id, store_actor> stores;
  /// Null while the logistics centre is between owners.
  warehouse_actor warehouse;
  /// The catalogue that writes products: the one on the logistics centre's
  /// node, so that product changes are made one at a time. Null meanwhile.
  catalogue_actor catalogue_writer;
  /// The locations this node owns: its catalogue tells them of product changes.
  std::vector<location_actor> local_locations;
  /// The other nodes' catalogues, told of every product change.
  std::vector<catalogue_actor> peer_catalogues;
};

/// One `routes` shared by the node's actors, swapped whole on every change.
class route_table {
public:
  std::shared_ptr<const routes> snapshot() const {
    std::lock_guard lock{mutex_};
    return current_;
  }

  /// Runs `change` on a copy under the table's lock, then publishes the copy.
  /// Owners are spawned inside `change`: a snapshot taken before sees none of
  /// their effects, one taken after sees them, never a spawned owner that is
  /// missing from the table (the catalogue relies on it to tell every owner
  /// of a product change, or let it load the change from the database).
  template <class Change> void modify(Change&& change) {
    std::lock_guard lock{mutex_};
    auto next = std::make_shared<routes>(*current_);
    change(*next);
    current_ = std::move(next);
  }

private:
  mutable std::mutex mutex_;
  std::shared_ptr<const routes> current_ = std::make_shared<const routes>();
};

/// Until when this node may serve the locations it owns: its lease in the
/// database, minus a margin. A node that was frozen (SIGSTOP, a long pause)
/// finds it run out and answers 503 rather than serve stale state while
/// another node may own its locations already. Always held on a single node.
class ownership_lease {
public:
  using clock = std::chrono::steady_clock;

  bool held() const {
    return clock::now().time_since_epoch().count() < deadline_.load(std::memory_order_relaxed);
  }
  void extend_until(clock::time_point deadline) {
    deadline_.store(deadline.time_since_epoch().count(), std::memory_order_relaxed);
  }
  void revoke() { deadline_.store(0, std::memory_order_relaxed); }

  /// Whether this node reaches a majority of the cluster's live members: a
  /// node that does not is not ready (a load balancer should not send it
  /// requests it can only answer 503). Always on a single node.
  bool quorate() const { return quorate_.load(std::memory_order_relaxed); }
  void set_quorate(bool quorate) { quorate_.store(quorate, std::memory_order_relaxed); }

private:
  std::atomic<clock::rep> deadline_{std::numeric_limits<clock::rep>::max()};
  std::atomic<bool> quorate_{true};
};

/// Why an owner may not serve now, if it may not: handed over (draining), or
/// the node's lease lapsed. `what` names the owner in the error's context.
inline std::optional<caf::error> serving_refusal(bool draining, const ownership_lease& lease,
                                                 const char* what) {
  if (draining)
    return make_error(error_code::unavailable, std::string(what) + " being handed over");
  if (!lease.held())
    return make_error(error_code::unavailable, "ownership lease lapsed");
  return std::nullopt;
}

} // namespace comptoir::actors
