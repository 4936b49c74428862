#include "domain/product_query.hpp"

#include <algorithm>
#include <cctype>
#include <string_view>

namespace comptoir::domain {

namespace {

bool equal_ignoring_case(char a, char b) {
  return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
}

bool contains_ignoring_case(std::string_view haystack, std::string_view needle) {
  return !std::ranges::search(haystack, needle, equal_ignoring_case).empty();
}

bool matches(const product& item, const product_query& query) {
  if (!query.category.empty() &&
      !std::ranges::equal(item.category, query.category, equal_ignoring_case))
    return false;
  return query.text.empty() || contains_ignoring_case(item.name, query.text) ||
         contains_ignoring_case(item.sku, query.text);
}

} // namespace

product_page find_products(const std::vector<product>& catalogue, const product_query& query) {
  product_page page;
  auto first = std::ranges::upper_bound(catalogue, product_id{query.after}, {}, &product::id);
  for (auto it = first; it != catalogue.end(); ++it) {
    if (!matches(*it, query))
      continue;
    if (page.items.size() == static_cast<std::size_t>(query.limit)) {
      page.next_after = page.items.back()->id;
      break;
    }
    page.items.push_back(&*it);
  }
  return page;
}

} // namespace comptoir::domain
