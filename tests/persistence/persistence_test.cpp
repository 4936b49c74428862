// The persistence layer against a real database: SQLite or PostgreSQL, as
// COMPTOIR_TEST_DATABASE_URL says.

#include "domain/sale.hpp"
#include "domain/timestamp.hpp"
#include "domain/uuid.hpp"
#include "persistence/catalogue_repository.hpp"
#include "persistence/database_url.hpp"
#include "persistence/demo_data.hpp"
#include "persistence/location_repository.hpp"
#include "persistence/migrations.hpp"
#include "persistence/sale_repository.hpp"
#include "persistence/session.hpp"
#include "persistence/stock_repository.hpp"
#include "tests/support/test_database.hpp"

#include <doctest/doctest.h>
#include <soci/soci.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <mutex>
#include <optional>
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

TEST_CASE("the stock of a location is read with the price of each product") {
  demo_database db;
  persistence::stock_repository stock{*db.sql};
  const auto plain = stock.load(domain::location_id{3});
  const auto priced = stock.load_with_prices(domain::location_id{3});
  REQUIRE(priced.size() == plain.size());
  for (std::size_t i = 0; i < priced.size(); ++i) {
    CHECK(priced[i].item.product == plain[i].product);
    CHECK(priced[i].item.on_hand == plain[i].on_hand);
    CHECK(priced[i].item.reorder_point == plain[i].reorder_point);
    CHECK(priced[i].price_cents > 0);
  }
  CHECK(priced.front().price_cents == 1299);
  CHECK(stock.load_with_prices(domain::location_id{99}).empty());
}

// -- sales --------------------------------------------------------------------

namespace {

using namespace std::chrono_literals;

// Writes as a store actor would build them, at times one minute apart.
struct sales_book {
  domain::uuid_v7_generator ids;
  std::chrono::system_clock::time_point now =
      std::chrono::sys_days{std::chrono::year{2026} / 3 / 2} + 9h;

  std::string tick() {
    now += 1min;
    return domain::format_timestamp(now);
  }

  domain::idempotency_record key(const std::string& scope, const std::string& name,
                                 const std::string& body, const std::string& created_at) {
    if (name.empty())
      return {};
    return {scope, name, "fingerprint-of-" + name, 201, body, created_at};
  }

  domain::sale_write sale(domain::location_id store,
                          const std::vector<std::pair<std::int64_t, std::int64_t>>& lines,
                          const std::string& key_name = "") {
    domain::sale_write write;
    write.sale.created_at = tick();
    write.sale.id = ids.next(now);
    write.sale.store = store;
    for (auto [product, quantity] : lines) {
      write.sale.lines.push_back({domain::product_id{product}, quantity, 100 * product});
      write.sale.total_cents += quantity * 100 * product;
    }
    write.key = key("sale:" + std::to_string(store.value), key_name,
                    R"({"id":")" + write.sale.id + R"("})", write.sale.created_at);
    return write;
  }

  domain::return_write give_back(const domain::sale& sale,
                                 const std::vector<std::pair<std::int64_t, std::int64_t>>& lines,
                                 domain::sale_status status_after,
                                 const std::string& key_name = "") {
    domain::return_write write;
    write.record.created_at = tick();
    write.record.id = ids.next(now);
    write.record.sale_id = sale.id;
    write.record.store = sale.store;
    for (auto [product, quantity] : lines) {
      write.record.lines.push_back({domain::product_id{product}, quantity});
      write.record.refund_cents += quantity * 100 * product;
    }
    write.sale_status_after = status_after;
    write.key = key("return:" + std::to_string(sale.store.value), key_name,
                    R"({"id":")" + write.record.id + R"("})", write.record.created_at);
    return write;
  }
};

// The demo database with 100 units of products 1-5 in every store.
struct sales_database : demo_database {
  persistence::sale_repository sales{*sql, url.kind};
  sales_book book;

  sales_database() { *sql << "UPDATE stock SET on_hand = 100 WHERE product_id <= 5"; }

