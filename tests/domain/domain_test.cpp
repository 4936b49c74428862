// Unit tests of the pure business logic in domain/.

#include "domain/access.hpp"
#include "domain/basket.hpp"
#include "domain/cursor.hpp"
#include "domain/parse.hpp"
#include "domain/product_query.hpp"
#include "domain/report.hpp"
#include "domain/restock.hpp"
#include "domain/stock.hpp"
#include "domain/timestamp.hpp"
#include "domain/uuid.hpp"

#include <doctest/doctest.h>

using namespace comptoir::domain;

TEST_CASE("an id is a positive decimal integer that fits in 63 bits") {
  CHECK(parse_id("1") == 1);
  CHECK(parse_id("42") == 42);
  CHECK(parse_id("9223372036854775807") == 9223372036854775807);
  for (auto bad : {"", "abc", "-1", "0", "+1", " 1", "1 ", "1.5", "12abc", "0x10",
                   "99999999999999999999", "9223372036854775808"})
    CHECK_MESSAGE(!parse_id(bad), bad);
}

TEST_CASE("a page size is between 1 and the maximum") {
  CHECK(parse_limit("1", 500) == 1);
  CHECK(parse_limit("500", 500) == 500);
  CHECK(!parse_limit("501", 500));
  CHECK(!parse_limit("0", 500));
  CHECK(!parse_limit("-5", 500));
  CHECK(!parse_limit("ten", 500));
}

TEST_CASE("a cursor decodes to the id it was made from, and foreign cursors are refused") {
  CHECK(decode_cursor(encode_cursor(17)) == 17);
  CHECK(!decode_cursor("17"));
  CHECK(!decode_cursor("v1."));
  CHECK(!decode_cursor("v1.abc"));
  CHECK(!decode_cursor("v2.17"));
}

namespace {

std::vector<product> sample_catalogue() {
  return {
      {product_id{1}, "GRO-001", "Café moulu", "Grocery", "", 899},
      {product_id{2}, "GRO-002", "Thé vert", "Grocery", "", 450},
      {product_id{3}, "DRK-001", "Jus d'orange", "Drinks", "", 399},
      {product_id{5}, "DRK-002", "Eau pétillante", "Drinks", "", 199},
      {product_id{8}, "HYG-001", "Savon", "Hygiene", "", 299},
  };
}

std::vector<std::int64_t> ids_of(const product_page& page) {
  std::vector<std::int64_t> ids;
  for (const auto* item : page.items)
    ids.push_back(item->id.value);
  return ids;
}

} // namespace

TEST_CASE("a product search matches the name or the SKU, ignoring case") {
  auto catalogue = sample_catalogue();
  product_query query;
  query.text = "THÉ";
  CHECK(ids_of(find_products(catalogue, query)).empty()); // only ASCII folds
  query.text = "th";
  CHECK(ids_of(find_products(catalogue, query)) == std::vector<std::int64_t>{2});
  query.text = "drk-";
  CHECK(ids_of(find_products(catalogue, query)) == std::vector<std::int64_t>{3, 5});
}

TEST_CASE("a category filter is exact but ignores case") {
  auto catalogue = sample_catalogue();
  product_query query;
  query.category = "drinks";
  CHECK(ids_of(find_products(catalogue, query)) == std::vector<std::int64_t>{3, 5});
  query.category = "drink";
  CHECK(ids_of(find_products(catalogue, query)).empty());
}

TEST_CASE("pages follow each other without gaps or repeats") {
  auto catalogue = sample_catalogue();
  product_query query;
  query.limit = 2;
  auto first = find_products(catalogue, query);
  CHECK(ids_of(first) == std::vector<std::int64_t>{1, 2});
  REQUIRE(first.next_after);
  query.after = first.next_after->value;
  auto second = find_products(catalogue, query);
  CHECK(ids_of(second) == std::vector<std::int64_t>{3, 5});
  REQUIRE(second.next_after);
  query.after = second.next_after->value;
  auto last = find_products(catalogue, query);
  CHECK(ids_of(last) == std::vector<std::int64_t>{8});
  CHECK(!last.next_after);
}

