// End-to-end tests of the head office: the consolidated sales report, the
// dashboard, catalogue changes (new products, new prices), freshness of what
// the head office reads right after a store commits, and ETag / 304 on the
// reads, against the real comptoir binary over HTTP on the database of
// COMPTOIR_TEST_DATABASE_URL (SQLite or PostgreSQL). The report and dashboard
// numbers are checked against SQL run on the database itself.

#include "support/api_helpers.hpp"

#include <boost/json.hpp>
#include <doctest/doctest.h>
#include <soci/soci.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <tuple>
#include <vector>

using namespace comptoir::test;
namespace json = boost::json;

namespace {

// -- HTTP helpers -------------------------------------------------------------

/// Appended to a stock listing: every line, the new products' too.
constexpr auto every_line = "?limit=500";

http_reply get_if_none_match(std::uint16_t port, const std::string& target, const std::string& etag,
                             const std::string& token = "demo-hq") {
  return call(port, "GET", target, token, "", {{"If-None-Match", etag}});
}

/// A 201 sale; its body.
json::object sold(std::uint16_t port, std::int64_t store, const lines_t& lines) {
  auto reply = sell(port, store, lines);
  CAPTURE(reply.body);
  REQUIRE(reply.status == 201);
  return json_body(reply);
}

http_reply patch_product(std::uint16_t port, std::int64_t product, const json::object& changes,
                         const std::string& token = "demo-hq") {
  return call(port, "PATCH", "/api/v1/products/" + std::to_string(product), token,
              json::serialize(changes));
}

http_reply post_product(std::uint16_t port, const std::string& body,
                        const std::string& token = "demo-hq") {
  return call(port, "POST", "/api/v1/products", token, body);
}

json::object report(std::uint16_t port, const std::string& query = "",
                    const std::string& token = "demo-hq") {
  auto reply = get(port, "/api/v1/reports/sales" + query, token);
  CAPTURE(query);
  CAPTURE(reply.body);
  REQUIRE(reply.status == 200);
  return json_body(reply);
}

json::object dashboard(std::uint16_t port, const std::string& token = "demo-hq") {
  auto reply = get(port, "/api/v1/dashboard", token);
  CAPTURE(reply.body);
  REQUIRE(reply.status == 200);
  return json_body(reply);
}

/// store_id -> the object of that store in `array` (of report or dashboard).
std::map<std::int64_t, json::object> by_store(const json::value& array) {
  std::map<std::int64_t, json::object> stores;
  for (auto& item : array.as_array())
    stores[item.at("store_id").as_int64()] = item.as_object();
  return stores;
}

std::vector<std::int64_t> ids_of(const json::value& array) {
  std::vector<std::int64_t> ids;
  for (auto& item : array.as_array())
    ids.push_back(item.as_int64());
  return ids;
}

// -- days and ISO weeks ---------------------------------------------------------

using namespace std::chrono;

std::string day_text(sys_days day) {
  year_month_day date{day};
  char text[16];
  std::snprintf(text, sizeof text, "%04d-%02u-%02u", static_cast<int>(date.year()),
                static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()));
  return text;
}

sys_days parse_day(const std::string& text) {
  int y = std::stoi(text.substr(0, 4));
  unsigned m = static_cast<unsigned>(std::stoi(text.substr(5, 2)));
  unsigned d = static_cast<unsigned>(std::stoi(text.substr(8, 2)));
  return sys_days{year{y} / month{m} / day{d}};
}

sys_days today() {
  return floor<days>(system_clock::now());
}

/// "2026-W48": the ISO 8601 week of `day` (weeks from Monday; week 1 holds
/// the year's first Thursday).
std::string iso_week(sys_days day) {
  const auto monday_based = (weekday{day}.c_encoding() + 6) % 7; // Monday = 0
  const sys_days thursday = day - days{monday_based} + days{3};
  const year_month_day date{thursday};
  const sys_days first_of_year{date.year() / January / 1};
  const auto week = (thursday - first_of_year).count() / 7 + 1;
  char text[16];
  std::snprintf(text, sizeof text, "%04d-W%02d", static_cast<int>(date.year()),
                static_cast<int>(week));
  return text;
}

/// "2026-11-28T10:11:12.345Z"
std::string time_text(std::int64_t millis) {
  const sys_time<milliseconds> at{milliseconds{millis}};
  const auto day = floor<days>(at);
  const hh_mm_ss<milliseconds> time{at - day};
  char text[40];
  std::snprintf(text, sizeof text, "%sT%02d:%02d:%02d.%03dZ", day_text(day).c_str(),
                static_cast<int>(time.hours().count()), static_cast<int>(time.minutes().count()),
                static_cast<int>(time.seconds().count()),
                static_cast<int>(time.subseconds().count()));
  return text;
}

/// The milliseconds of a UUIDv7.
std::int64_t uuid_millis(const std::string& id) {
  return std::stoll(id.substr(0, 8) + id.substr(9, 4), nullptr, 16);
}

/// A UUIDv7 at `millis`.
std::string uuid_at(std::int64_t millis, std::mt19937_64& random) {
  char text[40];
  const auto a = random();
  const auto b = random();
  std::snprintf(text, sizeof text, "%08llx-%04llx-7%03llx-%04llx-%012llx",
                static_cast<unsigned long long>(millis >> 16),
                static_cast<unsigned long long>(millis & 0xffff),
                static_cast<unsigned long long>(a & 0xfff),
                static_cast<unsigned long long>(0x8000 | ((a >> 12) & 0x3fff)),
                static_cast<unsigned long long>(b & 0xffffffffffffULL));
  return text;
}

// -- SQL on the node's database ----------------------------------------------

