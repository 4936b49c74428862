#include "actors/cluster_actor.hpp"

#include "domain/uuid.hpp"
#include "persistence/session.hpp"

#include <caf/all.hpp>
#include <soci/soci.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <map>
#include <numeric>
#include <set>

namespace comptoir::actors {

namespace {

using clock = std::chrono::steady_clock;

// A handover waits this long for the location's writes in flight.
constexpr auto drain_timeout = std::chrono::seconds{5};
// Dialling and greeting another node.
constexpr auto greet_timeout = std::chrono::seconds{5};
// A claim waits this long for a writer of the former owner to finish.
constexpr auto claim_lock_timeout = std::chrono::milliseconds{500};

/// A location this node owns.
struct held_location {
  domain::location where;
  local_location actors;
  std::int64_t epoch = 0;
  /// Being handed over: out of the routes, waiting for its writes in flight.
  bool releasing = false;
};

struct peer {
  peer_info info;
  cluster_actor handle;
};

struct cluster_state {
  cluster_settings settings;
  cluster_wiring wiring;
  std::map<domain::location_id, domain::location> locations;
  domain::uuid_v7_generator ids;
  std::string incarnation;
  std::unique_ptr<soci::session> db;
  bool joined = false;
  /// Shutting down: claims nothing more; answered once everything is handed over.
  bool leaving = false;
  std::optional<caf::typed_response_promise<bool>> left;
  std::map<domain::location_id, held_location> owned;
  /// Other nodes, by incarnation.
  std::map<std::string, peer> peers;
  /// Addresses being dialled.
  std::set<std::string> dialling;
  /// Addresses that could not be greeted: not dialled again before `next`.
  /// A failed handshake (e.g. a peer whose certificate another CA signed)
  /// can make CAF 0.17 drop this node's other links at its next heartbeat,
  /// so failures are retried ever less often.
  struct dial_backoff {
    int failures = 0;
    clock::time_point next;
  };
  std::map<std::string, dial_backoff> backoff;
  static inline const char* name = "cluster";
};

using self_pointer = cluster_actor::stateful_pointer<cluster_state>;

std::string new_incarnation(cluster_state& state) {
  return state.settings.node_id + "/" + state.ids.next(std::chrono::system_clock::now());
}

peer_info my_info(const cluster_state& state) {
  peer_info info;
  info.node_id = state.settings.node_id;
  info.incarnation = state.incarnation;
  info.catalogue = state.wiring.catalogue;
  info.head_office = state.wiring.head_office;
  for (const auto& [id, held] : state.owned) {
    if (held.releasing)
      continue;
    if (held.where.kind == domain::location_kind::store)
      info.stores.push_back({id, held.epoch, caf::actor_cast<store_actor>(held.actors.owner)});
    else {
      info.warehouse = caf::actor_cast<warehouse_actor>(held.actors.owner);
      info.warehouse_epoch = held.epoch;
    }
  }
  return info;
}

/// The whole table from what this node owns and what its peers said they own;
/// of two claims on one location, the later epoch wins.
void fill_routes(const cluster_state& state, routes& table) {
  table = routes{};
  std::map<domain::location_id, std::int64_t> epochs;
  std::int64_t warehouse_epoch = -1;
  auto offer_store = [&](domain::location_id id, std::int64_t epoch, const store_actor& store) {
    if (auto known = epochs.find(id); known != epochs.end() && known->second >= epoch)
      return;
    epochs[id] = epoch;
    table.stores[id] = store;
  };
  auto offer_warehouse = [&](std::int64_t epoch, const warehouse_actor& warehouse,
                             const catalogue_actor& writer) {
    if (epoch <= warehouse_epoch)
      return;
    warehouse_epoch = epoch;
    table.warehouse = warehouse;
    table.catalogue_writer = writer;
  };
  for (const auto& [id, held] : state.owned) {
    if (held.releasing)
      continue;
    table.local_locations.push_back(caf::actor_cast<location_actor>(held.actors.owner));
    if (held.where.kind == domain::location_kind::store)
      offer_store(id, held.epoch, caf::actor_cast<store_actor>(held.actors.owner));
    else
      offer_warehouse(held.epoch, caf::actor_cast<warehouse_actor>(held.actors.owner),
                      state.wiring.catalogue);
  }
  for (const auto& [incarnation, other] : state.peers) {
    table.peer_catalogues.push_back(other.info.catalogue);
    for (const auto& owned : other.info.stores)
      offer_store(owned.id, owned.epoch, owned.store);
    if (other.info.warehouse)
      offer_warehouse(other.info.warehouse_epoch, other.info.warehouse, other.info.catalogue);
  }
}

/// After a change of owners anywhere: new routes and a fresh report.
void refresh_routes(self_pointer self) {
  auto& state = self->state;
  state.wiring.routes->modify([&](routes& table) { fill_routes(state, table); });
  // Reports gathered before may come from a store's former owner.
  self->send(state.wiring.head_office, invalidate_atom_v);
}

/// After a change of what this node owns: new routes, and the peers told
/// (only then: a peer's news is never echoed back, or updates would bounce
/// between nodes for ever).
void publish(self_pointer self) {
  auto& state = self->state;
  refresh_routes(self);
  auto count = std::ranges::count_if(state.owned, [](const auto& e) { return !e.second.releasing; });
  state.wiring.counters->owned = count;
  auto info = my_info(state);
  for (const auto& [incarnation, other] : state.peers)
    self->send(other.handle, update_atom_v, info);
}

void stop_location(held_location& held) {
  caf::anon_send_exit(held.actors.owner, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(held.actors.writer, caf::exit_reason::user_shutdown);
}

/// The lease is gone: another node may own these locations already.
void lose_everything(self_pointer self, const char* why) {
  auto& state = self->state;
  state.wiring.lease->revoke();
  for (auto& [id, held] : state.owned) {
    spdlog::warn("cluster: lost location {} ({})", id.value, why);
    stop_location(held);
    ++state.wiring.counters->lost;
  }
  state.owned.clear();
  state.joined = false;
  publish(self);
}

/// Each live member's share of the locations, by weight; the remainder goes
/// to the largest fractions, ties to the first node ids.
std::map<std::string, std::int64_t> quotas(const std::vector<persistence::cluster_member>& members,
                                           std::int64_t locations) {
  std::int64_t total_weight = 0;
  for (const auto& member : members)
    total_weight += member.weight;
  std::map<std::string, std::int64_t> quota;
  if (total_weight == 0)
    return quota;
  // (remainder, incarnation) in node id order: the stable sort keeps it among ties.
  std::vector<std::pair<std::int64_t, std::string>> remainders;
  std::int64_t given = 0;
  for (const auto& member : members) {
    auto share = locations * member.weight;
    quota[member.incarnation] = share / total_weight;
    given += share / total_weight;
    remainders.emplace_back(share % total_weight, member.incarnation);
  }
  std::ranges::stable_sort(remainders, std::ranges::greater{},
                           &std::pair<std::int64_t, std::string>::first);
  for (std::size_t i = 0; given < locations && i < remainders.size(); ++i, ++given)
    ++quota[remainders[i].second];
  return quota;
}

void claim(self_pointer self, domain::location_id id) {
  auto& state = self->state;
  persistence::ownership_repository repository{*state.db};
  auto epoch = repository.claim(id.value, state.incarnation, claim_lock_timeout);
  if (!epoch)
    return;
  const auto& where = state.locations.at(id);
  persistence::write_fence fence{id.value, state.incarnation, *epoch};
  // Spawned under the table's lock (see route_table::modify).
  state.wiring.routes->modify([&](routes& table) {
    state.owned[id] = {where, state.wiring.spawn(where, fence), *epoch, false};
    fill_routes(state, table);
  });
  auto& held = state.owned[id];
  self->monitor(held.actors.owner);
  if (where.kind == domain::location_kind::store) {
    auto store = caf::actor_cast<store_actor>(held.actors.owner);
    self->send(store, subscribe_atom_v, caf::actor_cast<caf::actor>(state.wiring.head_office));
    for (const auto& [incarnation, other] : state.peers)
      self->send(store, subscribe_atom_v, caf::actor_cast<caf::actor>(other.info.head_office));
  }
  ++state.wiring.counters->claimed;
  spdlog::info("cluster: claimed location {} (epoch {})", id.value, *epoch);
  publish(self);
}

/// Hands `id` over: out of the routes at once (503 meanwhile), its writes in
/// flight finished, then released in the database for another node to claim.
void continue_leaving(self_pointer self);

/// Frees `id` in the database for another node to claim; when that fails
/// (the database is unreachable), the lease runs out instead.
bool release_in_database(cluster_state& state, domain::location_id id, std::int64_t epoch) {
  try {
    if (state.db)
      return persistence::ownership_repository{*state.db}.release(id.value, state.incarnation,
                                                                 epoch);
  } catch (const std::exception& e) {
    spdlog::error("cluster: releasing location {} failed: {}", id.value, e.what());
    state.db.reset();
  }
  return false;
}

void release(self_pointer self, domain::location_id id) {
  auto& state = self->state;
  auto& held = state.owned.at(id);
  held.releasing = true;
  publish(self);
  auto finish = [self, id] {
    auto& state = self->state;
    auto found = state.owned.find(id);
    if (found == state.owned.end())
      return; // lost meanwhile
    stop_location(found->second);
    auto epoch = found->second.epoch;
    state.owned.erase(found);
    if (release_in_database(state, id, epoch)) {
      ++state.wiring.counters->released;
      spdlog::info("cluster: released location {}", id.value);
    }
    continue_leaving(self);
  };
  auto location = caf::actor_cast<caf::actor>(held.actors.owner);
  self->request(location, drain_timeout, drain_atom_v)
      .then([finish](bool) { finish(); }, [finish](caf::error&) { finish(); });
}

/// The live members this node can talk to (itself and its peers), and
/// whether they are a majority of all live members.
struct reachable_members {
  std::vector<persistence::cluster_member> members;
  bool majority = false;
};

reachable_members reachable(const cluster_state& state, const persistence::cluster_view& view) {
  reachable_members found;
  for (const auto& member : view.members)
    if (member.incarnation == state.incarnation || state.peers.contains(member.incarnation))
      found.members.push_back(member);
  found.majority = 2 * found.members.size() > view.members.size();
  return found;
}

/// Shares are computed over the members this node can reach, and it acts only
/// while they are a majority of the live members: a node cut off from the
/// others (a partition, a peer whose certificate another CA signed) claims
/// nothing, and the others do not hand locations over to it. Then one
/// location is given up per tick while this node holds more than its share
/// and a reachable member holds less; free locations are claimed while it
/// holds less (or when nobody has taken them for two lease periods).
void rebalance(self_pointer self, const persistence::cluster_view& view) {
  auto& state = self->state;
  auto group = reachable(state, view);
  state.wiring.lease->set_quorate(group.majority);
  if (state.leaving || !group.majority)
    return;
  if (std::ranges::any_of(state.owned, [](const auto& e) { return e.second.releasing; }))
    return;
  auto quota = quotas(group.members, static_cast<std::int64_t>(view.owners.size()));
  std::map<std::string, std::int64_t> held_by;
  for (const auto& owner : view.owners)
    if (!owner.owner.empty())
      ++held_by[owner.owner];
  auto mine = static_cast<std::int64_t>(state.owned.size());
  auto target = quota[state.incarnation];
  if (mine > target) {
    bool someone_short = std::ranges::any_of(group.members, [&](const auto& member) {
      return held_by[member.incarnation] < quota[member.incarnation];
    });
    if (someone_short)
      release(self, state.owned.rbegin()->first);
    return;
  }
  auto orphaned_after = 2 * state.settings.lease_ttl.count();
  for (const auto& owner : view.owners) {
    if (!owner.owner.empty())
      continue;
    domain::location_id id{owner.location};
    if (!state.locations.contains(id) || state.owned.contains(id))
      continue;
    if (mine < target || owner.free_for_ms > orphaned_after) {
      claim(self, id);
      mine = static_cast<std::int64_t>(state.owned.size());
    }
  }
}

void add_peer(self_pointer self, peer_info info, cluster_actor handle) {
  auto& state = self->state;
  if (info.incarnation == state.incarnation || !handle)
    return;
  auto [found, is_new] = state.peers.try_emplace(info.incarnation);
  found->second.info = std::move(info);
  found->second.handle = handle;
  const auto& other = found->second.info;
  // The head offices hear of each other's stores' changes.
  for (const auto& owned : other.stores)
    self->send(owned.store, subscribe_atom_v,
               caf::actor_cast<caf::actor>(state.wiring.head_office));
  if (is_new) {
    // A restarted node comes back under a new incarnation.
    std::erase_if(state.peers, [&](const auto& entry) {
      return entry.second.info.node_id == other.node_id &&
             entry.first != other.incarnation;
    });
    self->monitor(handle);
    spdlog::info("cluster: peer {} joined ({})", other.node_id, other.incarnation);
    for (const auto& [id, held] : state.owned)
      if (held.where.kind == domain::location_kind::store)
        self->send(caf::actor_cast<store_actor>(held.actors.owner), subscribe_atom_v,
                   caf::actor_cast<caf::actor>(other.head_office));
  }
  state.wiring.counters->members = static_cast<std::int64_t>(state.peers.size()) + 1;
  refresh_routes(self);
}

/// Dialling or greeting `address` failed: wait 1, 2, 4 ... at most 60 s
/// before the next attempt.
void dial_failed(self_pointer self, const std::string& address, const caf::error& err) {
  auto& entry = self->state.backoff[address];
  auto wait = std::chrono::seconds{std::int64_t{1} << std::min(entry.failures, 6)};
  entry.failures += 1;
  entry.next = clock::now() + std::min<clock::duration>(wait, std::chrono::seconds{60});
  // Said once per run of failures; the retries say nothing new.
  auto level = entry.failures == 1 ? spdlog::level::warn : spdlog::level::debug;
  spdlog::log(level, "cluster: cannot reach {}: {}", address, to_string(err));
}

void greet(self_pointer self, const std::string& address, cluster_actor other) {
  self->request(other, greet_timeout, hello_atom_v, my_info(self->state))
      .then(
          [self, address, other](peer_info& info) {
            self->state.backoff.erase(address);
            add_peer(self, std::move(info), other);
          },
          [self, address](caf::error& err) { dial_failed(self, address, err); });
}

void dial(self_pointer self, const std::string& address) {
  auto& state = self->state;
  if (address == state.settings.advertise || state.dialling.contains(address))
    return;
  if (auto waiting = state.backoff.find(address);
      waiting != state.backoff.end() && clock::now() < waiting->second.next)
    return;
  state.dialling.insert(address);
  auto colon = address.rfind(':');
  std::uint16_t port = 0;
  std::from_chars(address.data() + colon + 1, address.data() + address.size(), port);
  auto host = address.substr(0, colon);
  if (host.size() > 1 && host.front() == '[')
    host = host.substr(1, host.size() - 2);
  self->request(state.wiring.dialer, greet_timeout, caf::connect_atom_v, host, port)
      .then(
          [self, address](caf::node_id&, caf::strong_actor_ptr& found, std::set<std::string>&) {
            self->state.dialling.erase(address);
            if (found)
              greet(self, address, caf::actor_cast<cluster_actor>(found));
            else
              dial_failed(self, address, make_error(caf::sec::no_actor_published_at_port));
          },
          [self, address](caf::error& err) {
            self->state.dialling.erase(address);
            dial_failed(self, address, err);
          });
}

/// Of two nodes, the one with the smaller id dials the other, so that a pair
/// shares one connection. The seeds are dialled only while the database shows
/// no other member (it lists every live node's address).
void connect_peers(self_pointer self, const persistence::cluster_view& view) {
  auto& state = self->state;
  bool alone = true;
  for (const auto& member : view.members) {
    if (member.incarnation == state.incarnation)
      continue;
    alone = false;
    if (state.settings.node_id < member.node_id && !state.peers.contains(member.incarnation))
      dial(self, member.address);
  }
  if (alone && state.peers.empty())
    for (const auto& seed : state.settings.seeds)
      dial(self, seed);
}

/// Locations the database no longer gives this node (another took them after
/// its lease lapsed unseen) are dropped.
void reconcile(self_pointer self, const persistence::cluster_view& view) {
  auto& state = self->state;
  std::vector<domain::location_id> gone;
  for (const auto& [id, held] : state.owned) {
    auto row = std::ranges::find(view.owners, id.value, &persistence::location_owner::location);
    if (row == view.owners.end() || row->owner != state.incarnation || row->epoch != held.epoch)
      gone.push_back(id);
  }
  for (auto id : gone) {
    spdlog::warn("cluster: lost location {} (the database gives it to another node)", id.value);
    stop_location(state.owned.at(id));
    state.owned.erase(id);
    ++state.wiring.counters->lost;
  }
  if (!gone.empty())
    publish(self);
}

void tick(self_pointer self) {
  auto& state = self->state;
  auto ttl = state.settings.lease_ttl;
  try {
    if (!state.db)
      state.db = persistence::open_session(state.settings.database);
    persistence::ownership_repository repository{*state.db};
    if (!state.joined) {
      state.incarnation = new_incarnation(state);
      repository.join(state.settings.node_id, state.incarnation, state.settings.advertise,
                      state.settings.weight, ttl);
      state.joined = true;
      spdlog::info("cluster: joined as {} ({})", state.settings.node_id, state.incarnation);
    }
    auto sent = clock::now();
    auto view = repository.renew(state.incarnation, ttl);
    if (!view.lease_held) {
      lose_everything(self, "its lease lapsed");
    } else {
      // The database's expiry is at least this late; a tenth spare for clock drift.
      state.wiring.lease->extend_until(sent + ttl * 9 / 10);
      reconcile(self, view);
      rebalance(self, view);
      connect_peers(self, view);
    }
  } catch (const std::exception& e) {
    spdlog::error("cluster: the database cannot be reached: {}", e.what());
    state.db.reset();
    // Past the lease, another node may have the locations: stop serving them.
    if (!state.wiring.lease->held() && !state.owned.empty())
      lose_everything(self, "its lease lapsed while the database was unreachable");
  }
  if (!state.leaving)
    self->delayed_send(self, ttl / 3, caf::tick_atom_v);
}

/// At shutdown: every location handed over one after the other, then the
/// node's row removed.
void continue_leaving(self_pointer self) {
  auto& state = self->state;
  if (!state.left)
    return;
  auto next = std::ranges::find_if(state.owned, [](const auto& e) { return !e.second.releasing; });
  if (next != state.owned.end()) {
    release(self, next->first);
    return;
  }
  // A handover in progress calls back when done.
  if (!state.owned.empty())
    return;
  try {
    if (state.db && state.joined)
      persistence::ownership_repository{*state.db}.leave(state.incarnation);
    spdlog::info("cluster: left the cluster");
  } catch (const std::exception& e) {
    spdlog::error("cluster: leaving failed (the lease runs out instead): {}", e.what());
  }
  state.wiring.lease->revoke();
  state.left->deliver(true);
  state.left.reset();
}

cluster_actor::behavior_type cluster(self_pointer self, cluster_settings settings,
                                     cluster_wiring wiring) {
  auto& state = self->state;
  state.settings = std::move(settings);
  state.wiring = std::move(wiring);
  for (const auto& where : state.wiring.locations)
    state.locations.emplace(where.id, where);
  state.wiring.lease->revoke();
  self->set_down_handler([self](caf::down_msg& down) {
    auto& state = self->state;
    // An owner of this node that stopped by itself (it could not load its
    // state, or a write found it fenced): give the location up, so that a
    // node (this one included, at a later tick) claims and loads it again.
    auto stopped = std::ranges::find_if(state.owned, [&](const auto& entry) {
      return entry.second.actors.owner.address() == down.source;
    });
    if (stopped != state.owned.end()) {
      auto id = stopped->first;
      spdlog::error("cluster: the owner of location {} stopped ({}): giving the location up",
                    id.value, to_string(down.reason));
      stop_location(stopped->second);
      auto epoch = stopped->second.epoch;
      state.owned.erase(stopped);
      ++state.wiring.counters->lost;
      release_in_database(state, id, epoch);
      publish(self);
      continue_leaving(self);
      return;
    }
    auto gone = std::ranges::find_if(state.peers, [&](const auto& entry) {
      return entry.second.handle.address() == down.source;
    });
    if (gone == state.peers.end())
      return;
    spdlog::warn("cluster: peer {} down", gone->second.info.node_id);
    state.peers.erase(gone);
    state.wiring.counters->members = static_cast<std::int64_t>(state.peers.size()) + 1;
    refresh_routes(self);
  });
  self->send(self, caf::tick_atom_v);
  return {
      [self](hello_atom, peer_info& info) {
        auto sender = caf::actor_cast<cluster_actor>(self->current_sender());
        add_peer(self, std::move(info), sender);
        return my_info(self->state);
      },
      [self](update_atom, peer_info& info) {
        auto& state = self->state;
        auto found = state.peers.find(info.incarnation);
        if (found == state.peers.end())
          return; // greeted first, through hello
        add_peer(self, std::move(info), found->second.handle);
      },
      [self](drain_atom) -> caf::result<bool> {
        auto& state = self->state;
        if (state.leaving)
          return true;
        state.leaving = true;
        state.left = self->make_response_promise<bool>();
        auto promise = *state.left;
        continue_leaving(self);
        return promise;
      },
      [self](caf::tick_atom) { tick(self); },
  };
}

} // namespace

cluster_actor spawn_cluster(caf::actor_system& sys, cluster_settings settings,
                            cluster_wiring wiring) {
  return sys.spawn<caf::detached>(cluster, std::move(settings), std::move(wiring));
}

} // namespace comptoir::actors
