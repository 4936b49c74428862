#include "persistence/catalogue_repository.hpp"

#include <soci/soci.h>

#include <stdexcept>
#include <string>

namespace comptoir::persistence {

namespace {

constexpr auto select_all_products =
    "SELECT id, sku, name, category, description, price_cents FROM products ORDER BY id";
// RETURNING: SQLite has it since 3.35 (Debian 12 ships 3.40).
constexpr auto insert_product =
    "INSERT INTO products (sku, name, category, description, price_cents, updated_at) "
    "VALUES (:sku, :name, :category, :description, :price_cents, :updated_at) RETURNING id";
constexpr auto insert_empty_stock_lines =
    "INSERT INTO stock (location_id, product_id, on_hand, reorder_point) "
    "SELECT id, :product_id, 0, 0 FROM locations";
constexpr auto update_product =
    "UPDATE products SET name = :name, category = :category, description = :description, "
    "price_cents = :price_cents, updated_at = :updated_at WHERE id = :id";

} // namespace

std::vector<domain::product> catalogue_repository::load_all() {
  domain::product row;
  soci::statement query = (sql_.prepare << select_all_products, soci::into(row.id.value),
                           soci::into(row.sku), soci::into(row.name), soci::into(row.category),
                           soci::into(row.description), soci::into(row.price_cents));
  query.execute();
  std::vector<domain::product> products;
  while (query.fetch())
    products.push_back(row);
  return products;
}

domain::product_id catalogue_repository::create(const domain::product& item,
                                                const std::string& now) {
  soci::transaction transaction{sql_};
  std::int64_t id = 0;
  sql_ << insert_product, soci::use(item.sku), soci::use(item.name), soci::use(item.category),
      soci::use(item.description), soci::use(item.price_cents), soci::use(now), soci::into(id);
  sql_ << insert_empty_stock_lines, soci::use(id);
  transaction.commit();
  return domain::product_id{id};
}

void catalogue_repository::update(const domain::product& item, const std::string& now) {
  soci::statement statement =
      (sql_.prepare << update_product, soci::use(item.name), soci::use(item.category),
       soci::use(item.description), soci::use(item.price_cents), soci::use(now),
       soci::use(item.id.value));
  statement.execute(true);
  if (statement.get_affected_rows() != 1)
    throw std::invalid_argument("no product " + std::to_string(item.id.value));
}

} // namespace comptoir::persistence
