#pragma once
// The stock of one location: how many units of each product are on hand, and
// how many are promised to sales not yet committed.

#include "domain/field_problem.hpp"
#include "domain/ids.hpp"
#include "domain/sale.hpp"

#include <atomic>
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

/// One location's stock, ordered by product id. Every committed change bumps
/// the version, which keys the rendered views and the ETags built from them.
///
/// A sale first reserves its lines (so concurrent sales cannot promise the
/// same units), then either commits them once the database has, or releases
/// them if it has not.
class stock_ledger {
public:
  stock_ledger() = default;
  explicit stock_ledger(std::vector<stock_item> items);

  /// Committed stock (reservations are not subtracted).
  const std::vector<stock_item>& items() const noexcept { return items_; }
  std::uint64_t version() const noexcept { return version_; }
  bool holds(product_id product) const noexcept;

  /// Reserves every line, or none: the shortages when some line cannot be
  /// served from on hand minus already reserved. Every product must be held.
  std::vector<shortage> reserve(const std::vector<basket_line>& lines);
  /// Drops a reservation whose sale was not committed.
  void release(const std::vector<basket_line>& lines);
  /// Turns a reservation into a committed sale.
  void commit_sale(const std::vector<basket_line>& lines);
  /// Committed returns and received transfers put units back.
  void commit_return(const std::vector<basket_line>& lines);
  /// Starts holding `product`, with nothing on hand (no-op if held already).
  void add_product(product_id product);
  /// Sets a product's reorder point (the product must be held).
  void set_reorder_point(product_id product, std::int64_t reorder_point);
  /// Replaces the items with the database's (at start, or after a failed
  /// commit) and drops every reservation. The version goes on from the old
  /// one: a view or an ETag of the old items never matches the new ones.
  void reload(std::vector<stock_item> items);
  /// From now on, every new version is also stored in `*mirror` (null:
  /// nowhere), for threads that serve a view rendered at some version only
  /// while the ledger is still at it.
  void mirror_version(std::atomic<std::uint64_t>* mirror);
  /// The item of a held product.
  const stock_item& item(product_id product) const { return items_[index_of(product)]; }

private:
  std::size_t index_of(product_id product) const;
  void bump();

  std::vector<stock_item> items_;
  std::vector<std::int64_t> reserved_;
  std::uint64_t version_ = 1;
  std::atomic<std::uint64_t>* mirror_ = nullptr;
};

/// The lines of `lines` whose product `ledger` does not hold, as
/// {"lines[i].product_id", `message`}.
std::vector<field_problem> lines_not_held(const stock_ledger& ledger,
                                          const std::vector<basket_line>& lines,
                                          std::string_view message);

} // namespace comptoir::domain
