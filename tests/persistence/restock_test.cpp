// Restock requests, stock alerts and reorder points against a real database:
// SQLite or PostgreSQL, as COMPTOIR_TEST_DATABASE_URL says.

#include "domain/restock.hpp"
#include "domain/sale.hpp"
#include "domain/timestamp.hpp"
#include "domain/uuid.hpp"
#include "persistence/alert_repository.hpp"
#include "persistence/database_url.hpp"
#include "persistence/demo_data.hpp"
#include "persistence/migrations.hpp"
#include "persistence/restock_repository.hpp"
#include "persistence/session.hpp"
#include "persistence/stock_repository.hpp"
#include "tests/support/demo_database.hpp"

#include <doctest/doctest.h>
#include <soci/soci.h>

#include <chrono>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

using namespace comptoir;
using namespace std::chrono_literals;

namespace {

constexpr domain::location_id warehouse{6};

// The demo database, with restock requests and idempotency records to write.
struct restock_database : test::demo_database {
  domain::restock_request request(domain::location_id store,
                                  const std::vector<std::pair<std::int64_t, std::int64_t>>& lines) {
    domain::restock_request request;
    request.created_at = tick();
    request.updated_at = request.created_at;
    request.id = ids.next(now);
    request.store = store;
    for (auto [product, quantity] : lines)
      request.lines.push_back({domain::product_id{product}, quantity});
    return request;
  }

  domain::idempotency_record key(const std::string& scope, const std::string& name,
                                 const std::string& body) {
    return {scope, name, "fingerprint-of-" + name, 201, body, domain::format_timestamp(now)};
  }
};

// The demo database with its restock repository and a few requests in it.
struct restock_book : restock_database {
  persistence::restock_repository restocks{*sql, url.kind};

  domain::restock_request created(domain::location_id store,
                                  const std::vector<std::pair<std::int64_t, std::int64_t>>& lines) {
    auto made = request(store, lines);
    REQUIRE_FALSE(restocks.create(made, {}));
    return made;
  }
};

std::vector<std::string> ids_of(const std::vector<domain::restock_request>& requests) {
  std::vector<std::string> ids;
  for (const auto& request : requests)
    ids.push_back(request.id);
  return ids;
}

} // namespace

// -- migration ------------------------------------------------------------------

TEST_CASE("a store has at most one open alert per product and kind, any number of cleared ones") {
  restock_database db;
  const auto insert = [&](const std::string& id, const char* cleared_at) {
    *db.sql << std::string{"INSERT INTO stock_alerts"
                           " (id, store_id, product_id, kind, raised_at, cleared_at)"
                           " VALUES ('"} +
                   id + "', 1, 1, 'low_stock', '2026-03-02T09:00:00Z', " + cleared_at + ")";
  };
  insert("a", "'2026-03-02T10:00:00Z'");
  insert("b", "'2026-03-02T11:00:00Z'");
  insert("c", "NULL");
  CHECK_THROWS_AS(insert("d", "NULL"), soci::soci_error);
  CHECK_THROWS_AS(*db.sql << "INSERT INTO stock_alerts (id, store_id, product_id, kind, raised_at)"
                             " VALUES ('e', 1, 1, 'too_low', '2026-03-02T09:00:00Z')",
                  soci::soci_error);
  CHECK(db.count("SELECT COUNT(*) FROM stock_alerts") == 3);
}

// -- creating and reading -----------------------------------------------------------

TEST_CASE("a restock request is created pending with its lines and read back as it was made") {
  restock_book db;
  auto made = db.request(domain::location_id{2}, {{3, 10}, {1, 4}, {5, 1}});
  made.status = domain::restock_status::approved; // the repository writes pending whatever
  CHECK_FALSE(db.restocks.create(made, {}));

  const auto loaded = db.restocks.load(made.id);
  REQUIRE(loaded);
  CHECK(loaded->id == made.id);
  CHECK(loaded->store == domain::location_id{2});
  CHECK(loaded->status == domain::restock_status::pending);
  CHECK(loaded->created_at == made.created_at);
  CHECK(loaded->updated_at == made.updated_at);
  REQUIRE(loaded->lines.size() == 3);
  CHECK(loaded->lines[0].product == domain::product_id{3});
  CHECK(loaded->lines[0].quantity == 10);
  CHECK(loaded->lines[1].product == domain::product_id{1});
  CHECK(loaded->lines[2].quantity == 1);

  CHECK_FALSE(db.restocks.load("0190a000-0000-7000-8000-000000000000"));
}

