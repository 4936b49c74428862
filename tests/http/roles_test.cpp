// End-to-end tests of who may do what: every route of the API (and its
// aliases) called by every kind of caller (no token, an unknown token, a
// header that is not a bearer token, each demo role, the clerk of the store
// in the path and the clerk of another store), each answer checked for its
// exact status; then a node outside demo mode, whose tokens come from its
// config file (one in clear, one as a SHA-256), against the real comptoir
// binary on the database of COMPTOIR_TEST_DATABASE_URL.

#include "support/api_helpers.hpp"

#include <boost/json.hpp>
#include <doctest/doctest.h>
#include <openssl/evp.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iomanip>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <unistd.h>
#include <vector>

using namespace comptoir::test;
namespace json = boost::json;

namespace {

// -- the callers ----------------------------------------------------------------

struct caller {
  const char* name;
  /// The Authorization header, none when empty.
  const char* authorization;
};

constexpr std::size_t caller_count = 8;

/// The columns of the matrix. The store in the paths is store 1.
const std::array<caller, caller_count> callers{{
    {"no token", ""},
    {"bad token", "Bearer nope"},
    {"Basic", "Basic abc"},
    {"admin", "Bearer demo-admin"},
    {"hq", "Bearer demo-hq"},
    {"logistics", "Bearer demo-logistics"},
    {"clerk-1", "Bearer demo-clerk-1"}, // the clerk of the store in the path
    {"clerk-2", "Bearer demo-clerk-2"}, // the clerk of another store
}};

using statuses = std::array<unsigned, caller_count>;

// The usual rows: who gets what.
constexpr statuses open_to_all{200, 200, 200, 200, 200, 200, 200, 200};
constexpr statuses any_role{401, 401, 401, 200, 200, 200, 200, 200};
constexpr statuses head_office{401, 401, 401, 200, 200, 403, 403, 403};
constexpr statuses head_office_writes{401, 401, 401, 201, 201, 403, 403, 403};
constexpr statuses till_writes{401, 401, 401, 201, 403, 403, 201, 403};
constexpr statuses sales_readers{401, 401, 401, 200, 200, 403, 200, 403};
constexpr statuses logistics_writes{401, 401, 401, 200, 403, 200, 403, 403};
constexpr statuses stock_editors{401, 401, 401, 200, 200, 200, 403, 403};
constexpr statuses alert_readers{401, 401, 401, 200, 200, 200, 403, 403};

/// One row of the matrix: a route, how to make the target and the body of one
/// call to it (fixtures made fresh per call when the call consumes them), and
/// the status each caller must get.
struct route_row {
  std::string method;
  /// The path as shown in the table ({sale}, {pending}: made by the test).
  std::string shown;
  std::function<std::string()> target;
  std::function<std::string()> body;
  statuses expected;
};

// -- answers --------------------------------------------------------------------

bool has_text(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

/// What is wrong with `reply` as the answer `expected`, or empty.
std::string judge(const http_reply& reply, unsigned expected) {
  std::ostringstream wrong;
  if (reply.status != expected)
    wrong << "status " << reply.status << " instead of " << expected << "; ";
  if (!reply.headers.contains("x-request-id"))
    wrong << "no X-Request-Id; ";
  auto type = reply.headers.contains("content-type") ? reply.headers.at("content-type") : "";
  if (reply.status >= 400) {
    if (type != "application/problem+json")
      wrong << "Content-Type " << std::quoted(type) << " on an error; ";
    json::value body;
    try {
      body = json::parse(reply.body);
    } catch (const std::exception&) {
      wrong << "an error body that is not JSON; ";
    }
    if (auto* object = body.if_object()) {
      auto* status = object->if_contains("status");
      if (!status || !status->is_int64() || status->as_int64() != reply.status)
        wrong << "problem status does not match; ";
      for (auto field : {"type", "title", "detail", "request_id"})
        if (!object->contains(field) || !object->at(field).is_string())
          wrong << "problem without " << field << "; ";
    } else {
      wrong << "problem body not an object; ";
    }
  } else if (reply.status != 204 && !type.starts_with("application/json")) {
    wrong << "Content-Type " << std::quoted(type) << " on a success; ";
  }
  if (reply.status == 401) {
    auto found = reply.headers.find("www-authenticate");
    if (found == reply.headers.end() || found->second != "Bearer")
      wrong << "401 without WWW-Authenticate: Bearer; ";
  }
  return wrong.str();
}

http_reply call_as(std::uint16_t port, const std::string& method, const std::string& target,
                   const std::string& authorization, const std::string& body = "") {
  http_call request;
  request.method = method;
  request.target = target;
  if (!authorization.empty())
    request.headers["Authorization"] = authorization;
  if (!body.empty())
    request.headers["Content-Type"] = "application/json";
  request.body = body;
  return send(port, request);
}

std::string id_of(const http_reply& reply) {
  return std::string{json_body(reply).at("id").as_string()};
}

/// A pending restock request for store 1 filed by its clerk.
std::string pending_request(std::uint16_t port, std::int64_t store = 1) {
  auto reply = call(port, "POST", "/api/v1/stores/" + std::to_string(store) + "/restock-requests",
                    clerk_of(store), lines_body({{2, 3}}));
  CAPTURE(reply.body);
  REQUIRE(reply.status == 201);
  return id_of(reply);
}

/// The store ids of the restock requests `token` lists.
std::multiset<std::int64_t> restock_stores(std::uint16_t port, const std::string& token,
                                           const std::string& query = "") {
  auto reply = get(port, "/api/v1/restock-requests?limit=500" + query, token);
  CAPTURE(reply.body);
  REQUIRE(reply.status == 200);
  std::multiset<std::int64_t> stores;
  auto body = json_body(reply);
  for (auto& item : body.at("items").as_array())
    stores.insert(item.at("store_id").as_int64());
  return stores;
}

/// The matrix as a table: a cell is the status seen, with "!=expected" when
/// it is not the one expected (or "*" when the status is right but the
/// answer is not well formed).
std::string render(const std::vector<route_row>& rows,
                   const std::vector<std::array<std::string, caller_count>>& seen) {
  std::size_t path_width = 0;
  for (const auto& row : rows)
    path_width = std::max(path_width, row.shown.size());
  std::ostringstream table;
  table << std::left << std::setw(6) << "" << ' ' << std::setw(static_cast<int>(path_width)) << ""
        << " |";
  for (const auto& who : callers)
    table << ' ' << std::setw(10) << who.name << '|';
  table << '\n';
  for (std::size_t r = 0; r < rows.size(); ++r) {
    table << std::left << std::setw(6) << rows[r].method << ' '
          << std::setw(static_cast<int>(path_width)) << rows[r].shown << " |";
    for (std::size_t c = 0; c < caller_count; ++c)
      table << ' ' << std::setw(10) << seen[r][c] << '|';
    table << '\n';
  }
  return table.str();
}

// -- a node outside demo mode ------------------------------------------------------

std::string sha256_hex(const std::string& text) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_Digest(text.data(), text.size(), digest, &size, EVP_sha256(), nullptr);
  std::ostringstream hex;
  for (unsigned int i = 0; i < size; ++i)
    hex << std::hex << std::setw(2) << std::setfill('0') << static_cast<int>(digest[i]);
  return hex.str();
}

} // namespace

