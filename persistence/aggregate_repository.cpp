#include "persistence/aggregate_repository.hpp"

#include <soci/soci.h>

#include <string>

namespace comptoir::persistence {

namespace {

// Days are the first ten characters of the stored UTC timestamps. Four sums in
// one statement, so that they all see the same sales and returns: rows without
// a product are a day's sales count and revenue, the others a product's
// quantity and revenue on that day. Returns come off their own day, a returned
// line at the price its sale line was sold at (a sale has one line per product).
constexpr auto select_store_sums =
    "SELECT substr(s.created_at, 1, 10), CAST(NULL AS BIGINT), COUNT(*),"
    " CAST(0 AS BIGINT), CAST(SUM(s.total_cents) AS BIGINT)"
    " FROM sales s WHERE s.store_id = :store"
    " GROUP BY substr(s.created_at, 1, 10)"
    " UNION ALL"
    " SELECT substr(s.created_at, 1, 10), l.product_id, CAST(0 AS BIGINT),"
    " CAST(SUM(l.quantity) AS BIGINT), CAST(SUM(l.quantity * l.unit_price_cents) AS BIGINT)"
    " FROM sales s JOIN sale_lines l ON l.sale_id = s.id WHERE s.store_id = :store"
    " GROUP BY substr(s.created_at, 1, 10), l.product_id"
    " UNION ALL"
    " SELECT substr(r.created_at, 1, 10), CAST(NULL AS BIGINT), CAST(0 AS BIGINT),"
    " CAST(0 AS BIGINT), -CAST(SUM(r.refund_cents) AS BIGINT)"
    " FROM returns r JOIN sales s ON s.id = r.sale_id WHERE s.store_id = :store"
    " GROUP BY substr(r.created_at, 1, 10)"
    " UNION ALL"
    " SELECT substr(r.created_at, 1, 10), rl.product_id, CAST(0 AS BIGINT),"
    " -CAST(SUM(rl.quantity) AS BIGINT), -CAST(SUM(rl.quantity * l.unit_price_cents) AS BIGINT)"
    " FROM returns r JOIN sales s ON s.id = r.sale_id"
    " JOIN return_lines rl ON rl.return_id = r.id"
    " JOIN sale_lines l ON l.sale_id = r.sale_id AND l.product_id = rl.product_id"
    " WHERE s.store_id = :store"
    " GROUP BY substr(r.created_at, 1, 10), rl.product_id";

} // namespace

domain::sales_aggregate aggregate_repository::load(domain::location_id store) {
  const long long store_id = store.value;
  std::string day;
  long long product = 0;
  soci::indicator product_present = soci::i_null;
  long long sales_count = 0;
  long long quantity = 0;
  long long revenue_cents = 0;
  soci::statement rows = (sql_.prepare << select_store_sums, soci::use(store_id, "store"),
                          soci::into(day), soci::into(product, product_present),
                          soci::into(sales_count), soci::into(quantity), soci::into(revenue_cents));
  rows.execute();
  domain::sales_aggregate aggregate;
  while (rows.fetch()) {
    if (product_present == soci::i_ok)
      aggregate.add_product_day(day, domain::product_id{product}, quantity, revenue_cents);
    else
      aggregate.add_day(day, sales_count, revenue_cents);
  }
  return aggregate;
}

} // namespace comptoir::persistence
