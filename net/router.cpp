#include "net/router.hpp"

namespace comptoir::net {

namespace {

using domain::access_rule;

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
  using domain::role;
  const auto any_role = access_rule::any_role();
  // Clerks sell and take returns at their own store's till only.
  const auto till = access_rule{}.with(role::admin).with(role::clerk).clerk_of_own_store_only();
  const auto logistics = access_rule{}.with(role::admin).with(role::logistics);
  const auto catalogue_editors = access_rule{}.with(role::admin).with(role::hq);
  const auto sales_readers =
      access_rule{}.with(role::admin).with(role::hq).with(role::clerk).clerk_of_own_store_only();
  return router{{
      {method::get, "/health/live", route_id::health_live, std::nullopt},
      {method::get, "/health/ready", route_id::health_ready, std::nullopt},
      {method::get, "/openapi.json", route_id::openapi, std::nullopt},
      {method::get, "/api/v1/products", route_id::products_list, any_role},
      {method::get, "/produits", route_id::products_list, any_role},
      {method::get, "/api/v1/products/{id}", route_id::product_get, any_role},
      {method::get, "/api/v1/stores", route_id::stores_list, any_role},
      {method::get, "/api/v1/stores/{id}/stock", route_id::store_stock, any_role},
      {method::get, "/api/v1/warehouse/stock", route_id::warehouse_stock, any_role},
      {method::post, "/api/v1/stores/{id}/sales", route_id::sale_create, till},
      {method::get, "/api/v1/stores/{id}/sales", route_id::sales_list, sales_readers},
      // The sale's store is known only once the sale is found: the worker
      // checks a clerk's store for these two.
      {method::get, "/api/v1/sales/{id}", route_id::sale_get,
       access_rule{}.with(role::admin).with(role::hq).with(role::clerk)},
      {method::post, "/api/v1/sales/{id}/returns", route_id::return_create,
       access_rule{}.with(role::admin).with(role::clerk)},
      {method::patch, "/api/v1/stores/{id}/stock/{product_id}", route_id::reorder_point_set,
       access_rule{}.with(role::admin).with(role::hq).with(role::logistics)},
      {method::post, "/api/v1/stores/{id}/restock-requests", route_id::restock_create, till},
      // A clerk sees their own store's requests only (the handler filters).
      {method::get, "/api/v1/restock-requests", route_id::restock_list, any_role},
      {method::post, "/api/v1/restock-requests/{id}/approve", route_id::restock_approve, logistics},
      {method::post, "/api/v1/restock-requests/{id}/reject", route_id::restock_reject, logistics},
      {method::post, "/api/v1/products", route_id::product_create, catalogue_editors},
      {method::patch, "/api/v1/products/{id}", route_id::product_update, catalogue_editors},
      {method::get, "/api/v1/reports/sales", route_id::sales_report, catalogue_editors},
      {method::get, "/rapport", route_id::sales_report, catalogue_editors},
      {method::get, "/api/v1/dashboard", route_id::dashboard, catalogue_editors},
      {method::get, "/performances", route_id::dashboard, catalogue_editors},
      {method::get, "/api/v1/alerts", route_id::alerts_list,
       access_rule{}.with(role::admin).with(role::hq).with(role::logistics)},
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
