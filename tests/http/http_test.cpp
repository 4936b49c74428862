// End-to-end tests: the real comptoir binary on a free port, over real
// HTTP, on the database of COMPTOIR_TEST_DATABASE_URL (SQLite or PostgreSQL).

#include "support/api_helpers.hpp"

#include <boost/json.hpp>
#include <doctest/doctest.h>

#include <map>
#include <memory>
#include <string>

using namespace comptoir::test;
namespace json = boost::json;

namespace {

/// One demo node shared by the read-only tests of this binary.
server_process& node() {
  static std::unique_ptr<server_process> running = fresh_node();
  return *running;
}

http_reply get_as_admin(const std::string& target) {
  return get(node().port(), target, "demo-admin");
}

} // namespace

TEST_CASE("the node is live and ready, without a token") {
  auto live = get(node().port(), "/health/live");
  CHECK(live.status == 200);
  CHECK(json_body(live).at("status").as_string() == "ok");
  auto ready = get(node().port(), "/health/ready");
  CHECK(ready.status == 200);
}

TEST_CASE("every response carries a request id, echoed when the client gave one") {
  auto generated = get(node().port(), "/health/live");
  CHECK(!generated.headers.at("x-request-id").empty());
  http_call call;
  call.target = "/nowhere";
  call.headers["X-Request-Id"] = "till-7-000123";
  auto echoed = send(node().port(), call);
  CHECK(echoed.headers.at("x-request-id") == "till-7-000123");
  CHECK(json_body(echoed).at("request_id").as_string() == "till-7-000123");
}

TEST_CASE("the stores are the five demo stores, with id, name and city") {
  auto reply = get_as_admin("/api/v1/stores");
  REQUIRE(reply.status == 200);
  auto items = json_body(reply).at("items").as_array();
  REQUIRE(items.size() == 5);
  for (std::size_t i = 0; i < items.size(); ++i) {
    auto& store = items[i].as_object();
    CHECK(store.at("id").as_int64() == static_cast<std::int64_t>(i + 1));
    CHECK(!store.at("name").as_string().empty());
    CHECK(!store.at("city").as_string().empty());
  }
}

TEST_CASE("a product has the fields of the contract") {
  auto reply = get_as_admin("/api/v1/products/1");
  REQUIRE(reply.status == 200);
  CHECK(reply.headers.at("content-type") == "application/json");
  auto product = json_body(reply);
  CHECK(product.at("id").as_int64() == 1);
  for (auto field : {"sku", "name", "category", "description"})
    CHECK_MESSAGE(product.at(field).is_string(), field);
  CHECK(product.at("price_cents").is_int64());
}

TEST_CASE("the product list pages with an opaque cursor until it runs out") {
  std::vector<std::int64_t> ids;
  std::string target = "/api/v1/products?limit=7";
  for (int page = 0; page < 50; ++page) {
    auto reply = get_as_admin(target);
    REQUIRE(reply.status == 200);
    auto body = json_body(reply);
    auto& items = body.at("items").as_array();
    CHECK(items.size() <= 7);
    for (auto& item : items)
      ids.push_back(item.at("id").as_int64());
    if (body.at("next_cursor").is_null())
      break;
    target = "/api/v1/products?limit=7&cursor=" + std::string{body.at("next_cursor").as_string()};
  }
  CHECK(ids.size() >= 40);
  CHECK(std::ranges::is_sorted(ids));
  CHECK(std::ranges::adjacent_find(ids) == ids.end());
  auto all = json_body(get_as_admin("/api/v1/products?limit=500"));
  CHECK(all.at("items").as_array().size() == ids.size());
  auto first_page = json_body(get_as_admin("/api/v1/products"));
  CHECK(first_page.at("items").as_array().size() == std::min<std::size_t>(50, ids.size()));
}

