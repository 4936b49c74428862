#include "persistence/ownership_repository.hpp"

#include <soci/postgresql/soci-postgresql.h>
#include <soci/soci.h>

#include <algorithm>
#include <string>

namespace comptoir::persistence {

namespace {

// -- SQL ------------------------------------------------------------------------------

// A lease ends `ttl` after the statement runs, by the database's clock.
constexpr auto upsert_node =
    "INSERT INTO cluster_nodes (node_id, incarnation, address, weight, expires_at)"
    " VALUES (:node_id, :incarnation, :address, :weight,"
    " clock_timestamp() + CAST(:ttl_ms AS double precision) * interval '1 millisecond')"
    " ON CONFLICT (node_id) DO UPDATE SET incarnation = excluded.incarnation,"
    " address = excluded.address, weight = excluded.weight, expires_at = excluded.expires_at";

// Free from now on: `since` starts the row's time without an owner.
constexpr auto add_free_owners =
    "INSERT INTO location_owners (location_id, since) SELECT id, clock_timestamp() FROM locations"
    " ON CONFLICT (location_id) DO NOTHING";

constexpr auto extend_lease =
    "UPDATE cluster_nodes SET expires_at ="
    " clock_timestamp() + CAST(:ttl_ms AS double precision) * interval '1 millisecond'"
    " WHERE incarnation = :incarnation AND expires_at > clock_timestamp()";

constexpr auto select_live_members =
    "SELECT node_id, incarnation, address, weight FROM cluster_nodes"
    " WHERE expires_at > clock_timestamp() ORDER BY node_id";

// One reading of the clock for every row. Without a live owner, a location has
// been free since its holder's lease ended, else since it was released or added;
// for a holder whose row is gone (it rejoined or left), since it was claimed,
// the latest time known.
constexpr auto select_owners =
    "SELECT o.location_id, COALESCE(live.incarnation, ''), o.epoch,"
    " CASE WHEN live.incarnation IS NOT NULL THEN 0 ELSE CAST(GREATEST(0, floor(1000 *"
    " EXTRACT(EPOCH FROM c.now - COALESCE(holder.expires_at, o.since, c.now)))) AS bigint) END"
    " FROM location_owners o CROSS JOIN (SELECT clock_timestamp() AS now) c"
    " LEFT JOIN cluster_nodes live ON live.incarnation = o.owner AND live.expires_at > c.now"
    " LEFT JOIN cluster_nodes holder ON holder.incarnation = o.owner"
    " ORDER BY o.location_id";

constexpr auto set_local_lock_timeout = "SELECT set_config('lock_timeout', :timeout, true)";

// Waits (up to the lock timeout) for a fenced writer's transaction, which holds
// the row FOR SHARE, then checks the row as that writer left it.
constexpr auto take_location =
    "UPDATE location_owners o SET owner = :incarnation, epoch = o.epoch + 1,"
    " since = clock_timestamp()"
    " WHERE o.location_id = :location AND (o.owner IS NULL OR NOT EXISTS ("
    " SELECT 1 FROM cluster_nodes n WHERE n.incarnation = o.owner"
    " AND n.expires_at > clock_timestamp()))"
    " AND EXISTS (SELECT 1 FROM cluster_nodes me WHERE me.incarnation = :claimer"
    " AND me.expires_at > clock_timestamp())"
    " RETURNING o.epoch";

constexpr auto give_up_location =
    "UPDATE location_owners SET owner = NULL, epoch = epoch + 1, since = clock_timestamp()"
    " WHERE location_id = :location AND owner = :incarnation AND epoch = :epoch";

constexpr auto give_up_all_locations =
    "UPDATE location_owners SET owner = NULL, epoch = epoch + 1, since = clock_timestamp()"
    " WHERE owner = :incarnation";

constexpr auto delete_node = "DELETE FROM cluster_nodes WHERE incarnation = :incarnation";

constexpr auto lock_not_available = "55P03";

} // namespace

void ownership_repository::join(const std::string& node_id, const std::string& incarnation,
                                const std::string& address, std::int64_t weight,
                                std::chrono::milliseconds ttl) {
  const long long weight_value = weight;
  const long long ttl_ms = ttl.count();
  soci::transaction transaction(sql_);
  sql_ << upsert_node, soci::use(node_id), soci::use(incarnation), soci::use(address),
      soci::use(weight_value), soci::use(ttl_ms);
  sql_ << add_free_owners;
  transaction.commit();
}

cluster_view ownership_repository::renew(const std::string& incarnation,
                                         std::chrono::milliseconds ttl) {
  const long long ttl_ms = ttl.count();
  cluster_view view;
  soci::statement extend =
      (sql_.prepare << extend_lease, soci::use(ttl_ms), soci::use(incarnation));
  extend.execute(true);
  view.lease_held = extend.get_affected_rows() == 1;

  cluster_member member;
  long long weight = 0;
  soci::statement members =
      (sql_.prepare << select_live_members, soci::into(member.node_id),
       soci::into(member.incarnation), soci::into(member.address), soci::into(weight));
  members.execute();
  while (members.fetch()) {
    member.weight = weight;
    view.members.push_back(member);
  }

  location_owner owner;
  long long location = 0, epoch = 0, free_for_ms = 0;
  soci::statement owners = (sql_.prepare << select_owners, soci::into(location),
                            soci::into(owner.owner), soci::into(epoch), soci::into(free_for_ms));
  owners.execute();
  while (owners.fetch()) {
    owner.location = location;
    owner.epoch = epoch;
    owner.free_for_ms = free_for_ms;
    view.owners.push_back(owner);
  }
  return view;
}

std::optional<std::int64_t> ownership_repository::claim(std::int64_t location,
                                                        const std::string& incarnation,
                                                        std::chrono::milliseconds lock_timeout) {
  const long long location_value = location;
  // At least 1 ms: 0 would mean no timeout at all.
  const std::string timeout = std::to_string(std::max<long long>(lock_timeout.count(), 1)) + "ms";
  soci::transaction transaction(sql_);
  sql_ << set_local_lock_timeout, soci::use(timeout);
  long long epoch = 0;
  try {
    sql_ << take_location, soci::use(incarnation), soci::use(location_value),
        soci::use(incarnation), soci::into(epoch);
  } catch (const soci::postgresql_soci_error& e) {
    if (e.sqlstate() != lock_not_available)
      throw;
    transaction.rollback();
    return std::nullopt;
  }
  const bool taken = sql_.got_data();
  transaction.commit();
  if (!taken)
    return std::nullopt;
  return epoch;
}

bool ownership_repository::release(std::int64_t location, const std::string& incarnation,
                                   std::int64_t epoch) {
  const long long location_value = location;
  const long long epoch_value = epoch;
  soci::statement update = (sql_.prepare << give_up_location, soci::use(location_value),
                            soci::use(incarnation), soci::use(epoch_value));
  update.execute(true);
  return update.get_affected_rows() == 1;
}

void ownership_repository::leave(const std::string& incarnation) {
  soci::transaction transaction(sql_);
  sql_ << give_up_all_locations, soci::use(incarnation);
  sql_ << delete_node, soci::use(incarnation);
  transaction.commit();
}

} // namespace comptoir::persistence