  long long on_hand(std::int64_t store, std::int64_t product) {
    long long units = 0;
    *sql << "SELECT on_hand FROM stock WHERE location_id = :store AND product_id = :product",
        soci::use(store), soci::use(product), soci::into(units);
    return units;
  }

  std::string status_of(const std::string& sale_id) {
    std::string status;
    *sql << "SELECT status FROM sales WHERE id = :id", soci::use(sale_id), soci::into(status);
    return status;
  }

  long long count(const std::string& query) { return count_rows(*sql, query); }
};

domain::commit_batch batch_of(domain::location_id store, std::vector<domain::sale_write> sales,
                              std::vector<domain::return_write> returns = {}) {
  return {store, std::move(sales), std::move(returns)};
}

bool all_committed(const domain::batch_result& result) {
  return std::none_of(result.sales.begin(), result.sales.end(), [](auto& r) { return r; }) &&
         std::none_of(result.returns.begin(), result.returns.end(), [](auto& r) { return r; });
}

} // namespace

TEST_CASE("a committed batch writes every sale, line, return, status change and stock change") {
  sales_database db;
  const domain::location_id store{1};
  auto a = db.book.sale(store, {{1, 2}, {2, 1}}, "key-a");
  auto b = db.book.sale(store, {{1, 1}, {3, 4}}, "key-b");
  const auto first = db.sales.commit(batch_of(store, {a, b}));
  CHECK(first.sales.size() == 2);
  CHECK(first.returns.empty());
  CHECK(all_committed(first));

  // A sale and a return of it in one batch; two returns of one sale in one batch.
  auto c = db.book.sale(store, {{2, 3}}, "key-c");
  auto a_first_return =
      db.book.give_back(a.sale, {{1, 1}}, domain::sale_status::partially_returned, "key-ra1");
  auto a_second_return =
      db.book.give_back(a.sale, {{1, 1}, {2, 1}}, domain::sale_status::returned, "key-ra2");
  auto c_return = db.book.give_back(c.sale, {{2, 3}}, domain::sale_status::returned);
  const auto second =
      db.sales.commit(batch_of(store, {c}, {a_first_return, a_second_return, c_return}));
  CHECK(second.sales.size() == 1);
  CHECK(second.returns.size() == 3);
  CHECK(all_committed(second));

  CHECK(db.count("SELECT COUNT(*) FROM sales") == 3);
  CHECK(db.count("SELECT COUNT(*) FROM sale_lines") == 5);
  CHECK(db.count("SELECT COUNT(*) FROM returns") == 3);
  CHECK(db.count("SELECT COUNT(*) FROM return_lines") == 4);
  CHECK(db.count("SELECT COUNT(*) FROM idempotency_keys") == 5);
  CHECK(db.count("SELECT COUNT(*) FROM sale_lines WHERE line_no = 2") == 2);
  CHECK(db.status_of(a.sale.id) == "returned");
  CHECK(db.status_of(b.sale.id) == "completed");
  CHECK(db.status_of(c.sale.id) == "returned");

  // initial - sold + returned
  CHECK(db.on_hand(1, 1) == 100 - 2 - 1 + 1 + 1);
  CHECK(db.on_hand(1, 2) == 100 - 1 - 3 + 1 + 3);
  CHECK(db.on_hand(1, 3) == 100 - 4);
  CHECK(db.on_hand(1, 4) == 100);
  CHECK(db.on_hand(2, 1) == 100);

  const auto stored = db.sales.load_sale(a.sale.id);
  REQUIRE(stored);
  CHECK(stored->sale.id == a.sale.id);
  CHECK(stored->sale.store == store);
  CHECK(stored->sale.total_cents == a.sale.total_cents);
  CHECK(stored->sale.created_at == a.sale.created_at);
  CHECK(stored->sale.status == domain::sale_status::returned);
  REQUIRE(stored->sale.lines.size() == 2);
  CHECK(stored->sale.lines[0].product == domain::product_id{1});
  CHECK(stored->sale.lines[0].quantity == 2);
  CHECK(stored->sale.lines[0].unit_price_cents == 100);
  CHECK(stored->sale.lines[1].product == domain::product_id{2});
  REQUIRE(stored->returns.size() == 2);
  CHECK(stored->returns[0].id == a_first_return.record.id);
  CHECK(stored->returns[0].sale_id == a.sale.id);
  CHECK(stored->returns[0].store == store);
  CHECK(stored->returns[0].refund_cents == 100);
  CHECK(stored->returns[0].created_at == a_first_return.record.created_at);
  REQUIRE(stored->returns[0].lines.size() == 1);
  CHECK(stored->returns[1].id == a_second_return.record.id);
  REQUIRE(stored->returns[1].lines.size() == 2);
  CHECK(stored->returns[1].lines[1].product == domain::product_id{2});
  CHECK(stored->returns[1].lines[1].quantity == 1);

  const auto without_returns = db.sales.load_sale(b.sale.id);
  REQUIRE(without_returns);
  CHECK(without_returns->returns.empty());
  CHECK(without_returns->sale.lines.size() == 2);
}