TEST_CASE("the product list filters by text and by category") {
  auto one = json_body(get_as_admin("/api/v1/products/1"));
  std::string category{one.at("category").as_string()};
  std::string sku{one.at("sku").as_string()};

  auto by_sku = json_body(get_as_admin("/api/v1/products?q=" + sku));
  auto& found = by_sku.at("items").as_array();
  REQUIRE(!found.empty());
  CHECK(found[0].at("id").as_int64() == 1);

  auto in_category = json_body(get_as_admin("/api/v1/products?limit=500&category=" + category));
  auto& items = in_category.at("items").as_array();
  REQUIRE(!items.empty());
  for (auto& item : items)
    CHECK(item.at("category").as_string() == category);

  auto nothing = json_body(get_as_admin("/api/v1/products?q=zzzz-no-such-thing"));
  CHECK(nothing.at("items").as_array().empty());
  CHECK(nothing.at("next_cursor").is_null());
}

TEST_CASE("the original system's /produits answers like the products list") {
  auto alias = get_as_admin("/produits?limit=5");
  auto api = get_as_admin("/api/v1/products?limit=5");
  CHECK(alias.status == 200);
  CHECK(alias.body == api.body);
}

TEST_CASE("a store's stock lists every product with on hand and reorder point") {
  auto reply = get(node().port(), "/api/v1/stores/1/stock", "demo-clerk-1");
  REQUIRE(reply.status == 200);
  auto body = json_body(reply);
  CHECK(body.at("store_id").as_int64() == 1);
  auto& items = body.at("items").as_array();
  CHECK(items.size() >= 40);
  for (auto& value : items) {
    auto& item = value.as_object();
    CHECK(item.at("product_id").as_int64() >= 1);
    CHECK(item.at("on_hand").as_int64() >= 0);
    CHECK(item.at("reorder_point").as_int64() >= 0);
  }
}

TEST_CASE("the logistics centre's stock has the same shape") {
  auto reply = get(node().port(), "/api/v1/warehouse/stock", "demo-logistics");
  REQUIRE(reply.status == 200);
  auto body = json_body(reply);
  CHECK(body.at("warehouse_id").as_int64() >= 1);
  CHECK(!body.at("items").as_array().empty());
}

TEST_CASE("malformed ids are 400 and unknown ids are 404, as problem details") {
  for (auto bad : {"abc", "-1", "0", "99999999999999999999", "1.5"}) {
    CAPTURE(bad);
    check_problem(get_as_admin(std::string{"/api/v1/products/"} + bad), 400);
    check_problem(get_as_admin(std::string{"/api/v1/stores/"} + bad + "/stock"), 400);
  }
  check_problem(get_as_admin("/api/v1/products/999999"), 404);
  check_problem(get_as_admin("/api/v1/stores/999999/stock"), 404);
  check_problem(get_as_admin("/api/v1/stores/6/stock"), 404); // the logistics centre
}

TEST_CASE("bad query parameters are 400 naming the field") {
  for (auto target : {"/api/v1/products?limit=0", "/api/v1/products?limit=501",
                      "/api/v1/products?limit=x", "/api/v1/products?cursor=garbage"}) {
    CAPTURE(target);
    auto reply = get_as_admin(target);
    check_problem(reply, 400);
    CHECK(json_body(reply).at("errors").as_array().size() == 1);
  }
  check_problem(get_as_admin("/api/v1/products?q=%zz"), 400);
}

TEST_CASE("a missing or unknown token is 401, on every protected route") {
  for (auto target : {"/api/v1/products", "/api/v1/products/1", "/api/v1/stores",
                      "/api/v1/stores/1/stock", "/api/v1/warehouse/stock", "/produits"}) {
    CAPTURE(target);
    auto missing = get(node().port(), target);
    check_problem(missing, 401);
    CHECK(missing.headers.at("www-authenticate") == "Bearer");
    check_problem(get(node().port(), target, "not-a-token"), 401);
    http_call basic;
    basic.target = target;
    basic.headers["Authorization"] = "Basic ZGVtby1hZG1pbjo=";
    check_problem(send(node().port(), basic), 401);
  }
}

TEST_CASE("an unknown route is 404 and a wrong method is 405 with Allow") {
  check_problem(get_as_admin("/api/v1/nothing-here"), 404);
  check_problem(get_as_admin("/api"), 404);
  check_problem(get_as_admin("/favicon.ico"), 404);
  http_call wrong;
  wrong.method = "DELETE";
  wrong.target = "/api/v1/stores";
  wrong.headers["Authorization"] = "Bearer demo-admin";
  auto reply = send(node().port(), wrong);
  check_problem(reply, 405);
  CHECK(reply.headers.at("allow") == "GET, HEAD");
}

