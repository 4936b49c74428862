#pragma once
// JSON renderings of the state actors own, cached by the owners and sent as is.

#include "actors/protocol.hpp"
#include "actors/stock_board.hpp"
#include "domain/basket.hpp"
#include "domain/location.hpp"
#include "domain/product.hpp"
#include "domain/report.hpp"
#include "domain/restock.hpp"
#include "domain/sale.hpp"
#include "domain/stock.hpp"

#include <optional>
#include <string>
#include <vector>

namespace comptoir::actors {

/// `{id, sku, name, category, price_cents, description}`
std::string render_product(const domain::product& item);

/// `{"items": [...], "next_cursor": ...}` from already rendered items.
std::string render_page(const std::vector<const std::string*>& rendered_items,
                        std::optional<std::int64_t> next_after);

/// The stores among `locations`, as a list of `{id, name, city}`.
std::string render_stores(const std::vector<domain::location>& locations);

/// `{"store_id"|"warehouse_id": id, "version": v, "items": [{product_id, on_hand, reorder_point}]}`
/// With `below_reorder_only`, only the items whose on hand is below their reorder point.
std::string render_stock(const domain::location& where, const domain::stock_ledger& ledger,
                         bool below_reorder_only);

/// `{product_id, on_hand, reorder_point}`
std::string render_stock_item(const domain::stock_item& item);

/// `{id, store_id, lines: [{product_id, quantity}], status, created_at, updated_at}`
std::string render_restock(const domain::restock_request& request);

/// `{"items": [restock requests], "next_cursor": ...}`
std::string render_restock_page(const domain::restock_page& page);

/// UC1: `{stores: [{store_id, sales_count, revenue_cents}], top_products:
/// [{product_id, quantity, revenue_cents}], stock: [{store_id, on_hand_total, below_reorder}]}`
std::string render_report(const std::vector<domain::store_summary>& summaries);

/// UC3: `{stores: [{store_id, revenue_cents, out_of_stock, overstock}],
/// weekly_trend: [{week, revenue_cents}]}`; revenue over the trend's weeks.
std::string render_dashboard(const std::vector<domain::store_summary>& summaries,
                             const std::vector<std::string>& weeks);

/// `{"items": [{id, store_id, product_id, kind, since}], "next_cursor": null}`
std::string render_alerts(const std::vector<domain::stock_alert>& alerts);

class stock_view;

/// The answer to a stock read: the cached full list, or the items below
/// their reorder point rendered now.
rendered read_stock(stock_view& cache, const domain::location& where,
                    const domain::stock_ledger& ledger, bool below_reorder_only);

/// A location's rendered stock, rendered again only when the ledger's version
/// moves. A store publishes the same rendering on its stock board.
class stock_view {
public:
  const std::shared_ptr<const stock_snapshot>& of(const domain::location& where,
                                                  const domain::stock_ledger& ledger);

  /// Reads served from the rendered JSON, and reads that rendered it again
  /// because the stock had changed (the metrics issue exposes them).
  std::uint64_t hits() const noexcept { return hits_; }
  std::uint64_t misses() const noexcept { return misses_; }

private:
  std::shared_ptr<const stock_snapshot> current_;
  std::uint64_t hits_ = 0;
  std::uint64_t misses_ = 0;
};

/// `{id, store_id, lines: [{product_id, quantity, unit_price_cents}], total_cents, status,
/// created_at}`
std::string render_sale(const domain::sale& sold);

/// `{id, sale_id, lines: [{product_id, quantity}], refund_cents, created_at}`
std::string render_return(const domain::sale_return& taken_back);

/// A sale with `returns: [...]`.
std::string render_sale_record(const domain::sale_record& record);

/// `{"items": [sales], "next_cursor": ...}`
std::string render_sales_page(const domain::sales_page& page);

/// `[{product_id, requested, available}]`, the context of an `insufficient` error.
std::string render_shortages(const std::vector<domain::shortage>& lines);

/// `[{field, message}]`, the context of an `invalid` error.
std::string render_field_problems(const std::vector<domain::field_problem>& problems);

} // namespace comptoir::actors
