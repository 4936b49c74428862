// Generating a synthetic chain with its sales history, on SQLite or
// PostgreSQL as COMPTOIR_TEST_DATABASE_URL says.

#include "domain/timestamp.hpp"
#include "persistence/database_url.hpp"
#include "persistence/demo_data.hpp"
#include "persistence/generator.hpp"
#include "persistence/migrations.hpp"
#include "persistence/session.hpp"
#include "tests/support/test_database.hpp"

#include <doctest/doctest.h>
#include <soci/soci.h>

#include <chrono>
#include <set>
#include <string>
#include <variant>
#include <vector>

using namespace comptoir;
using namespace std::chrono_literals;

namespace {

// A fresh, migrated, empty database and a session on it.
struct empty_database {
  persistence::database_url url;
  std::unique_ptr<soci::session> sql;

  empty_database() {
    const auto text = test::test_database_url();
    test::reset_database(text);
    url = persistence::parse_database_url(text).value();
    sql = persistence::open_session(url);
    persistence::migrate(*sql, url.kind);
  }
};

long long count_rows(soci::session& sql, const std::string& query) {
  long long count = 0;
  sql << query, soci::into(count);
  return count;
}

// A fixed end of the history, so that two runs can be compared row for row.
const auto fixed_now = std::chrono::sys_days{std::chrono::year{2026} / 3 / 14} + 15h + 9min;

persistence::generation_options small_chain() {
  persistence::generation_options options;
  options.stores = 3;
  options.products = 40;
  options.stock = 25;
  options.sales = 2'500;
  options.days = 10;
  options.seed = 42;
  options.now = fixed_now;
  // Several transactions, the last one short.
  options.sales_per_transaction = 1'000;
  return options;
}

// Every generated product, sale and sale line, as text (the databases' integer
// types differ; their text does not).
std::string fingerprint(soci::session& sql) {
  std::string text;
  for (const auto* query : {
           "SELECT CAST(id AS TEXT) || sku || name || category || description ||"
           " CAST(price_cents AS TEXT) FROM products ORDER BY id",
           "SELECT id || CAST(store_id AS TEXT) || ':' || CAST(total_cents AS TEXT) || created_at"
           " FROM sales ORDER BY id",
           "SELECT sale_id || CAST(line_no AS TEXT) || ':' || CAST(product_id AS TEXT) || ':' ||"
           " CAST(quantity AS TEXT) FROM sale_lines ORDER BY sale_id, line_no",
       }) {
    soci::rowset<std::string> rows = sql.prepare << query;
    for (const auto& row : rows)
      text += row + ";";
  }
  return text;
}

} // namespace