/// Runs `query`, whose columns are a text and then `numbers` integers, and
/// hands each row to `row(text, integers)`.
template <class Row>
void for_each_row(soci::session& sql, const std::string& query, std::size_t numbers, Row row) {
  constexpr std::size_t batch = 1000;
  std::vector<std::string> texts(batch);
  std::vector<std::vector<long long>> columns(numbers, std::vector<long long>(batch));
  soci::statement statement{sql};
  statement.exchange(soci::into(texts));
  for (auto& column : columns)
    statement.exchange(soci::into(column));
  statement.alloc();
  statement.prepare(query);
  statement.define_and_bind();
  statement.execute();
  while (statement.fetch()) {
    for (std::size_t i = 0; i < texts.size(); ++i) {
      std::vector<long long> values;
      for (auto& column : columns)
        values.push_back(column[i]);
      row(texts[i], values);
    }
    texts.resize(batch);
    for (auto& column : columns)
      column.resize(batch);
  }
}

/// Net sales of one store, one day, one product, as SQL sums them.
struct cell {
  long long quantity = 0;
  long long revenue = 0;
};

/// What the database holds, summed by SQL per store, day and product.
struct ledger {
  std::vector<std::int64_t> stores;
  // (store, day) -> sales made that day
  std::map<std::pair<std::int64_t, std::string>, long long> sales_count;
  // (store, day, product) -> sold minus returned that day
  std::map<std::tuple<std::int64_t, std::string, std::int64_t>, cell> net;
  // store -> (sum on_hand, count below reorder point)
  std::map<std::int64_t, std::pair<long long, long long>> stock;
  std::map<std::int64_t, std::vector<std::int64_t>> out_of_stock, overstock;

  /// A window of days [from, to) as text; empty means unbounded.
  bool in(const std::string& day, const std::string& from, const std::string& to) const {
    return (from.empty() || day >= from) && (to.empty() || day < to);
  }
};

ledger read_ledger(soci::session& sql) {
  ledger result;
  {
    std::vector<long long> ids(100);
    sql << "SELECT id FROM locations WHERE kind = 'store' ORDER BY id", soci::into(ids);
    result.stores.assign(ids.begin(), ids.end());
  }
  for_each_row(sql,
               "SELECT substr(created_at, 1, 10), store_id, CAST(COUNT(*) AS BIGINT)"
               " FROM sales GROUP BY substr(created_at, 1, 10), store_id",
               2, [&](const std::string& day, const std::vector<long long>& v) {
                 result.sales_count[{v[0], day}] += v[1];
               });
  for_each_row(sql,
               "SELECT substr(s.created_at, 1, 10), s.store_id, l.product_id,"
               " CAST(SUM(l.quantity) AS BIGINT),"
               " CAST(SUM(l.quantity * l.unit_price_cents) AS BIGINT)"
               " FROM sale_lines l JOIN sales s ON s.id = l.sale_id"
               " GROUP BY substr(s.created_at, 1, 10), s.store_id, l.product_id",
               4, [&](const std::string& day, const std::vector<long long>& v) {
                 auto& c = result.net[{v[0], day, v[1]}];
                 c.quantity += v[2];
                 c.revenue += v[3];
               });
  // A return counts on its own day, at the unit price of the sale it undoes.
  for_each_row(sql,
               "SELECT substr(r.created_at, 1, 10), s.store_id, rl.product_id,"
               " CAST(SUM(rl.quantity) AS BIGINT),"
               " CAST(SUM(rl.quantity * (SELECT MAX(sl.unit_price_cents) FROM sale_lines sl"
               "   WHERE sl.sale_id = r.sale_id AND sl.product_id = rl.product_id)) AS BIGINT)"
               " FROM return_lines rl JOIN returns r ON r.id = rl.return_id"
               " JOIN sales s ON s.id = r.sale_id"
               " GROUP BY substr(r.created_at, 1, 10), s.store_id, rl.product_id",
               4, [&](const std::string& day, const std::vector<long long>& v) {
                 auto& c = result.net[{v[0], day, v[1]}];
                 c.quantity -= v[2];
                 c.revenue -= v[3];
               });
  for (auto store : result.stores) {
    const auto where = " FROM stock WHERE location_id = " + std::to_string(store);
    result.stock[store] = {
        scalar(sql, "SELECT CAST(COALESCE(SUM(on_hand), 0) AS BIGINT)" + where),
        scalar(sql, "SELECT CAST(COUNT(*) AS BIGINT)" + where + " AND on_hand < reorder_point")};
    std::vector<long long> ids(1000);
    sql << "SELECT product_id" + where + " AND on_hand <= 0 ORDER BY product_id", soci::into(ids);
    result.out_of_stock[store].assign(ids.begin(), ids.end());
    ids.resize(1000);
    sql << "SELECT product_id" + where +
               " AND reorder_point > 0 AND on_hand > 3 * reorder_point ORDER BY product_id",
        soci::into(ids);
    result.overstock[store].assign(ids.begin(), ids.end());
  }
  return result;
}

