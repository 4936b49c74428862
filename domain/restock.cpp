#include "domain/restock.hpp"

#include <array>
#include <utility>

namespace comptoir::domain {

namespace {

constexpr std::array<std::pair<restock_status, std::string_view>, 4> status_names{{
    {restock_status::pending, "pending"},
    {restock_status::approved, "approved"},
    {restock_status::fulfilled, "fulfilled"},
    {restock_status::rejected, "rejected"},
}};

constexpr std::array<std::pair<alert_kind, std::string_view>, 2> kind_names{{
    {alert_kind::low_stock, "low_stock"},
    {alert_kind::out_of_stock, "out_of_stock"},
}};

template <class Names, class Value> std::string_view name_of(const Names& names, Value value) {
  for (auto& [candidate, name] : names)
    if (candidate == value)
      return name;
  return "unknown";
}

template <class Value, class Names>
std::optional<Value> value_of(const Names& names, std::string_view text) {
  for (auto& [value, name] : names)
    if (name == text)
      return value;
  return std::nullopt;
}

} // namespace

std::string_view to_string(restock_status status) {
  return name_of(status_names, status);
}

std::optional<restock_status> parse_restock_status(std::string_view text) {
  return value_of<restock_status>(status_names, text);
}

std::string_view to_string(alert_kind kind) {
  return name_of(kind_names, kind);
}

std::optional<alert_kind> parse_alert_kind(std::string_view text) {
  return value_of<alert_kind>(kind_names, text);
}

std::vector<alert_kind> alerts_for(std::int64_t on_hand, std::int64_t reorder_point) {
  std::vector<alert_kind> kinds;
  if (on_hand < reorder_point)
    kinds.push_back(alert_kind::low_stock);
  if (on_hand <= 0)
    kinds.push_back(alert_kind::out_of_stock);
  return kinds;
}

} // namespace comptoir::domain
