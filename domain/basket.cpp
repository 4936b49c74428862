#include "domain/basket.hpp"

#include <algorithm>
#include <unordered_set>

namespace comptoir::domain {

std::vector<field_problem> validate_basket(const std::vector<basket_line>& lines,
                                           const basket_limits& limits) {
  std::vector<field_problem> problems;
  if (lines.empty())
    problems.push_back({"lines", "must hold at least one line"});
  if (lines.size() > limits.max_lines)
    problems.push_back(
        {"lines", "must hold at most " + std::to_string(limits.max_lines) + " lines"});
  std::unordered_set<product_id> seen;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    auto at = "lines[" + std::to_string(i) + "]";
    if (lines[i].product.value < 1)
      problems.push_back({at + ".product_id", "must be a positive integer"});
    else if (!seen.insert(lines[i].product).second)
      problems.push_back({at + ".product_id", "appears in more than one line"});
    if (lines[i].quantity < 1 || lines[i].quantity > limits.max_quantity)
      problems.push_back(
          {at + ".quantity", "must be between 1 and " + std::to_string(limits.max_quantity)});
  }
  return problems;
}

std::int64_t total_cents(const std::vector<sale_line>& lines) {
  std::int64_t total = 0;
  for (const auto& line : lines)
    total += line.quantity * line.unit_price_cents;
  return total;
}

returnable::returnable(const sale_record& record, const std::vector<sale_return>& pending)
    : sold_(record.sale.lines) {
  auto count = [this](const sale_return& r) {
    for (const auto& line : r.lines)
      returned_.push_back(line);
  };
  std::ranges::for_each(record.returns, count);
  for (const auto& r : pending)
    if (std::ranges::none_of(record.returns,
                             [&](const sale_return& done) { return done.id == r.id; }))
      count(r);
}

const sale_line* returnable::sold(product_id product) const {
  auto it = std::ranges::find(sold_, product, &sale_line::product);
  return it == sold_.end() ? nullptr : &*it;
}

std::int64_t returnable::returned(product_id product) const {
  std::int64_t total = 0;
  for (const auto& line : returned_)
    if (line.product == product)
      total += line.quantity;
  return total;
}

std::vector<shortage> returnable::check(const std::vector<basket_line>& lines) const {
  std::vector<shortage> too_many;
  for (const auto& line : lines) {
    const auto* sold_line = sold(line.product);
    auto available = sold_line ? sold_line->quantity - returned(line.product) : 0;
    if (line.quantity > available)
      too_many.push_back({line.product, line.quantity, available});
  }
  return too_many;
}

std::int64_t returnable::refund_cents(const std::vector<basket_line>& lines) const {
  std::int64_t refund = 0;
  for (const auto& line : lines)
    if (const auto* sold_line = sold(line.product))
      refund += line.quantity * sold_line->unit_price_cents;
  return refund;
}

sale_status returnable::status_after(const std::vector<basket_line>& lines) const {
  bool everything = true;
  for (const auto& sold_line : sold_) {
    auto back = returned(sold_line.product);
    for (const auto& line : lines)
      if (line.product == sold_line.product)
        back += line.quantity;
    everything = everything && back >= sold_line.quantity;
  }
  return everything ? sale_status::returned : sale_status::partially_returned;
}

} // namespace comptoir::domain