/// Checks the report of [from, to) (dates; empty: unbounded) against `ledger`.
void check_report(const json::object& body, const ledger& expected, const std::string& from,
                  const std::string& to) {
  CAPTURE(from);
  CAPTURE(to);
  // stores
  auto stores = by_store(body.at("stores"));
  CHECK(stores.size() == expected.stores.size());
  for (auto store : expected.stores) {
    CAPTURE(store);
    long long count = 0, revenue = 0;
    for (const auto& [key, n] : expected.sales_count)
      if (key.first == store && expected.in(key.second, from, to))
        count += n;
    for (const auto& [key, c] : expected.net)
      if (std::get<0>(key) == store && expected.in(std::get<1>(key), from, to))
        revenue += c.revenue;
    REQUIRE(stores.count(store) == 1);
    CHECK(stores[store].at("sales_count").as_int64() == count);
    CHECK(stores[store].at("revenue_cents").as_int64() == revenue);
  }
  // top products: by quantity, then revenue, then id
  std::map<std::int64_t, cell> products;
  for (const auto& [key, c] : expected.net)
    if (expected.in(std::get<1>(key), from, to)) {
      auto& p = products[std::get<2>(key)];
      p.quantity += c.quantity;
      p.revenue += c.revenue;
    }
  std::vector<std::tuple<long long, long long, std::int64_t>> ranked;
  for (const auto& [product, c] : products)
    if (c.quantity > 0)
      ranked.emplace_back(c.quantity, c.revenue, product);
  std::sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) {
    if (std::get<0>(a) != std::get<0>(b))
      return std::get<0>(a) > std::get<0>(b);
    if (std::get<1>(a) != std::get<1>(b))
      return std::get<1>(a) > std::get<1>(b);
    return std::get<2>(a) < std::get<2>(b);
  });
  if (ranked.size() > 10)
    ranked.resize(10);
  std::vector<std::tuple<long long, long long, std::int64_t>> top;
  for (auto& item : body.at("top_products").as_array())
    top.emplace_back(item.at("quantity").as_int64(), item.at("revenue_cents").as_int64(),
                     item.at("product_id").as_int64());
  CHECK(top == ranked);
  // stock
  auto stock = by_store(body.at("stock"));
  CHECK(stock.size() == expected.stores.size());
  for (auto store : expected.stores) {
    CAPTURE(store);
    REQUIRE(stock.count(store) == 1);
    CHECK(stock[store].at("on_hand_total").as_int64() == expected.stock.at(store).first);
    CHECK(stock[store].at("below_reorder").as_int64() == expected.stock.at(store).second);
  }
}

/// The generated history (3 stores, centre 4, 40 products, 3000 sales over 70
/// days), with partial returns written into the database before the node
/// starts, on days after their sales; then the node serving it.
struct history {
  std::unique_ptr<server_process> node;
  std::vector<std::string> generated_sales; // not returned yet
  std::int64_t stores = 3;
};

history make_history(std::mt19937_64& random) {
  const auto url = test_database_url();
  reset_database(url);
  auto generated = run_comptoir({"generate", "--stores", "3", "--products", "40", "--stock", "500",
                                 "--sales", "3000", "--days", "70", "--seed", "7"},
                                {{"COMPTOIR_DATABASE_URL", url}});
  CAPTURE(generated.output);
  REQUIRE(generated.exit_code == 0);

  history result;
  auto sql = open_database();
  std::vector<std::string> ids(5000);
  std::vector<long long> stores(5000);
  *sql << "SELECT id, store_id FROM sales ORDER BY id", soci::into(ids), soci::into(stores);
  REQUIRE(ids.size() == 3000);

  // Past returns: one in ten sales gives back part of its first line, 0 to 6
  // days later, before today.
  const auto midnight = duration_cast<milliseconds>(today().time_since_epoch()).count();
  soci::transaction transaction{*sql};
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (random() % 10 != 0) {
      result.generated_sales.push_back(ids[i]);
      continue;
    }
    long long product = 0, quantity = 0, price = 0;
    *sql << "SELECT product_id, quantity, unit_price_cents FROM sale_lines"
            " WHERE sale_id = :id AND line_no = 1",
        soci::use(ids[i]), soci::into(product), soci::into(quantity), soci::into(price);
    const auto at = uuid_millis(ids[i]) + static_cast<std::int64_t>(random() % 7) * 86'400'000 +
                    static_cast<std::int64_t>(random() % 3'600'000);
    if (at >= midnight) {
      result.generated_sales.push_back(ids[i]);
      continue;
    }
    const long long back = 1 + static_cast<long long>(random() % static_cast<unsigned>(quantity));
    const auto return_id = uuid_at(at, random);
    const auto created = time_text(at);
    const long long refund = back * price;
    const std::string status = "partially_returned";
    *sql << "INSERT INTO returns (id, sale_id, refund_cents, created_at)"
            " VALUES (:id, :sale, :refund, :created)",
        soci::use(return_id), soci::use(ids[i]), soci::use(refund), soci::use(created);
    *sql << "INSERT INTO return_lines (return_id, line_no, product_id, quantity)"
            " VALUES (:id, 1, :product, :quantity)",
        soci::use(return_id), soci::use(product), soci::use(back);
    *sql << "UPDATE sales SET status = :status WHERE id = :id", soci::use(status),
        soci::use(ids[i]);
    *sql << "UPDATE stock SET on_hand = on_hand + :back WHERE location_id = :store"
            " AND product_id = :product",
        soci::use(back), soci::use(stores[i]), soci::use(product);
  }
  transaction.commit();
  sql.reset();

  result.node = std::make_unique<server_process>();
  return result;
}

