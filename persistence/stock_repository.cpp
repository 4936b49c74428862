#include "persistence/stock_repository.hpp"

#include <soci/soci.h>

namespace comptoir::persistence {

namespace {

constexpr auto select_stock_of_location =
    "SELECT product_id, on_hand, reorder_point FROM stock WHERE location_id = :location_id"
    " ORDER BY product_id";

constexpr auto select_priced_stock_of_location =
    "SELECT s.product_id, s.on_hand, s.reorder_point, p.price_cents"
    " FROM stock s JOIN products p ON p.id = s.product_id"
    " WHERE s.location_id = :location_id ORDER BY s.product_id";

} // namespace

std::vector<domain::stock_item> stock_repository::load(domain::location_id where) {
  domain::stock_item row;
  soci::statement query =
      (sql_.prepare << select_stock_of_location, soci::use(where.value),
       soci::into(row.product.value), soci::into(row.on_hand), soci::into(row.reorder_point));
  query.execute();
  std::vector<domain::stock_item> items;
  while (query.fetch())
    items.push_back(row);
  return items;
}

std::vector<priced_stock_item> stock_repository::load_with_prices(domain::location_id where) {
  priced_stock_item row;
  soci::statement query = (sql_.prepare << select_priced_stock_of_location, soci::use(where.value),
                           soci::into(row.item.product.value), soci::into(row.item.on_hand),
                           soci::into(row.item.reorder_point), soci::into(row.price_cents));
  query.execute();
  std::vector<priced_stock_item> items;
  while (query.fetch())
    items.push_back(row);
  return items;
}

} // namespace comptoir::persistence