TEST_CASE("every route answers every kind of caller with the status of its access rule") {
  auto node = fresh_node();
  const auto port = node->port();

  // Fixtures: a sale at store 1 by its clerk (read and taken back below) and
  // one at store 2, each with units enough for every return of the matrix.
  auto sale = sell(port, 1, {{1, 20}, {2, 5}});
  REQUIRE(sale.status == 201);
  const auto sale_id = id_of(sale);
  auto other_sale = sell(port, 2, {{1, 5}});
  REQUIRE(other_sale.status == 201);
  const auto other_sale_id = id_of(other_sale);
  const auto reorder_point = stock_lines(port, 1).at(1).reorder_point;

  int sku = 0;
  auto new_product = [&sku] {
    return json::serialize(json::object{{"sku", "ROLE-" + std::to_string(++sku)},
                                        {"name", "Role test product"},
                                        {"category", "tests"},
                                        {"price_cents", 100}});
  };
  auto fixed = [](std::string text) { return [text] { return text; }; };
  auto no_body = fixed("");
  auto one_unit = fixed(lines_body({{1, 1}}));

  const std::vector<route_row> rows{
      {"GET", "/health/live", fixed("/health/live"), no_body, open_to_all},
      {"GET", "/health/ready", fixed("/health/ready"), no_body, open_to_all},
      {"GET", "/openapi.json", fixed("/openapi.json"), no_body, open_to_all},
      {"GET", "/api/v1/me", fixed("/api/v1/me"), no_body, any_role},
      {"GET", "/api/v1/products", fixed("/api/v1/products"), no_body, any_role},
      {"GET", "/produits", fixed("/produits"), no_body, any_role},
      {"GET", "/api/v1/products/1", fixed("/api/v1/products/1"), no_body, any_role},
      {"POST", "/api/v1/products", fixed("/api/v1/products"), new_product, head_office_writes},
      {"PATCH", "/api/v1/products/1", fixed("/api/v1/products/1"),
       fixed(R"({"description":"Pure amber maple syrup, patched by the role test"})"), head_office},
      {"GET", "/api/v1/stores", fixed("/api/v1/stores"), no_body, any_role},
      {"GET", "/api/v1/stores/1/stock", fixed("/api/v1/stores/1/stock"), no_body, any_role},
      {"GET", "/api/v1/warehouse/stock", fixed("/api/v1/warehouse/stock"), no_body, any_role},
      {"PATCH", "/api/v1/stores/1/stock/1", fixed("/api/v1/stores/1/stock/1"),
       fixed(json::serialize(json::object{{"reorder_point", reorder_point}})), stock_editors},
      {"POST", "/api/v1/stores/1/sales", fixed("/api/v1/stores/1/sales"), one_unit, till_writes},
      {"GET", "/api/v1/stores/1/sales", fixed("/api/v1/stores/1/sales"), no_body, sales_readers},
      {"GET", "/api/v1/sales/{sale of store 1}", fixed("/api/v1/sales/" + sale_id), no_body,
       sales_readers},
      {"POST", "/api/v1/sales/{sale of store 1}/returns",
       fixed("/api/v1/sales/" + sale_id + "/returns"), one_unit, till_writes},
      {"POST", "/api/v1/stores/1/restock-requests", fixed("/api/v1/stores/1/restock-requests"),
       one_unit, till_writes},
      {"GET", "/api/v1/restock-requests", fixed("/api/v1/restock-requests"), no_body, any_role},
      {"POST", "/api/v1/restock-requests/{pending}/approve",
       [port] { return "/api/v1/restock-requests/" + pending_request(port) + "/approve"; }, no_body,
       logistics_writes},
      {"POST", "/api/v1/restock-requests/{pending}/reject",
       [port] { return "/api/v1/restock-requests/" + pending_request(port) + "/reject"; }, no_body,
       logistics_writes},
      {"GET", "/api/v1/alerts", fixed("/api/v1/alerts"), no_body, alert_readers},
      {"GET", "/api/v1/reports/sales", fixed("/api/v1/reports/sales"), no_body, head_office},
      {"GET", "/rapport", fixed("/rapport"), no_body, head_office},
      {"GET", "/api/v1/dashboard", fixed("/api/v1/dashboard"), no_body, head_office},
      {"GET", "/performances", fixed("/performances"), no_body, head_office},
  };

  std::vector<std::array<std::string, caller_count>> seen(rows.size());
  bool all_right = true;
  for (std::size_t r = 0; r < rows.size(); ++r) {
    const auto& row = rows[r];
    for (std::size_t c = 0; c < caller_count; ++c) {
      const auto& who = callers[c];
      const auto expected = row.expected[c];
      const std::string caller_name = who.name;
      CAPTURE(row.method);
      CAPTURE(row.shown);
      CAPTURE(caller_name);
      CAPTURE(expected);
      auto target = row.target();
      CAPTURE(target);
      auto reply = call_as(port, row.method, target, who.authorization, row.body());
      auto wrong = judge(reply, expected);
      CAPTURE(reply.body);
      CHECK_MESSAGE(wrong.empty(), wrong);
      seen[r][c] = std::to_string(reply.status);
      if (reply.status != expected)
        seen[r][c] += "!=" + std::to_string(expected);
      else if (!wrong.empty())
        seen[r][c] += "*";
      all_right = all_right && wrong.empty();
    }
  }
  if (!all_right)
    MESSAGE("the role matrix (status seen, != the one expected; * = right status, answer not "
            "well formed):\n"
            << render(rows, seen));

  {
    INFO("a clerk reads another store's sale: 403, and its own: 200");
    check_problem(get(port, "/api/v1/sales/" + other_sale_id, "demo-clerk-1"), 403);
    CHECK(get(port, "/api/v1/sales/" + other_sale_id, "demo-clerk-2").status == 200);
    check_problem(get(port, "/api/v1/stores/2/sales", "demo-clerk-1"), 403);
    auto returned = call(port, "POST", "/api/v1/sales/" + other_sale_id + "/returns",
                         "demo-clerk-1", lines_body({{1, 1}}));
    check_problem(returned, 403);
  }

  {
    INFO("a clerk lists only their own store's restock requests");
    pending_request(port, 1);
    pending_request(port, 2);
    pending_request(port, 3);
    auto own = restock_stores(port, "demo-clerk-1");
    CHECK(!own.empty());
    CHECK(own.count(1) == own.size());
    auto second = restock_stores(port, "demo-clerk-2");
    CHECK(!second.empty());
    CHECK(second.count(2) == second.size());
    auto pending_only = restock_stores(port, "demo-clerk-2", "&status=pending");
    CHECK(!pending_only.empty());
    CHECK(pending_only.count(2) == pending_only.size());
    for (auto token : {"demo-hq", "demo-logistics", "demo-admin"}) {
      CAPTURE(token);
      auto all = restock_stores(port, token);
      CHECK(all.count(1) == own.size());
      CHECK(all.count(2) == second.size());
      CHECK(all.count(3) >= 1);
    }
  }

  {
    INFO("a forbidden write changes nothing");
    auto before = stock_of(port, 1);
    auto sales_before = json_body(get(port, "/api/v1/stores/1/sales?limit=500", "demo-admin"))
                            .at("items")
                            .as_array()
                            .size();
    for (auto token : {"demo-hq", "demo-logistics", "demo-clerk-2"}) {
      CAPTURE(token);
      check_problem(call(port, "POST", "/api/v1/stores/1/sales", token, lines_body({{1, 1}})), 403);
      check_problem(
          call(port, "POST", "/api/v1/sales/" + sale_id + "/returns", token, lines_body({{1, 1}})),
          403);
    }
    CHECK(stock_of(port, 1) == before);
    auto sales_after = json_body(get(port, "/api/v1/stores/1/sales?limit=500", "demo-admin"))
                           .at("items")
                           .as_array()
                           .size();
    CHECK(sales_after == sales_before);
  }
}