TEST_CASE("a write whose key already exists commits nothing of itself, the others commit") {
  sales_database db;
  const domain::location_id store{2};
  auto original = db.book.sale(store, {{1, 1}}, "key-1");
  REQUIRE(all_committed(db.sales.commit(batch_of(store, {original}))));

  auto retried = db.book.sale(store, {{1, 5}}, "key-1");
  auto fresh = db.book.sale(store, {{2, 2}}, "key-2");
  auto without_key = db.book.sale(store, {{3, 3}});
  auto same_key_in_batch = db.book.sale(store, {{4, 4}}, "key-2");
  auto retried_return =
      db.book.give_back(original.sale, {{1, 1}}, domain::sale_status::returned, "key-r");
  REQUIRE(all_committed(db.sales.commit(batch_of(store, {}, {retried_return}))));
  auto return_again =
      db.book.give_back(original.sale, {{1, 1}}, domain::sale_status::returned, "key-r");
  const auto result = db.sales.commit(
      batch_of(store, {retried, fresh, without_key, same_key_in_batch}, {return_again}));

  REQUIRE(result.sales.size() == 4);
  REQUIRE(result.sales[0]);
  CHECK(result.sales[0]->scope == "sale:2");
  CHECK(result.sales[0]->key == "key-1");
  CHECK(result.sales[0]->fingerprint == original.key.fingerprint);
  CHECK(result.sales[0]->status == 201);
  CHECK(result.sales[0]->body == original.key.body);
  CHECK(result.sales[0]->created_at == original.key.created_at);
  CHECK_FALSE(result.sales[1]);
  CHECK_FALSE(result.sales[2]);
  REQUIRE(result.sales[3]);
  CHECK(result.sales[3]->body == fresh.key.body);
  REQUIRE(result.returns.size() == 1);
  REQUIRE(result.returns[0]);
  CHECK(result.returns[0]->body == retried_return.key.body);

  CHECK_FALSE(db.sales.locate_sale(retried.sale.id));
  CHECK_FALSE(db.sales.locate_sale(same_key_in_batch.sale.id));
  CHECK(db.sales.locate_sale(fresh.sale.id) == store);
  CHECK(db.sales.locate_sale(without_key.sale.id) == store);
  CHECK(db.count("SELECT COUNT(*) FROM sales") == 3);
  CHECK(db.count("SELECT COUNT(*) FROM returns") == 1);
  CHECK(db.count("SELECT COUNT(*) FROM idempotency_keys") == 3);
  CHECK(db.on_hand(2, 1) == 100);
  CHECK(db.on_hand(2, 2) == 98);
  CHECK(db.on_hand(2, 3) == 97);
  CHECK(db.on_hand(2, 4) == 100);

  // The whole batch again: every write finds its key, nothing changes.
  const auto again = db.sales.commit(batch_of(store, {fresh, same_key_in_batch}));
  REQUIRE(again.sales[0]);
  REQUIRE(again.sales[1]);
  CHECK(again.sales[1]->body == fresh.key.body);
  CHECK(db.count("SELECT COUNT(*) FROM sales") == 3);
  CHECK(db.on_hand(2, 2) == 98);
  CHECK(db.on_hand(2, 4) == 100);
}

