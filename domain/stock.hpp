#pragma once
// The stock of one location: how many units of each product are on hand.

#include "domain/ids.hpp"

#include <cstdint>
#include <vector>

namespace comptoir::domain {

struct stock_item {
  product_id product;
  std::int64_t on_hand = 0;
  /// Below this level the location should be restocked.
  std::int64_t reorder_point = 0;
};

template <class Inspector> typename Inspector::result_type inspect(Inspector& f, stock_item& x) {
  return f(x.product, x.on_hand, x.reorder_point);
}

/// One location's stock, ordered by product id. Every change bumps the
/// version, which keys the rendered views and the ETags built from them.
class stock_ledger {
public:
  stock_ledger() = default;
  explicit stock_ledger(std::vector<stock_item> items);

  const std::vector<stock_item>& items() const noexcept { return items_; }
  std::uint64_t version() const noexcept { return version_; }

private:
  std::vector<stock_item> items_;
  std::uint64_t version_ = 1;
};

} // namespace comptoir::domain
