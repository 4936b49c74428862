#pragma once
// A catalogue entry: what the chain sells and at what price.

#include "domain/field_problem.hpp"
#include "domain/ids.hpp"

#include <cstdint>
#include <string>
#include <vector>

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

/// A change to a product: only the fields whose flag is set change. The SKU
/// never changes (tills and labels know products by it).
struct product_patch {
  bool set_name = false;
  std::string name;
  bool set_category = false;
  std::string category;
  bool set_description = false;
  std::string description;
  bool set_price = false;
  std::int64_t price_cents = 0;
};

template <class Inspector> typename Inspector::result_type inspect(Inspector& f, product_patch& x) {
  return f(x.set_name, x.name, x.set_category, x.category, x.set_description, x.description,
           x.set_price, x.price_cents);
}

void apply(product& item, const product_patch& patch);

/// A name and category of 1 to 200 characters, a SKU of 1 to 64 visible
/// ASCII characters, a description of at most 2000, a price of 0 to 10^9 cents.
std::vector<field_problem> validate_product(const product& item);

} // namespace comptoir::domain
