// A store's sales aggregate rebuilt from the database equals what SQL over the
// sales and returns computes, and what the store built sale by sale: SQLite or
// PostgreSQL, as COMPTOIR_TEST_DATABASE_URL says.

#include "domain/aggregates.hpp"
#include "domain/sale.hpp"
#include "domain/timestamp.hpp"
#include "domain/uuid.hpp"
#include "persistence/aggregate_repository.hpp"
#include "persistence/database_url.hpp"
#include "persistence/demo_data.hpp"
#include "persistence/migrations.hpp"
#include "persistence/sale_repository.hpp"
#include "persistence/session.hpp"
#include "tests/support/test_database.hpp"

#include <doctest/doctest.h>
#include <soci/soci.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

using namespace comptoir;
using namespace std::chrono_literals;

namespace {

// -- the data set -------------------------------------------------------------------

constexpr int stores = 2;
constexpr int products = 20;
constexpr int day_count = 10;
const std::chrono::sys_days first_day = std::chrono::year{2026} / 12 / 24;

// The demo database with plenty of stock of products 1-20 in every store.
struct database {
  persistence::database_url url;
  std::unique_ptr<soci::session> sql;

  database() {
    const auto text = test::test_database_url();
    test::reset_database(text);
    url = persistence::parse_database_url(text).value();
    sql = persistence::open_session(url);
    persistence::migrate(*sql, url.kind);
    persistence::load_demo_data(*sql, url.kind);
    *sql << "UPDATE stock SET on_hand = 1000000 WHERE product_id <= 20";
  }
};

/// Sales and returns made at random (with a fixed seed) over `day_count` days,
/// committed as a store actor commits them, and summed as it sums them.
struct history {
  std::mt19937_64 random{20261128};
  domain::uuid_v7_generator ids;
  std::map<std::int64_t, domain::sales_aggregate> incremental;
  /// When the last return made by give_back was made.
  std::chrono::system_clock::time_point returned_at;

  std::int64_t uniform(std::int64_t low, std::int64_t high) {
    return low + static_cast<std::int64_t>(random() % static_cast<std::uint64_t>(high - low + 1));
  }

  /// A moment of one of the days, sometimes a few milliseconds from midnight.
  std::chrono::system_clock::time_point moment(std::chrono::sys_days day) {
    const auto edge = uniform(0, 9);
    if (edge == 0)
      return day + std::chrono::milliseconds{uniform(0, 5)};
    if (edge == 1)
      return day + 24h - std::chrono::milliseconds{uniform(1, 5)};
    return day + std::chrono::milliseconds{uniform(0, 24 * 3600 * 1000 - 1)};
  }

  domain::sale_write sale(domain::location_id store, std::chrono::system_clock::time_point when) {
    domain::sale_write write;
    auto& s = write.sale;
    s.id = ids.next(when);
    s.store = store;
    s.created_at = domain::format_timestamp(when);
    std::vector<std::int64_t> chosen;
    for (auto n = uniform(1, 4); n > 0; --n) {
      const auto product = uniform(1, products);
      if (std::ranges::find(chosen, product) != chosen.end())
        continue;
      chosen.push_back(product);
      s.lines.push_back({domain::product_id{product}, uniform(1, 5), uniform(0, 5000)});
      s.total_cents += s.lines.back().quantity * s.lines.back().unit_price_cents;
    }
    return write;
  }

  /// A return of some of what is left of `s`, up to three days after it;
  /// `returned` counts what its earlier returns took back.
  std::optional<domain::return_write> give_back(const domain::sale& s,
                                                std::map<std::int64_t, std::int64_t>& returned,
                                                std::chrono::system_clock::time_point after) {
    domain::return_write write;
    auto& r = write.record;
    bool all_back = true;
    for (const auto& line : s.lines) {
      auto& back = returned[line.product.value];
      const auto left = line.quantity - back;
      const auto quantity = left > 0 && uniform(0, 1) == 1 ? uniform(1, left) : 0;
      if (quantity > 0) {
        r.lines.push_back({line.product, quantity});
        r.refund_cents += quantity * line.unit_price_cents;
        back += quantity;
      }
      all_back = all_back && back == line.quantity;
    }
    if (r.lines.empty())
      return std::nullopt;
    const auto when = after + std::chrono::minutes{uniform(1, 3 * 24 * 60)};
    returned_at = when;
    r.id = ids.next(when);
    r.sale_id = s.id;
    r.store = s.store;
    r.created_at = domain::format_timestamp(when);
    write.sale_status_after =
        all_back ? domain::sale_status::returned : domain::sale_status::partially_returned;
    return write;
  }

