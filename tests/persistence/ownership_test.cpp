// Location ownership for the cluster mode and the fencing of every write of a
// fenced writer, against a real PostgreSQL (COMPTOIR_TEST_DATABASE_URL): each
// node and each writer gets a session of its own, as in a running cluster.

#include "actors/database_actor.hpp"
#include "actors/errors.hpp"
#include "actors/protocol.hpp"
#include "domain/restock.hpp"
#include "domain/sale.hpp"
#include "domain/timestamp.hpp"
#include "domain/uuid.hpp"
#include "persistence/alert_repository.hpp"
#include "persistence/database_url.hpp"
#include "persistence/demo_data.hpp"
#include "persistence/migrations.hpp"
#include "persistence/ownership_repository.hpp"
#include "persistence/restock_repository.hpp"
#include "persistence/sale_repository.hpp"
#include "persistence/session.hpp"
#include "persistence/stock_repository.hpp"
#include "persistence/write_transaction.hpp"
#include "tests/support/demo_database.hpp"

#include <caf/all.hpp>
#include <doctest/doctest.h>
#include <soci/soci.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

using namespace comptoir;
using namespace std::chrono_literals;
using persistence::dialect;

namespace {

constexpr domain::location_id store{1};
constexpr domain::location_id warehouse{6};
constexpr std::size_t location_count = 6;

/// Long enough never to expire during a test case.
constexpr auto long_ttl = std::chrono::milliseconds{30s};
/// Short enough to wait out.
constexpr auto short_ttl = std::chrono::milliseconds{300ms};
constexpr auto past_short_ttl = 500ms;
constexpr auto lock_timeout = std::chrono::milliseconds{200ms};

/// The demo chain on PostgreSQL, with sales and returns to write.
struct cluster_database : test::demo_database {
  cluster_database() { REQUIRE(url.kind == dialect::postgresql); }

  /// A sale of one unit of product 1, with an idempotency key.
  domain::sale_write sale(const std::string& key_name) {
    domain::sale_write write;
    write.sale.created_at = tick();
    write.sale.id = ids.next(now);
    write.sale.store = store;
    write.sale.lines.push_back({domain::product_id{1}, 1, 100});
    write.sale.total_cents = 100;
    write.key = {"sale:1",
                 key_name,
                 "fingerprint-of-" + key_name,
                 201,
                 R"({"id":")" + write.sale.id + R"("})",
                 write.sale.created_at};
    return write;
  }

  /// A return of the one unit of product 1 of `sold`.
  domain::return_write give_back(const domain::sale& sold) {
    domain::return_write write;
    write.record.created_at = tick();
    write.record.id = ids.next(now);
    write.record.sale_id = sold.id;
    write.record.store = sold.store;
    write.record.lines.push_back({domain::product_id{1}, 1});
    write.record.refund_cents = 100;
    write.sale_status_after = domain::sale_status::returned;
    return write;
  }

  domain::restock_request request() {
    domain::restock_request request;
    request.created_at = tick();
    request.updated_at = request.created_at;
    request.id = ids.next(now);
    request.store = store;
    request.lines.push_back({domain::product_id{2}, 5});
    return request;
  }
};

/// One process of the cluster: its own session, its node id and incarnation.
struct cluster_node {
  std::unique_ptr<soci::session> sql;
  std::string node_id;
  std::string incarnation;
  persistence::ownership_repository owners;

  cluster_node(const cluster_database& db, std::string id, std::chrono::milliseconds ttl)
      : sql(db.connect()), node_id(std::move(id)), incarnation(node_id + "-1"), owners(*sql) {
    owners.join(node_id, incarnation, node_id + ".local:4000", 1, ttl);
  }

  std::optional<std::int64_t> claim(domain::location_id where) {
    return owners.claim(where.value, incarnation, lock_timeout);
  }