TEST_CASE("generating into an empty database makes the chain, its stock and its sales") {
  empty_database db;
  auto& sql = *db.sql;
  const auto options = small_chain();
  std::vector<std::int64_t> progress;
  const auto outcome = persistence::generate(sql, db.url.kind, options,
                                             [&](std::int64_t written, std::int64_t total) {
                                               CHECK(total == options.sales);
                                               progress.push_back(written);
                                             });
  REQUIRE(std::holds_alternative<persistence::generation_summary>(outcome));
  const auto& summary = std::get<persistence::generation_summary>(outcome);
  CHECK(summary.stores == 3);
  CHECK(summary.logistics_centre_id == 4);
  CHECK(summary.products == 40);
  CHECK(summary.stock_rows == 4 * 40);
  CHECK(summary.sales == 2'500);
  CHECK(progress == std::vector<std::int64_t>{0, 1'000, 2'000, 2'500});

  SUBCASE("stores 1..N and the logistics centre N+1") {
    CHECK(count_rows(sql, "SELECT COUNT(*) FROM locations WHERE kind = 'store'") == 3);
    CHECK(count_rows(sql, "SELECT MIN(id) FROM locations WHERE kind = 'store'") == 1);
    CHECK(count_rows(sql, "SELECT MAX(id) FROM locations WHERE kind = 'store'") == 3);
    CHECK(count_rows(sql, "SELECT COUNT(*) FROM locations WHERE kind = 'warehouse'") == 1);
    CHECK(count_rows(sql, "SELECT id FROM locations WHERE kind = 'warehouse'") == 4);
    CHECK(count_rows(sql, "SELECT COUNT(*) FROM locations WHERE name = '' OR city = ''") == 0);
  }

  SUBCASE("products 1..M with unique SKUs and prices") {
    CHECK(count_rows(sql, "SELECT COUNT(*) FROM products") == 40);
    CHECK(count_rows(sql, "SELECT MIN(id) FROM products") == 1);
    CHECK(count_rows(sql, "SELECT MAX(id) FROM products") == 40);
    CHECK(count_rows(sql, "SELECT COUNT(DISTINCT sku) FROM products") == 40);
    CHECK(count_rows(sql, "SELECT COUNT(*) FROM products WHERE price_cents <= 0") == 0);
    CHECK(count_rows(sql, "SELECT COUNT(DISTINCT category) FROM products") > 1);
  }

  SUBCASE("Q units of every product in every store, 10 x Q in the centre") {
    CHECK(count_rows(sql, "SELECT COUNT(*) FROM stock WHERE location_id <= 3 AND on_hand = 25") ==
          3 * 40);
    CHECK(count_rows(sql, "SELECT COUNT(*) FROM stock WHERE location_id = 4 AND on_hand = 250") ==
          40);
    CHECK(count_rows(sql, "SELECT COUNT(*) FROM stock") == 4 * 40);
    CHECK(count_rows(sql, "SELECT COUNT(*) FROM stock WHERE reorder_point < 1") == 0);
  }

  SUBCASE("sales of 1-5 distinct products at the catalogue price, totals adding up") {
    CHECK(count_rows(sql, "SELECT COUNT(*) FROM sales") == 2'500);
    CHECK(count_rows(sql, "SELECT COUNT(*) FROM sales WHERE status <> 'completed'") == 0);
    CHECK(count_rows(sql, "SELECT COUNT(*) FROM sales WHERE store_id < 1 OR store_id > 3") == 0);
    CHECK(count_rows(sql, "SELECT COUNT(*) FROM sale_lines") == summary.sale_lines);
    CHECK(count_rows(sql,
                     "SELECT COUNT(*) FROM sale_lines l JOIN products p"
                     " ON p.id = l.product_id WHERE l.unit_price_cents <> p.price_cents") == 0);
    CHECK(count_rows(sql, "SELECT COUNT(*) FROM sale_lines WHERE quantity < 1 OR quantity > 3") ==
          0);
    CHECK(count_rows(sql, "SELECT COUNT(*) FROM sales s WHERE s.total_cents <> (SELECT"
                          " SUM(quantity * unit_price_cents) FROM sale_lines l"
                          " WHERE l.sale_id = s.id)") == 0);
    CHECK(count_rows(sql,
                     "SELECT COUNT(*) FROM (SELECT sale_id FROM sale_lines GROUP BY sale_id"
                     " HAVING COUNT(*) > 5 OR COUNT(DISTINCT product_id) <> COUNT(*)) AS b") == 0);
  }

  SUBCASE("all made within the last D days, with ids in time order") {
    const auto oldest = domain::format_timestamp(fixed_now - std::chrono::days{10});
    const auto now = domain::format_timestamp(fixed_now);
    std::string first, last;
    sql << "SELECT MIN(created_at) FROM sales", soci::into(first);
    sql << "SELECT MAX(created_at) FROM sales", soci::into(last);
    CHECK(first >= oldest);
    CHECK(last < now);
    std::vector<std::string> created_at;
    soci::rowset<std::string> by_id = (sql.prepare << "SELECT created_at FROM sales ORDER BY id");
    for (const auto& at : by_id)
      created_at.push_back(at);
    CHECK(std::is_sorted(created_at.begin(), created_at.end()));
    // UUIDv7: the first 48 bits are the creation time in milliseconds.
    std::string id;
    sql << "SELECT id FROM sales ORDER BY id", soci::into(id);
    const auto millis = std::stoull(id.substr(0, 8) + id.substr(9, 4), nullptr, 16);
    CHECK(domain::format_timestamp(
              std::chrono::system_clock::time_point{std::chrono::milliseconds{millis}}) == first);
    CHECK(id[14] == '7');
  }

  SUBCASE("the stock is what is on hand now: the history does not change it") {
    CHECK(count_rows(sql, "SELECT SUM(on_hand) FROM stock") == 3 * 40 * 25 + 40 * 250);
  }
}

TEST_CASE("the same seed gives the same chain and history, another seed another one") {
  const auto options = small_chain();
  std::string first, second, other;
  {
    empty_database db;
    persistence::generate(*db.sql, db.url.kind, options);
    first = fingerprint(*db.sql);
  }
  {
    empty_database db;
    persistence::generate(*db.sql, db.url.kind, options);
    second = fingerprint(*db.sql);
  }
  {
    empty_database db;
    auto reseeded = options;
    reseeded.seed = 43;
    persistence::generate(*db.sql, db.url.kind, reseeded);
    other = fingerprint(*db.sql);
  }
  CHECK(first.size() > 10'000);
  CHECK(first == second);
  CHECK(first != other);
}

// The k-th sale in time order, whatever the clock says: store, total and basket.
std::string sales_in_time_order(soci::session& sql) {
  std::string text;
  soci::rowset<std::string> rows =
      sql.prepare << "SELECT CAST(s.store_id AS TEXT) || ':' || CAST(s.total_cents AS TEXT) || ':'"
                     " || CAST(l.product_id AS TEXT) || 'x' || CAST(l.quantity AS TEXT)"
                     " FROM sales s JOIN sale_lines l ON l.sale_id = s.id"
                     " ORDER BY s.created_at, s.id, l.line_no";
  for (const auto& row : rows)
    text += row + ";";
  return text;
}

TEST_CASE("the same seed later makes the same catalogue and the same sales, only later") {
  auto options = small_chain();
  // Busy enough that some sales share a millisecond.
  options.days = 1;
  options.sales = 20'000;
  options.sales_per_transaction = 10'000;
  const auto catalogue = "SELECT CAST(id AS TEXT) || sku || name || CAST(price_cents AS TEXT)"
                         " FROM products ORDER BY id";
  std::string catalogue_then, catalogue_later, sales_then, sales_later;
  {
    empty_database db;
    persistence::generate(*db.sql, db.url.kind, options);
    soci::rowset<std::string> rows = db.sql->prepare << catalogue;
    for (const auto& row : rows)
      catalogue_then += row;
    sales_then = sales_in_time_order(*db.sql);
  }
  {
    empty_database db;
    options.now += 3 * 24h + 7h + 13min;
    persistence::generate(*db.sql, db.url.kind, options);
    soci::rowset<std::string> rows = db.sql->prepare << catalogue;
    for (const auto& row : rows)
      catalogue_later += row;
    sales_later = sales_in_time_order(*db.sql);
  }
  CHECK(catalogue_then == catalogue_later);
  CHECK(sales_then.size() > 100'000);
  CHECK(sales_then == sales_later);
}

TEST_CASE("a database holding business data is refused and left unchanged") {
  empty_database db;
  auto& sql = *db.sql;
  REQUIRE(persistence::load_demo_data(sql, db.url.kind));
  const auto locations = count_rows(sql, "SELECT COUNT(*) FROM locations");
  const auto products = count_rows(sql, "SELECT COUNT(*) FROM products");
  const auto stock = count_rows(sql, "SELECT SUM(on_hand) FROM stock");

  const auto outcome = persistence::generate(sql, db.url.kind, small_chain());

  REQUIRE(std::holds_alternative<persistence::business_data_found>(outcome));
  const auto& found = std::get<persistence::business_data_found>(outcome);
  CHECK(found.locations == locations);
  CHECK(found.products == products);
  CHECK(found.sales == 0);
  CHECK(count_rows(sql, "SELECT COUNT(*) FROM locations") == locations);
  CHECK(count_rows(sql, "SELECT COUNT(*) FROM products") == products);
  CHECK(count_rows(sql, "SELECT SUM(on_hand) FROM stock") == stock);
  CHECK(count_rows(sql, "SELECT COUNT(*) FROM sales") == 0);
}

TEST_CASE("a catalogue smaller than a basket still makes sales of distinct products") {
  empty_database db;
  auto options = small_chain();
  options.products = 2;
  options.stock = 0;
  options.sales = 300;
  persistence::generate(*db.sql, db.url.kind, options);
  CHECK(count_rows(*db.sql, "SELECT COUNT(*) FROM sales") == 300);
  CHECK(count_rows(*db.sql, "SELECT COUNT(*) FROM (SELECT sale_id FROM sale_lines GROUP BY"
                            " sale_id HAVING COUNT(DISTINCT product_id) <> COUNT(*)) AS b") == 0);
  CHECK(count_rows(*db.sql, "SELECT MIN(reorder_point) FROM stock") == 1);
}
