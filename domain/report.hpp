#pragma once
// What one store contributes to the head office's report and dashboard.

#include "domain/aggregates.hpp"
#include "domain/stock.hpp"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace comptoir::domain {

struct store_summary {
  location_id store;
  /// Sales, revenue and products sold in the report's window (net of returns).
  window_totals totals;
  std::int64_t on_hand_total = 0;
  /// Products below their reorder point.
  std::int64_t below_reorder = 0;
  /// Products with nothing on hand.
  std::vector<product_id> out_of_stock;
  /// Products with more than overstock_multiple x their reorder point.
  std::vector<product_id> overstock;
  /// Net revenue per ISO week asked for.
  std::map<std::string, std::int64_t> weekly_revenue;
};

template <class Inspector> typename Inspector::result_type inspect(Inspector& f, store_summary& x) {
  return f(x.store, x.totals, x.on_hand_total, x.below_reorder, x.out_of_stock, x.overstock,
           x.weekly_revenue);
}

/// The summary of one store for the window [from_day, to_day) and the weeks.
store_summary summarize(location_id store, const sales_aggregate& sales, const stock_ledger& stock,
                        std::string_view from_day, std::string_view to_day,
                        const std::vector<std::string>& weeks, std::int64_t overstock_multiple);

} // namespace comptoir::domain