TEST_CASE("outside demo mode only the configured tokens work, hashed ones too, never logged") {
  const std::string hq_token = "hq-7Qx2-plain-secret";
  // The clerk's token is in the file only as its SHA-256, as
  //   printf %s clerk-2-hashed-secret-Zk9 | sha256sum
  // prints it.
  const std::string clerk_token = "clerk-2-hashed-secret-Zk9";

  // The demo data first (a demo node on the empty database), then the node
  // under test on that same database without demo mode.
  fresh_node().reset();

  config_file config{"[demo]\nenabled = false\n\n"
                     "[database]\nurl = \"" +
                     test_database_url() +
                     "\"\n\n"
                     "[[tokens]]\ntoken = \"" +
                     hq_token +
                     "\"\nrole = \"hq\"\n\n"
                     "[[tokens]]\ntoken_sha256 = \"" +
                     sha256_hex(clerk_token) + "\"\nrole = \"clerk\"\nstore_id = 2\n"};
  server_process node{{{"COMPTOIR_CONFIG", config.path()}}};
  const auto port = node.port();

  SUBCASE("the demo tokens are unknown") {
    for (auto token : {"demo-admin", "demo-hq", "demo-logistics", "demo-clerk-1", "demo-clerk-2"}) {
      CAPTURE(token);
      auto reply = get(port, "/api/v1/stores", token);
      CHECK(judge(reply, 401) == "");
      CHECK(judge(call(port, "POST", "/api/v1/stores/2/sales", token, lines_body({{1, 1}})), 401) ==
            "");
    }
    CHECK(get(port, "/health/live").status == 200);
  }

  SUBCASE("the plain token has the head office's rights") {
    CHECK(judge(get(port, "/api/v1/stores", hq_token), 200) == "");
    CHECK(judge(get(port, "/api/v1/reports/sales", hq_token), 200) == "");
    CHECK(judge(get(port, "/api/v1/dashboard", hq_token), 200) == "");
    CHECK(judge(get(port, "/api/v1/stores/2/sales", hq_token), 200) == "");
    CHECK(judge(call(port, "POST", "/api/v1/stores/2/sales", hq_token, lines_body({{1, 1}})),
                403) == "");
    CHECK(judge(call(port, "POST", "/api/v1/stores/2/restock-requests", hq_token,
                     lines_body({{1, 1}})),
                403) == "");
    // A near miss is not the token.
    CHECK(judge(get(port, "/api/v1/stores", hq_token + "x"), 401) == "");
    CHECK(judge(get(port, "/api/v1/stores", hq_token.substr(1)), 401) == "");
  }

  SUBCASE("the hashed token has its clerk's rights, at its own store only") {
    auto sold = call(port, "POST", "/api/v1/stores/2/sales", clerk_token, lines_body({{1, 1}}));
    CHECK(judge(sold, 201) == "");
    CHECK(judge(get(port, "/api/v1/stores/2/sales", clerk_token), 200) == "");
    CHECK(judge(get(port, "/api/v1/stores/2/stock", clerk_token), 200) == "");
    CHECK(judge(call(port, "POST", "/api/v1/stores/1/sales", clerk_token, lines_body({{1, 1}})),
                403) == "");
    CHECK(judge(get(port, "/api/v1/stores/1/sales", clerk_token), 403) == "");
    CHECK(judge(get(port, "/api/v1/reports/sales", clerk_token), 403) == "");
    auto filed =
        call(port, "POST", "/api/v1/stores/2/restock-requests", clerk_token, lines_body({{1, 2}}));
    CHECK(judge(filed, 201) == "");
    if (filed.status == 201) {
      auto stores = restock_stores(port, clerk_token);
      CHECK(!stores.empty());
      CHECK(stores.count(2) == stores.size());
    }
    // The hash is not the secret.
    CHECK(judge(get(port, "/api/v1/stores", sha256_hex(clerk_token)), 401) == "");
  }

  // A wrong guess is refused, and not written down either.
  const std::string guess = "guessed-secret-Qv3";
  CHECK(judge(get(port, "/api/v1/stores", guess), 401) == "");
  CHECK(judge(call(port, "POST", "/api/v1/stores/2/sales", guess, lines_body({{1, 1}})), 401) ==
        "");

  // Stopped first: every buffered access line is written by then.
  CHECK(node.terminate().first == 0);
  auto log = node.output();
  CAPTURE(log);
  REQUIRE(has_text(log, "\"status\":401"));
  CHECK(!has_text(log, hq_token));
  CHECK(!has_text(log, clerk_token));
  CHECK(!has_text(log, guess));
}
