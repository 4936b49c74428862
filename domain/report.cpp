#include "domain/report.hpp"

namespace comptoir::domain {

store_summary summarize(location_id store, const sales_aggregate& sales, const stock_ledger& stock,
                        std::string_view from_day, std::string_view to_day,
                        const std::vector<std::string>& weeks, std::int64_t overstock_multiple) {
  store_summary summary;
  summary.store = store;
  summary.totals = sales.totals(from_day, to_day);
  summary.weekly_revenue = sales.revenue_by_week(weeks);
  for (const auto& item : stock.items()) {
    summary.on_hand_total += item.on_hand;
    if (item.on_hand < item.reorder_point)
      ++summary.below_reorder;
    if (item.on_hand <= 0)
      summary.out_of_stock.push_back(item.product);
    else if (item.reorder_point > 0 && item.on_hand > overstock_multiple * item.reorder_point)
      summary.overstock.push_back(item.product);
  }
  return summary;
}

} // namespace comptoir::domain