/// Today's activity through the API: new prices, sales in every store,
/// partial returns of today's and of historical sales, reorder points, and a
/// product sold out in store 2.
void trade_today(history& data, std::mt19937_64& random) {
  const auto port = data.node->port();
  // New prices for a few products: today's sales and returns of older sales
  // are at different prices.
  for (std::int64_t product : {1, 2, 3, 4, 5}) {
    auto reply = patch_product(port, product,
                               {{"price_cents", 100 + static_cast<std::int64_t>(random() % 5000)}});
    REQUIRE(reply.status == 200);
  }
  // Reorder points: some below (store 2, product 9), some not overstocked.
  for (std::int64_t product = 1; product <= 5; ++product)
    REQUIRE(set_reorder_point(port, 1, product, 200).status == 200);
  for (std::int64_t product = 6; product <= 8; ++product)
    REQUIRE(set_reorder_point(port, 1, product, 0).status == 200);
  REQUIRE(set_reorder_point(port, 2, 9, 600).status == 200);
  REQUIRE(set_reorder_point(port, 3, 10, 170).status == 200);

  constexpr std::int64_t sold_out = 40;
  std::vector<std::pair<std::string, std::pair<std::int64_t, lines_t>>> sales;
  for (int i = 0; i < 45; ++i) {
    const auto store = static_cast<std::int64_t>(1 + random() % 3);
    lines_t lines;
    std::set<std::int64_t> chosen;
    const auto size = 1 + random() % 3;
    while (lines.size() < size) {
      const auto product = static_cast<std::int64_t>(1 + random() % 39);
      if (chosen.insert(product).second)
        lines.emplace_back(product, static_cast<std::int64_t>(1 + random() % 4));
    }
    auto body = sold(port, store, lines);
    sales.push_back({std::string{body.at("id").as_string()}, {store, lines}});
  }

  // Partial returns of a third of today's sales...
  for (std::size_t i = 0; i < sales.size(); i += 3) {
    const auto& [id, sale] = sales[i];
    const auto [product, quantity] = sale.second.front();
    auto reply = give_back(port, id, sale.first,
                           {{product, 1 + static_cast<std::int64_t>(random() % quantity)}});
    CAPTURE(reply.body);
    REQUIRE(reply.status == 201);
  }
  // ... and of 20 historical sales, returned today.
  auto sql = open_database();
  for (int i = 0; i < 20; ++i) {
    const auto& id = data.generated_sales[random() % data.generated_sales.size()];
    long long store = 0, product = 0, quantity = 0, already = 0;
    *sql << "SELECT s.store_id, l.product_id, l.quantity FROM sales s"
            " JOIN sale_lines l ON l.sale_id = s.id WHERE s.id = :id AND l.line_no = 1",
        soci::use(id), soci::into(store), soci::into(product), soci::into(quantity);
    *sql << "SELECT CAST(COALESCE(SUM(rl.quantity), 0) AS BIGINT) FROM return_lines rl"
            " JOIN returns r ON r.id = rl.return_id WHERE r.sale_id = :id AND rl.product_id = :p",
        soci::use(id), soci::use(product), soci::into(already);
    if (already >= quantity)
      continue;
    auto reply = give_back(port, id, store, {{product, 1}});
    CAPTURE(id);
    CAPTURE(reply.body);
    REQUIRE(reply.status == 201);
  }
  // Last, store 2 sells its last units of one product (a return would bring
  // some back).
  const auto left = stock_of(port, 2, every_line).at(sold_out);
  REQUIRE(left > 0);
  sold(port, 2, {{sold_out, left}});
}

} // namespace

// -- report and dashboard against SQL -------------------------------------------

TEST_CASE("the sales report equals what SQL sums from the sales, returns and stock of the "
          "database, for every window") {
  std::mt19937_64 random{20261128};
  auto data = make_history(random);
  trade_today(data, random);
  const auto port = data.node->port();

  auto sql = open_database();
  const auto expected = read_ledger(*sql);
  REQUIRE(expected.stores == std::vector<std::int64_t>{1, 2, 3});
  // The data set is not trivial: every store sold, the window has returns.
  CHECK(expected.out_of_stock.at(2) == std::vector<std::int64_t>{40});

  const auto now = today();
  const auto d = [&](int offset) { return day_text(now + days{offset}); };
  struct window {
    std::string query, from, to;
  };
  const std::vector<window> windows{
      {"", "", ""},
      {"?from=" + d(-10) + "&to=" + d(-9), d(-10), d(-9)},                          // one day
      {"?from=" + d(-20) + "&to=" + d(-13), d(-20), d(-13)},                        // a week
      {"?from=" + d(-6) + "&to=" + d(1), d(-6), d(1)},                              // ending today
      {"?from=" + d(0) + "&to=" + d(1), d(0), d(1)},                                // today only
      {"?from=" + d(-30), d(-30), ""},                                              // open end
      {"?to=" + d(-35), "", d(-35)},                                                // open start
      {"?from=" + d(-400) + "&to=" + d(-300), d(-400), d(-300)},                    // no sales
      {"?from=" + d(5) + "&to=" + d(9), d(5), d(9)},                                // the future
      {"?from=" + d(-15) + "T23:59:59Z&to=" + d(-8) + "T00:00:01Z", d(-15), d(-8)}, // date-times
  };
  for (const auto& w : windows) {
    auto body = report(port, w.query);
    check_report(body, expected, w.from, w.to);
    // admin sees the same report
    CHECK(report(port, w.query, "demo-admin") == body);
  }
  // Sanity on the data set itself: the history has sales on the one-day window
  // and none on the empty one.
  auto single = report(port, windows[1].query);
  long long count = 0;
  for (auto& store : single.at("stores").as_array())
    count += store.at("sales_count").as_int64();
  CHECK(count > 0);
  CHECK(report(port, windows[7].query).at("top_products").as_array().empty());
}

TEST_CASE("the dashboard's 8-week revenue, weekly trend, stock-outs and overstock equal SQL") {
  std::mt19937_64 random{7};
  auto data = make_history(random);
  trade_today(data, random);
  const auto port = data.node->port();

  auto body = dashboard(port);
  auto sql = open_database();
  const auto expected = read_ledger(*sql);

  // The last 8 ISO weeks, oldest first, this week last.
  const auto& trend = body.at("weekly_trend").as_array();
  REQUIRE(trend.size() == 8);
  std::vector<std::string> weeks;
  for (auto& item : trend)
    weeks.emplace_back(item.at("week").as_string());
  const auto now = today();
  for (int i = 0; i < 8; ++i)
    CHECK(weeks[static_cast<std::size_t>(i)] == iso_week(now - days{7 * (7 - i)}));

  std::map<std::string, long long> week_revenue;
  std::map<std::int64_t, long long> store_revenue;
  for (const auto& [key, c] : expected.net) {
    const auto week = iso_week(parse_day(std::get<1>(key)));
    if (std::find(weeks.begin(), weeks.end(), week) == weeks.end())
      continue;
    week_revenue[week] += c.revenue;
    store_revenue[std::get<0>(key)] += c.revenue;
  }
  for (auto& item : trend) {
    std::string week{item.at("week").as_string()};
    CAPTURE(week);
    CHECK(item.at("revenue_cents").as_int64() == week_revenue[week]);
  }
  // The 70 days of history reach before the 8 weeks.
  long long all = 0;
  for (const auto& [key, c] : expected.net)
    all += c.revenue;
  long long eight_weeks = 0;
  for (const auto& [week, revenue] : week_revenue)
    eight_weeks += revenue;
  CHECK(eight_weeks < all);
  CHECK(eight_weeks > 0);

  auto stores = by_store(body.at("stores"));
  CHECK(stores.size() == expected.stores.size());
  for (auto store : expected.stores) {
    CAPTURE(store);
    REQUIRE(stores.count(store) == 1);
    const auto& s = stores[store];
    CHECK(s.at("revenue_cents").as_int64() == store_revenue[store]);
    CHECK(ids_of(s.at("out_of_stock")) == expected.out_of_stock.at(store));
    CHECK(ids_of(s.at("overstock")) == expected.overstock.at(store));
  }
  CHECK(expected.out_of_stock.at(2) == std::vector<std::int64_t>{40});
  // Reorder point 0 or 200 in store 1 for products 1-8: never overstock.
  for (auto product : expected.overstock.at(1))
    CHECK(product > 8);
  CHECK(!expected.overstock.at(1).empty());
  CHECK(dashboard(port, "demo-admin") == body);
}