  /// Cuts the lease down to `short_ttl` from now and waits it out. Nodes
  /// join with a long lease, so that a loaded machine cannot expire one
  /// before the test means it to.
  void lapse() {
    owners.renew(incarnation, short_ttl);
    std::this_thread::sleep_for(past_short_ttl);
  }

  persistence::location_owner owner_of(domain::location_id where) {
    for (const auto& owner : owners.renew(incarnation, long_ttl).owners)
      if (owner.location == where.value)
        return owner;
    FAIL("location " << where.value << " has no location_owners row");
    return {};
  }
};

/// `node` holds `where`; the fence of a writer that it started for it.
persistence::write_fence fence_for(cluster_node& node, domain::location_id where) {
  const auto epoch = node.claim(where);
  REQUIRE(epoch);
  return {where.value, node.incarnation, *epoch};
}

/// Lets `holder`'s lease lapse and `thief` take `where` from it.
void steal(cluster_node& holder, cluster_node& thief, domain::location_id where) {
  holder.lapse();
  REQUIRE(thief.claim(where));
}

} // namespace

// -- leases and owners ---------------------------------------------------------------

TEST_CASE("joining lists the live members and a free owner row for every location") {
  cluster_database db;
  cluster_node b{db, "node-b", long_ttl};
  cluster_node a{db, "node-a", long_ttl};
  a.owners.join("node-a", "node-a-1", "a.local:4000", 3, long_ttl);

  const auto view = a.owners.renew("node-a-1", long_ttl);
  CHECK(view.lease_held);
  REQUIRE(view.members.size() == 2);
  CHECK(view.members[0].node_id == "node-a");
  CHECK(view.members[0].incarnation == "node-a-1");
  CHECK(view.members[0].address == "a.local:4000");
  CHECK(view.members[0].weight == 3);
  CHECK(view.members[1].node_id == "node-b");
  REQUIRE(view.owners.size() == location_count);
  for (std::size_t i = 0; i < view.owners.size(); ++i) {
    CHECK(view.owners[i].location == static_cast<std::int64_t>(i) + 1);
    CHECK(view.owners[i].owner.empty());
    CHECK(view.owners[i].epoch == 0);
    CHECK(view.owners[i].free_for_ms >= 0);
  }
  // A second join adds no rows.
  CHECK(db.count("SELECT COUNT(*) FROM location_owners") == 6);

  // Joining again under a new incarnation replaces the old one's lease.
  a.owners.join("node-a", "node-a-2", "a.local:4001", 1, long_ttl);
  CHECK_FALSE(a.owners.renew("node-a-1", long_ttl).lease_held);
  const auto after = a.owners.renew("node-a-2", long_ttl);
  CHECK(after.lease_held);
  REQUIRE(after.members.size() == 2);
  CHECK(after.members[0].incarnation == "node-a-2");
  CHECK(after.members[0].address == "a.local:4001");
}

TEST_CASE("a location held by a live node is taken only once its holder's lease expired") {
  cluster_database db;
  cluster_node a{db, "node-a", long_ttl};
  cluster_node b{db, "node-b", long_ttl};

  CHECK(a.claim(store) == 1);
  CHECK_FALSE(b.claim(store));
  CHECK_FALSE(a.claim(store)); // held already, by itself
  auto held = b.owner_of(store);
  CHECK(held.owner == a.incarnation);
  CHECK(held.epoch == 1);
  CHECK(held.free_for_ms == 0);

  a.lapse();
  // Expired: listed without an owner, free since the lease ended.
  held = b.owner_of(store);
  CHECK(held.owner.empty());
  CHECK(held.epoch == 1);
  CHECK(held.free_for_ms >= 100);
  const auto view = b.owners.renew(b.incarnation, long_ttl);
  REQUIRE(view.members.size() == 1);
  CHECK(view.members[0].node_id == "node-b");

  // A node whose own lease expired takes nothing.
  CHECK_FALSE(a.claim(domain::location_id{2}));
  CHECK(b.claim(store) == 2);
  CHECK(b.owner_of(store).owner == b.incarnation);
  CHECK(db.count("SELECT epoch FROM location_owners WHERE location_id = 1") == 2);
}

