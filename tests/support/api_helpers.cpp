#include "tests/support/api_helpers.hpp"

#include "persistence/database_url.hpp"
#include "persistence/session.hpp"

#include <doctest/doctest.h>
#include <soci/soci.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <unistd.h>

namespace comptoir::test {

namespace json = boost::json;

config_file::config_file(const std::string& text) {
  static std::atomic<int> count{0};
  path_ = (std::filesystem::temp_directory_path() /
           ("comptoir-test-" + std::to_string(::getpid()) + "-" + std::to_string(count++) + ".toml"))
              .string();
  write(text);
}

config_file::~config_file() {
  std::error_code ignored;
  std::filesystem::remove(path_, ignored);
}

void config_file::write(const std::string& text) const {
  std::ofstream out{path_, std::ios::trunc};
  out << text;
  if (!out)
    throw std::runtime_error("cannot write " + path_);
}

std::unique_ptr<server_process> fresh_node(const std::map<std::string, std::string>& env) {
  reset_database(test_database_url());
  return std::make_unique<server_process>(env);
}

std::string clerk_of(std::int64_t store) {
  return "demo-clerk-" + std::to_string(store);
}

json::object json_body(const http_reply& reply) {
  return json::parse(reply.body).as_object();
}

http_reply call(std::uint16_t port, const std::string& method, const std::string& target,
                const std::string& token, const std::string& body,
                const std::map<std::string, std::string>& headers) {
  http_call request;
  request.method = method;
  request.target = target;
  if (!token.empty())
    request.headers["Authorization"] = "Bearer " + token;
  if (!body.empty())
    request.headers["Content-Type"] = "application/json";
  for (const auto& [name, value] : headers)
    request.headers[name] = value;
  request.body = body;
  return send(port, request);
}

http_reply call(std::uint16_t port, const std::string& method, const std::string& target,
                const std::string& token, const std::string& body,
                const std::string* idempotency_key) {
  std::map<std::string, std::string> headers;
  if (idempotency_key)
    headers["Idempotency-Key"] = *idempotency_key;
  return call(port, method, target, token, body, headers);
}

http_reply post_json(std::uint16_t port, const std::string& target, const std::string& token,
                     const std::string& body, const std::string* idempotency_key) {
  http_call request;
  request.method = "POST";
  request.target = target;
  request.headers["Authorization"] = "Bearer " + token;
  request.headers["Content-Type"] = "application/json";
  if (idempotency_key)
    request.headers["Idempotency-Key"] = *idempotency_key;
  request.body = body;
  return send(port, request);
}

std::string lines_body(const lines_t& lines) {
  json::array array;
  for (auto [product, quantity] : lines)
    array.push_back(json::object{{"product_id", product}, {"quantity", quantity}});
  return json::serialize(json::object{{"lines", std::move(array)}});
}

http_reply sell(std::uint16_t port, std::int64_t store, const lines_t& lines) {
  return call(port, "POST", "/api/v1/stores/" + std::to_string(store) + "/sales", clerk_of(store),
              lines_body(lines));
}

http_reply sell(std::uint16_t port, std::int64_t store, const std::string& token,
                const std::string& body, const std::string* idempotency_key) {
  return post_json(port, "/api/v1/stores/" + std::to_string(store) + "/sales", token, body,
                   idempotency_key);
}

http_reply give_back(std::uint16_t port, const std::string& sale_id, std::int64_t store,
                     const lines_t& lines) {
  return call(port, "POST", "/api/v1/sales/" + sale_id + "/returns", clerk_of(store),
              lines_body(lines));
}

http_reply give_back(std::uint16_t port, const std::string& sale_id, const std::string& token,
                     const std::string& body, const std::string* idempotency_key) {
  return post_json(port, "/api/v1/sales/" + sale_id + "/returns", token, body, idempotency_key);
}

http_reply set_reorder_point(std::uint16_t port, std::int64_t store, std::int64_t product,
                             std::int64_t point, const std::string& token) {
  return call(port, "PATCH",
              "/api/v1/stores/" + std::to_string(store) + "/stock/" + std::to_string(product),
              token, json::serialize(json::object{{"reorder_point", point}}));
}

void check_problem(const http_reply& reply, unsigned status) {
  CAPTURE(reply.body);
  CHECK(reply.status == status);
  REQUIRE(reply.headers.contains("content-type"));
  CHECK(reply.headers.at("content-type") == "application/problem+json");
  auto body = json_body(reply);
  CHECK(body.at("status").as_int64() == status);
  CHECK(body.at("type").is_string());
  CHECK(body.at("title").is_string());
  CHECK(body.at("detail").is_string());
  CHECK(body.at("request_id").as_string() == reply.headers.at("x-request-id"));
}

std::string stock_target(std::int64_t location, const std::string& query) {
  std::string target = location == demo_centre
                           ? "/api/v1/warehouse/stock"
                           : "/api/v1/stores/" + std::to_string(location) + "/stock";
  return target + query;
}

std::map<std::int64_t, stock_line> stock_lines(std::uint16_t port, std::int64_t location,
                                               const std::string& query) {
  auto reply = get(port, stock_target(location, query), "demo-admin");
  REQUIRE(reply.status == 200);
  std::map<std::int64_t, stock_line> lines;
  auto body = json_body(reply);
  for (auto& item : body.at("items").as_array())
    lines[item.at("product_id").as_int64()] = {item.at("on_hand").as_int64(),
                                               item.at("reorder_point").as_int64()};
  return lines;
}

std::map<std::int64_t, std::int64_t> stock_of(std::uint16_t port, std::int64_t location,
                                              const std::string& query) {
  std::map<std::int64_t, std::int64_t> on_hand;
  for (auto [product, line] : stock_lines(port, location, query))
    on_hand[product] = line.on_hand;
  return on_hand;
}

std::unique_ptr<soci::session> open_database() {
  return comptoir::persistence::open_session(
      comptoir::persistence::parse_database_url(test_database_url()).value());
}

long long scalar(soci::session& sql, const std::string& query) {
  long long value = 0;
  sql << query, soci::into(value);
  return value;
}

std::string sold_in(std::int64_t store, std::int64_t product) {
  return "SELECT CAST(COALESCE(SUM(l.quantity), 0) AS BIGINT) FROM sale_lines l"
         " JOIN sales s ON s.id = l.sale_id WHERE s.store_id = " +
         std::to_string(store) + " AND l.product_id = " + std::to_string(product);
}

std::string on_hand_in(std::int64_t location, std::int64_t product) {
  return "SELECT on_hand FROM stock WHERE location_id = " + std::to_string(location) +
         " AND product_id = " + std::to_string(product);
}

} // namespace comptoir::test