TEST_CASE("a restock request whose key exists already returns the stored record, writes nothing") {
  restock_book db;
  const auto first = db.request(domain::location_id{1}, {{1, 5}});
  const auto key = db.key("restock:1", "key-\"1\",{x}", R"({"id":")" + first.id + R"("})");
  CHECK_FALSE(db.restocks.create(first, key));
  CHECK(db.count("SELECT COUNT(*) FROM idempotency_keys") == 1);

  const auto again = db.request(domain::location_id{1}, {{2, 7}});
  auto retried_key = key;
  retried_key.body = "another body";
  retried_key.created_at = db.tick();
  const auto stored = db.restocks.create(again, retried_key);
  REQUIRE(stored);
  CHECK(stored->scope == key.scope);
  CHECK(stored->key == key.key);
  CHECK(stored->fingerprint == key.fingerprint);
  CHECK(stored->status == 201);
  CHECK(stored->body == key.body);
  CHECK(stored->created_at == key.created_at);
  CHECK_FALSE(db.restocks.load(again.id));
  CHECK(db.count("SELECT COUNT(*) FROM restock_requests") == 1);
  CHECK(db.count("SELECT COUNT(*) FROM restock_request_lines") == 1);
  CHECK(db.count("SELECT COUNT(*) FROM idempotency_keys") == 1);

  // The same key in another scope is another key.
  auto other_scope = retried_key;
  other_scope.scope = "restock:2";
  CHECK_FALSE(db.restocks.create(db.request(domain::location_id{2}, {{2, 7}}), other_scope));
  CHECK(db.count("SELECT COUNT(*) FROM restock_requests") == 2);
}

TEST_CASE("a restock request with a bad line writes neither the request nor its key") {
  restock_book db;
  const auto bad = db.request(domain::location_id{1}, {{1, 5}, {999, 1}});
  CHECK_THROWS_AS(db.restocks.create(bad, db.key("restock:1", "k", "{}")), soci::soci_error);
  CHECK(db.count("SELECT COUNT(*) FROM restock_requests") == 0);
  CHECK(db.count("SELECT COUNT(*) FROM restock_request_lines") == 0);
  CHECK(db.count("SELECT COUNT(*) FROM idempotency_keys") == 0);
}

TEST_CASE("restock requests are listed newest first, by status and store, with no gap or repeat") {
  restock_book db;
  std::vector<domain::restock_request> all;
  for (int i = 0; i < 17; ++i)
    all.push_back(db.created(domain::location_id{1 + i % 3}, {{1 + i % 5, 1 + i}, {5, 2}}));
  // Requests 0, 3, 6 ... are store 1's; every fourth is rejected.
  for (std::size_t i = 0; i < all.size(); i += 4) {
    db.restocks.reject(all[i].id, db.tick());
    all[i].status = domain::restock_status::rejected;
  }

  const auto expected = [&](auto&& keep) {
    std::vector<std::string> ids;
    for (auto at = all.rbegin(); at != all.rend(); ++at)
      if (keep(*at))
        ids.push_back(at->id);
    return ids;
  };
  const auto listed = [&](domain::restock_query query) {
    std::vector<std::string> ids;
    for (int pages = 0;; ++pages) {
      REQUIRE(pages < 20);
      const auto page = db.restocks.list(query);
      CHECK(static_cast<std::int32_t>(page.items.size()) <= query.limit);
      for (const auto& request : page.items) {
        CHECK(request.lines.size() == 2);
        if (query.status)
          CHECK(request.status == *query.status);
        if (query.store)
          CHECK(request.store == *query.store);
        ids.push_back(request.id);
      }
      if (!page.next_before_id)
        return ids;
      CHECK(*page.next_before_id == page.items.back().id);
      query.before_id = *page.next_before_id;
    }
  };

  CHECK(listed({std::nullopt, std::nullopt, "", 4}) == expected([](auto&) { return true; }));
  CHECK(listed({std::nullopt, std::nullopt, "", 17}) == expected([](auto&) { return true; }));
  CHECK(listed({domain::restock_status::pending, std::nullopt, "", 3}) ==
        expected([](auto& r) { return r.status == domain::restock_status::pending; }));
  CHECK(listed({std::nullopt, domain::location_id{1}, "", 2}) ==
        expected([](auto& r) { return r.store == domain::location_id{1}; }));
  CHECK(listed({domain::restock_status::rejected, domain::location_id{2}, "", 1}) ==
        expected([](auto& r) {
          return r.status == domain::restock_status::rejected && r.store == domain::location_id{2};
        }));
  CHECK(listed({domain::restock_status::fulfilled, std::nullopt, "", 5}).empty());

  const auto exactly = db.restocks.list({std::nullopt, std::nullopt, "", 17});
  CHECK(exactly.items.size() == 17);
  CHECK_FALSE(exactly.next_before_id);
  const auto newest = db.restocks.list({std::nullopt, std::nullopt, "", 1}).items;
  REQUIRE(newest.size() == 1);
  CHECK(newest[0].id == all.back().id);
  CHECK(newest[0].created_at == all.back().created_at);
  REQUIRE(newest[0].lines.size() == 2);
  CHECK(newest[0].lines[0].quantity == 17);
  CHECK(newest[0].lines[1].product == domain::product_id{5});
}