TEST_CASE("renewing an expired lease reports it lost and does not extend it") {
  cluster_database db;
  cluster_node a{db, "node-a", long_ttl};
  CHECK(a.owners.renew(a.incarnation, short_ttl).lease_held);
  std::this_thread::sleep_for(past_short_ttl);
  const auto view = a.owners.renew(a.incarnation, long_ttl);
  CHECK_FALSE(view.lease_held);
  CHECK(view.members.empty());
  CHECK(view.owners.size() == location_count);
  CHECK_FALSE(a.owners.renew(a.incarnation, long_ttl).lease_held);
}

TEST_CASE("a released location goes to the next claimer with a new epoch") {
  cluster_database db;
  cluster_node a{db, "node-a", long_ttl};
  cluster_node b{db, "node-b", long_ttl};
  const auto epoch = a.claim(store);
  REQUIRE(epoch == 1);

  CHECK_FALSE(a.owners.release(store.value, a.incarnation, 2));     // not at that epoch
  CHECK_FALSE(b.owners.release(store.value, b.incarnation, 1));     // not its holder
  CHECK_FALSE(a.owners.release(warehouse.value, a.incarnation, 0)); // never held
  CHECK(a.owners.release(store.value, a.incarnation, 1));
  CHECK_FALSE(a.owners.release(store.value, a.incarnation, 1)); // released already
  const auto freed = b.owner_of(store);
  CHECK(freed.owner.empty());
  CHECK(freed.epoch == 2);

  CHECK(b.claim(store) == 3);
  CHECK(a.owner_of(store).owner == b.incarnation);
}

TEST_CASE("leaving frees every location of the node and ends its membership") {
  cluster_database db;
  cluster_node a{db, "node-a", long_ttl};
  cluster_node b{db, "node-b", long_ttl};
  REQUIRE(a.claim(store));
  REQUIRE(a.claim(warehouse));
  REQUIRE(b.claim(domain::location_id{2}));

  a.owners.leave(a.incarnation);

  const auto view = b.owners.renew(b.incarnation, long_ttl);
  REQUIRE(view.members.size() == 1);
  CHECK(view.members[0].node_id == "node-b");
  for (const auto& owner : view.owners) {
    if (owner.location == 2) {
      CHECK(owner.owner == b.incarnation);
      CHECK(owner.epoch == 1);
    } else if (owner.location == store.value || owner.location == warehouse.value) {
      CHECK(owner.owner.empty());
      CHECK(owner.epoch == 2);
    } else {
      CHECK(owner.owner.empty());
      CHECK(owner.epoch == 0);
    }
  }
  CHECK(db.count("SELECT COUNT(*) FROM location_owners WHERE owner IS NOT NULL") == 1);
  CHECK(db.count("SELECT COUNT(*) FROM cluster_nodes") == 1);
  CHECK_FALSE(a.owners.renew(a.incarnation, long_ttl).lease_held);
  // Free at once, with no lease to wait out.
  CHECK(b.claim(store) == 3);
}

// -- fencing -------------------------------------------------------------------------