// -- freshness ------------------------------------------------------------------

TEST_CASE("a new price, a sale, a return are seen at once by the next sale, stock read, "
          "report and dashboard") {
  auto node = fresh_node();
  const auto port = node->port();
  // From yesterday to the end of tomorrow: today's sales, even across midnight.
  const auto from_today =
      "?from=" + day_text(today() - days{1}) + "&to=" + day_text(today() + days{2});

  std::mt19937_64 random{42};
  for (int round = 0; round < 10; ++round) {
    CAPTURE(round);
    const std::int64_t store = 1 + round % 5;
    const std::int64_t product = 1 + static_cast<std::int64_t>(random() % 50);
    const std::int64_t price = 100 + static_cast<std::int64_t>(random() % 10000);
    const std::int64_t quantity = 1 + round % 3;
    auto stock_before = stock_of(port, store, every_line);
    if (stock_before.at(product) < quantity)
      continue;
    // Warm the caches, so that a stale copy would be there to serve.
    auto report_before = by_store(report(port, from_today).at("stores"));
    auto unbounded_before = by_store(report(port).at("stores"));
    auto dashboard_before = dashboard(port);

    auto patched = patch_product(port, product, {{"price_cents", price}});
    REQUIRE(patched.status == 200);
    CHECK(json_body(patched).at("price_cents").as_int64() == price);
    auto sale = sold(port, store, {{product, quantity}});
    const auto& line = sale.at("lines").as_array().at(0).as_object();
    CHECK(line.at("unit_price_cents").as_int64() == price);
    CHECK(sale.at("total_cents").as_int64() == price * quantity);

    CHECK(stock_of(port, store, every_line).at(product) == stock_before.at(product) - quantity);

    auto report_after = by_store(report(port, from_today).at("stores"));
    CHECK(report_after[store].at("sales_count").as_int64() ==
          report_before[store].at("sales_count").as_int64() + 1);
    CHECK(report_after[store].at("revenue_cents").as_int64() ==
          report_before[store].at("revenue_cents").as_int64() + price * quantity);
    auto unbounded_after = by_store(report(port).at("stores"));
    CHECK(unbounded_after[store].at("revenue_cents").as_int64() ==
          unbounded_before[store].at("revenue_cents").as_int64() + price * quantity);

    auto dashboard_after = dashboard(port);
    CHECK(by_store(dashboard_after.at("stores"))[store].at("revenue_cents").as_int64() ==
          by_store(dashboard_before.at("stores"))[store].at("revenue_cents").as_int64() +
              price * quantity);
    CHECK(dashboard_after.at("weekly_trend").as_array().back().at("revenue_cents").as_int64() ==
          dashboard_before.at("weekly_trend").as_array().back().at("revenue_cents").as_int64() +
              price * quantity);

    // A return is seen at once too, at the sale's price even after a new one.
    REQUIRE(patch_product(port, product, {{"price_cents", price + 1}}).status == 200);
    auto returned = give_back(port, std::string{sale.at("id").as_string()}, store, {{product, 1}});
    CAPTURE(returned.body);
    REQUIRE(returned.status == 201);
    CHECK(json_body(returned).at("refund_cents").as_int64() == price);
    CHECK(stock_of(port, store, every_line).at(product) == stock_before.at(product) - quantity + 1);
    auto report_returned = by_store(report(port, from_today).at("stores"));
    CHECK(report_returned[store].at("revenue_cents").as_int64() ==
          report_after[store].at("revenue_cents").as_int64() - price);
    CHECK(report_returned[store].at("sales_count").as_int64() ==
          report_after[store].at("sales_count").as_int64());
    CHECK(by_store(dashboard(port).at("stores"))[store].at("revenue_cents").as_int64() ==
          by_store(dashboard_after.at("stores"))[store].at("revenue_cents").as_int64() - price);
  }
}

TEST_CASE("a product sold out in a store shows at once in the dashboard and the report's stock") {
  auto node = fresh_node();
  const auto port = node->port();
  constexpr std::int64_t store = 3;
  auto stock = stock_of(port, store, every_line);
  std::int64_t product = 0;
  for (auto [id, on_hand] : stock)
    if (on_hand > 0 && on_hand < 60) {
      product = id;
      break;
    }
  REQUIRE(product != 0);
  auto before = by_store(dashboard(port).at("stores"))[store];
  auto out = ids_of(before.at("out_of_stock"));
  CHECK(std::find(out.begin(), out.end(), product) == out.end());
  auto stock_before = by_store(report(port).at("stock"))[store];

  sold(port, store, {{product, stock.at(product)}});
  out = ids_of(by_store(dashboard(port).at("stores"))[store].at("out_of_stock"));
  CHECK(std::find(out.begin(), out.end(), product) != out.end());
  auto stock_after = by_store(report(port).at("stock"))[store];
  CHECK(stock_after.at("on_hand_total").as_int64() ==
        stock_before.at("on_hand_total").as_int64() - stock.at(product));
}