// -- approving, rejecting, fulfilling -------------------------------------------------

TEST_CASE(
    "approving a pending request takes its lines from the warehouse once and stores the key") {
  restock_book db;
  const auto made = db.created(domain::location_id{3}, {{1, 30}, {2, 5}});
  const auto now = db.tick();
  db.restocks.approve(made.id, warehouse, made.lines, now,
                      db.key("approve", made.id, R"({"status":"approved"})"));

  CHECK(db.on_hand(warehouse, 1) == 70);
  CHECK(db.on_hand(warehouse, 2) == 95);
  CHECK(db.on_hand(warehouse, 3) == 100);
  CHECK(db.on_hand(domain::location_id{3}, 1) == 100); // not there yet: in transit
  const auto loaded = db.restocks.load(made.id);
  REQUIRE(loaded);
  CHECK(loaded->status == domain::restock_status::approved);
  CHECK(loaded->updated_at == now);
  CHECK(loaded->created_at == made.created_at);
  CHECK(db.count("SELECT COUNT(*) FROM idempotency_keys WHERE scope = 'approve'") == 1);
}

TEST_CASE("approving a request with the same product on two lines takes both") {
  restock_book db;
  const auto made = db.created(domain::location_id{3}, {{4, 30}, {4, 5}});
  db.restocks.approve(made.id, warehouse, made.lines, db.tick(), {});
  CHECK(db.on_hand(warehouse, 4) == 65);
  CHECK(db.count("SELECT COUNT(*) FROM idempotency_keys") == 0);
}

TEST_CASE("approving a request that is not pending throws and changes nothing") {
  restock_book db;
  const auto approved = db.created(domain::location_id{1}, {{1, 10}});
  db.restocks.approve(approved.id, warehouse, approved.lines, db.tick(), {});
  const auto rejected = db.created(domain::location_id{1}, {{1, 10}});
  db.restocks.reject(rejected.id, db.tick());
  REQUIRE(db.on_hand(warehouse, 1) == 90);

  for (const auto& id :
       {approved.id, rejected.id, std::string{"0190a000-0000-7000-8000-000000000000"}}) {
    CAPTURE(id);
    CHECK_THROWS_AS(db.restocks.approve(id, warehouse, approved.lines, db.tick(),
                                        db.key("approve", "again-" + id, "{}")),
                    std::logic_error);
  }
  CHECK(db.on_hand(warehouse, 1) == 90);
  CHECK(db.restocks.load(approved.id)->status == domain::restock_status::approved);
  CHECK(db.restocks.load(rejected.id)->status == domain::restock_status::rejected);
  CHECK(db.count("SELECT COUNT(*) FROM idempotency_keys") == 0);
}

