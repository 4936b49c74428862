#pragma once
// The demo chain: five stores, the logistics centre, a catalogue and stock everywhere.

#include "persistence/database_url.hpp"

#include <cstdint>
#include <span>
#include <string_view>

namespace soci {
class session;
} // namespace soci

namespace comptoir::persistence {

/// A product of the demo catalogue; its id is its position, from 1.
struct demo_product {
  std::string_view sku;
  std::string_view name;
  std::string_view category;
  std::string_view description;
  std::int64_t price_cents;
};

/// The demo catalogue: 50 products in five categories. `comptoir generate`
/// draws its products from it too.
std::span<const demo_product> demo_catalogue();

/// Fills a migrated, empty database in one transaction: stores 1-5, the
/// logistics centre (6), products 1-50 and stock for every location and
/// product. The data is the same on every run. Returns false and changes
/// nothing when the database already holds locations or products.
bool load_demo_data(soci::session& sql, dialect kind);

} // namespace comptoir::persistence