TEST_CASE("a restock approval and a new reorder point show at once in the report's stock and "
          "the dashboard") {
  auto node = fresh_node();
  const auto port = node->port();
  constexpr std::int64_t store = 2;
  constexpr std::int64_t product = 4;
  auto before = by_store(report(port).at("stock"))[store];
  dashboard(port); // cached

  auto request = call(port, "POST", "/api/v1/stores/2/restock-requests", clerk_of(store),
                      lines_body({{product, 5}}));
  REQUIRE(request.status == 201);
  CHECK(by_store(report(port).at("stock"))[store] == before); // pending: nothing moved
  auto approved = call(port, "POST",
                       "/api/v1/restock-requests/" +
                           std::string{json_body(request).at("id").as_string()} + "/approve",
                       "demo-logistics");
  REQUIRE(approved.status == 200);
  auto after = by_store(report(port).at("stock"))[store];
  CHECK(after.at("on_hand_total").as_int64() == before.at("on_hand_total").as_int64() + 5);

  // A reorder point above what is on hand: below reorder at once, and the
  // product leaves the overstock (if it was there); a small one puts it back.
  const auto on_hand = stock_of(port, store, every_line).at(product);
  REQUIRE(set_reorder_point(port, store, product, on_hand + 1).status == 200);
  auto raised = by_store(report(port).at("stock"))[store];
  CHECK(raised.at("below_reorder").as_int64() == after.at("below_reorder").as_int64() + 1);
  auto over = ids_of(by_store(dashboard(port).at("stores"))[store].at("overstock"));
  CHECK(std::find(over.begin(), over.end(), product) == over.end());
  REQUIRE(on_hand >= 4);
  REQUIRE(set_reorder_point(port, store, product, on_hand / 4).status == 200);
  over = ids_of(by_store(dashboard(port).at("stores"))[store].at("overstock"));
  CHECK(std::find(over.begin(), over.end(), product) != over.end());
  CHECK(by_store(report(port).at("stock"))[store].at("below_reorder").as_int64() ==
        after.at("below_reorder").as_int64());
}

// -- catalogue --------------------------------------------------------------------

TEST_CASE("a new product gets a stock line everywhere and can be restocked and sold") {
  auto node = fresh_node();
  const auto port = node->port();
  auto sql = open_database();
  const auto locations = scalar(*sql, "SELECT CAST(COUNT(*) AS BIGINT) FROM locations");
  REQUIRE(locations == 6);

  auto created = post_product(
      port, R"({"sku":"HQ-0001","name":"Tea kettle","category":"kitchen","price_cents":2499,)"
            R"("description":"Whistling, 1.7 l"})");
  CAPTURE(created.body);
  REQUIRE(created.status == 201);
  auto product = json_body(created);
  const auto id = product.at("id").as_int64();
  CHECK(id == 51);
  CHECK(product.at("sku").as_string() == "HQ-0001");
  CHECK(product.at("name").as_string() == "Tea kettle");
  CHECK(product.at("category").as_string() == "kitchen");
  CHECK(product.at("price_cents").as_int64() == 2499);
  CHECK(product.at("description").as_string() == "Whistling, 1.7 l");
  auto read = get(port, "/api/v1/products/" + std::to_string(id), "demo-clerk-2");
  REQUIRE(read.status == 200);
  CHECK(json_body(read) == product);

  const auto where = " FROM stock WHERE product_id = " + std::to_string(id);
  CHECK(scalar(*sql, "SELECT CAST(COUNT(*) AS BIGINT)" + where) == locations);
  CHECK(scalar(*sql, "SELECT CAST(COALESCE(SUM(on_hand), 0) AS BIGINT)" + where) == 0);
  CHECK(scalar(*sql, "SELECT CAST(COUNT(*) AS BIGINT) FROM products WHERE sku = 'HQ-0001'"
                     " AND price_cents = 2499") == 1);
  for (std::int64_t store = 1; store <= 5; ++store)
    CHECK(stock_of(port, store, every_line).at(id) == 0);
  auto warehouse = get(port, "/api/v1/warehouse/stock?limit=500", "demo-logistics");
  REQUIRE(warehouse.status == 200);
  bool listed = false;
  auto warehouse_body = json_body(warehouse);
  for (auto& item : warehouse_body.at("items").as_array())
    if (item.at("product_id").as_int64() == id)
      listed = item.at("on_hand").as_int64() == 0;
  CHECK(listed);
  // Every store knows it: out of stock, not an unknown product.
  for (std::int64_t store = 1; store <= 5; ++store) {
    auto out = ids_of(by_store(dashboard(port).at("stores"))[store].at("out_of_stock"));
    CHECK(std::find(out.begin(), out.end(), id) != out.end());
  }
  check_problem(sell(port, 4, {{id, 1}}), 409);
  auto request =
      call(port, "POST", "/api/v1/stores/4/restock-requests", clerk_of(4), lines_body({{id, 10}}));
  REQUIRE(request.status == 201);
  check_problem(call(port, "POST",
                     "/api/v1/restock-requests/" +
                         std::string{json_body(request).at("id").as_string()} + "/approve",
                     "demo-logistics"),
                409);

  // The centre receives 100 units (written while the node is down), then the
  // product is restocked to store 4 and sold there, at its new price.
  node->terminate();
  *sql << "UPDATE stock SET on_hand = 100 WHERE location_id = 6 AND product_id = " +
              std::to_string(id);
  node->restart();
  request =
      call(port, "POST", "/api/v1/stores/4/restock-requests", clerk_of(4), lines_body({{id, 10}}));
  REQUIRE(request.status == 201);
  auto approved = call(port, "POST",
                       "/api/v1/restock-requests/" +
                           std::string{json_body(request).at("id").as_string()} + "/approve",
                       "demo-logistics");
  CAPTURE(approved.body);
  REQUIRE(approved.status == 200);
  CHECK(stock_of(port, 4, every_line).at(id) == 10);
  REQUIRE(patch_product(port, id, {{"price_cents", 1999}}, "demo-admin").status == 200);
  auto sale = sold(port, 4, {{id, 3}});
  CHECK(sale.at("total_cents").as_int64() == 3 * 1999);
  CHECK(stock_of(port, 4, every_line).at(id) == 7);
  CHECK(scalar(*sql, "SELECT on_hand FROM stock WHERE location_id = 4 AND product_id = " +
                         std::to_string(id)) == 7);

  // admin may create too
  auto by_admin = post_product(
      port, R"({"sku":"HQ-0002","name":"Mug","category":"kitchen","price_cents":0})", "demo-admin");
  CAPTURE(by_admin.body);
  CHECK(by_admin.status == 201);
  CHECK(json_body(by_admin).at("description").as_string() == "");
}

