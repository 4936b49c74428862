#include "domain/product.hpp"

#include <algorithm>

namespace comptoir::domain {

void apply(product& item, const product_patch& patch) {
  if (patch.set_name)
    item.name = patch.name;
  if (patch.set_category)
    item.category = patch.category;
  if (patch.set_description)
    item.description = patch.description;
  if (patch.set_price)
    item.price_cents = patch.price_cents;
}

std::vector<field_problem> validate_product(const product& item) {
  std::vector<field_problem> problems;
  auto visible = [](char c) { return c > ' ' && c < 0x7f; };
  // Control characters have no place in a label, and a NUL would be cut off
  // by PostgreSQL after the client was told the whole text was saved.
  auto control = [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; };
  auto layout = [](char c) { return c == '\n' || c == '\t'; };
  if (item.sku.empty() || item.sku.size() > 64 || !std::ranges::all_of(item.sku, visible))
    problems.push_back({"sku", "must be 1 to 64 visible ASCII characters"});
  if (item.name.empty() || item.name.size() > 200 || std::ranges::any_of(item.name, control))
    problems.push_back({"name", "must be 1 to 200 characters, no control characters"});
  if (item.category.empty() || item.category.size() > 200 ||
      std::ranges::any_of(item.category, control))
    problems.push_back({"category", "must be 1 to 200 characters, no control characters"});
  if (item.description.size() > 2000 ||
      std::ranges::any_of(item.description, [&](char c) { return control(c) && !layout(c); }))
    problems.push_back(
        {"description", "must be at most 2000 characters, no control characters but tab and "
                        "newline"});
  if (item.price_cents < 0 || item.price_cents > 1'000'000'000)
    problems.push_back({"price_cents", "must be between 0 and 1000000000"});
  return problems;
}

} // namespace comptoir::domain
