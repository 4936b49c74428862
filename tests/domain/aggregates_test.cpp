// Unit tests of the per-day sales aggregates and ISO weeks (domain/aggregates.hpp).

#include "domain/aggregates.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace comptoir::domain;

namespace {

sale sale_at(const std::string& created_at, std::vector<sale_line> lines) {
  sale s;
  s.id = "sale-" + created_at;
  s.store = location_id{1};
  s.created_at = created_at;
  s.lines = std::move(lines);
  for (const auto& line : s.lines)
    s.total_cents += line.quantity * line.unit_price_cents;
  return s;
}

sale_return return_at(const std::string& created_at, const sale& of,
                      std::vector<basket_line> lines) {
  sale_return r;
  r.id = "return-" + created_at;
  r.sale_id = of.id;
  r.store = of.store;
  r.created_at = created_at;
  r.lines = std::move(lines);
  for (const auto& line : r.lines)
    for (const auto& sold : of.lines)
      if (sold.product == line.product)
        r.refund_cents += line.quantity * sold.unit_price_cents;
  return r;
}

constexpr product_id p1{1}, p2{2}, p3{3};

} // namespace

// -- days and ISO weeks -----------------------------------------------------------

TEST_CASE("the day of a timestamp is its UTC date") {
  CHECK(day_of("2026-11-28T21:57:03.042Z") == "2026-11-28");
  CHECK(day_of("2026-11-28") == "2026-11-28");
}

TEST_CASE("ISO weeks start on Monday and week 1 holds the year's first Thursday") {
  CHECK(iso_week_of("2026-11-28") == "2026-W48");
  CHECK(iso_week_of("2026-11-23") == "2026-W48"); // Monday
  CHECK(iso_week_of("2026-11-29") == "2026-W48"); // Sunday
  CHECK(iso_week_of("2026-11-30") == "2026-W49");
  CHECK(iso_week_of("2026-01-01") == "2026-W01"); // a Thursday
  CHECK(iso_week_of("2026-11-28T21:57:03.042Z") == "2026-W48");
}

TEST_CASE("the first days of January may belong to the previous year's week 52 or 53") {
  CHECK(iso_week_of("2020-12-31") == "2020-W53");
  CHECK(iso_week_of("2021-01-03") == "2020-W53");
  CHECK(iso_week_of("2021-01-04") == "2021-W01");
  CHECK(iso_week_of("2026-12-28") == "2026-W53");
  CHECK(iso_week_of("2027-01-01") == "2026-W53");
  CHECK(iso_week_of("2027-01-03") == "2026-W53");
  CHECK(iso_week_of("2027-01-04") == "2027-W01");
  CHECK(iso_week_of("2022-01-01") == "2021-W52");
  CHECK(iso_week_of("2023-01-01") == "2022-W52");
  CHECK(iso_week_of("2023-01-02") == "2023-W01");
}

TEST_CASE("the last days of December may belong to the next year's week 1") {
  CHECK(iso_week_of("2024-12-30") == "2025-W01");
  CHECK(iso_week_of("2025-12-29") == "2026-W01");
  CHECK(iso_week_of("2025-12-28") == "2025-W52");
}

TEST_CASE("a text that is not a day has no week") {
  for (auto bad : {"", "2026-11", "2026-13-01", "2026-02-30", "20x6-01-01", "2026/01/01"})
    CHECK_MESSAGE(iso_week_of(bad).empty(), bad);
}

TEST_CASE("the last weeks end with this week's, oldest first, across a year of 53 weeks") {
  CHECK(last_iso_weeks("2027-01-13", 4) ==
        std::vector<std::string>{"2026-W52", "2026-W53", "2027-W01", "2027-W02"});
  CHECK(last_iso_weeks("2026-11-28", 1) == std::vector<std::string>{"2026-W48"});
  CHECK(last_iso_weeks("2021-01-10", 3) ==
        std::vector<std::string>{"2020-W52", "2020-W53", "2021-W01"});
  CHECK(last_iso_weeks("2026-11-28", 0).empty());
  CHECK(last_iso_weeks("2026-11-28T08:00:00.000Z", 2) ==
        std::vector<std::string>{"2026-W47", "2026-W48"});
  CHECK(last_iso_weeks("2026-03-30", 53).size() == 53);
}

