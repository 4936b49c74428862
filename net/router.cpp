#include "net/router.hpp"

namespace comptoir::net {

namespace {

/// Matches `path` against `pattern` segment by segment, capturing `{...}`.
bool match_pattern(std::string_view pattern, std::string_view path,
                   std::vector<std::string_view>& captures) {
  captures.clear();
  while (!pattern.empty() && !path.empty()) {
    if (pattern.front() != '/' || path.front() != '/')
      return false;
    pattern.remove_prefix(1);
    path.remove_prefix(1);
    auto pattern_end = pattern.find('/');
    auto path_end = path.find('/');
    auto expected = pattern.substr(0, pattern_end);
    auto actual = path.substr(0, path_end);
    if (expected.starts_with('{')) {
      if (actual.empty())
        return false;
      captures.push_back(actual);
    } else if (expected != actual) {
      return false;
    }
    pattern =
        pattern_end == std::string_view::npos ? std::string_view{} : pattern.substr(pattern_end);
    path = path_end == std::string_view::npos ? std::string_view{} : path.substr(path_end);
  }
  return pattern.empty() && path.empty();
}

} // namespace

router::router(std::vector<route> routes) : routes_(std::move(routes)) {}

router router::comptoir_routes() {
  namespace rules = domain::rules;
  // Sales and returns name a sale, not a store: the API checks the role, the
  // worker checks the clerk's store once the sale is found.
  constexpr bool store_of_record = true;
  return router{{
      // The managers' web page: open, like any page before its sign-in.
      {method::get, "/", route_id::web_index, std::nullopt},
      {method::get, "/ui/{file}", route_id::web_asset, std::nullopt},
      {method::get, "/health/live", route_id::health_live, std::nullopt},
      {method::get, "/health/ready", route_id::health_ready, std::nullopt},
      {method::get, "/openapi.json", route_id::openapi, std::nullopt},
      {method::get, "/metrics", route_id::metrics, std::nullopt},
      {method::get, "/api/v1/me", route_id::me, rules::any_role},
      {method::get, "/api/v1/products", route_id::products_list, rules::any_role},
      {method::get, "/produits", route_id::products_list, rules::any_role},
      {method::get, "/api/v1/products/{id}", route_id::product_get, rules::any_role},
      {method::get, "/api/v1/stores", route_id::stores_list, rules::any_role},
      {method::get, "/api/v1/stores/{id}/stock", route_id::store_stock, rules::any_role},
      {method::get, "/api/v1/warehouse/stock", route_id::warehouse_stock, rules::any_role},
      {method::post, "/api/v1/stores/{id}/sales", route_id::sale_create, rules::till},
      {method::get, "/api/v1/stores/{id}/sales", route_id::sales_list, rules::sales_readers},
      {method::get, "/api/v1/sales/{id}", route_id::sale_get, rules::sales_readers,
       store_of_record},
      {method::post, "/api/v1/sales/{id}/returns", route_id::return_create, rules::till,
       store_of_record},
      {method::patch, "/api/v1/stores/{id}/stock/{product_id}", route_id::reorder_point_set,
       rules::stock_planners},
      {method::post, "/api/v1/stores/{id}/restock-requests", route_id::restock_create,
       rules::till},
      // A clerk sees their own store's requests only (the handler filters).
      {method::get, "/api/v1/restock-requests", route_id::restock_list, rules::any_role},
      {method::post, "/api/v1/restock-requests/{id}/approve", route_id::restock_approve,
       rules::logistics},
      {method::post, "/api/v1/restock-requests/{id}/reject", route_id::restock_reject,
       rules::logistics},
      {method::post, "/api/v1/products", route_id::product_create, rules::head_office},
      {method::patch, "/api/v1/products/{id}", route_id::product_update, rules::head_office},
      {method::get, "/api/v1/reports/sales", route_id::sales_report, rules::head_office},
      {method::get, "/rapport", route_id::sales_report, rules::head_office},
      {method::get, "/api/v1/dashboard", route_id::dashboard, rules::head_office},
      {method::get, "/performances", route_id::dashboard, rules::head_office},
      {method::get, "/api/v1/alerts", route_id::alerts_list, rules::stock_planners},
  }};
}

route_match router::match(net::method method, std::string_view path) const {
  route_match found;
  std::vector<std::string_view> captures;
  for (const auto& candidate : routes_) {
    if (!match_pattern(candidate.pattern, path, captures))
      continue;
    // HEAD is answered like GET, without the body.
    bool same_method =
        candidate.method == method || (method == method::head && candidate.method == method::get);
    if (same_method) {
      found.result = route_match::outcome::found;
      found.matched = &candidate;
      found.captures = std::move(captures);
      found.allowed.clear();
      return found;
    }
    found.result = route_match::outcome::wrong_method;
    if (!found.allowed.empty())
      found.allowed += ", ";
    found.allowed += to_string(candidate.method);
    if (candidate.method == method::get)
      found.allowed += ", HEAD";
  }
  return found;
}

std::string_view to_string(net::method m) {
  switch (m) {
  case method::get:
    return "GET";
  case method::head:
    return "HEAD";
  case method::post:
    return "POST";
  case method::put:
    return "PUT";
  case method::patch:
    return "PATCH";
  case method::del:
    return "DELETE";
  case method::options:
    return "OPTIONS";
  case method::other:
    break;
  }
  return "OTHER";
}

} // namespace comptoir::net