TEST_CASE("keys and bodies with quotes, backslashes, commas and braces are stored as given") {
  sales_database db;
  const domain::location_id store{1};
  auto write = db.book.sale(store, {{1, 1}});
  write.key = {"sale:1",
               R"(k"e\y,{1}é )",
               R"(f"p\)",
               201,
               R"({"id":"x","note":"a \"quoted\" \\ {b}, c","nothing":null})",
               write.sale.created_at};
  REQUIRE(all_committed(db.sales.commit(batch_of(store, {write}))));
  const auto keys = db.sales.load_keys({"sale:1"}, "");
  REQUIRE(keys.size() == 1);
  CHECK(keys[0].key == write.key.key);
  CHECK(keys[0].fingerprint == write.key.fingerprint);
  CHECK(keys[0].body == write.key.body);

  auto retried = db.book.sale(store, {{1, 1}});
  retried.key = write.key;
  const auto result = db.sales.commit(batch_of(store, {retried}));
  REQUIRE(result.sales[0]);
  CHECK(result.sales[0]->body == write.key.body);
}

TEST_CASE("a batch that would take stock below zero is rolled back whole and throws") {
  sales_database db;
  const domain::location_id store{3};
  *db.sql << "UPDATE stock SET on_hand = 2 WHERE location_id = 3 AND product_id = 1";
  auto earlier = db.book.sale(store, {{2, 1}}, "key-earlier");
  REQUIRE(all_committed(db.sales.commit(batch_of(store, {earlier}))));

  auto fine = db.book.sale(store, {{2, 1}, {3, 1}}, "key-fine");
  auto too_many = db.book.sale(store, {{1, 3}});
  auto a_return = db.book.give_back(earlier.sale, {{2, 1}}, domain::sale_status::returned, "k-r");
  CHECK_THROWS(db.sales.commit(batch_of(store, {fine, too_many}, {a_return})));

  CHECK(db.count("SELECT COUNT(*) FROM sales") == 1);
  CHECK(db.count("SELECT COUNT(*) FROM sale_lines") == 1);
  CHECK(db.count("SELECT COUNT(*) FROM returns") == 0);
  CHECK(db.count("SELECT COUNT(*) FROM idempotency_keys") == 1);
  CHECK(db.status_of(earlier.sale.id) == "completed");
  CHECK(db.on_hand(3, 1) == 2);
  CHECK(db.on_hand(3, 2) == 99);
  CHECK(db.on_hand(3, 3) == 100);

  // The session is usable again, and the keys of the failed batch are free.
  REQUIRE(all_committed(db.sales.commit(batch_of(store, {fine}, {a_return}))));
  CHECK(db.on_hand(3, 2) == 99);
  CHECK(db.on_hand(3, 3) == 99);
}

TEST_CASE("a batch selling a product the store does not stock is rolled back and throws") {
  sales_database db;
  const domain::location_id store{1};
  *db.sql << "DELETE FROM stock WHERE location_id = 1 AND product_id = 4";
  auto fine = db.book.sale(store, {{1, 1}}, "key-fine");
  auto unstocked = db.book.sale(store, {{4, 1}});
  CHECK_THROWS(db.sales.commit(batch_of(store, {fine, unstocked})));
  CHECK(db.count("SELECT COUNT(*) FROM sales") == 0);
  CHECK(db.count("SELECT COUNT(*) FROM idempotency_keys") == 0);
  CHECK(db.on_hand(1, 1) == 100);
}

