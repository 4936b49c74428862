#pragma once
// The rules a basket (or a return) must follow before any stock is looked at.

#include "domain/field_problem.hpp"
#include "domain/sale.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace comptoir::domain {

struct basket_limits {
  std::size_t max_lines = 100;
  std::int64_t max_quantity = 10'000;
};

/// At least one line, at most `max_lines`, each quantity 1..max_quantity,
/// no product twice.
std::vector<field_problem> validate_basket(const std::vector<basket_line>& lines,
                                           const basket_limits& limits);

/// The sale lines, priced, and their total.
std::int64_t total_cents(const std::vector<sale_line>& lines);

/// What can still be returned of a sale: sold minus already returned, per
/// product, counting returns accepted but not committed yet.
class returnable {
public:
  /// `pending` are returns accepted for this sale and not yet in `record`.
  returnable(const sale_record& record, const std::vector<sale_return>& pending);

  /// The lines asking for more than can be returned (a product not in the
  /// sale can return nothing).
  std::vector<shortage> check(const std::vector<basket_line>& lines) const;
  /// The refund for `lines` at the sale's unit prices.
  std::int64_t refund_cents(const std::vector<basket_line>& lines) const;
  /// The sale's status once `lines` are returned too.
  sale_status status_after(const std::vector<basket_line>& lines) const;

private:
  const sale_line* sold(product_id product) const;
  std::int64_t returned(product_id product) const;

  std::vector<sale_line> sold_;
  std::vector<basket_line> returned_;
};

} // namespace comptoir::domain
