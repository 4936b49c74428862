#pragma once
// Restocking: a store's request for units from the logistics centre, and the
// alerts a store raises when its stock runs low.

#include "domain/ids.hpp"
#include "domain/sale.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace comptoir::domain {

/// pending -> approved (the centre's side is committed: the units are in
/// transit) -> fulfilled (the store's side is committed); or pending -> rejected.
enum class restock_status : std::uint8_t { pending, approved, fulfilled, rejected };

std::string_view to_string(restock_status status);
std::optional<restock_status> parse_restock_status(std::string_view text);

struct restock_request {
  /// UUIDv7.
  std::string id;
  location_id store;
  std::vector<basket_line> lines;
  restock_status status = restock_status::pending;
  std::string created_at;
  std::string updated_at;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, restock_request& x) {
  return f(x.id, x.store, x.lines, x.status, x.created_at, x.updated_at);
}

/// A page of restock requests, newest first.
struct restock_query {
  /// Only this status, when set.
  std::optional<restock_status> status;
  /// Only this store's, when set (a clerk sees their own store's only).
  std::optional<location_id> store;
  /// Resume after this request id; empty from the newest.
  std::string before_id;
  std::int32_t limit = 50;
};

using restock_page = id_page<restock_request>;

enum class alert_kind : std::uint8_t { low_stock, out_of_stock };

std::string_view to_string(alert_kind kind);
std::optional<alert_kind> parse_alert_kind(std::string_view text);

/// An open alert: one at most per store, product and kind.
struct stock_alert {
  /// UUIDv7.
  std::string id;
  location_id store;
  product_id product;
  alert_kind kind = alert_kind::low_stock;
  /// When it was raised.
  std::string since;
};

template <class Inspector> typename Inspector::result_type inspect(Inspector& f, stock_alert& x) {
  return f(x.id, x.store, x.product, x.kind, x.since);
}

/// The alerts a product should have open at this level: out of stock at zero
/// or below, low stock below the reorder point (both at zero when the point
/// is above zero).
std::vector<alert_kind> alerts_for(std::int64_t on_hand, std::int64_t reorder_point);

} // namespace comptoir::domain