TEST_CASE("approving beyond the warehouse's stock rolls back whole and throws") {
  restock_book db;
  const auto made = db.created(domain::location_id{2}, {{1, 10}, {2, 101}});
  CHECK_THROWS_AS(db.restocks.approve(made.id, warehouse, made.lines, db.tick(),
                                      db.key("approve", made.id, "{}")),
                  soci::soci_error);
  CHECK(db.on_hand(warehouse, 1) == 100);
  CHECK(db.on_hand(warehouse, 2) == 100);
  const auto loaded = db.restocks.load(made.id);
  CHECK(loaded->status == domain::restock_status::pending);
  CHECK(loaded->updated_at == made.updated_at);
  CHECK(db.count("SELECT COUNT(*) FROM idempotency_keys") == 0);

  // Still pending: it can be approved once the warehouse has the units.
  *db.sql << "UPDATE stock SET on_hand = 200 WHERE location_id = 6 AND product_id = 2";
  db.restocks.approve(made.id, warehouse, made.lines, db.tick(), {});
  CHECK(db.on_hand(warehouse, 2) == 99);
}

TEST_CASE("approving a product the warehouse does not stock rolls back whole and throws") {
  restock_book db;
  const auto made = db.created(domain::location_id{2}, {{1, 10}, {2, 1}});
  *db.sql << "DELETE FROM stock WHERE location_id = 6 AND product_id = 2";
  CHECK_THROWS_AS(db.restocks.approve(made.id, warehouse, made.lines, db.tick(), {}),
                  std::runtime_error);
  CHECK(db.on_hand(warehouse, 1) == 100);
  CHECK(db.restocks.load(made.id)->status == domain::restock_status::pending);
}

TEST_CASE("fulfilling an approved request adds its lines to the store once") {
  restock_book db;
  const domain::location_id store{4};
  const auto made = db.created(store, {{1, 30}, {3, 2}});
  db.restocks.approve(made.id, warehouse, made.lines, db.tick(), {});
  const auto now = db.tick();
  CHECK(db.restocks.fulfil(made.id, store, made.lines, now));
  CHECK(db.on_hand(store, 1) == 130);
  CHECK(db.on_hand(store, 3) == 102);
  auto loaded = db.restocks.load(made.id);
  CHECK(loaded->status == domain::restock_status::fulfilled);
  CHECK(loaded->updated_at == now);

  // Driven again after a crash: lands once.
  CHECK_FALSE(db.restocks.fulfil(made.id, store, made.lines, db.tick()));
  CHECK(db.on_hand(store, 1) == 130);
  CHECK(db.on_hand(store, 3) == 102);
  loaded = db.restocks.load(made.id);
  CHECK(loaded->status == domain::restock_status::fulfilled);
  CHECK(loaded->updated_at == now);
  CHECK(db.on_hand(warehouse, 1) == 70);
}

TEST_CASE("a request that is not approved is not fulfilled") {
  restock_book db;
  const domain::location_id store{4};
  const auto pending = db.created(store, {{1, 30}});
  const auto rejected = db.created(store, {{1, 30}});
  db.restocks.reject(rejected.id, db.tick());
  CHECK_FALSE(db.restocks.fulfil(pending.id, store, pending.lines, db.tick()));
  CHECK_FALSE(db.restocks.fulfil(rejected.id, store, rejected.lines, db.tick()));
  CHECK_FALSE(
      db.restocks.fulfil("0190a000-0000-7000-8000-000000000000", store, pending.lines, db.tick()));
  CHECK(db.on_hand(store, 1) == 100);
  CHECK(db.restocks.load(pending.id)->status == domain::restock_status::pending);
}

TEST_CASE("a pending request is rejected once, and only a pending one") {
  restock_book db;
  const auto made = db.created(domain::location_id{5}, {{1, 1}});
  const auto now = db.tick();
  db.restocks.reject(made.id, now);
  const auto loaded = db.restocks.load(made.id);
  CHECK(loaded->status == domain::restock_status::rejected);
  CHECK(loaded->updated_at == now);
  CHECK_THROWS_AS(db.restocks.reject(made.id, db.tick()), std::logic_error);
  CHECK(db.restocks.load(made.id)->updated_at == now);

  const auto approved = db.created(domain::location_id{5}, {{1, 1}});
  db.restocks.approve(approved.id, warehouse, approved.lines, db.tick(), {});
  CHECK_THROWS_AS(db.restocks.reject(approved.id, db.tick()), std::logic_error);
  CHECK(db.restocks.load(approved.id)->status == domain::restock_status::approved);
  CHECK_THROWS_AS(db.restocks.reject("0190a000-0000-7000-8000-000000000000", db.tick()),
                  std::logic_error);
}