TEST_CASE("a batch of sales only that would take stock below zero is rolled back whole") {
  // On PostgreSQL a batch without returns is one statement: check it alone.
  sales_database db;
  const domain::location_id store{3};
  *db.sql << "UPDATE stock SET on_hand = 2 WHERE location_id = 3 AND product_id = 1";
  auto earlier = db.book.sale(store, {{2, 1}}, "key-earlier");
  REQUIRE(all_committed(db.sales.commit(batch_of(store, {earlier}))));

  auto fine = db.book.sale(store, {{2, 1}, {3, 1}}, "key-fine");
  auto retried = db.book.sale(store, {{4, 1}}, "key-earlier");
  auto too_many = db.book.sale(store, {{1, 2}, {5, 1}});
  auto one_more = db.book.sale(store, {{1, 1}}, "key-more");
  CHECK_THROWS(db.sales.commit(batch_of(store, {fine, retried, too_many, one_more})));
  CHECK(db.count("SELECT COUNT(*) FROM sales") == 1);
  CHECK(db.count("SELECT COUNT(*) FROM sale_lines") == 1);
  CHECK(db.count("SELECT COUNT(*) FROM idempotency_keys") == 1);
  CHECK(db.on_hand(3, 1) == 2);
  CHECK(db.on_hand(3, 2) == 99);
  CHECK(db.on_hand(3, 5) == 100);

  // The same statement again, once the stock allows it.
  const auto result = db.sales.commit(batch_of(store, {fine, retried, too_many}));
  CHECK_FALSE(result.sales[0]);
  REQUIRE(result.sales[1]);
  CHECK(result.sales[1]->body == earlier.key.body);
  CHECK_FALSE(result.sales[2]);
  CHECK(db.on_hand(3, 1) == 0);
  CHECK(db.on_hand(3, 2) == 98);
  CHECK(db.on_hand(3, 3) == 99);
  CHECK(db.on_hand(3, 4) == 100);
  CHECK(db.on_hand(3, 5) == 99);
  CHECK(db.count("SELECT COUNT(*) FROM sales") == 3);
}

TEST_CASE("a repository commits again after its session reconnected") {
  sales_database db;
  const domain::location_id store{1};
  REQUIRE(all_committed(db.sales.commit(batch_of(store, {db.book.sale(store, {{1, 1}}, "k1")}))));
  db.sql->reconnect();
  REQUIRE(all_committed(db.sales.commit(batch_of(store, {db.book.sale(store, {{1, 1}}, "k2")}))));
  // A second repository on the same session.
  persistence::sale_repository other{*db.sql, db.url.kind};
  REQUIRE(all_committed(other.commit(batch_of(store, {db.book.sale(store, {{1, 1}}, "k3")}))));
  const auto again = other.commit(batch_of(store, {db.book.sale(store, {{1, 1}}, "k1")}));
  REQUIRE(again.sales[0]);
  CHECK(again.sales[0]->key == "k1");
  CHECK(db.on_hand(1, 1) == 97);
  CHECK(db.count("SELECT COUNT(*) FROM sales") == 3);
}

TEST_CASE("a key another session stores during the commit is answered with its record") {
  sales_database db;
  // SQLite has one writer at a time: nothing can be stored during a commit.
  if (db.url.kind != persistence::dialect::postgresql)
    return;
  const domain::location_id store{2};
  auto theirs = db.book.sale(store, {{1, 1}}, "key-raced");
  auto ours = db.book.sale(store, {{1, 2}}, "key-raced");
  auto other = db.book.sale(store, {{2, 1}}, "key-other");

  const auto racer = persistence::open_session(db.url);
  racer->begin();
  const auto& key = theirs.key;
  *racer << "INSERT INTO idempotency_keys (scope, idempotency_key, request_hash, status_code,"
            " response_body, created_at) VALUES (:s, :k, :h, :st, :b, :c)",
      soci::use(key.scope), soci::use(key.key), soci::use(key.fingerprint), soci::use(key.status),
      soci::use(key.body), soci::use(key.created_at);
  // Our commit waits for the racer's insert of the same key, then sees it committed.
  std::optional<domain::batch_result> result;
  std::string failure;
  std::thread committing([&] {
    try {
      result = db.sales.commit(batch_of(store, {ours, other}));
    } catch (const std::exception& e) {
      failure = e.what();
    }
  });
  std::this_thread::sleep_for(300ms);
  racer->commit();
  committing.join();
  CHECK(failure.empty());
  REQUIRE(result);
  REQUIRE(result->sales[0]);
  CHECK(result->sales[0]->body == theirs.key.body);
  CHECK_FALSE(result->sales[1]);
  CHECK_FALSE(db.sales.locate_sale(ours.sale.id));
  CHECK(db.sales.locate_sale(other.sale.id) == store);
  CHECK(db.on_hand(2, 1) == 100);
  CHECK(db.on_hand(2, 2) == 99);
}