TEST_CASE("a body over the limit is 413") {
  http_call big;
  big.method = "POST";
  big.target = "/api/v1/products";
  big.headers["Authorization"] = "Bearer demo-admin";
  big.headers["Content-Type"] = "application/json";
  big.body = std::string(2 << 20, 'x');
  try {
    check_problem(send(node().port(), big), 413);
  } catch (const std::exception&) {
    // The server may close before the client has written the whole body;
    // then the answer is read from a raw connection that sends the header only.
    auto raw = send_raw(node().port(), "POST /api/v1/products HTTP/1.1\r\nHost: x\r\n"
                                       "Content-Length: 2097152\r\n\r\n");
    CHECK(raw.starts_with("HTTP/1.1 413"));
  }
}

TEST_CASE("headers over the limit are 431") {
  http_call huge;
  huge.target = "/api/v1/stores";
  huge.headers["Authorization"] = "Bearer demo-admin";
  huge.headers["X-Padding"] = std::string(32 << 10, 'x');
  check_problem(send(node().port(), huge), 431);
}

TEST_CASE("a request that is not HTTP is 400, not a crash") {
  auto raw = send_raw(node().port(), "GARBAGE\r\n\r\n");
  CHECK(raw.starts_with("HTTP/1.1 400"));
  CHECK(get(node().port(), "/health/live").status == 200);
}

TEST_CASE("HEAD answers like GET without a body") {
  http_call head;
  head.method = "HEAD";
  head.target = "/api/v1/stores";
  head.headers["Authorization"] = "Bearer demo-hq";
  auto reply = send(node().port(), head);
  CHECK(reply.status == 200);
  CHECK(reply.body.empty());
  CHECK(std::stoul(reply.headers.at("content-length")) > 0);
}

TEST_CASE("SIGTERM stops the node with exit code 0 within 5 seconds") {
  server_process own;
  CHECK(get(own.port(), "/health/live").status == 200);
  auto [code, took] = own.terminate();
  CHECK(code == 0);
  CHECK(took < std::chrono::seconds{5});
}

TEST_CASE("the command line has help, version and meaningful exit codes") {
  auto version = run_comptoir({"--version"});
  CHECK(version.exit_code == 0);
  CHECK(version.output.starts_with("comptoir "));
  CHECK(run_comptoir({"--help"}).exit_code == 0);
  CHECK(run_comptoir({}).exit_code == 64);
  CHECK(run_comptoir({"dance"}).exit_code == 64);
}

TEST_CASE("a bad configuration fails at start-up naming the key") {
  auto bad_port = run_comptoir({"serve"}, {{"COMPTOIR_HTTP_PORT", "eighty"}});
  CHECK(bad_port.exit_code == 78);
  CHECK(bad_port.output.find("COMPTOIR_HTTP_PORT") != std::string::npos);
  auto missing = run_comptoir({"serve", "--config", "/nonexistent/comptoir.toml"});
  CHECK(missing.exit_code == 78);
  CHECK(missing.output.find("/nonexistent/comptoir.toml") != std::string::npos);
  auto bad_url = run_comptoir({"serve"}, {{"COMPTOIR_DATABASE_URL", "mysql://x"}});
  CHECK(bad_url.exit_code == 78);
}

TEST_CASE("the same token given plain and hashed stops the node, without printing it") {
  // printf %s shop-floor-secret | sha256sum
  config_file config{"[[tokens]]\ntoken = \"shop-floor-secret\"\nrole = \"hq\"\n"
                     "[[tokens]]\ntoken_sha256 = "
                     "\"dabd62e84b929f79d0d751864e517c63c5dc152527d4a630d425c94eaa28f49e\"\n"
                     "role = \"clerk\"\nstore_id = 1\n"};
  auto twice = run_comptoir({"serve", "--config", config.path()},
                            {{"COMPTOIR_DATABASE_URL", test_database_url()}});
  CHECK(twice.exit_code == 78);
  CHECK(twice.output.find("tokens: token 1 is the same as an earlier one") != std::string::npos);
  CHECK(twice.output.find("shop-floor-secret") == std::string::npos);
}

