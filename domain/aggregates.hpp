#pragma once
// One store's sales summed by UTC day, kept up to date on every committed sale
// and return, so that a report over any window reads days, never sales.

#include "domain/ids.hpp"
#include "domain/sale.hpp"

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace comptoir::domain {

// -- days and ISO weeks -----------------------------------------------------------

/// The UTC day of a stored timestamp: "2026-11-28T21:57:03.042Z" -> "2026-11-28".
std::string day_of(std::string_view timestamp);

/// The ISO 8601 week of a day ("2026-11-28" -> "2026-W48"): weeks start on
/// Monday and week 1 holds the year's first Thursday, so the first days of
/// January may belong to the previous year's last week, and some years have
/// a week 53. Empty for a text that is not a day.
std::string iso_week_of(std::string_view day);

/// The `count` ISO weeks ending with the week of `today`, oldest first.
std::vector<std::string> last_iso_weeks(std::string_view today, int count);

// -- totals -------------------------------------------------------------------------

/// Net of returns.
struct product_totals {
  std::int64_t quantity = 0;
  std::int64_t revenue_cents = 0;
  friend bool operator==(const product_totals&, const product_totals&) = default;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, product_totals& x) {
  return f(x.quantity, x.revenue_cents);
}

/// What a store (or the chain, once merged) sold over a window. Revenue is
/// net of refunds; a return does not change the number of sales.
struct window_totals {
  std::int64_t sales_count = 0;
  std::int64_t revenue_cents = 0;
  std::map<product_id, product_totals> products;
  friend bool operator==(const window_totals&, const window_totals&) = default;
};

template <class Inspector> typename Inspector::result_type inspect(Inspector& f, window_totals& x) {
  return f(x.sales_count, x.revenue_cents, x.products);
}

/// Adds one store's totals to another's (the head office sums its stores).
void merge(window_totals& into, const window_totals& from);

/// The `n` best sellers: by quantity, then revenue, both descending, then by
/// product id.
std::vector<std::pair<product_id, product_totals>> top_products(const window_totals& totals,
                                                                std::size_t n);

// -- sales_aggregate ----------------------------------------------------------------

/// One store's sales by UTC day. A sale counts on the day it was made, a return
/// on its own day (which may be later than the sale's).
class sales_aggregate {
public:
  /// One day's sums, as `window_totals` has them.
  using day_totals = window_totals;

  /// A committed sale: one more sale, its total and its lines on its day.
  void add_sale(const sale& s);
  /// A committed return of `sold` (the lines of the sale it returns): the
  /// refund and the returned lines, at the price they were sold, come off the
  /// return's day.
  void add_return(const sale_return& r, const std::vector<sale_line>& sold);

  // Loaders for sums read from the database; negative amounts for returns.
  void add_day(std::string_view day, std::int64_t sales_count, std::int64_t revenue_cents);
  void add_product_day(std::string_view day, product_id product, std::int64_t quantity,
                       std::int64_t revenue_cents);

  /// The sums of the days in [from_day, to_day); an empty bound is no bound.
  /// Bounds are days ("2026-11-28"); a timestamp counts as its day.
  window_totals totals(std::string_view from_day, std::string_view to_day) const;

  /// Net revenue of each of `weeks` ("2026-W48"), 0 for a week without sales.
  std::map<std::string, std::int64_t> revenue_by_week(const std::vector<std::string>& weeks) const;

  /// Every day with a sale or a return, in order.
  const std::map<std::string, day_totals, std::less<>>& by_day() const noexcept { return days_; }

  friend bool operator==(const sales_aggregate& a, const sales_aggregate& b) {
    return a.days_ == b.days_;
  }

private:
  /// Running sums over the days, per product: a window is the difference of
  /// two rows, whatever its length (reports stay fast with years of sales).
  struct running {
    std::int64_t quantity = 0;
    std::int64_t revenue_cents = 0;
    /// How many days had the product: it is in a window's totals when > 0.
    std::int64_t days = 0;
  };
  struct cumulative {
    std::vector<std::string> days;
    std::vector<product_id> products;
    /// Row i: the sums of days [0, i); size (days + 1) x products.
    std::vector<running> rows;
    std::vector<std::int64_t> sales_count;
    std::vector<std::int64_t> revenue_cents;
  };

  day_totals& day(std::string_view day);
  const cumulative& index() const;

  std::map<std::string, day_totals, std::less<>> days_;
  /// Built on the first window asked after a change; dropped by every change.
  mutable std::optional<cumulative> index_;
};

} // namespace comptoir::domain
