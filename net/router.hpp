#pragma once
// The route table: which paths exist, with which methods, open to whom.

#include "domain/access.hpp"
#include "net/http_types.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace comptoir::net {

enum class route_id {
  web_index,
  web_asset,
  me,
  health_live,
  health_ready,
  openapi,
  metrics,
  products_list,
  product_get,
  stores_list,
  store_stock,
  warehouse_stock,
  sale_create,
  sales_list,
  sale_get,
  return_create,
  reorder_point_set,
  restock_create,
  restock_list,
  restock_approve,
  restock_reject,
  alerts_list,
  product_create,
  product_update,
  sales_report,
  dashboard,
};

struct route {
  net::method method;
  /// Segments in braces (`{id}`) capture one path segment.
  std::string_view pattern;
  route_id id;
  /// Nothing for routes open without a token.
  std::optional<domain::access_rule> access;
  /// The store the rule is checked against is that of the record the path
  /// names (a sale), known only once it is found: the API checks the role, the
  /// actors the store, with the same rule.
  bool store_of_record = false;
};

/// The result of matching a request line against the table.
struct route_match {
  enum class outcome { found, wrong_method, not_found };
  outcome result = outcome::not_found;
  const route* matched = nullptr;
  /// The captured segments, in order.
  std::vector<std::string_view> captures;
  /// For `wrong_method`: the `Allow` header value.
  std::string allowed;
};

class router {
public:
  explicit router(std::vector<route> routes);

  /// The table of API.md's endpoints this node serves, aliases included.
  static router comptoir_routes();

  route_match match(net::method method, std::string_view path) const;

  /// Every route, in matching order (the OpenAPI test checks the document
  /// against them).
  const std::vector<route>& routes() const { return routes_; }

private:
  std::vector<route> routes_;
};

std::string_view to_string(net::method m);

} // namespace comptoir::net
