// Unit tests of the HTTP-facing pieces that need no socket: routing,
// query strings, tokens and problem details.

#include "actors/frontend_actor.hpp"
#include "net/auth.hpp"
#include "net/json_body.hpp"
#include "net/problem.hpp"
#include "net/query.hpp"
#include "net/router.hpp"

#include <boost/json.hpp>
#include <doctest/doctest.h>

using namespace comptoir::net;
using comptoir::domain::role;

TEST_CASE("the router finds a route and captures its path segments") {
  auto routes = router::comptoir_routes();
  auto found = routes.match(method::get, "/api/v1/stores/3/stock");
  REQUIRE(found.result == route_match::outcome::found);
  CHECK(found.matched->id == route_id::store_stock);
  REQUIRE(found.captures.size() == 1);
  CHECK(found.captures[0] == "3");
}

TEST_CASE("the original system's product route is an alias of the products list") {
  auto routes = router::comptoir_routes();
  auto alias = routes.match(method::get, "/produits");
  REQUIRE(alias.result == route_match::outcome::found);
  CHECK(alias.matched->id == route_id::products_list);
}

TEST_CASE("a known path with another method is 405 with the allowed methods") {
  auto routes = router::comptoir_routes();
  auto found = routes.match(method::del, "/api/v1/stores");
  CHECK(found.result == route_match::outcome::wrong_method);
  CHECK(found.allowed == "GET, HEAD");
}

TEST_CASE("unknown paths, extra segments and empty segments are not found") {
  auto routes = router::comptoir_routes();
  for (auto path : {"/nope", "/api/v1/stores/1/stock/7/extra", "/api/v1/stores//stock",
                    "/api/v1/products/", "", "api/v1/stores"})
    CHECK_MESSAGE(routes.match(method::get, path).result == route_match::outcome::not_found, path);
}

TEST_CASE("HEAD is served wherever GET is") {
  auto routes = router::comptoir_routes();
  CHECK(routes.match(method::head, "/health/live").result == route_match::outcome::found);
}

TEST_CASE("health routes are open, API routes need a token") {
  auto routes = router::comptoir_routes();
  CHECK(!routes.match(method::get, "/health/ready").matched->access);
  CHECK(routes.match(method::get, "/api/v1/warehouse/stock").matched->access);
}

TEST_CASE("a query string is split and decoded") {
  auto target = split("/api/v1/products?q=caf%C3%A9+moulu&category=Grocery&&limit=5");
  REQUIRE(target);
  CHECK(target->path == "/api/v1/products");
  REQUIRE(find_param(*target, "q"));
  CHECK(*find_param(*target, "q") == "caf\xC3\xA9 moulu");
  CHECK(*find_param(*target, "category") == "Grocery");
  CHECK(*find_param(*target, "limit") == "5");
  CHECK(find_param(*target, "cursor") == nullptr);
}

TEST_CASE("a malformed percent escape makes the query invalid") {
  CHECK(!split("/x?q=%"));
  CHECK(!split("/x?q=%4"));
  CHECK(!split("/x?q=%zz"));
  CHECK(split("/x?q=%41"));
}

TEST_CASE("a bearer token maps to its principal; anything else is refused") {
  authenticator tokens{
      {{digest_of("secret-1"), {role::clerk, {3}}}, {digest_of("secret-2"), {role::hq, {}}}}};
  auto* clerk = tokens.authenticate("Bearer secret-1");
  REQUIRE(clerk);
  CHECK(clerk->who == role::clerk);
  CHECK(clerk->store.value == 3);
  CHECK(tokens.authenticate("bearer secret-2"));
  CHECK(!tokens.authenticate(""));
  CHECK(!tokens.authenticate("Bearer"));
  CHECK(!tokens.authenticate("Bearer "));
  CHECK(!tokens.authenticate("Bearer secret-3"));
  CHECK(!tokens.authenticate("Basic secret-1"));
  CHECK(!tokens.authenticate("Bearer  secret-1"));
}

TEST_CASE("a token configured as its SHA-256 hex is accepted; a bad hex is not a digest") {
  // printf %s secret-1 | sha256sum
  auto digest =
      parse_digest("f7e7c36e458e80e6b6a2c67d0a9ec09bd718dadd7bfa8d6bf6e7ad526e46c2f7");
  REQUIRE(digest);
  CHECK(*digest == digest_of("secret-1"));
  authenticator tokens{{{*digest, {role::admin, {}}}}};
  CHECK(tokens.authenticate("Bearer secret-1")->who == role::admin);
  CHECK(!tokens.authenticate("Bearer secret-2"));
  CHECK(!parse_digest(std::string(63, 'a')));
  CHECK(!parse_digest(std::string(64, 'A')));
  CHECK(!parse_digest(std::string(64, 'g')));
}

TEST_CASE("the same token twice is refused when the table is built") {
  CHECK_THROWS_AS(authenticator({{digest_of("t"), {role::admin, {}}},
                                 {digest_of("t"), {role::clerk, {1}}}}),
                  std::invalid_argument);
}

