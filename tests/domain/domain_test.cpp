// Unit tests of the pure business logic in domain/.

#include "domain/access.hpp"
#include "domain/cursor.hpp"
#include "domain/parse.hpp"
#include "domain/product_query.hpp"
#include "domain/stock.hpp"

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