TEST_CASE("catalogue changes are validated, and the head office routes are for hq and admin") {
  auto node = fresh_node();
  const auto port = node->port();
  auto sql = open_database();
  const auto product_count = [&] {
    return scalar(*sql, "SELECT CAST(COUNT(*) AS BIGINT) FROM products");
  };
  const auto count_before = product_count();

  // Duplicate SKU: one of the demo data's and one created here.
  auto demo_sku =
      std::string{json_body(get(port, "/api/v1/products/1", "demo-hq")).at("sku").as_string()};
  check_problem(post_product(port, R"({"sku":")" + demo_sku +
                                       R"(","name":"Other","category":"c","price_cents":1})"),
                409);
  REQUIRE(
      post_product(port, R"({"sku":"DUP-1","name":"A","category":"c","price_cents":1})").status ==
      201);
  check_problem(post_product(port, R"({"sku":"DUP-1","name":"B","category":"d","price_cents":2})"),
                409);

  // Well-formed but invalid: 422.
  for (const std::string body : {
           R"({"sku":"V-1","name":"","category":"c","price_cents":1})",
           R"({"sku":"V-2","name":"n","category":"","price_cents":1})",
           R"({"sku":"","name":"n","category":"c","price_cents":1})",
           R"({"sku":"bad sku with spaces","name":"n","category":"c","price_cents":1})",
           R"({"sku":"V-3","name":"n","category":"c","price_cents":-1})",
           R"({"sku":"V-4","name":"n","category":"c","price_cents":1000000001})",
       }) {
    CAPTURE(body);
    check_problem(post_product(port, body), 422);
  }
  // Well-formed but without a required member: 422 naming each.
  auto missing = post_product(port, R"({"sku":"M-1","category":"c"})");
  check_problem(missing, 422);
  std::vector<std::string> named;
  auto missing_body = json_body(missing);
  for (const auto& error : missing_body.at("errors").as_array())
    named.emplace_back(error.at("field").as_string());
  CHECK(named == std::vector<std::string>{"name", "price_cents"});
  // Malformed or wrong types: 400.
  for (const std::string body : {
           R"([])",
           R"("product")",
           R"({"sku":"V-5","name":"n","category":"c","price_cents":"100"})",
           R"({"sku":"V-6","name":5,"category":"c","price_cents":100})",
           R"({"sku":7,"name":"n","category":"c","price_cents":100})",
           R"({"sku":"V-8","name":"n","category":"c","price_cents":1.5})",
           R"({"sku":"V-9","name":"n","category":"c","price_cents":100)",
       }) {
    CAPTURE(body);
    check_problem(post_product(port, body), 400);
  }
  // The bounds themselves are fine.
  CHECK(
      post_product(port, R"({"sku":"EDGE-0","name":"n","category":"c","price_cents":0})").status ==
      201);
  CHECK(post_product(port, R"({"sku":"EDGE-1","name":"n","category":"c","price_cents":1000000000})")
            .status == 201);
  CHECK(product_count() == count_before + 3);

  // PATCH
  auto patched = patch_product(port, 7,
                               {{"name", "Renamed"},
                                {"category", "other"},
                                {"description", "new text"},
                                {"price_cents", 4321}});
  CAPTURE(patched.body);
  REQUIRE(patched.status == 200);
  auto body = json_body(patched);
  CHECK(body.at("id").as_int64() == 7);
  CHECK(body.at("name").as_string() == "Renamed");
  CHECK(body.at("category").as_string() == "other");
  CHECK(body.at("description").as_string() == "new text");
  CHECK(body.at("price_cents").as_int64() == 4321);
  CHECK(json_body(get(port, "/api/v1/products/7", "demo-clerk-1")) == body);
  CHECK(scalar(*sql, "SELECT price_cents FROM products WHERE id = 7") == 4321);
  // One field alone leaves the others.
  auto priced = patch_product(port, 7, {{"price_cents", 999}});
  REQUIRE(priced.status == 200);
  CHECK(json_body(priced).at("name").as_string() == "Renamed");
  CHECK(json_body(priced).at("price_cents").as_int64() == 999);

  check_problem(patch_product(port, 7, {{"sku", "NEW-SKU"}}), 400);
  check_problem(patch_product(port, 7, {{"price_cents", "5"}}), 400);
  check_problem(call(port, "PATCH", "/api/v1/products/7", "demo-hq", "[1]"), 400);
  check_problem(patch_product(port, 7, {{"name", ""}}), 422);
  check_problem(patch_product(port, 7, {{"category", ""}}), 422);
  check_problem(patch_product(port, 7, {{"price_cents", -5}}), 422);
  check_problem(patch_product(port, 7, {{"price_cents", 1000000001}}), 422);
  CHECK(json_body(get(port, "/api/v1/products/7", "demo-hq")).at("price_cents").as_int64() == 999);
  check_problem(patch_product(port, 9999, {{"price_cents", 5}}), 404);
  check_problem(get(port, "/api/v1/products/9999", "demo-hq"), 404);

  // Who may do what.
  for (const std::string token : {"demo-clerk-1", "demo-logistics"}) {
    CAPTURE(token);
    check_problem(
        post_product(port, R"({"sku":"NO-1","name":"n","category":"c","price_cents":1})", token),
        403);
    check_problem(patch_product(port, 7, {{"price_cents", 1}}, token), 403);
    for (const std::string target :
         {"/api/v1/reports/sales", "/rapport", "/api/v1/dashboard", "/performances"})
      check_problem(get(port, target, token), 403);
  }
  for (const std::string target :
       {"/api/v1/reports/sales", "/rapport", "/api/v1/dashboard", "/performances"})
    check_problem(get(port, target), 401);
  check_problem(
      post_product(port, R"({"sku":"NO-2","name":"n","category":"c","price_cents":1})", ""), 401);
  CHECK(product_count() == count_before + 3);
  CHECK(json_body(get(port, "/api/v1/products/7", "demo-hq")).at("price_cents").as_int64() == 999);

  // The original routes answer as the API's.
  sold(port, 1, {{7, 2}});
  const auto window = "?from=" + day_text(today() - days{3}) + "&to=" + day_text(today() + days{1});
  for (const auto& query : {std::string{}, window}) {
    auto api = get(port, "/api/v1/reports/sales" + query, "demo-hq");
    auto alias = get(port, "/rapport" + query, "demo-hq");
    REQUIRE(api.status == 200);
    REQUIRE(alias.status == 200);
    CHECK(json::parse(alias.body) == json::parse(api.body));
  }
  auto api = get(port, "/api/v1/dashboard", "demo-admin");
  auto alias = get(port, "/performances", "demo-admin");
  REQUIRE(alias.status == 200);
  CHECK(json::parse(alias.body) == json::parse(api.body));

  // A report window is whole days; a window ending before it starts is refused.
  check_problem(get(port, "/api/v1/reports/sales?from=2026-11-10&to=2026-11-09", "demo-hq"), 400);
  check_problem(get(port, "/api/v1/reports/sales?from=yesterday", "demo-hq"), 400);
  CHECK(get(port, "/api/v1/reports/sales?from=2026-11-10&to=2026-11-10", "demo-hq").status == 200);
}

