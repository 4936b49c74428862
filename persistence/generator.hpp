#pragma once
// A synthetic chain of any size, with a sales history, for load tests and demos.

#include "persistence/database_url.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <variant>

namespace soci {
class session;
} // namespace soci

namespace comptoir::persistence {

struct generation_options {
  std::int64_t stores = 1;
  std::int64_t products = 1;
  /// Units of every product on hand in every store; ten times this in the logistics centre.
  std::int64_t stock = 0;
  std::int64_t sales = 0;
  /// The sales are spread over the `days` days before `now`.
  std::int64_t days = 56;
  std::uint64_t seed = 1;
  std::chrono::system_clock::time_point now = std::chrono::system_clock::now();
  std::int64_t sales_per_transaction = 10'000;
};

/// What was written.
struct generation_summary {
  std::int64_t stores = 0;
  std::int64_t logistics_centre_id = 0;
  std::int64_t products = 0;
  std::int64_t stock_rows = 0;
  std::int64_t sales = 0;
  std::int64_t sale_lines = 0;
};

/// What a database that is not empty already holds; generating refuses it.
struct business_data_found {
  std::int64_t locations = 0;
  std::int64_t products = 0;
  std::int64_t stock_rows = 0;
  std::int64_t sales = 0;
};

using generation_outcome = std::variant<generation_summary, business_data_found>;

/// Called after each committed batch of sales, and once before the first.
using generation_progress =
    std::function<void(std::int64_t sales_written, std::int64_t sales_total)>;

/// Fills a migrated database that holds no locations, products, stock or
/// sales: stores 1..N, the logistics centre N+1, products 1..M, stock
/// everywhere and the sales history, in time order, `sales_per_transaction`
/// sales per transaction. The same options (seed and `now` included) give the
/// same rows. The chain is committed before the first sale: a failure part
/// way leaves the sales written so far. Throws what the database throws.
generation_outcome generate(soci::session& sql, dialect kind, const generation_options& options,
                            const generation_progress& progress = {});

} // namespace comptoir::persistence
