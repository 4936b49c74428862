#include "domain/aggregates.hpp"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <optional>

namespace comptoir::domain {

namespace {

using std::chrono::days;
using std::chrono::sys_days;

// -- calendar -----------------------------------------------------------------------

std::optional<int> number(std::string_view digits) {
  int value = 0;
  if (digits.empty() || !std::ranges::all_of(digits, [](char c) { return c >= '0' && c <= '9'; }))
    return std::nullopt;
  std::from_chars(digits.data(), digits.data() + digits.size(), value);
  return value;
}

/// "2026-11-28" (or a timestamp on that day).
std::optional<sys_days> parse_day(std::string_view text) {
  if (text.size() < 10 || text[4] != '-' || text[7] != '-')
    return std::nullopt;
  const auto y = number(text.substr(0, 4));
  const auto m = number(text.substr(5, 2));
  const auto d = number(text.substr(8, 2));
  if (!y || !m || !d)
    return std::nullopt;
  const std::chrono::year_month_day date{std::chrono::year{*y},
                                         std::chrono::month{static_cast<unsigned>(*m)},
                                         std::chrono::day{static_cast<unsigned>(*d)}};
  if (!date.ok())
    return std::nullopt;
  return sys_days{date};
}

std::string format_day(sys_days when) {
  const std::chrono::year_month_day date{when};
  char text[16];
  std::snprintf(text, sizeof text, "%04d-%02u-%02u", static_cast<int>(date.year()),
                static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()));
  return text;
}

sys_days monday_of(sys_days when) {
  return when - days{std::chrono::weekday{when}.iso_encoding() - 1};
}

/// Week 1 is the week of January 4th (so of the year's first Thursday).
sys_days first_monday_of(std::chrono::year y) {
  return monday_of(sys_days{y / std::chrono::January / 4});
}

std::string iso_week_of(sys_days when) {
  const auto monday = monday_of(when);
  // The ISO year is the year of the week's Thursday.
  const auto y = std::chrono::year_month_day{monday + days{3}}.year();
  const auto week = (monday - first_monday_of(y)).count() / 7 + 1;
  char text[16];
  std::snprintf(text, sizeof text, "%04d-W%02d", static_cast<int>(y), static_cast<int>(week));
  return text;
}

/// The Monday a week ("2026-W48") starts on, if there is such a week.
std::optional<sys_days> monday_of_week(std::string_view week) {
  if (week.size() != 8 || week[4] != '-' || week[5] != 'W')
    return std::nullopt;
  const auto y = number(week.substr(0, 4));
  const auto w = number(week.substr(6, 2));
  if (!y || !w || *w < 1 || *w > 53)
    return std::nullopt;
  const auto monday = first_monday_of(std::chrono::year{*y}) + days{7 * (*w - 1)};
  // Week 53 of a year of 52 weeks is week 1 of the next.
  if (iso_week_of(monday) != week)
    return std::nullopt;
  return monday;
}

} // namespace

// -- days and ISO weeks -----------------------------------------------------------

std::string day_of(std::string_view timestamp) {
  return std::string{timestamp.substr(0, 10)};
}

std::string iso_week_of(std::string_view day) {
  const auto when = parse_day(day);
  return when ? iso_week_of(*when) : std::string{};
}

std::vector<std::string> last_iso_weeks(std::string_view today, int count) {
  std::vector<std::string> weeks;
  const auto when = parse_day(today);
  if (!when || count <= 0)
    return weeks;
  weeks.reserve(static_cast<std::size_t>(count));
  const auto this_monday = monday_of(*when);
  for (int back = count - 1; back >= 0; --back)
    weeks.push_back(iso_week_of(this_monday - days{7 * back}));
  return weeks;
}

// -- totals -------------------------------------------------------------------------

void merge(window_totals& into, const window_totals& from) {
  into.sales_count += from.sales_count;
  into.revenue_cents += from.revenue_cents;
  for (const auto& [product, sums] : from.products) {
    auto& total = into.products[product];
    total.quantity += sums.quantity;
    total.revenue_cents += sums.revenue_cents;
  }
}

std::vector<std::pair<product_id, product_totals>> top_products(const window_totals& totals,
                                                                std::size_t n) {
  std::vector<std::pair<product_id, product_totals>> ranked(totals.products.begin(),
                                                            totals.products.end());
  const auto better = [](const auto& a, const auto& b) {
    if (a.second.quantity != b.second.quantity)
      return a.second.quantity > b.second.quantity;
    if (a.second.revenue_cents != b.second.revenue_cents)
      return a.second.revenue_cents > b.second.revenue_cents;
    return a.first < b.first;
  };
  const auto kept = std::min(n, ranked.size());
  std::partial_sort(ranked.begin(), ranked.begin() + static_cast<std::ptrdiff_t>(kept),
                    ranked.end(), better);
  ranked.resize(kept);
  return ranked;
}

// -- sales_aggregate ----------------------------------------------------------------

sales_aggregate::day_totals& sales_aggregate::day(std::string_view day) {
  index_.reset();
  const auto key = day.substr(0, 10);
  auto at = days_.lower_bound(key);
  if (at == days_.end() || at->first != key)
    at = days_.emplace_hint(at, std::string{key}, day_totals{});
  return at->second;
}

