#pragma once
// Reading the stock of a store or of the logistics centre from the database.

#include "domain/ids.hpp"
#include "domain/stock.hpp"

#include <cstdint>
#include <vector>

namespace soci {
class session;
} // namespace soci

namespace comptoir::persistence {

struct write_fence;

/// A stock row with the catalogue price of its product, as a store actor starts from.
struct priced_stock_item {
  domain::stock_item item;
  std::int64_t price_cents = 0;
};

class stock_repository {
public:
  /// With a `fence`, set_reorder_point checks it first (write_transaction).
  explicit stock_repository(soci::session& sql, const write_fence* fence = nullptr)
      : sql_(sql), fence_(fence) {}

  /// The stock held at `where`, ordered by product id; empty for an unknown location.
  std::vector<domain::stock_item> load(domain::location_id where);

  /// The same rows with each product's price, in one query.
  std::vector<priced_stock_item> load_with_prices(domain::location_id where);

  /// Sets, in a write transaction, the level below which `product` runs low at `where`. Throws
  /// std::invalid_argument for a negative point or when `where` holds no stock
  /// row for `product`.
  void set_reorder_point(domain::location_id where, domain::product_id product,
                         std::int64_t reorder_point);

private:
  soci::session& sql_;
  const write_fence* fence_;
};

} // namespace comptoir::persistence
