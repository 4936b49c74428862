#pragma once
// Searching the catalogue: text, category and cursor pagination.

#include "domain/product.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace comptoir::domain {

struct product_query {
  /// Case-insensitive substring of the name or the SKU; empty matches all.
  std::string text;
  /// Case-insensitive category name; empty matches all.
  std::string category;
  /// Resume after this product id (0: from the start).
  std::int64_t after = 0;
  std::int32_t limit = 50;
};

template <class Inspector> typename Inspector::result_type inspect(Inspector& f, product_query& x) {
  return f(x.text, x.category, x.after, x.limit);
}

struct product_page {
  std::vector<const product*> items;
  /// Set when more matches follow the last item.
  std::optional<product_id> next_after;
};

/// Runs `query` over `catalogue`, which must be ordered by id.
product_page find_products(const std::vector<product>& catalogue, const product_query& query);

} // namespace comptoir::domain
