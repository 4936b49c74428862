#include "domain/sale.hpp"

#include <array>
#include <map>
#include <utility>

namespace comptoir::domain {

namespace {
constexpr std::array<std::pair<sale_status, std::string_view>, 3> status_names{{
    {sale_status::completed, "completed"},
    {sale_status::partially_returned, "partially_returned"},
    {sale_status::returned, "returned"},
}};
} // namespace

std::string_view to_string(sale_status status) {
  for (auto& [value, name] : status_names)
    if (value == status)
      return name;
  return "unknown";
}

std::optional<sale_status> parse_sale_status(std::string_view text) {
  for (auto& [value, name] : status_names)
    if (name == text)
      return value;
  return std::nullopt;
}

std::vector<stock_change> stock_changes(const commit_batch& batch,
                                        const std::vector<bool>& sale_committed,
                                        const std::vector<bool>& return_committed) {
  std::map<product_id, std::int64_t> deltas;
  for (std::size_t i = 0; i < batch.sales.size(); ++i)
    if (sale_committed[i])
      for (const auto& line : batch.sales[i].sale.lines)
        deltas[line.product] -= line.quantity;
  for (std::size_t i = 0; i < batch.returns.size(); ++i)
    if (return_committed[i])
      for (const auto& line : batch.returns[i].record.lines)
        deltas[line.product] += line.quantity;
  std::vector<stock_change> changes;
  for (auto [product, delta] : deltas)
    if (delta != 0)
      changes.push_back({product, delta});
  return changes;
}

} // namespace comptoir::domain