TEST_CASE("a page that ends exactly at the last match has no next cursor") {
  auto catalogue = sample_catalogue();
  product_query query;
  query.limit = 5;
  auto page = find_products(catalogue, query);
  CHECK(page.items.size() == 5);
  CHECK(!page.next_after);
}

TEST_CASE("a stock ledger keeps its items ordered by product") {
  stock_ledger ledger{{{product_id{3}, 5, 1}, {product_id{1}, 7, 2}, {product_id{2}, 0, 0}}};
  REQUIRE(ledger.items().size() == 3);
  CHECK(ledger.items()[0].product == product_id{1});
  CHECK(ledger.items()[1].product == product_id{2});
  CHECK(ledger.items()[2].product == product_id{3});
}

TEST_CASE("roles parse from their names and back") {
  for (auto r : {role::admin, role::hq, role::logistics, role::clerk})
    CHECK(parse_role(to_string(r)) == r);
  CHECK(!parse_role("Admin"));
  CHECK(!parse_role("manager"));
}

TEST_CASE("an access rule admits its roles only, and clerks only in their own store") {
  const principal admin{role::admin, {}};
  const principal hq{role::hq, {}};
  const principal clerk_of_1{role::clerk, location_id{1}};

  auto anyone = access_rule::any_role();
  CHECK(anyone.allows(admin, std::nullopt));
  CHECK(anyone.allows(clerk_of_1, location_id{2}));

  auto till = access_rule{}.with(role::admin).with(role::clerk).clerk_of_own_store_only();
  CHECK(till.allows(admin, location_id{2}));
  CHECK(till.allows(clerk_of_1, location_id{1}));
  CHECK_FALSE(till.allows(clerk_of_1, location_id{2}));
  CHECK_FALSE(till.allows(clerk_of_1, std::nullopt));
  CHECK_FALSE(till.allows(hq, location_id{1}));
}

// -- stock reservations -----------------------------------------------------------

TEST_CASE("a reservation takes every line or none, and reports the short ones") {
  stock_ledger ledger{{{product_id{1}, 5, 0}, {product_id{2}, 1, 0}}};
  auto short_lines = ledger.reserve({{product_id{1}, 3}, {product_id{2}, 2}});
  REQUIRE(short_lines.size() == 1);
  CHECK(short_lines[0].product == product_id{2});
  CHECK(short_lines[0].requested == 2);
  CHECK(short_lines[0].available == 1);
  // Nothing was reserved: all five units of product 1 are still available.
  CHECK(ledger.reserve({{product_id{1}, 5}}).empty());
  CHECK(!ledger.reserve({{product_id{1}, 1}}).empty());
}

TEST_CASE("reserved units cannot be promised twice, and come back when released") {
  stock_ledger ledger{{{product_id{1}, 2, 0}}};
  CHECK(ledger.reserve({{product_id{1}, 2}}).empty());
  auto refused = ledger.reserve({{product_id{1}, 1}});
  REQUIRE(refused.size() == 1);
  CHECK(refused[0].available == 0);
  ledger.release({{product_id{1}, 2}});
  CHECK(ledger.reserve({{product_id{1}, 1}}).empty());
}

TEST_CASE("a committed sale lowers on hand and bumps the version; a return raises it") {
  stock_ledger ledger{{{product_id{1}, 10, 3}}};
  auto version = ledger.version();
  REQUIRE(ledger.reserve({{product_id{1}, 4}}).empty());
  CHECK(ledger.items()[0].on_hand == 10); // reserved, not yet committed
  ledger.commit_sale({{product_id{1}, 4}});
  CHECK(ledger.items()[0].on_hand == 6);
  CHECK(ledger.version() > version);
  ledger.commit_return({{product_id{1}, 1}});
  CHECK(ledger.items()[0].on_hand == 7);
  // The reservation was consumed by the commit: all 7 can be reserved.
  CHECK(ledger.reserve({{product_id{1}, 7}}).empty());
}

TEST_CASE("a reload replaces the items, drops reservations and never goes back in version") {
  stock_ledger ledger{{{product_id{1}, 10, 3}}};
  REQUIRE(ledger.reserve({{product_id{1}, 10}}).empty());
  ledger.commit_sale({{product_id{1}, 2}});
  auto before = ledger.version();
  ledger.reload({{product_id{2}, 4, 0}, {product_id{1}, 9, 3}});
  // A view rendered before the reload is never taken for the new items.
  CHECK(ledger.version() > before);
  CHECK(ledger.items()[0].product == product_id{1}); // sorted by product
  CHECK(ledger.items()[0].on_hand == 9);
  CHECK(ledger.reserve({{product_id{1}, 9}}).empty()); // nothing reserved any more
}