  /// Commits `count` sales and some returns of them, in batches.
  void make(persistence::sale_repository& repository, int count) {
    std::vector<domain::sale_write> sales;
    std::map<std::string, std::chrono::system_clock::time_point> made_at;
    for (int i = 0; i < count; ++i) {
      const auto when = moment(first_day + std::chrono::days{uniform(0, day_count - 1)});
      sales.push_back(sale(domain::location_id{uniform(1, stores)}, when));
      made_at.emplace(sales.back().sale.id, when);
    }
    std::ranges::sort(sales, {}, [](const auto& w) { return w.sale.created_at; });

    std::vector<domain::return_write> returns;
    for (const auto& write : sales) {
      if (uniform(0, 3) != 0)
        continue;
      std::map<std::int64_t, std::int64_t> returned;
      auto first = give_back(write.sale, returned, made_at.at(write.sale.id));
      if (!first)
        continue;
      const auto first_at = returned_at;
      returns.push_back(std::move(*first));
      if (uniform(0, 2) == 0)
        if (auto second = give_back(write.sale, returned, first_at))
          returns.push_back(std::move(*second));
    }

    // Store by store, as each store actor commits its own.
    for (std::int64_t store = 1; store <= stores; ++store) {
      const domain::location_id id{store};
      std::map<std::string, const domain::sale*> sold;
      std::vector<domain::sale_write> batch;
      for (const auto& write : sales) {
        if (write.sale.store != id)
          continue;
        batch.push_back(write);
        sold.emplace(write.sale.id, &write.sale);
        incremental[store].add_sale(write.sale);
        if (batch.size() == 25) {
          repository.commit({id, std::move(batch), {}});
          batch.clear();
        }
      }
      repository.commit({id, std::move(batch), {}});
      std::vector<domain::return_write> return_batch;
      for (const auto& write : returns) {
        if (write.record.store != id)
          continue;
        return_batch.push_back(write);
        incremental[store].add_return(write.record, sold.at(write.record.sale_id)->lines);
        if (return_batch.size() == 10) {
          repository.commit({id, {}, std::move(return_batch)});
          return_batch.clear();
        }
      }
      repository.commit({id, {}, std::move(return_batch)});
    }
  }
};

// -- totals straight from the tables ----------------------------------------------

std::string day_text(std::chrono::sys_days day) {
  return domain::day_of(domain::format_timestamp(day));
}

/// A store's totals over days [from, to) by plain SQL over every sale and return.
domain::window_totals scan(soci::session& sql, std::int64_t store, std::string from,
                           std::string to) {
  // Days compare with timestamps as text: "2026-12-24" < "2026-12-24T...".
  if (from.empty())
    from = "0000";
  if (to.empty())
    to = "9999";
  const long long id = store;
  domain::window_totals totals;
  long long count = 0, sold = 0, refunded = 0;
  sql << "SELECT COUNT(*), CAST(COALESCE(SUM(total_cents), 0) AS BIGINT) FROM sales"
         " WHERE store_id = :store AND created_at >= :from AND created_at < :to",
      soci::use(id), soci::use(from), soci::use(to), soci::into(count), soci::into(sold);
  sql << "SELECT CAST(COALESCE(SUM(r.refund_cents), 0) AS BIGINT) FROM returns r"
         " JOIN sales s ON s.id = r.sale_id"
         " WHERE s.store_id = :store AND r.created_at >= :from AND r.created_at < :to",
      soci::use(id), soci::use(from), soci::use(to), soci::into(refunded);
  totals.sales_count = count;
  totals.revenue_cents = sold - refunded;

  long long product = 0, quantity = 0, revenue = 0;
  soci::statement lines = (sql.prepare << "SELECT l.product_id, CAST(SUM(l.quantity) AS BIGINT),"
                                          " CAST(SUM(l.quantity * l.unit_price_cents) AS BIGINT)"
                                          " FROM sale_lines l JOIN sales s ON s.id = l.sale_id"
                                          " WHERE s.store_id = :store AND s.created_at >= :from"
                                          " AND s.created_at < :to GROUP BY l.product_id",
                           soci::use(id), soci::use(from), soci::use(to), soci::into(product),
                           soci::into(quantity), soci::into(revenue));
  lines.execute();
  while (lines.fetch())
    totals.products[domain::product_id{product}] = {quantity, revenue};

  soci::statement returned =
      (sql.prepare << "SELECT rl.product_id, CAST(SUM(rl.quantity) AS BIGINT),"
                      " CAST(SUM(rl.quantity * l.unit_price_cents) AS BIGINT)"
                      " FROM return_lines rl JOIN returns r ON r.id = rl.return_id"
                      " JOIN sales s ON s.id = r.sale_id"
                      " JOIN sale_lines l ON l.sale_id = s.id AND l.product_id = rl.product_id"
                      " WHERE s.store_id = :store AND r.created_at >= :from"
                      " AND r.created_at < :to GROUP BY rl.product_id",
       soci::use(id), soci::use(from), soci::use(to), soci::into(product), soci::into(quantity),
       soci::into(revenue));
  returned.execute();
  while (returned.fetch()) {
    auto& sums = totals.products[domain::product_id{product}];
    sums.quantity -= quantity;
    sums.revenue_cents -= revenue;
  }
  return totals;
}

long long count_rows(soci::session& sql, const std::string& query) {
  long long count = 0;
  sql << query, soci::into(count);
  return count;
}

} // namespace

