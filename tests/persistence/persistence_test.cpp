// The persistence layer against a real database: SQLite or PostgreSQL, as
// COMPTOIR_TEST_DATABASE_URL says.

#include "persistence/catalogue_repository.hpp"
#include "persistence/database_url.hpp"
#include "persistence/demo_data.hpp"
#include "persistence/location_repository.hpp"
#include "persistence/migrations.hpp"
#include "persistence/session.hpp"
#include "persistence/stock_repository.hpp"
#include "tests/support/test_database.hpp"

#include <doctest/doctest.h>
#include <soci/soci.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

using namespace comptoir;
using persistence::dialect;

namespace {

// A fresh, empty database and a session on it.
struct fresh_database {
  persistence::database_url url;
  std::unique_ptr<soci::session> sql;

  fresh_database() {
    const auto text = test::test_database_url();
    test::reset_database(text);
    url = persistence::parse_database_url(text).value();
    sql = persistence::open_session(url);
  }
};

// A fresh database, migrated and holding the demo chain.
struct demo_database : fresh_database {
  demo_database() {
    persistence::migrate(*sql, url.kind);
    persistence::load_demo_data(*sql, url.kind);
  }
};

long long count_rows(soci::session& sql, const std::string& query) {
  long long count = 0;
  sql << query, soci::into(count);
  return count;
}

} // namespace

// -- database URLs ------------------------------------------------------------

TEST_CASE("a sqlite URL with two slashes names a file relative to the working directory") {
  const auto url = persistence::parse_database_url("sqlite://var/comptoir.db");
  REQUIRE(url);
  CHECK(url->kind == dialect::sqlite);
  CHECK(url->sqlite_path == "var/comptoir.db");
  CHECK(url->sqlite_path.is_relative());
  CHECK(url->connect_string == "var/comptoir.db");
}

TEST_CASE("a sqlite URL with three slashes names an absolute file") {
  const auto url = persistence::parse_database_url("sqlite:///srv/comptoir/data.db");
  REQUIRE(url);
  CHECK(url->kind == dialect::sqlite);
  CHECK(url->sqlite_path == "/srv/comptoir/data.db");
  CHECK(url->connect_string == "/srv/comptoir/data.db");
}

TEST_CASE("a postgresql URL goes to libpq as a URI, under either scheme name") {
  for (const std::string text : {"postgresql://comptoir:secret@db.example:5432/comptoir",
                                 "postgres://comptoir@localhost/x"}) {
    CAPTURE(text);
    const auto url = persistence::parse_database_url(text);
    REQUIRE(url);
    CHECK(url->kind == dialect::postgresql);
    CHECK(url->connect_string == text + "?connect_timeout=10");
    CHECK(url->sqlite_path.empty());
  }
}

TEST_CASE("a postgresql URL keeps its own query parameters and connect timeout") {
  const std::string with_query = "postgresql://u@h/db?sslmode=require";
  CHECK(persistence::parse_database_url(with_query)->connect_string ==
        with_query + "&connect_timeout=10");
  const std::string with_timeout = "postgresql://u@h/db?connect_timeout=3";
  CHECK(persistence::parse_database_url(with_timeout)->connect_string == with_timeout);
}

TEST_CASE("a URL with an unknown scheme or without a database is refused") {
  for (const auto* text : {"", "sqlite://", "sqlite:///", "sqlite://var/", "sqlite:var/x.db",
                           "mysql://root@localhost/comptoir", "postgresql://", "postgres://",
                           "var/comptoir.db", "SQLITE://x.db", "postgresql://u@h/my db"}) {
    CAPTURE(text);
    CHECK_FALSE(persistence::parse_database_url(text));
  }
}

// -- sessions -----------------------------------------------------------------

TEST_CASE("an open session answers a ping") {
  fresh_database db;
  CHECK(persistence::ping(*db.sql));
}

TEST_CASE("an SQLite session is durable, uses WAL and enforces foreign keys") {
  fresh_database db;
  if (db.url.kind != dialect::sqlite)
    return;
  std::string journal_mode;
  int synchronous = 0;
  int foreign_keys = 0;
  int busy_timeout = 0;
  *db.sql << "PRAGMA journal_mode", soci::into(journal_mode);
  *db.sql << "PRAGMA synchronous", soci::into(synchronous);
  *db.sql << "PRAGMA foreign_keys", soci::into(foreign_keys);
  *db.sql << "PRAGMA busy_timeout", soci::into(busy_timeout);
  CHECK(journal_mode == "wal");
  CHECK(synchronous == 2); // FULL
  CHECK(foreign_keys == 1);
  CHECK(busy_timeout == 5000);
}