TEST_CASE("a fenced sale batch commits while owned and writes nothing once the store was taken") {
  cluster_database db;
  cluster_node a{db, "node-a", long_ttl};
  cluster_node b{db, "node-b", long_ttl};
  const auto fence = fence_for(a, store);
  auto writer = db.connect();
  persistence::sale_repository sales{*writer, dialect::postgresql, &fence};

  // Owned: the one-statement commit (sales only) and the stepwise one (a return).
  const auto sold = db.sale("first");
  CHECK(sales.commit({store, {sold}, {}}).sales.at(0) == std::nullopt);
  sales.commit({store, {}, {db.give_back(sold.sale)}});
  CHECK(db.count("SELECT COUNT(*) FROM sales") == 1);
  CHECK(db.count("SELECT COUNT(*) FROM returns") == 1);
  CHECK(db.on_hand(store, 1) == 100);

  const auto second = db.sale("second");
  sales.commit({store, {second}, {}});
  steal(a, b, store);

  SUBCASE("the one-statement commit") {
    CHECK_THROWS_AS(sales.commit({store, {db.sale("late"), db.sale("later")}, {}}),
                    persistence::fenced_error);
  }
  SUBCASE("the stepwise commit") {
    CHECK_THROWS_AS(sales.commit({store, {db.sale("late")}, {db.give_back(second.sale)}}),
                    persistence::fenced_error);
  }
  SUBCASE("a fence at an older epoch of the same owner") {
    const persistence::write_fence stale{store.value, b.incarnation, fence.epoch};
    persistence::sale_repository stale_sales{*writer, dialect::postgresql, &stale};
    CHECK_THROWS_AS(stale_sales.commit({store, {db.sale("late")}, {}}), persistence::fenced_error);
  }
  CHECK(db.count("SELECT COUNT(*) FROM sales") == 2);
  CHECK(db.count("SELECT COUNT(*) FROM returns") == 1);
  CHECK(db.count("SELECT COUNT(*) FROM idempotency_keys") == 2);
  CHECK(db.on_hand(store, 1) == 99);

  // The writer's session is still usable, and an unfenced commit still goes through.
  persistence::sale_repository unfenced{*writer, dialect::postgresql};
  unfenced.commit({store, {db.sale("unfenced")}, {}});
  CHECK(db.count("SELECT COUNT(*) FROM sales") == 3);
}

TEST_CASE("fenced alerts, restock requests and reorder points write nothing once taken") {
  cluster_database db;
  cluster_node a{db, "node-a", long_ttl};
  cluster_node b{db, "node-b", long_ttl};
  const auto store_fence = fence_for(a, store);
  const auto warehouse_fence = fence_for(a, warehouse);
  auto writer = db.connect();
  persistence::alert_repository alerts{*writer, dialect::postgresql, &store_fence};
  persistence::restock_repository store_restocks{*writer, dialect::postgresql, &store_fence};
  persistence::restock_repository warehouse_restocks{*writer, dialect::postgresql,
                                                     &warehouse_fence};
  persistence::stock_repository stock{*writer, &store_fence};
  const domain::stock_alert low{db.ids.next(db.now), store, domain::product_id{1},
                                domain::alert_kind::low_stock, ""};
  const domain::idempotency_record no_key;

  // Owned: every write goes through.
  stock.set_reorder_point(store, domain::product_id{1}, 7);
  alerts.apply({low}, {}, db.tick());
  const auto approved = db.request();
  CHECK_FALSE(store_restocks.create(approved, no_key));
  warehouse_restocks.approve(approved.id, warehouse, approved.lines, db.tick(), no_key);
  const auto pending = db.request();
  CHECK_FALSE(store_restocks.create(pending, no_key));
  CHECK(db.count("SELECT reorder_point FROM stock WHERE location_id = 1 AND product_id = 1") == 7);
  CHECK(db.count("SELECT COUNT(*) FROM stock_alerts WHERE cleared_at IS NULL") == 1);
  CHECK(db.on_hand(warehouse, 2) == 95);

  steal(a, b, store);
  REQUIRE(b.claim(warehouse));

  CHECK_THROWS_AS(stock.set_reorder_point(store, domain::product_id{1}, 9),
                  persistence::fenced_error);
  CHECK_THROWS_AS(alerts.apply({}, {low}, db.tick()), persistence::fenced_error);
  CHECK_THROWS_AS(store_restocks.create(db.request(), no_key), persistence::fenced_error);
  CHECK_THROWS_AS(store_restocks.fulfil(approved.id, store, approved.lines, db.tick()),
                  persistence::fenced_error);
  CHECK_THROWS_AS(
      warehouse_restocks.approve(pending.id, warehouse, pending.lines, db.tick(), no_key),
      persistence::fenced_error);
  CHECK_THROWS_AS(warehouse_restocks.reject(pending.id, db.tick()), persistence::fenced_error);

  CHECK(db.count("SELECT reorder_point FROM stock WHERE location_id = 1 AND product_id = 1") == 7);
  CHECK(db.count("SELECT COUNT(*) FROM stock_alerts WHERE cleared_at IS NULL") == 1);
  CHECK(db.count("SELECT COUNT(*) FROM restock_requests") == 2);
  CHECK(db.count("SELECT COUNT(*) FROM restock_requests WHERE status = 'approved'") == 1);
  CHECK(db.count("SELECT COUNT(*) FROM restock_requests WHERE status = 'pending'") == 1);
  CHECK(db.on_hand(store, 2) == 100);
  CHECK(db.on_hand(warehouse, 2) == 95);
}

