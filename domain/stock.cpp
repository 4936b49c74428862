#include "domain/stock.hpp"

#include <algorithm>
#include <stdexcept>

namespace comptoir::domain {

stock_ledger::stock_ledger(std::vector<stock_item> items)
    : items_(std::move(items)), reserved_(items_.size(), 0) {
  std::ranges::sort(items_, {}, &stock_item::product);
  items_.shrink_to_fit();
}

void stock_ledger::bump() {
  ++version_;
  if (mirror_)
    mirror_->store(version_);
}

void stock_ledger::reload(std::vector<stock_item> items) {
  items_ = std::move(items);
  std::ranges::sort(items_, {}, &stock_item::product);
  // Loaded row by row: up to twice the capacity it needs, for the node's life.
  items_.shrink_to_fit();
  reserved_.assign(items_.size(), 0);
  reserved_.shrink_to_fit();
  bump();
}

void stock_ledger::mirror_version(std::atomic<std::uint64_t>* mirror) {
  mirror_ = mirror;
  if (mirror_)
    mirror_->store(version_);
}

bool stock_ledger::holds(product_id product) const noexcept {
  return std::ranges::binary_search(items_, product, {}, &stock_item::product);
}

std::size_t stock_ledger::index_of(product_id product) const {
  auto it = std::ranges::lower_bound(items_, product, {}, &stock_item::product);
  if (it == items_.end() || it->product != product)
    throw std::logic_error("stock_ledger: product not held");
  return static_cast<std::size_t>(it - items_.begin());
}

std::vector<shortage> stock_ledger::reserve(const std::vector<basket_line>& lines) {
  std::vector<shortage> short_lines;
  for (const auto& line : lines) {
    auto i = index_of(line.product);
    auto available = items_[i].on_hand - reserved_[i];
    if (line.quantity > available)
      short_lines.push_back({line.product, line.quantity, std::max<std::int64_t>(available, 0)});
  }
  if (short_lines.empty())
    for (const auto& line : lines)
      reserved_[index_of(line.product)] += line.quantity;
  return short_lines;
}

void stock_ledger::release(const std::vector<basket_line>& lines) {
  for (const auto& line : lines)
    reserved_[index_of(line.product)] -= line.quantity;
}

void stock_ledger::commit_sale(const std::vector<basket_line>& lines) {
  for (const auto& line : lines) {
    auto i = index_of(line.product);
    reserved_[i] -= line.quantity;
    items_[i].on_hand -= line.quantity;
  }
  bump();
}

std::vector<field_problem> lines_not_held(const stock_ledger& ledger,
                                          const std::vector<basket_line>& lines,
                                          std::string_view message) {
  std::vector<field_problem> problems;
  for (std::size_t i = 0; i < lines.size(); ++i)
    if (!ledger.holds(lines[i].product))
      problems.push_back({"lines[" + std::to_string(i) + "].product_id", std::string{message}});
  return problems;
}

void stock_ledger::add_product(product_id product) {
  auto it = std::ranges::lower_bound(items_, product, {}, &stock_item::product);
  if (it != items_.end() && it->product == product)
    return;
  auto at = it - items_.begin();
  items_.insert(it, stock_item{product, 0, 0});
  reserved_.insert(reserved_.begin() + at, 0);
  bump();
}

void stock_ledger::set_reorder_point(product_id product, std::int64_t reorder_point) {
  items_[index_of(product)].reorder_point = reorder_point;
  bump();
}

void stock_ledger::commit_return(const std::vector<basket_line>& lines) {
  for (const auto& line : lines)
    items_[index_of(line.product)].on_hand += line.quantity;
  bump();
}

} // namespace comptoir::domain