TEST_CASE("migrate brings the schema up to date and says so") {
  auto migrated = run_comptoir({"migrate"}, {{"COMPTOIR_DATABASE_URL", test_database_url()}});
  CHECK(migrated.exit_code == 0);
  CHECK(migrated.output.find("schema at version") != std::string::npos);
}

TEST_CASE("CORS: configured origins only, preflights answered, never a wildcard") {
  config_file config{"[demo]\nenabled = true\n[http]\n"
                     "cors_origins = [\"https://backoffice.example.com\"]\n"};
  auto own = fresh_node({{"COMPTOIR_CONFIG", config.path()}});
  const auto port = own->port();
  const std::string allowed = "https://backoffice.example.com";

  http_call preflight;
  preflight.method = "OPTIONS";
  preflight.target = "/api/v1/products/3";
  preflight.headers = {{"Origin", allowed},
                       {"Access-Control-Request-Method", "PATCH"},
                       {"Access-Control-Request-Headers", "authorization, content-type"}};
  auto ok = send(port, preflight);
  CHECK(ok.status == 204);
  CHECK(ok.headers["access-control-allow-origin"] == allowed);
  CHECK(ok.headers["access-control-allow-methods"] == "GET, HEAD, PATCH");
  CHECK(ok.headers["access-control-allow-headers"].find("Idempotency-Key") != std::string::npos);
  CHECK(ok.headers["access-control-max-age"] == "600");
  CHECK(!ok.headers.contains("access-control-allow-credentials"));

  preflight.headers["Origin"] = "https://evil.example.com";
  auto refused = send(port, preflight);
  check_problem(refused, 403);
  CHECK(!refused.headers.contains("access-control-allow-origin"));

  auto from_allowed =
      call(port, "GET", "/api/v1/stores", "demo-hq", "", {{"Origin", allowed}});
  CHECK(from_allowed.status == 200);
  CHECK(from_allowed.headers["access-control-allow-origin"] == allowed);
  CHECK(from_allowed.headers["access-control-expose-headers"].find("ETag") != std::string::npos);
  CHECK(from_allowed.headers["vary"] == "Origin");
  // Errors carry the headers too, so that a page can read the problem.
  auto denied = call(port, "GET", "/api/v1/dashboard", "demo-clerk-1", "", {{"Origin", allowed}});
  check_problem(denied, 403);
  CHECK(denied.headers["access-control-allow-origin"] == allowed);

  auto from_other = call(port, "GET", "/api/v1/stores", "demo-hq", "",
                         {{"Origin", "https://evil.example.com"}});
  CHECK(from_other.status == 200); // served; the browser keeps it from the page
  CHECK(!from_other.headers.contains("access-control-allow-origin"));
  CHECK(from_other.headers["vary"] == "Origin");
}

TEST_CASE("OPTIONS without CORS lists the methods; no CORS headers unless configured") {
  http_call options;
  options.method = "OPTIONS";
  options.target = "/api/v1/stores/1/sales";
  auto listed = send(node().port(), options);
  CHECK(listed.status == 204);
  CHECK(listed.headers["allow"] == "POST, GET, HEAD, OPTIONS");
  options.target = "/nowhere";
  check_problem(send(node().port(), options), 404);

  options.target = "/api/v1/stores";
  options.headers = {{"Origin", "https://backoffice.example.com"},
                     {"Access-Control-Request-Method", "GET"}};
  check_problem(send(node().port(), options), 403);
  auto plain = call(node().port(), "GET", "/api/v1/stores", "demo-hq", "",
                    {{"Origin", "https://backoffice.example.com"}});
  CHECK(plain.status == 200);
  CHECK(!plain.headers.contains("access-control-allow-origin"));
  CHECK(!plain.headers.contains("vary"));
}