TEST_CASE("open requests are the pending and approved ones, oldest first") {
  restock_book db;
  const domain::location_id store{1};
  const domain::location_id other{2};
  const auto pending = db.created(store, {{1, 1}});
  const auto approved = db.created(store, {{2, 2}, {3, 3}});
  const auto rejected = db.created(store, {{1, 1}});
  const auto fulfilled = db.created(store, {{1, 1}});
  const auto other_approved = db.created(other, {{1, 1}});
  const auto later_approved = db.created(store, {{4, 4}});
  for (const auto* request : {&approved, &fulfilled, &other_approved, &later_approved})
    db.restocks.approve(request->id, warehouse, request->lines, db.tick(), {});
  db.restocks.reject(rejected.id, db.tick());
  REQUIRE(db.restocks.fulfil(fulfilled.id, store, fulfilled.lines, db.tick()));

  const auto open = db.restocks.load_open();
  CHECK(ids_of(open) ==
        std::vector<std::string>{pending.id, approved.id, other_approved.id, later_approved.id});
  REQUIRE(open.size() == 4);
  CHECK(open[0].status == domain::restock_status::pending);
  REQUIRE(open[1].lines.size() == 2);
  CHECK(open[1].lines[1].product == domain::product_id{3});
  CHECK(open[1].lines[1].quantity == 3);

}

// -- alerts ------------------------------------------------------------------------------

namespace {

struct alert_book : restock_database {
  persistence::alert_repository alerts{*sql, url.kind};

  domain::stock_alert alert(domain::location_id store, std::int64_t product,
                            domain::alert_kind kind) {
    const auto since = tick();
    return {ids.next(now), store, domain::product_id{product}, kind, since};
  }
};

} // namespace

TEST_CASE("raised alerts are open, oldest first, per store") {
  alert_book db;
  const domain::location_id store{1};
  const auto low = db.alert(store, 3, domain::alert_kind::low_stock);
  const auto out = db.alert(store, 3, domain::alert_kind::out_of_stock);
  const auto elsewhere = db.alert(domain::location_id{2}, 3, domain::alert_kind::low_stock);
  const auto other = db.alert(store, 1, domain::alert_kind::low_stock);
  db.alerts.apply({other, low, elsewhere}, {}, db.tick());
  db.alerts.apply({out}, {}, db.tick());

  const auto open = db.alerts.load_open(store);
  REQUIRE(open.size() == 3);
  CHECK(open[0].id == low.id);
  CHECK(open[0].store == store);
  CHECK(open[0].product == domain::product_id{3});
  CHECK(open[0].kind == domain::alert_kind::low_stock);
  CHECK(open[0].since == low.since);
  CHECK(open[1].id == out.id);
  CHECK(open[1].kind == domain::alert_kind::out_of_stock);
  CHECK(open[2].id == other.id);
  REQUIRE(db.alerts.load_open(domain::location_id{2}).size() == 1);
  CHECK(db.alerts.load_open(domain::location_id{3}).empty());
}

TEST_CASE("raising an alert that is open already does not duplicate it") {
  alert_book db;
  const domain::location_id store{1};
  const auto first = db.alert(store, 2, domain::alert_kind::low_stock);
  db.alerts.apply({first}, {}, db.tick());
  const auto again = db.alert(store, 2, domain::alert_kind::low_stock);
  const auto twice = db.alert(store, 2, domain::alert_kind::low_stock);
  db.alerts.apply({again, twice}, {}, db.tick());

  const auto open = db.alerts.load_open(store);
  REQUIRE(open.size() == 1);
  CHECK(open[0].id == first.id);
  CHECK(open[0].since == first.since);
  CHECK(db.count("SELECT COUNT(*) FROM stock_alerts") == 1);
}

