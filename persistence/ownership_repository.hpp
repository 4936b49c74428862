#pragma once
// Which cluster node owns which location: node leases and location owners in
// PostgreSQL, arbitrated by the database's clock, with a fencing epoch that every
// write transaction of a fenced writer checks.

#include <chrono>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace soci {
class session;
} // namespace soci

namespace comptoir::persistence {

/// Who may write for a location; checked inside every write transaction of a fenced writer.
struct write_fence {
  std::int64_t location = 0;
  /// The owning process's incarnation (cluster_nodes.incarnation).
  std::string owner;
  std::int64_t epoch = 0;
};

/// Thrown by a fenced write whose ownership is gone; nothing of it was written.
class fenced_error : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

struct cluster_member {
  std::string node_id;
  std::string incarnation;
  std::string address;
  std::int64_t weight = 1;
};

struct location_owner {
  std::int64_t location = 0;
  /// Incarnation of the holder whose lease is live; empty when free or its holder's lease expired.
  std::string owner;
  std::int64_t epoch = 0;
  /// How long it has been without a live owner (ms, database clock); 0 when owned.
  std::int64_t free_for_ms = 0;
};

struct cluster_view {
  /// False: this node's lease had expired (or its row was replaced); nothing was extended.
  bool lease_held = false;
  /// Live members (expires_at > clock_timestamp()), sorted by node_id.
  std::vector<cluster_member> members;
  /// Every location, sorted by id.
  std::vector<location_owner> owners;
};

/// PostgreSQL only. Every time is the database's `clock_timestamp()`, so the
/// nodes' clocks never matter; every change of a location's owner bumps its epoch.
class ownership_repository {
public:
  explicit ownership_repository(soci::session& sql) : sql_(sql) {}

  /// Registers this process: upsert by node_id with a new incarnation and a lease of `ttl`;
  /// adds a free location_owners row for every location that has none.
  void join(const std::string& node_id, const std::string& incarnation, const std::string& address,
            std::int64_t weight, std::chrono::milliseconds ttl);

  /// Extends this incarnation's lease (only while still live) and reads the cluster.
  cluster_view renew(const std::string& incarnation, std::chrono::milliseconds ttl);

  /// Takes a free location, or one whose holder's lease expired, while this node's own lease is
  /// live: the new epoch (always bumped), or nullopt when it is held by a live node, or the row
  /// lock was not granted within `lock_timeout` (a fenced writer is mid-transaction), or this
  /// node's lease expired.
  std::optional<std::int64_t> claim(std::int64_t location, const std::string& incarnation,
                                    std::chrono::milliseconds lock_timeout);

  /// Gives up a location held at `epoch` (owner NULL, epoch bumped, since = now); false if not
  /// held so.
  bool release(std::int64_t location, const std::string& incarnation, std::int64_t epoch);

  /// Releases every location this incarnation holds and deletes its cluster_nodes row.
  void leave(const std::string& incarnation);

private:
  soci::session& sql_;
};

} // namespace comptoir::persistence