TEST_CASE("opening an SQLite database creates its missing directories") {
  const auto url = persistence::parse_database_url(test::test_database_url()).value();
  if (url.kind != dialect::sqlite)
    return;
  test::reset_database(test::test_database_url());
  const auto directory = url.sqlite_path.parent_path() / "nested-persistence-test" / "deeper";
  std::filesystem::remove_all(directory.parent_path());
  const auto nested =
      persistence::parse_database_url("sqlite://" + (directory / "comptoir.db").string()).value();
  {
    const auto sql = persistence::open_session(nested);
    CHECK(persistence::ping(*sql));
  }
  CHECK(std::filesystem::exists(directory / "comptoir.db"));
  std::filesystem::remove_all(directory.parent_path());
}

// -- migrations ---------------------------------------------------------------

TEST_CASE("migrating a fresh database applies every migration, migrating again applies none") {
  fresh_database db;
  CHECK(persistence::schema_version(*db.sql) == 0);
  const int applied = persistence::migrate(*db.sql, db.url.kind);
  CHECK(applied >= 1);
  const int version = persistence::schema_version(*db.sql);
  CHECK(version == applied);
  CHECK(count_rows(*db.sql, "SELECT COUNT(*) FROM schema_migrations") == applied);

  CHECK(persistence::migrate(*db.sql, db.url.kind) == 0);
  CHECK(persistence::schema_version(*db.sql) == version);
}

TEST_CASE("the initial schema creates every table, empty") {
  fresh_database db;
  persistence::migrate(*db.sql, db.url.kind);
  for (const auto* table :
       {"products", "locations", "stock", "sales", "sale_lines", "returns", "return_lines",
        "restock_requests", "restock_request_lines", "idempotency_keys"}) {
    CAPTURE(table);
    CHECK(count_rows(*db.sql, std::string{"SELECT COUNT(*) FROM "} + table) == 0);
  }
}

TEST_CASE("nodes starting at once migrate and seed the database once") {
  fresh_database db;
  // A cluster of nodes shares PostgreSQL; SQLite serves one node only.
  if (db.url.kind != persistence::dialect::postgresql)
    return;
  constexpr int nodes = 4;
  std::atomic<int> migrations_applied = 0;
  std::atomic<int> demo_loads = 0;
  std::atomic<int> failures = 0;
  std::mutex errors_mutex;
  std::vector<std::string> errors;
  std::vector<std::thread> starting;
  for (int i = 0; i < nodes; ++i)
    starting.emplace_back([&] {
      try {
        const auto sql = persistence::open_session(db.url);
        migrations_applied += persistence::migrate(*sql, db.url.kind);
        demo_loads += persistence::load_demo_data(*sql, db.url.kind) ? 1 : 0;
      } catch (const std::exception& e) {
        ++failures;
        std::lock_guard guard{errors_mutex};
        errors.emplace_back(e.what());
      }
    });
  for (auto& node : starting)
    node.join();
  for (const auto& error : errors)
    MESSAGE(error);
  CHECK(failures == 0);
  CHECK(migrations_applied == persistence::schema_version(*db.sql));
  CHECK(demo_loads == 1);
  CHECK(count_rows(*db.sql, "SELECT COUNT(*) FROM locations") == 6);
}

// -- demo data ----------------------------------------------------------------

TEST_CASE("demo data is loaded only into an empty database") {
  fresh_database db;
  persistence::migrate(*db.sql, db.url.kind);
  CHECK(persistence::load_demo_data(*db.sql, db.url.kind));
  const auto products = count_rows(*db.sql, "SELECT COUNT(*) FROM products");
  const auto stock = count_rows(*db.sql, "SELECT COUNT(*) FROM stock");

  CHECK_FALSE(persistence::load_demo_data(*db.sql, db.url.kind));
  CHECK(count_rows(*db.sql, "SELECT COUNT(*) FROM products") == products);
  CHECK(count_rows(*db.sql, "SELECT COUNT(*) FROM stock") == stock);
}

TEST_CASE("demo data is not loaded into a database that already has a location") {
  fresh_database db;
  persistence::migrate(*db.sql, db.url.kind);
  *db.sql << "INSERT INTO locations (id, kind, name, city) VALUES (9, 'store', 'Ours', 'Gatineau')";
  CHECK_FALSE(persistence::load_demo_data(*db.sql, db.url.kind));
  CHECK(count_rows(*db.sql, "SELECT COUNT(*) FROM locations") == 1);
  CHECK(count_rows(*db.sql, "SELECT COUNT(*) FROM products") == 0);
}

TEST_CASE("the demo chain has five stores, the logistics centre and stock for every product") {
  demo_database db;
  CHECK(count_rows(*db.sql, "SELECT COUNT(*) FROM locations WHERE kind = 'store'") == 5);
  CHECK(count_rows(*db.sql, "SELECT COUNT(*) FROM locations WHERE kind = 'warehouse'") == 1);
  const auto products = count_rows(*db.sql, "SELECT COUNT(*) FROM products");
  CHECK(products >= 45);
  CHECK(products <= 60);
  CHECK(count_rows(*db.sql, "SELECT COUNT(*) FROM stock") == 6 * products);
  CHECK(count_rows(*db.sql, "SELECT COUNT(DISTINCT category) FROM products") >= 5);
}

