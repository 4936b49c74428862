#include "persistence/catalogue_repository.hpp"

#include <soci/soci.h>

namespace comptoir::persistence {

namespace {

constexpr auto select_all_products =
    "SELECT id, sku, name, category, description, price_cents FROM products ORDER BY id";

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

} // namespace comptoir::persistence