// -- sales_aggregate ----------------------------------------------------------------

TEST_CASE("an empty aggregate has nothing in any window") {
  const sales_aggregate empty;
  CHECK(empty.totals("", "") == window_totals{});
  CHECK(empty.revenue_by_week({"2026-W48"}) ==
        std::map<std::string, std::int64_t>{{"2026-W48", 0}});
}

TEST_CASE("a sale counts on its UTC day with its total and its lines") {
  sales_aggregate aggregate;
  aggregate.add_sale(sale_at("2026-11-28T23:59:59.999Z", {{p1, 2, 150}, {p2, 1, 1000}}));
  aggregate.add_sale(sale_at("2026-11-29T00:00:00.000Z", {{p1, 1, 150}}));

  const auto day = aggregate.totals("2026-11-28", "2026-11-29");
  CHECK(day.sales_count == 1);
  CHECK(day.revenue_cents == 1300);
  CHECK(day.products.at(p1) == product_totals{2, 300});
  CHECK(day.products.at(p2) == product_totals{1, 1000});

  const auto next = aggregate.totals("2026-11-29", "2026-11-30");
  CHECK(next.sales_count == 1);
  CHECK(next.revenue_cents == 150);
  CHECK(next.products.size() == 1);
}

TEST_CASE("a window includes its first day and excludes its last, an empty bound is none") {
  sales_aggregate aggregate;
  for (const auto* at : {"2026-11-01T10:00:00.000Z", "2026-11-02T10:00:00.000Z",
                         "2026-11-03T10:00:00.000Z", "2026-11-05T10:00:00.000Z"})
    aggregate.add_sale(sale_at(at, {{p1, 1, 100}}));

  CHECK(aggregate.totals("2026-11-02", "2026-11-03").sales_count == 1);
  CHECK(aggregate.totals("2026-11-02", "2026-11-05").sales_count == 2);
  CHECK(aggregate.totals("2026-11-02", "2026-11-06").sales_count == 3);
  CHECK(aggregate.totals("2026-11-04", "2026-11-05").sales_count == 0);
  CHECK(aggregate.totals("", "2026-11-03").sales_count == 2);
  CHECK(aggregate.totals("2026-11-03", "").sales_count == 2);
  CHECK(aggregate.totals("", "").sales_count == 4);
  CHECK(aggregate.totals("", "").revenue_cents == 400);
  CHECK(aggregate.totals("2026-11-05", "2026-11-02") == window_totals{});
  CHECK(aggregate.totals("2026-11-02", "2026-11-02") == window_totals{});
  // Timestamps as bounds count as their days.
  CHECK(aggregate.totals("2026-11-02T00:00:00.000Z", "2026-11-03T00:00:00.000Z").sales_count == 1);
}

TEST_CASE("a return comes off its own day at the price sold, and is not a sale") {
  sales_aggregate aggregate;
  const auto s = sale_at("2026-11-27T12:00:00.000Z", {{p1, 3, 200}, {p2, 1, 500}});
  aggregate.add_sale(s);
  aggregate.add_return(return_at("2026-11-30T09:00:00.000Z", s, {{p1, 2}}), s.lines);

  const auto sale_day = aggregate.totals("2026-11-27", "2026-11-28");
  CHECK(sale_day.sales_count == 1);
  CHECK(sale_day.revenue_cents == 1100);
  CHECK(sale_day.products.at(p1) == product_totals{3, 600});

  const auto return_day = aggregate.totals("2026-11-30", "2026-12-01");
  CHECK(return_day.sales_count == 0);
  CHECK(return_day.revenue_cents == -400);
  CHECK(return_day.products.at(p1) == product_totals{-2, -400});
  CHECK_FALSE(return_day.products.contains(p2));

  const auto both = aggregate.totals("2026-11-27", "2026-12-01");
  CHECK(both.sales_count == 1);
  CHECK(both.revenue_cents == 700);
  CHECK(both.products.at(p1) == product_totals{1, 200});
  CHECK(both.products.at(p2) == product_totals{1, 500});
}