TEST_CASE("a mirrored version follows every change, and stops when detached") {
  stock_ledger ledger{{{product_id{1}, 10, 3}}};
  std::atomic<std::uint64_t> mirror{0};
  ledger.mirror_version(&mirror);
  CHECK(mirror == ledger.version());
  REQUIRE(ledger.reserve({{product_id{1}, 4}}).empty());
  CHECK(mirror == ledger.version()); // a reservation is no change of the stock shown
  ledger.commit_sale({{product_id{1}, 4}});
  CHECK(mirror == ledger.version());
  ledger.commit_return({{product_id{1}, 1}});
  ledger.add_product(product_id{2});
  ledger.set_reorder_point(product_id{2}, 5);
  CHECK(mirror == ledger.version());
  ledger.reload({{product_id{1}, 3, 0}});
  CHECK(mirror == ledger.version());
  ledger.mirror_version(nullptr);
  auto last = mirror.load();
  ledger.commit_return({{product_id{1}, 1}});
  CHECK(mirror == last);
  CHECK(ledger.version() > last);
}

TEST_CASE("a ledger knows which products it holds") {
  stock_ledger ledger{{{product_id{4}, 1, 0}}};
  CHECK(ledger.holds(product_id{4}));
  CHECK_FALSE(ledger.holds(product_id{5}));
}

// -- baskets and returns ----------------------------------------------------------

TEST_CASE("a basket needs lines, positive bounded quantities and distinct products") {
  basket_limits limits{3, 10};
  CHECK(validate_basket({{product_id{1}, 1}, {product_id{2}, 10}}, limits).empty());
  auto fields = [&](const std::vector<basket_line>& lines) {
    std::vector<std::string> names;
    for (auto& problem : validate_basket(lines, limits))
      names.push_back(problem.field);
    return names;
  };
  CHECK(fields({}) == std::vector<std::string>{"lines"});
  CHECK(fields({{product_id{1}, 0}}) == std::vector<std::string>{"lines[0].quantity"});
  CHECK(fields({{product_id{1}, -1}}) == std::vector<std::string>{"lines[0].quantity"});
  CHECK(fields({{product_id{1}, 11}}) == std::vector<std::string>{"lines[0].quantity"});
  CHECK(fields({{product_id{0}, 1}}) == std::vector<std::string>{"lines[0].product_id"});
  CHECK(fields({{product_id{1}, 1}, {product_id{1}, 2}}) ==
        std::vector<std::string>{"lines[1].product_id"});
  CHECK(fields({{product_id{1}, 1}, {product_id{2}, 1}, {product_id{3}, 1}, {product_id{4}, 1}}) ==
        std::vector<std::string>{"lines"});
}

TEST_CASE("a sale's total is the sum of its lines at their unit prices") {
  CHECK(total_cents({{product_id{1}, 2, 150}, {product_id{2}, 1, 99}}) == 399);
}

namespace {

sale_record sold_two_and_one() {
  sale_record record;
  record.sale.id = "s";
  record.sale.lines = {{product_id{1}, 2, 500}, {product_id{2}, 1, 300}};
  return record;
}

} // namespace

TEST_CASE("a return cannot exceed what was sold minus what was returned") {
  auto record = sold_two_and_one();
  record.returns.push_back({"r1", "s", {}, {{product_id{1}, 1}}, 500, ""});
  returnable left{record, {}};
  CHECK(left.check({{product_id{1}, 1}}).empty());
  auto too_many = left.check({{product_id{1}, 2}});
  REQUIRE(too_many.size() == 1);
  CHECK(too_many[0].available == 1);
  auto never_sold = left.check({{product_id{3}, 1}});
  REQUIRE(never_sold.size() == 1);
  CHECK(never_sold[0].available == 0);
}