TEST_CASE("some demo stores are short of some products, the logistics centre of none") {
  demo_database db;
  const auto short_in_stores = count_rows(
      *db.sql, "SELECT COUNT(*) FROM stock WHERE location_id <= 5 AND on_hand <= reorder_point");
  CHECK(short_in_stores > 0);
  CHECK(short_in_stores < 30);
  CHECK(count_rows(*db.sql, "SELECT COUNT(*) FROM stock WHERE on_hand = 0") > 0);
  CHECK(count_rows(*db.sql, "SELECT COUNT(*) FROM stock WHERE location_id = 6"
                            " AND on_hand <= reorder_point") == 0);
}

TEST_CASE("a product created after the demo data gets the next id") {
  demo_database db;
  *db.sql << "INSERT INTO products (sku, name, category, price_cents, updated_at)"
             " VALUES ('NEW-001', 'Tuque', 'clothing', 1999, '2024-01-01T00:00:00Z')";
  long long id = 0;
  *db.sql << "SELECT id FROM products WHERE sku = 'NEW-001'", soci::into(id);
  CHECK(id == 51);
}

// -- repositories -------------------------------------------------------------

TEST_CASE("the catalogue is read back complete and ordered by id") {
  demo_database db;
  const auto products = persistence::catalogue_repository{*db.sql}.load_all();
  REQUIRE(products.size() == 50);
  std::set<std::string> skus;
  for (std::size_t i = 0; i < products.size(); ++i) {
    const auto& p = products[i];
    CAPTURE(p.id.value);
    CHECK(p.id.value == static_cast<std::int64_t>(i + 1));
    CHECK_FALSE(p.name.empty());
    CHECK_FALSE(p.category.empty());
    CHECK_FALSE(p.description.empty());
    CHECK(p.price_cents > 0);
    skus.insert(p.sku);
  }
  CHECK(skus.size() == products.size());
  CHECK(products.front().sku == "GRO-001");
  CHECK(products.front().name == "Maple syrup 540 ml");
  CHECK(products.front().price_cents == 1299);
}

TEST_CASE("locations are read back in id order with their kind") {
  demo_database db;
  const auto locations = persistence::location_repository{*db.sql}.load_all();
  REQUIRE(locations.size() == 6);
  for (std::size_t i = 0; i < locations.size(); ++i)
    CHECK(locations[i].id.value == static_cast<std::int64_t>(i + 1));
  CHECK(std::all_of(locations.begin(), locations.begin() + 5,
                    [](const auto& l) { return l.kind == domain::location_kind::store; }));
  CHECK(locations[5].kind == domain::location_kind::warehouse);
  CHECK(locations[0].city == "Montréal");
  CHECK_FALSE(locations[5].name.empty());
}

TEST_CASE("the stock of one location is read back ordered by product") {
  demo_database db;
  persistence::stock_repository stock{*db.sql};
  const auto store = stock.load(domain::location_id{2});
  REQUIRE(store.size() == 50);
  for (std::size_t i = 0; i < store.size(); ++i) {
    CHECK(store[i].product.value == static_cast<std::int64_t>(i + 1));
    CHECK(store[i].on_hand >= 0);
    CHECK(store[i].on_hand <= 150);
    CHECK(store[i].reorder_point >= 5);
    CHECK(store[i].reorder_point <= 30);
  }
  const auto centre = stock.load(domain::location_id{6});
  REQUIRE(centre.size() == 50);
  for (const auto& item : centre)
    CHECK(item.on_hand > item.reorder_point);
  CHECK(stock.load(domain::location_id{99}).empty());
}

// -- constraints --------------------------------------------------------------

TEST_CASE("stock on hand can never be negative") {
  demo_database db;
  CHECK_THROWS_AS(
      *db.sql << "UPDATE stock SET on_hand = -1 WHERE location_id = 1 AND product_id = 1",
      soci::soci_error);
  const auto items = persistence::stock_repository{*db.sql}.load(domain::location_id{1});
  REQUIRE_FALSE(items.empty());
  CHECK(items[0].on_hand >= 0);
}

TEST_CASE("two products cannot share a SKU") {
  demo_database db;
  CHECK_THROWS_AS(*db.sql << "INSERT INTO products (sku, name, category, price_cents, updated_at)"
                             " VALUES ('GRO-001', 'Copy', 'grocery', 100, '2024-01-01T00:00:00Z')",
                  soci::soci_error);
  CHECK(count_rows(*db.sql, "SELECT COUNT(*) FROM products WHERE sku = 'GRO-001'") == 1);
}

TEST_CASE("stock cannot refer to an unknown location") {
  demo_database db;
  CHECK_THROWS_AS(*db.sql << "INSERT INTO stock (location_id, product_id, on_hand)"
                             " VALUES (99, 1, 10)",
                  soci::soci_error);
}