TEST_CASE("the loaders add up to what sales and returns add") {
  const auto s = sale_at("2026-11-27T12:00:00.000Z", {{p1, 3, 200}, {p2, 1, 500}});
  const auto r = return_at("2026-11-30T09:00:00.000Z", s, {{p2, 1}});
  sales_aggregate incremental;
  incremental.add_sale(s);
  incremental.add_return(r, s.lines);

  sales_aggregate loaded;
  loaded.add_day("2026-11-27", 1, 1100);
  loaded.add_product_day("2026-11-27", p1, 3, 600);
  loaded.add_product_day("2026-11-27", p2, 1, 500);
  loaded.add_day("2026-11-30", 0, -500);
  loaded.add_product_day("2026-11-30", p2, -1, -500);
  CHECK(loaded == incremental);
}

TEST_CASE("weekly revenue sums the days of each ISO week, net of returns, 0 without sales") {
  sales_aggregate aggregate;
  // Sunday of 2026-W53 and Monday of 2027-W01.
  const auto late = sale_at("2027-01-03T23:00:00.000Z", {{p1, 1, 1000}});
  aggregate.add_sale(late);
  aggregate.add_sale(sale_at("2027-01-04T01:00:00.000Z", {{p1, 2, 1000}}));
  aggregate.add_sale(sale_at("2026-12-28T00:00:00.000Z", {{p2, 1, 50}}));
  aggregate.add_return(return_at("2027-01-05T10:00:00.000Z", late, {{p1, 1}}), late.lines);

  const auto weeks = last_iso_weeks("2027-01-06", 3);
  REQUIRE(weeks == std::vector<std::string>{"2026-W52", "2026-W53", "2027-W01"});
  const auto revenue = aggregate.revenue_by_week(weeks);
  CHECK(revenue == std::map<std::string, std::int64_t>{
                       {"2026-W52", 0}, {"2026-W53", 1050}, {"2027-W01", 1000}});
  // A week that does not exist has no revenue.
  CHECK(aggregate.revenue_by_week({"2025-W53"}).at("2025-W53") == 0);
}

// -- merge and top products -------------------------------------------------------

TEST_CASE("merging stores adds their counts, revenue and products") {
  sales_aggregate first, second;
  first.add_sale(sale_at("2026-11-28T10:00:00.000Z", {{p1, 1, 100}, {p2, 2, 10}}));
  second.add_sale(sale_at("2026-11-28T11:00:00.000Z", {{p2, 3, 10}, {p3, 1, 7}}));
  second.add_sale(sale_at("2026-11-28T12:00:00.000Z", {{p3, 1, 7}}));

  window_totals chain;
  merge(chain, first.totals("", ""));
  merge(chain, second.totals("", ""));
  CHECK(chain.sales_count == 3);
  CHECK(chain.revenue_cents == 120 + 37 + 7);
  CHECK(chain.products.at(p1) == product_totals{1, 100});
  CHECK(chain.products.at(p2) == product_totals{5, 50});
  CHECK(chain.products.at(p3) == product_totals{2, 14});
}

TEST_CASE("top products rank by quantity, then revenue, then product id") {
  window_totals totals;
  totals.products[product_id{5}] = {10, 100};
  totals.products[product_id{4}] = {10, 300};
  totals.products[product_id{3}] = {20, 50};
  totals.products[product_id{2}] = {10, 100};
  totals.products[product_id{1}] = {1, 1000};

  const auto top = top_products(totals, 4);
  REQUIRE(top.size() == 4);
  CHECK(top[0].first == product_id{3});
  CHECK(top[1].first == product_id{4});
  CHECK(top[2].first == product_id{2});
  CHECK(top[3].first == product_id{5});
  CHECK(top[1].second == product_totals{10, 300});

  CHECK(top_products(totals, 10).size() == 5);
  CHECK(top_products(totals, 0).empty());
  CHECK(top_products(window_totals{}, 3).empty());
}