// -- tests --------------------------------------------------------------------------

TEST_CASE("a store without sales loads an empty aggregate") {
  database db;
  persistence::aggregate_repository aggregates{*db.sql};
  const auto aggregate = aggregates.load(domain::location_id{3});
  CHECK(aggregate.by_day().empty());
  CHECK(aggregate.totals("", "") == domain::window_totals{});
}

TEST_CASE("a loaded aggregate equals SQL over the sales and returns, and the incremental one") {
  database db;
  persistence::sale_repository sales{*db.sql, db.url.kind};
  history made;
  made.make(sales, 600);
  // The data set has what the test is about: returns, some on a later day.
  REQUIRE(count_rows(*db.sql, "SELECT COUNT(*) FROM returns") > 50);
  REQUIRE(count_rows(*db.sql,
                     "SELECT COUNT(*) FROM returns r JOIN sales s ON s.id = r.sale_id"
                     " WHERE substr(r.created_at, 1, 10) > substr(s.created_at, 1, 10)") > 20);

  persistence::aggregate_repository aggregates{*db.sql};
  const std::vector<std::pair<std::string, std::string>> windows = {
      {"", ""},
      {day_text(first_day), day_text(first_day + std::chrono::days{3})},
      {day_text(first_day + std::chrono::days{2}), day_text(first_day + std::chrono::days{3})},
      {day_text(first_day + std::chrono::days{5}), ""},
      {"", day_text(first_day + std::chrono::days{4})},
      {day_text(first_day + std::chrono::days{8}), day_text(first_day + std::chrono::days{12})},
      {day_text(first_day + std::chrono::days{4}), day_text(first_day + std::chrono::days{4})},
      {day_text(first_day + std::chrono::days{30}), ""},
  };
  for (std::int64_t store = 1; store <= stores; ++store) {
    CAPTURE(store);
    const auto loaded = aggregates.load(domain::location_id{store});
    const auto& incremental = made.incremental[store];
    CHECK(loaded == incremental);
    for (const auto& [from, to] : windows) {
      CAPTURE(from);
      CAPTURE(to);
      const auto expected = scan(*db.sql, store, from, to);
      CHECK(loaded.totals(from, to) == expected);
      CHECK(incremental.totals(from, to) == expected);
    }
    const auto weeks =
        domain::last_iso_weeks(day_text(first_day + std::chrono::days{day_count}), 4);
    CHECK(loaded.revenue_by_week(weeks) == incremental.revenue_by_week(weeks));
  }

  // The head office's view: both stores merged equal SQL over both.
  domain::window_totals chain, expected;
  for (std::int64_t store = 1; store <= stores; ++store) {
    merge(chain, aggregates.load(domain::location_id{store}).totals("", ""));
    merge(expected, scan(*db.sql, store, "", ""));
  }
  CHECK(chain == expected);
  CHECK(chain.sales_count == 600);
}
