#pragma once
// The helpers the HTTP integration tests share: a demo node on a fresh
// database, calls to its API as a given user, readers of its answers, and SQL
// run on its database to check what the API said.

#include "tests/support/http_client.hpp"
#include "tests/support/server_process.hpp"
#include "tests/support/test_database.hpp"

#include <boost/json.hpp>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace soci {
class session;
}

namespace comptoir::test {

// -- the demo data and a node of its own ----------------------------------------

/// The logistics centre of the demo data (stores are 1-5, products 1-50).
inline constexpr std::int64_t demo_centre = 6;

/// A config file of the test's own in the temp directory, removed when
/// destroyed; it can be rewritten between two starts of a node. Pass it as
/// `{{"COMPTOIR_CONFIG", file.path()}}` in a node's environment.
class config_file {
public:
  explicit config_file(const std::string& text = "");
  ~config_file();
  config_file(const config_file&) = delete;
  config_file& operator=(const config_file&) = delete;

  /// Replaces the file's text; keys it leaves out take their defaults.
  void write(const std::string& text) const;
  const std::string& path() const { return path_; }

private:
  std::string path_;
};

/// A demo node on an empty database (COMPTOIR_TEST_DATABASE_URL, reset first),
/// with extra environment; the previous test case's node must be gone.
std::unique_ptr<server_process> fresh_node(const std::map<std::string, std::string>& env = {});

/// The demo token of the clerk of `store`.
std::string clerk_of(std::int64_t store);

// -- HTTP calls -----------------------------------------------------------------

boost::json::object json_body(const http_reply& reply);

/// `method target` with `Authorization: Bearer token` unless `token` is empty,
/// `Content-Type: application/json` unless `body` is empty, then `headers`.
http_reply call(std::uint16_t port, const std::string& method, const std::string& target,
                const std::string& token, const std::string& body = "",
                const std::map<std::string, std::string>& headers = {});

/// The same, with `Idempotency-Key: *idempotency_key` when it is not null.
http_reply call(std::uint16_t port, const std::string& method, const std::string& target,
                const std::string& token, const std::string& body,
                const std::string* idempotency_key);

/// POST with the bearer token and `Content-Type: application/json` always
/// (even on an empty body), and the Idempotency-Key when not null.
http_reply post_json(std::uint16_t port, const std::string& target, const std::string& token,
                     const std::string& body, const std::string* idempotency_key = nullptr);

/// Sale lines: (product id, quantity).
using lines_t = std::vector<std::pair<std::int64_t, std::int64_t>>;

/// `{"lines":[{"product_id":p,"quantity":q},...]}`
std::string lines_body(const lines_t& lines);

/// A sale at `store` by its clerk.
http_reply sell(std::uint16_t port, std::int64_t store, const lines_t& lines);

/// A sale at `store` with any token and any body (post_json).
http_reply sell(std::uint16_t port, std::int64_t store, const std::string& token,
                const std::string& body, const std::string* idempotency_key = nullptr);

/// A return on `sale_id` by the clerk of `store`.
http_reply give_back(std::uint16_t port, const std::string& sale_id, std::int64_t store,
                     const lines_t& lines);

/// A return on `sale_id` with any token and any body (post_json).
http_reply give_back(std::uint16_t port, const std::string& sale_id, const std::string& token,
                     const std::string& body, const std::string* idempotency_key = nullptr);

/// PATCH of the reorder point of one product of a store.
http_reply set_reorder_point(std::uint16_t port, std::int64_t store, std::int64_t product,
                             std::int64_t point, const std::string& token = "demo-hq");

/// Checks that `reply` is a problem document with `status` (doctest CHECKs;
/// REQUIRE that it has a Content-Type at all).
void check_problem(const http_reply& reply, unsigned status);

// -- stock, as the API tells it -------------------------------------------------

struct stock_line {
  std::int64_t on_hand = 0;
  std::int64_t reorder_point = 0;
  bool operator==(const stock_line&) const = default;
};

/// The stock listing of a store, or of the centre (demo_centre), with `query`
/// appended (as "?limit=500").
std::string stock_target(std::int64_t location, const std::string& query = "");

/// Product id -> stock line of a store or of the centre; REQUIREs a 200.
std::map<std::int64_t, stock_line> stock_lines(std::uint16_t port, std::int64_t location,
                                               const std::string& query = "");

/// Product id -> on hand of a store or of the centre; REQUIREs a 200.
std::map<std::int64_t, std::int64_t> stock_of(std::uint16_t port, std::int64_t location,
                                              const std::string& query = "");

// -- SQL on the node's database -------------------------------------------------

/// A session of its own on COMPTOIR_TEST_DATABASE_URL.
std::unique_ptr<soci::session> open_database();

/// The one integer `query` selects.
long long scalar(soci::session& sql, const std::string& query);

/// SQL: the units of `product` sold at `store`, returns not deducted.
std::string sold_in(std::int64_t store, std::int64_t product);

/// SQL: the on hand of `product` at a store or at the centre.
std::string on_hand_in(std::int64_t location, std::int64_t product);

} // namespace comptoir::test
