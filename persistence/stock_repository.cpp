#include "persistence/stock_repository.hpp"

#include "persistence/write_transaction.hpp"

#include <soci/soci.h>

#include <stdexcept>
#include <string>

namespace comptoir::persistence {

namespace {

constexpr auto select_stock_of_location =
    "SELECT product_id, on_hand, reorder_point FROM stock WHERE location_id = :location_id"
    " ORDER BY product_id";

constexpr auto select_priced_stock_of_location =
    "SELECT s.product_id, s.on_hand, s.reorder_point, p.price_cents"
    " FROM stock s JOIN products p ON p.id = s.product_id"
    " WHERE s.location_id = :location_id ORDER BY s.product_id";

constexpr auto update_reorder_point =
    "UPDATE stock SET reorder_point = :reorder_point"
    " WHERE location_id = :location_id AND product_id = :product_id";

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

void stock_repository::set_reorder_point(domain::location_id where, domain::product_id product,
                                         std::int64_t reorder_point) {
  if (reorder_point < 0)
    throw std::invalid_argument("a reorder point cannot be negative");
  // From the session: this repository is built without a dialect.
  const auto kind = sql_.get_backend_name() == "sqlite3" ? dialect::sqlite : dialect::postgresql;
  write_transaction transaction(sql_, kind, fence_);
  soci::statement update = (sql_.prepare << update_reorder_point, soci::use(reorder_point),
                            soci::use(where.value), soci::use(product.value));
  update.execute(true);
  if (update.get_affected_rows() != 1)
    throw std::invalid_argument("location " + std::to_string(where.value) +
                                " holds no stock of product " + std::to_string(product.value));
  transaction.commit();
}

} // namespace comptoir::persistence