TEST_CASE("a claim waits for a fenced writer's open transaction and does not overtake it") {
  cluster_database db;
  cluster_node a{db, "node-a", long_ttl};
  cluster_node b{db, "node-b", long_ttl};
  const auto fence = fence_for(a, store);
  auto writer = db.connect();
  {
    persistence::write_transaction transaction(*writer, dialect::postgresql, &fence);
    *writer << "UPDATE stock SET on_hand = 42 WHERE location_id = 1 AND product_id = 1";
    a.lapse();
    // a's lease expired, but its writer's transaction holds the row.
    const auto started = std::chrono::steady_clock::now();
    CHECK_FALSE(b.claim(store));
    CHECK(std::chrono::steady_clock::now() - started >= lock_timeout);
    // The lock timeout left b's session outside any transaction.
    CHECK(b.owner_of(store).epoch == 1);
    transaction.commit();
  }
  CHECK(db.on_hand(store, 1) == 42);
  CHECK(b.claim(store) == 2);
  // The writer's next transaction is fenced.
  CHECK_THROWS_AS(persistence::write_transaction(*writer, dialect::postgresql, &fence),
                  persistence::fenced_error);
  *writer << "SELECT 1"; // not left in an aborted transaction
}

TEST_CASE("a fenced database actor answers fenced once the location was taken") {
  cluster_database db;
  cluster_node a{db, "node-a", long_ttl};
  cluster_node b{db, "node-b", long_ttl};
  const auto fence = fence_for(a, store);
  caf::actor_system_config config;
  config.add_message_types<caf::id_block::comptoir>();
  caf::actor_system system{config};
  auto writer = system.spawn<caf::detached>(actors::database, db.url, actors::busy_sessions{},
                                            std::optional{fence});
  caf::scoped_actor self{system};
  const auto set_reorder_point = [&](std::int64_t point) {
    std::optional<caf::error> failure;
    self->request(writer, 10s, actors::reorder_atom_v, store, domain::product_id{1}, point)
        .receive([](bool) {}, [&](caf::error& err) { failure = std::move(err); });
    return failure;
  };
  const auto is_fenced = [](const std::optional<caf::error>& failure) {
    return failure && failure->category() == actors::error_category &&
           failure->code() == static_cast<std::uint8_t>(actors::error_code::fenced);
  };

  CHECK_FALSE(set_reorder_point(7));
  steal(a, b, store);
  CHECK(is_fenced(set_reorder_point(9)));
  std::optional<caf::error> failure;
  self->request(writer, 10s, actors::commit_atom_v,
                domain::commit_batch{store, {db.sale("late")}, {}})
      .receive([](const domain::batch_result&) {},
               [&](caf::error& err) { failure = std::move(err); });
  CHECK(is_fenced(failure));
  CHECK(db.count("SELECT reorder_point FROM stock WHERE location_id = 1 AND product_id = 1") == 7);
  CHECK(db.count("SELECT COUNT(*) FROM sales") == 0);
  self->send_exit(writer, caf::exit_reason::user_shutdown);
}
