#include "domain/stock.hpp"

#include <algorithm>

namespace comptoir::domain {

stock_ledger::stock_ledger(std::vector<stock_item> items) : items_(std::move(items)) {
  std::ranges::sort(items_, {}, &stock_item::product);
}

} // namespace comptoir::domain