TEST_CASE("returns accepted but not committed count, once, against what is left") {
  auto record = sold_two_and_one();
  sale_return pending{"r1", "s", {}, {{product_id{1}, 2}}, 1000, ""};
  CHECK(!returnable{record, {pending}}.check({{product_id{1}, 1}}).empty());
  // Once committed, the same return is in the record: it is not counted twice.
  record.returns.push_back(pending);
  returnable left{record, {pending}};
  CHECK(left.check({{product_id{2}, 1}}).empty());
  CHECK(!left.check({{product_id{1}, 1}}).empty());
}

TEST_CASE("a refund uses the sale's unit prices, and the status follows what is back") {
  auto record = sold_two_and_one();
  returnable left{record, {}};
  CHECK(left.refund_cents({{product_id{1}, 2}, {product_id{2}, 1}}) == 1300);
  CHECK(left.status_after({{product_id{1}, 1}}) == sale_status::partially_returned);
  CHECK(left.status_after({{product_id{1}, 2}, {product_id{2}, 1}}) == sale_status::returned);
}

TEST_CASE("sale statuses parse from their names and back") {
  for (auto status :
       {sale_status::completed, sale_status::partially_returned, sale_status::returned})
    CHECK(parse_sale_status(to_string(status)) == status);
  CHECK(!parse_sale_status("done"));
}

TEST_CASE("a batch's stock changes add up per product and skip writes not committed") {
  commit_batch batch;
  batch.sales.push_back({{"a", {}, {{product_id{2}, 3, 1}, {product_id{1}, 1, 1}}, 0, {}, ""}, {}});
  batch.sales.push_back({{"b", {}, {{product_id{2}, 2, 1}}, 0, {}, ""}, {}});
  batch.returns.push_back({{"r", "a", {}, {{product_id{2}, 1}}, 0, ""}, {}, {}});
  auto changes = stock_changes(batch, {true, false}, {true});
  REQUIRE(changes.size() == 2);
  CHECK(changes[0].product == product_id{1});
  CHECK(changes[0].delta == -1);
  CHECK(changes[1].product == product_id{2});
  CHECK(changes[1].delta == -2);
}

// -- time and ids -----------------------------------------------------------------

TEST_CASE("timestamps are stored as fixed-width UTC with milliseconds") {
  using namespace std::chrono;
  auto when = sys_days{2026y / 11 / 28} + 21h + 57min + 3s + 42ms;
  CHECK(format_timestamp(when) == "2026-11-28T21:57:03.042Z");
}

TEST_CASE("RFC 3339 date-times and plain dates normalize to UTC") {
  CHECK(parse_timestamp("2026-11-28") == "2026-11-28T00:00:00.000Z");
  CHECK(parse_timestamp("2026-11-28T21:57:03Z") == "2026-11-28T21:57:03.000Z");
  CHECK(parse_timestamp("2026-11-28T21:57:03.5Z") == "2026-11-28T21:57:03.500Z");
  CHECK(parse_timestamp("2026-11-28T21:57:03.123456Z") == "2026-11-28T21:57:03.123Z");
  CHECK(parse_timestamp("2026-11-28T16:57:03-05:00") == "2026-11-28T21:57:03.000Z");
  CHECK(parse_timestamp("2026-11-29T01:00:00+02:00") == "2026-11-28T23:00:00.000Z");
  for (auto bad :
       {"", "yesterday", "2026-13-01", "2026-02-30", "2026-11-28T25:00:00Z", "2026-11-28T21:57:03",
        "2026-11-28T21:57:03.Z", "2026-11-28 21:57:03Z", "2026-11-28T21:57:03+0500"})
    CHECK_MESSAGE(!parse_timestamp(bad), bad);
}

TEST_CASE("every year a timestamp can spell parses exactly, beyond system_clock's 1678-2262") {
  // Found by http_request_fuzz: nanosecond time points overflowed (UB) and
  // wrapped 2263 to 1678.
  CHECK(parse_timestamp("2263-01-01") == "2263-01-01T00:00:00.000Z");
  CHECK(parse_timestamp("9999-12-31T23:59:59.999Z") == "9999-12-31T23:59:59.999Z");
  CHECK(parse_timestamp("1677-01-01T00:00:00Z") == "1677-01-01T00:00:00.000Z");
  CHECK(parse_timestamp("0001-01-01") == "0001-01-01T00:00:00.000Z");
  // An offset that leaves the years 0001-9999 cannot be spelled: refused.
  CHECK(!parse_timestamp("0001-01-01T00:00:00+01:00"));
  CHECK(!parse_timestamp("9999-12-31T23:30:00-01:00"));
  CHECK(!parse_timestamp("0000-06-01"));
}