TEST_CASE("clearing an alert closes it, and raising it again opens a new one") {
  alert_book db;
  const domain::location_id store{1};
  const auto low = db.alert(store, 2, domain::alert_kind::low_stock);
  const auto out = db.alert(store, 2, domain::alert_kind::out_of_stock);
  db.alerts.apply({low, out}, {}, db.tick());

  // Cleared by store, product and kind: the id given does not matter.
  auto clear = db.alert(store, 2, domain::alert_kind::out_of_stock);
  const auto cleared_at = db.tick();
  db.alerts.apply({}, {clear}, cleared_at);
  auto open = db.alerts.load_open(store);
  REQUIRE(open.size() == 1);
  CHECK(open[0].id == low.id);
  std::string stored_cleared_at;
  *db.sql << "SELECT cleared_at FROM stock_alerts WHERE id = :id", soci::use(out.id),
      soci::into(stored_cleared_at);
  CHECK(stored_cleared_at == cleared_at);

  // Clearing what is not open does nothing.
  db.alerts.apply({}, {clear, db.alert(store, 9, domain::alert_kind::low_stock)}, db.tick());
  *db.sql << "SELECT cleared_at FROM stock_alerts WHERE id = :id", soci::use(out.id),
      soci::into(stored_cleared_at);
  CHECK(stored_cleared_at == cleared_at);

  // Out of stock again, and back to low stock only, in one apply each.
  const auto out_again = db.alert(store, 2, domain::alert_kind::out_of_stock);
  db.alerts.apply({out_again}, {}, db.tick());
  open = db.alerts.load_open(store);
  REQUIRE(open.size() == 2);
  CHECK(open[1].id == out_again.id);
  CHECK(db.count("SELECT COUNT(*) FROM stock_alerts") == 3);

  const auto low_other = db.alert(store, 4, domain::alert_kind::low_stock);
  db.alerts.apply({low_other}, {out_again, low}, db.tick());
  open = db.alerts.load_open(store);
  REQUIRE(open.size() == 1);
  CHECK(open[0].id == low_other.id);
  CHECK(db.count("SELECT COUNT(*) FROM stock_alerts WHERE cleared_at IS NOT NULL") == 3);
}

TEST_CASE("an alert raised without a time is raised now") {
  alert_book db;
  auto alert = db.alert(domain::location_id{1}, 1, domain::alert_kind::low_stock);
  alert.since.clear();
  const auto now = db.tick();
  db.alerts.apply({alert}, {}, now);
  const auto open = db.alerts.load_open(domain::location_id{1});
  REQUIRE(open.size() == 1);
  CHECK(open[0].since == now);
}

// -- reorder points ---------------------------------------------------------------------

TEST_CASE("a reorder point is set for one product at one location") {
  restock_database db;
  persistence::stock_repository stock{*db.sql};
  const auto before = stock.load(domain::location_id{2});
  stock.set_reorder_point(domain::location_id{2}, domain::product_id{7}, 42);
  const auto after = stock.load(domain::location_id{2});
  REQUIRE(after.size() == before.size());
  for (std::size_t i = 0; i < after.size(); ++i) {
    CAPTURE(i);
    CHECK(after[i].on_hand == before[i].on_hand);
    if (after[i].product == domain::product_id{7})
      CHECK(after[i].reorder_point == 42);
    else
      CHECK(after[i].reorder_point == before[i].reorder_point);
  }
  CHECK(stock.load(domain::location_id{3})[6].reorder_point != 42);
  stock.set_reorder_point(domain::location_id{2}, domain::product_id{7}, 0);
  CHECK(stock.load(domain::location_id{2})[6].reorder_point == 0);
}

TEST_CASE("a reorder point of an unknown location or product, or below zero, is refused") {
  restock_database db;
  persistence::stock_repository stock{*db.sql};
  CHECK_THROWS_AS(stock.set_reorder_point(domain::location_id{99}, domain::product_id{1}, 5),
                  std::invalid_argument);
  CHECK_THROWS_AS(stock.set_reorder_point(domain::location_id{1}, domain::product_id{999}, 5),
                  std::invalid_argument);
  CHECK_THROWS_AS(stock.set_reorder_point(domain::location_id{1}, domain::product_id{1}, -1),
                  std::invalid_argument);
}