TEST_CASE("an unknown sale is neither located nor loaded") {
  sales_database db;
  CHECK_FALSE(db.sales.locate_sale("0193d2b4-6f1e-7abc-8def-0123456789ab"));
  CHECK_FALSE(db.sales.load_sale("0193d2b4-6f1e-7abc-8def-0123456789ab"));
  auto sale = db.book.sale(domain::location_id{4}, {{5, 1}});
  REQUIRE(all_committed(db.sales.commit(batch_of(domain::location_id{4}, {sale}))));
  CHECK(db.sales.locate_sale(sale.sale.id) == domain::location_id{4});
}

TEST_CASE("a store's sales are listed newest first, page after page, with no gap or repeat") {
  sales_database db;
  const domain::location_id store{1};
  std::vector<domain::sale_write> ours;
  std::vector<domain::sale_write> others;
  for (int i = 0; i < 23; ++i) {
    ours.push_back(db.book.sale(store, {{1 + i % 5, 1}, {1 + (i + 1) % 5, 2}}));
    if (i % 4 == 0)
      others.push_back(db.book.sale(domain::location_id{2}, {{1, 1}}));
  }
  // Several commits, as a store actor makes them.
  for (std::size_t at = 0; at < ours.size(); at += 10) {
    const auto end = std::min(ours.size(), at + 10);
    REQUIRE(all_committed(db.sales.commit(batch_of(
        store, {ours.begin() + static_cast<long>(at), ours.begin() + static_cast<long>(end)}))));
  }
  REQUIRE(all_committed(db.sales.commit(batch_of(domain::location_id{2}, others))));

  std::vector<std::string> listed;
  domain::sales_query query{store, "", "", "", 5};
  int pages = 0;
  for (;;) {
    const auto page = db.sales.list_sales(query);
    ++pages;
    REQUIRE(pages <= 5);
    CHECK(page.items.size() <= 5);
    for (const auto& sale : page.items) {
      CHECK(sale.store == store);
      REQUIRE(sale.lines.size() == 2);
      CHECK(sale.lines[1].quantity == 2);
      listed.push_back(sale.id);
    }
    if (!page.next_before_id)
      break;
    CHECK(*page.next_before_id == page.items.back().id);
    query.before_id = *page.next_before_id;
  }
  CHECK(pages == 5);
  REQUIRE(listed.size() == ours.size());
  for (std::size_t i = 0; i < listed.size(); ++i)
    CHECK(listed[i] == ours[ours.size() - 1 - i].sale.id);

  const auto newest = db.sales.list_sales({store, "", "", "", 50}).items;
  REQUIRE(newest.size() == 23);
  CHECK(newest.front().id == ours.back().sale.id);
  CHECK(newest.front().total_cents == ours.back().sale.total_cents);
  CHECK(newest.front().created_at == ours.back().sale.created_at);
  CHECK(newest.front().status == domain::sale_status::completed);
  CHECK(newest.front().lines[0].unit_price_cents == ours.back().sale.lines[0].unit_price_cents);

  const auto exactly = db.sales.list_sales({store, "", "", "", 23});
  CHECK(exactly.items.size() == 23);
  CHECK_FALSE(exactly.next_before_id);

  // From sale 5 (inclusive) to sale 10 (exclusive).
  const auto bounded =
      db.sales.list_sales({store, ours[5].sale.created_at, ours[10].sale.created_at, "", 50});
  REQUIRE(bounded.items.size() == 5);
  CHECK(bounded.items.front().id == ours[9].sale.id);
  CHECK(bounded.items.back().id == ours[5].sale.id);
  CHECK_FALSE(bounded.next_before_id);

  const auto bounded_page =
      db.sales.list_sales({store, ours[5].sale.created_at, "", ours[8].sale.id, 2});
  REQUIRE(bounded_page.items.size() == 2);
  CHECK(bounded_page.items[0].id == ours[7].sale.id);
  CHECK(bounded_page.items[1].id == ours[6].sale.id);
  CHECK(bounded_page.next_before_id == ours[6].sale.id);

  CHECK(db.sales.list_sales({domain::location_id{2}, "", "", "", 50}).items.size() ==
        others.size());
  CHECK(db.sales.list_sales({domain::location_id{5}, "", "", "", 50}).items.empty());
}