TEST_CASE("UUIDv7s from one generator are well-formed, versioned and strictly increasing") {
  uuid_v7_generator ids;
  auto now = std::chrono::system_clock::now();
  std::string previous;
  for (int i = 0; i < 10'000; ++i) {
    auto id = ids.next(now); // the same millisecond every time
    CHECK(is_uuid(id));
    CHECK(id[14] == '7');
    CHECK((id[19] == '8' || id[19] == '9' || id[19] == 'a' || id[19] == 'b'));
    CHECK(id > previous);
    previous = id;
  }
}

TEST_CASE("a sale cursor carries a sale id and nothing else") {
  std::string id = "01a22433-c79d-718d-bbb8-3dab87ec3473";
  CHECK(decode_uuid_cursor(encode_uuid_cursor(id)) == id);
  CHECK(!decode_uuid_cursor(id));
  CHECK(!decode_uuid_cursor("s1.not-a-uuid"));
  CHECK(!decode_uuid_cursor(encode_cursor(5)));
  CHECK(!is_uuid("01A22433-C79D-718D-BBB8-3DAB87EC3473"));
}

// -- restocking ---------------------------------------------------------------------

TEST_CASE("a product is low below its reorder point and out of stock at zero") {
  using kinds = std::vector<alert_kind>;
  CHECK(alerts_for(10, 5) == kinds{});
  CHECK(alerts_for(5, 5) == kinds{});
  CHECK(alerts_for(4, 5) == kinds{alert_kind::low_stock});
  CHECK(alerts_for(0, 5) == kinds{alert_kind::low_stock, alert_kind::out_of_stock});
  CHECK(alerts_for(0, 0) == kinds{alert_kind::out_of_stock});
}

TEST_CASE("restock statuses and alert kinds parse from their names and back") {
  for (auto status : {restock_status::pending, restock_status::approved, restock_status::fulfilled,
                      restock_status::rejected})
    CHECK(parse_restock_status(to_string(status)) == status);
  CHECK(!parse_restock_status("in_transit"));
  for (auto kind : {alert_kind::low_stock, alert_kind::out_of_stock})
    CHECK(parse_alert_kind(to_string(kind)) == kind);
  CHECK(!parse_alert_kind("low"));
}

TEST_CASE("a reorder point change bumps the ledger's version") {
  stock_ledger ledger{{{product_id{1}, 3, 1}}};
  auto version = ledger.version();
  ledger.set_reorder_point(product_id{1}, 7);
  CHECK(ledger.item(product_id{1}).reorder_point == 7);
  CHECK(ledger.version() > version);
}

// -- head office ----------------------------------------------------------------------

TEST_CASE("a store's summary holds its window's sales and its stock now") {
  sales_aggregate sales;
  sale first{"a", location_id{1},         {{product_id{1}, 2, 100}},
             200, sale_status::completed, "2026-11-02T10:00:00.000Z"};
  sale second{"b", location_id{1},         {{product_id{2}, 1, 50}},
              50,  sale_status::completed, "2026-11-09T10:00:00.000Z"};
  sales.add_sale(first);
  sales.add_sale(second);
  stock_ledger stock{{{product_id{1}, 0, 5}, {product_id{2}, 40, 10}, {product_id{3}, 7, 5}}};
  auto summary = summarize(location_id{1}, sales, stock, "2026-11-01", "2026-11-08",
                           {"2026-W45", "2026-W46"}, 3);
  CHECK(summary.totals.sales_count == 1);
  CHECK(summary.totals.revenue_cents == 200);
  CHECK(summary.on_hand_total == 47);
  CHECK(summary.below_reorder == 1);
  CHECK(summary.out_of_stock == std::vector<product_id>{product_id{1}});
  CHECK(summary.overstock == std::vector<product_id>{product_id{2}});
  CHECK(summary.weekly_revenue.at("2026-W45") == 200);
  CHECK(summary.weekly_revenue.at("2026-W46") == 50);
}