// -- ETag / 304 ---------------------------------------------------------------------

TEST_CASE("stock, products, the report and the dashboard answer 304 to their current ETag and "
          "a new ETag once the data changed") {
  auto node = fresh_node();
  const auto port = node->port();

  /// The ETag of `target`, checked to give 304 and an empty body.
  auto current_etag = [&](const std::string& target) {
    CAPTURE(target);
    auto reply = get(port, target, "demo-hq");
    REQUIRE(reply.status == 200);
    REQUIRE(reply.headers.count("etag") == 1);
    auto etag = reply.headers.at("etag");
    CHECK(!etag.empty());
    auto again = get_if_none_match(port, target, etag);
    CHECK(again.status == 304);
    CHECK(again.body.empty());
    if (again.headers.count("etag"))
      CHECK(again.headers.at("etag") == etag);
    // A stale or foreign tag gets the body.
    auto other = get_if_none_match(port, target, "\"not-the-tag\"");
    CHECK(other.status == 200);
    CHECK(other.body == reply.body);
    return etag;
  };
  /// After a change: the old tag gets a 200 with a body and a new tag.
  auto check_changed = [&](const std::string& target, const std::string& old_etag) {
    CAPTURE(target);
    auto reply = get_if_none_match(port, target, old_etag);
    CHECK(reply.status == 200);
    CHECK(!reply.body.empty());
    REQUIRE(reply.headers.count("etag") == 1);
    CHECK(reply.headers.at("etag") != old_etag);
    current_etag(target);
  };

  const std::vector<std::string> after_sale{"/api/v1/stores/2/stock", "/api/v1/reports/sales",
                                            "/rapport", "/api/v1/dashboard", "/performances"};
  std::map<std::string, std::string> etags;
  for (const auto& target : after_sale)
    etags[target] = current_etag(target);
  sold(port, 2, {{11, 1}});
  for (const auto& target : after_sale)
    check_changed(target, etags[target]);
  // A return changes them too.
  for (const auto& target : after_sale)
    etags[target] = current_etag(target);
  auto sale = sold(port, 2, {{12, 2}});
  for (const auto& target : after_sale)
    etags[target] = current_etag(target);
  REQUIRE(give_back(port, std::string{sale.at("id").as_string()}, 2, {{12, 1}}).status == 201);
  for (const auto& target : after_sale)
    check_changed(target, etags[target]);

  const std::vector<std::string> after_patch{"/api/v1/products/13", "/api/v1/products",
                                             "/api/v1/products?limit=20"};
  for (const auto& target : after_patch)
    etags[target] = current_etag(target);
  REQUIRE(patch_product(port, 13, {{"price_cents", 777}}).status == 200);
  for (const auto& target : after_patch)
    check_changed(target, etags[target]);
  auto product = get(port, "/api/v1/products/13", "demo-hq");
  CHECK(json_body(product).at("price_cents").as_int64() == 777);

  // A new reorder point changes the stock; a new product changes the list.
  etags["/api/v1/stores/2/stock"] = current_etag("/api/v1/stores/2/stock");
  REQUIRE(set_reorder_point(port, 2, 11, 33).status == 200);
  check_changed("/api/v1/stores/2/stock", etags["/api/v1/stores/2/stock"]);
  const std::string list = "/api/v1/products?limit=500";
  etags[list] = current_etag(list);
  REQUIRE(
      post_product(port, R"({"sku":"ETAG-1","name":"n","category":"c","price_cents":5})").status ==
      201);
  check_changed(list, etags[list]);
}
