#pragma once
// A catalogue entry: what the chain sells and at what price.

#include "domain/ids.hpp"

#include <cstdint>
#include <string>

namespace comptoir::domain {

struct product {
  product_id id;
  std::string sku;
  std::string name;
  std::string category;
  std::string description;
  std::int64_t price_cents = 0;
};

template <class Inspector> typename Inspector::result_type inspect(Inspector& f, product& x) {
  return f(x.id, x.sku, x.name, x.category, x.description, x.price_cents);
}

} // namespace comptoir::domain
