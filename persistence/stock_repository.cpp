#include "persistence/stock_repository.hpp"

#include <soci/soci.h>

namespace comptoir::persistence {

namespace {

constexpr auto select_stock_of_location =
    "SELECT product_id, on_hand, reorder_point FROM stock WHERE location_id = :location_id"
    " ORDER BY product_id";

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

} // namespace comptoir::persistence