void sales_aggregate::add_sale(const sale& s) {
  auto& totals = day(s.created_at);
  totals.sales_count += 1;
  totals.revenue_cents += s.total_cents;
  for (const auto& line : s.lines) {
    auto& product = totals.products[line.product];
    product.quantity += line.quantity;
    product.revenue_cents += line.quantity * line.unit_price_cents;
  }
}

void sales_aggregate::add_return(const sale_return& r, const std::vector<sale_line>& sold) {
  auto& totals = day(r.created_at);
  totals.revenue_cents -= r.refund_cents;
  for (const auto& line : r.lines) {
    const auto at = std::ranges::find(sold, line.product, &sale_line::product);
    const std::int64_t unit_price = at == sold.end() ? 0 : at->unit_price_cents;
    auto& product = totals.products[line.product];
    product.quantity -= line.quantity;
    product.revenue_cents -= line.quantity * unit_price;
  }
}

void sales_aggregate::add_day(std::string_view day_text, std::int64_t sales_count,
                              std::int64_t revenue_cents) {
  auto& totals = day(day_text);
  totals.sales_count += sales_count;
  totals.revenue_cents += revenue_cents;
}

void sales_aggregate::add_product_day(std::string_view day_text, product_id product,
                                      std::int64_t quantity, std::int64_t revenue_cents) {
  auto& totals = day(day_text).products[product];
  totals.quantity += quantity;
  totals.revenue_cents += revenue_cents;
}

const sales_aggregate::cumulative& sales_aggregate::index() const {
  if (index_)
    return *index_;
  auto& built = index_.emplace();
  for (const auto& [day, totals] : days_) {
    built.days.push_back(day);
    for (const auto& [product, sums] : totals.products)
      built.products.push_back(product);
  }
  std::ranges::sort(built.products);
  built.products.erase(std::unique(built.products.begin(), built.products.end()),
                       built.products.end());
  // It held one id per day and product before the duplicates went: kept for
  // as long as the index, that is most of a large store's memory.
  built.products.shrink_to_fit();
  const auto width = built.products.size();
  built.rows.resize((built.days.size() + 1) * width);
  built.sales_count.assign(built.days.size() + 1, 0);
  built.revenue_cents.assign(built.days.size() + 1, 0);
  std::size_t row = 0;
  for (const auto& [day, totals] : days_) {
    std::copy_n(built.rows.begin() + static_cast<std::ptrdiff_t>(row * width), width,
                built.rows.begin() + static_cast<std::ptrdiff_t>((row + 1) * width));
    for (const auto& [product, sums] : totals.products) {
      auto column = std::ranges::lower_bound(built.products, product) - built.products.begin();
      auto& cell = built.rows[(row + 1) * width + static_cast<std::size_t>(column)];
      cell.quantity += sums.quantity;
      cell.revenue_cents += sums.revenue_cents;
      cell.days += 1;
    }
    built.sales_count[row + 1] = built.sales_count[row] + totals.sales_count;
    built.revenue_cents[row + 1] = built.revenue_cents[row] + totals.revenue_cents;
    ++row;
  }
  return built;
}

window_totals sales_aggregate::totals(std::string_view from_day, std::string_view to_day) const {
  // Cut to days: "2026-11-28" sorts before "2026-11-28T...".
  from_day = from_day.substr(0, 10);
  to_day = to_day.substr(0, 10);
  const auto& sums = index();
  auto row_of = [&](std::string_view day, std::size_t unbounded) {
    if (day.empty())
      return unbounded;
    return static_cast<std::size_t>(std::ranges::lower_bound(sums.days, day) - sums.days.begin());
  };
  const auto first = row_of(from_day, 0);
  const auto last = std::max(first, row_of(to_day, sums.days.size()));
  window_totals sum;
  sum.sales_count = sums.sales_count[last] - sums.sales_count[first];
  sum.revenue_cents = sums.revenue_cents[last] - sums.revenue_cents[first];
  const auto width = sums.products.size();
  for (std::size_t column = 0; column < width; ++column) {
    const auto& high = sums.rows[last * width + column];
    const auto& low = sums.rows[first * width + column];
    if (high.days > low.days)
      sum.products.emplace_hint(
          sum.products.end(), sums.products[column],
          product_totals{high.quantity - low.quantity, high.revenue_cents - low.revenue_cents});
  }
  return sum;
}

std::map<std::string, std::int64_t>
sales_aggregate::revenue_by_week(const std::vector<std::string>& weeks) const {
  std::map<std::string, std::int64_t> revenue;
  for (const auto& week : weeks) {
    auto& sum = revenue[week];
    const auto monday = monday_of_week(week);
    if (!monday)
      continue;
    const auto first = days_.lower_bound(format_day(*monday));
    const auto last = days_.lower_bound(format_day(*monday + days{7}));
    for (auto at = first; at != last; ++at)
      sum += at->second.revenue_cents;
  }
  return revenue;
}

} // namespace comptoir::domain