namespace {

/// The JSON lines of a node's log (the access log), by request id.
std::multimap<std::string, json::object> access_lines(const std::string& log) {
  std::multimap<std::string, json::object> lines;
  std::size_t from = 0;
  while (from < log.size()) {
    auto end = log.find('\n', from);
    auto line = log.substr(from, end == std::string::npos ? std::string::npos : end - from);
    from = end == std::string::npos ? log.size() : end + 1;
    if (!line.starts_with("{"))
      continue;
    boost::system::error_code ec;
    auto parsed = json::parse(line, ec);
    REQUIRE_MESSAGE(!ec, line);
    auto& object = parsed.as_object();
    lines.emplace(std::string{object.at("request_id").as_string()}, object);
  }
  return lines;
}

/// Requests that end in 404, 422, 431 and 200, each with its own request id.
void send_mixed_requests(std::uint16_t port) {
  http_call missing;
  missing.target = "/api/v1/products/999999";
  missing.headers = {{"Authorization", "Bearer demo-hq"}, {"X-Request-Id", "till-9-404"}};
  check_problem(send(port, missing), 404);
  check_problem(call(port, "POST", "/api/v1/stores/1/sales", "demo-clerk-1",
                     R"({"lines":[{"product_id":1,"quantity":0}]})",
                     {{"X-Request-Id", "till-9-422"}}),
                422);
  auto raw = send_raw(port, "GET /health/live HTTP/1.1\r\nHost: t\r\nX-Request-Id: till-9-431\r\n" +
                                std::string(20'000, 'x') + "\r\n\r\n");
  CHECK(raw.starts_with("HTTP/1.1 431"));
  CHECK(call(port, "GET", "/api/v1/stores/2/stock", "demo-clerk-1", "",
             {{"X-Request-Id", "till-9-200"}})
            .status == 200);
}

} // namespace

TEST_CASE("the access log has one JSON line per request, with its labels and never the token") {
  auto own = fresh_node();
  send_mixed_requests(own->port());
  own->terminate();
  auto log = own->output();
  CHECK(log.find("demo-hq") == std::string::npos);
  CHECK(log.find("demo-clerk-1") == std::string::npos);
  auto lines = access_lines(log);

  REQUIRE(lines.count("till-9-200") == 1);
  auto ok = lines.find("till-9-200")->second;
  CHECK(ok.at("level").as_string() == "info");
  CHECK(ok.at("method").as_string() == "GET");
  CHECK(ok.at("route").as_string() == "/api/v1/stores/{id}/stock");
  CHECK(ok.at("path").as_string() == "/api/v1/stores/2/stock");
  CHECK(ok.at("status").as_int64() == 200);
  CHECK(ok.at("latency_us").as_int64() >= 0);
  CHECK(ok.at("store").as_int64() == 2);
  CHECK(ok.at("role").as_string() == "clerk");
  CHECK(!ok.at("time").as_string().empty());

  REQUIRE(lines.count("till-9-404") == 1);
  auto missing = lines.find("till-9-404")->second;
  CHECK(missing.at("route").as_string() == "/api/v1/products/{id}");
  CHECK(missing.at("status").as_int64() == 404);
  CHECK(missing.at("detail").as_string() == "There is no product 999999.");
  REQUIRE(lines.count("till-9-422") == 1);
  CHECK(lines.find("till-9-422")->second.at("store").as_int64() == 1);
  // A request refused before it was read whole has an id of the node's.
  std::size_t refused = 0;
  for (const auto& [id, line] : lines)
    refused += line.at("status").as_int64() == 431 && line.at("route").as_string() == "none";
  CHECK(refused == 1);
}

TEST_CASE("with the access log off, only error answers are logged, each once") {
  config_file config{"[demo]\nenabled = true\n[log]\naccess = false\n"};
  auto own = fresh_node({{"COMPTOIR_CONFIG", config.path()}});
  send_mixed_requests(own->port());
  own->terminate();
  auto lines = access_lines(own->output());
  CHECK(lines.count("till-9-404") == 1);
  CHECK(lines.count("till-9-422") == 1);
  CHECK(lines.count("till-9-200") == 0);
  CHECK(lines.size() == 3); // the 431 too
}