TEST_CASE("demo mode has an admin, hq, logistics and one clerk per demo store") {
  authenticator tokens{demo_grants()};
  CHECK(tokens.authenticate("Bearer demo-admin")->who == role::admin);
  CHECK(tokens.authenticate("Bearer demo-hq")->who == role::hq);
  CHECK(tokens.authenticate("Bearer demo-logistics")->who == role::logistics);
  for (int store = 1; store <= 5; ++store) {
    auto* clerk = tokens.authenticate("Bearer demo-clerk-" + std::to_string(store));
    REQUIRE(clerk);
    CHECK(clerk->who == role::clerk);
    CHECK(clerk->store.value == store);
  }
  CHECK(!tokens.authenticate("Bearer demo-clerk-6"));
}

TEST_CASE("a problem has the RFC 9457 members and the request id") {
  auto answer = problem(404, "There is no product 7.", "req-1", {{"id", "unknown"}});
  CHECK(answer.status == 404);
  CHECK(answer.content_type == "application/problem+json");
  auto body = boost::json::parse(answer.body).as_object();
  CHECK(body.at("type").as_string() == "about:blank");
  CHECK(body.at("title").as_string() == "Not Found");
  CHECK(body.at("status").as_int64() == 404);
  CHECK(body.at("detail").as_string() == "There is no product 7.");
  CHECK(body.at("request_id").as_string() == "req-1");
  CHECK(body.at("errors").as_array().size() == 1);
}

TEST_CASE("a basket body decodes to its lines") {
  auto decoded = decode_lines(
      R"({"lines":[{"product_id":3,"quantity":2},{"product_id":5,"quantity":1,"unit_price_cents":1}]})");
  CHECK(decoded.malformed.empty());
  CHECK(decoded.out_of_range.empty());
  REQUIRE(decoded.lines.size() == 2);
  CHECK(decoded.lines[0].product.value == 3);
  CHECK(decoded.lines[0].quantity == 2);
  CHECK(decoded.lines[1].product.value == 5);
}

TEST_CASE("a body that is not a basket is malformed (400)") {
  for (auto body :
       {"", "not json", "[]", "{}", R"({"lines":{}})", R"({"lines":[1]})",
        R"({"lines":[{"product_id":1}]})", R"({"lines":[{"product_id":"1","quantity":1}]})",
        R"({"lines":[{"product_id":1,"quantity":1.5}]})",
        R"({"lines":[{"product_id":1,"quantity":true}]})"}) {
    CAPTURE(body);
    CHECK(!decode_lines(body).malformed.empty());
  }
}

TEST_CASE("integers beyond 64 bits are out of range (422), not malformed") {
  auto decoded = decode_lines(R"({"lines":[{"product_id":1,"quantity":99999999999999999999}]})");
  CHECK(decoded.malformed.empty());
  REQUIRE(decoded.out_of_range.size() == 1);
  CHECK(decoded.out_of_range[0].field == "lines[0].quantity");
}

TEST_CASE("a fingerprint tells requests apart and repeats for the same request") {
  using comptoir::domain::basket_line;
  using comptoir::domain::product_id;
  std::vector<basket_line> lines{{product_id{1}, 2}};
  auto a = fingerprint("sale", "1", lines);
  CHECK(a.size() == 64);
  CHECK(a == fingerprint("sale", "1", lines));
  CHECK(a != fingerprint("sale", "2", lines));
  CHECK(a != fingerprint("return", "1", lines));
  CHECK(a != fingerprint("sale", "1", {{product_id{1}, 3}}));
  CHECK(a != fingerprint("sale", "1", {{product_id{12}, 1}}));
}

TEST_CASE("the frontend's deadlines: a request expires once, unless its answer came first") {
  using comptoir::actors::request_deadlines;
  request_deadlines deadlines;
  auto start = request_deadlines::clock::now();
  int expired_a = 0, expired_b = 0, expired_c = 0;
  auto a = deadlines.add(start + std::chrono::seconds{1}, [&] { ++expired_a; });
  auto b = deadlines.add(start + std::chrono::seconds{2}, [&] { ++expired_b; });
  auto c = deadlines.add(start + std::chrono::seconds{3}, [&] { ++expired_c; });
  deadlines.sweep(start);
  CHECK(deadlines.size() == 3);
  // b is answered: its expiry never runs, and its answer may go out once.
  CHECK(b.claim());
  CHECK_FALSE(b.claim());
  deadlines.sweep(start + std::chrono::milliseconds{2500});
  CHECK(expired_a == 1);
  CHECK(expired_b == 0);
  CHECK(deadlines.size() == 1);
  // a expired: an answer arriving late is dropped.
  CHECK_FALSE(a.claim());
  deadlines.sweep(start + std::chrono::seconds{10});
  deadlines.sweep(start + std::chrono::seconds{20});
  CHECK(expired_c == 1);
  CHECK(deadlines.size() == 0);
}

TEST_CASE("the frontend's deadlines: answered requests leave the queue as new ones come") {
  using comptoir::actors::request_deadlines;
  request_deadlines deadlines;
  auto later = request_deadlines::clock::now() + std::chrono::hours{1};
  for (int i = 0; i < 1000; ++i) {
    auto ticket = deadlines.add(later, [] {});
    CHECK(ticket.claim());
  }
  // Only the last one is left: the others were dropped when the next came.
  CHECK(deadlines.size() == 1);
}
