#pragma once
// JSON renderings of the state actors own, cached by the owners and sent as is.

#include "domain/location.hpp"
#include "domain/product.hpp"
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
std::string render_stock(const domain::location& where, const domain::stock_ledger& ledger);

} // namespace comptoir::actors