TEST_CASE("recent keys are loaded by scope and old keys are purged") {
  sales_database db;
  auto sale_of_1 = db.book.sale(domain::location_id{1}, {{1, 1}}, "old-sale");
  auto old_return =
      db.book.give_back(sale_of_1.sale, {{1, 1}}, domain::sale_status::returned, "old-return");
  const auto cut = db.book.tick();
  auto recent_sale = db.book.sale(domain::location_id{1}, {{1, 1}}, "new-sale");
  auto recent_sale_of_2 = db.book.sale(domain::location_id{2}, {{1, 1}}, "new-sale");
  REQUIRE(all_committed(db.sales.commit(batch_of(domain::location_id{1}, {sale_of_1}))));
  REQUIRE(all_committed(
      db.sales.commit(batch_of(domain::location_id{1}, {recent_sale}, {old_return}))));
  REQUIRE(all_committed(db.sales.commit(batch_of(domain::location_id{2}, {recent_sale_of_2}))));

  const auto all_of_1 = db.sales.load_keys({"sale:1", "return:1"}, "");
  CHECK(all_of_1.size() == 3);
  const auto recent_of_1 = db.sales.load_keys({"sale:1", "return:1"}, cut);
  REQUIRE(recent_of_1.size() == 1);
  CHECK(recent_of_1[0].scope == "sale:1");
  CHECK(recent_of_1[0].key == "new-sale");
  CHECK(recent_of_1[0].body == recent_sale.key.body);
  CHECK(recent_of_1[0].created_at == recent_sale.key.created_at);
  CHECK(db.sales.load_keys({"return:1"}, "").size() == 1);
  CHECK(db.sales.load_keys({"sale:9"}, "").empty());
  CHECK(db.sales.load_keys({}, "").empty());

  CHECK(db.sales.purge_keys(cut) == 2);
  CHECK(db.sales.purge_keys(cut) == 0);
  CHECK(db.count("SELECT COUNT(*) FROM idempotency_keys") == 2);
  CHECK(db.sales.load_keys({"sale:1", "return:1", "sale:2"}, "").size() == 2);
}

TEST_CASE("a batch of 256 sales of 3 lines commits in one transaction") {
  sales_database db;
  const domain::location_id store{5};
  *db.sql << "UPDATE stock SET on_hand = 10000 WHERE location_id = 5";
  std::vector<domain::sale_write> writes;
  for (int i = 0; i < 256; ++i)
    writes.push_back(db.book.sale(store,
                                  {{1 + i % 50, 1}, {1 + (i + 7) % 50, 2}, {1 + (i + 19) % 50, 3}},
                                  "bulk-" + std::to_string(i)));
  const auto started = std::chrono::steady_clock::now();
  const auto result = db.sales.commit(batch_of(store, writes));
  const auto took = std::chrono::steady_clock::now() - started;
  MESSAGE("256 sales committed in "
          << std::chrono::duration_cast<std::chrono::milliseconds>(took).count() << " ms");
  CHECK(all_committed(result));
  CHECK(db.count("SELECT COUNT(*) FROM sales WHERE store_id = 5") == 256);
  CHECK(db.count("SELECT COUNT(*) FROM sale_lines") == 768);
  CHECK(db.count("SELECT SUM(on_hand) FROM stock WHERE location_id = 5") == 50 * 10000 - 256 * 6);
}
