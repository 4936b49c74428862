#include "persistence/alert_repository.hpp"

#include "persistence/array_literal.hpp"
#include "persistence/write_transaction.hpp"

#include <soci/soci.h>

#include <stdexcept>

namespace comptoir::persistence {

namespace {

// -- SQL ----------------------------------------------------------------------------

constexpr auto select_open_alerts =
    "SELECT id, product_id, kind, raised_at FROM stock_alerts"
    " WHERE store_id = :store AND cleared_at IS NULL ORDER BY raised_at, id";

// The conflict target names the partial unique index: one open alert per
// store, product and kind. A clash on the id is still an error.
constexpr auto sqlite_insert_alert =
    "INSERT INTO stock_alerts (id, store_id, product_id, kind, raised_at)"
    " VALUES (:id, :store_id, :product_id, :kind, :raised_at)"
    " ON CONFLICT (store_id, product_id, kind) WHERE cleared_at IS NULL DO NOTHING";

constexpr auto sqlite_clear_alert =
    "UPDATE stock_alerts SET cleared_at = :now"
    " WHERE store_id = :store_id AND product_id = :product_id AND kind = :kind"
    " AND cleared_at IS NULL";

constexpr auto postgresql_insert_alerts =
    "INSERT INTO stock_alerts (id, store_id, product_id, kind, raised_at)"
    " SELECT * FROM unnest(CAST(:ids AS text[]), CAST(:store_ids AS bigint[]),"
    " CAST(:product_ids AS bigint[]), CAST(:kinds AS text[]), CAST(:raised_at AS text[]))"
    " ON CONFLICT (store_id, product_id, kind) WHERE cleared_at IS NULL DO NOTHING";

constexpr auto postgresql_clear_alerts =
    "UPDATE stock_alerts SET cleared_at = :now"
    " FROM unnest(CAST(:store_ids AS bigint[]), CAST(:product_ids AS bigint[]),"
    " CAST(:kinds AS text[])) AS c (store_id, product_id, kind)"
    " WHERE stock_alerts.store_id = c.store_id AND stock_alerts.product_id = c.product_id"
    " AND stock_alerts.kind = c.kind AND stock_alerts.cleared_at IS NULL";

// -- rows -----------------------------------------------------------------------------

struct alert_rows {
  std::vector<std::string> id;
  std::vector<long long> store_id;
  std::vector<long long> product_id;
  std::vector<std::string> kind;
  std::vector<std::string> raised_at;
};

alert_rows rows_of(const std::vector<domain::stock_alert>& alerts, const std::string& now) {
  alert_rows rows;
  for (const auto& alert : alerts) {
    rows.id.push_back(alert.id);
    rows.store_id.push_back(alert.store.value);
    rows.product_id.push_back(alert.product.value);
    rows.kind.emplace_back(domain::to_string(alert.kind));
    rows.raised_at.push_back(alert.since.empty() ? now : alert.since);
  }
  return rows;
}

void insert_alerts(soci::session& sql, dialect kind, const alert_rows& rows) {
  if (rows.id.empty())
    return;
  if (kind == dialect::sqlite) {
    // One at a time: SOCI's bulk binding would stop at the first ignored row.
    std::string id, alert_kind, raised_at;
    long long store_id = 0, product_id = 0;
    soci::statement insert =
        (sql.prepare << sqlite_insert_alert, soci::use(id), soci::use(store_id),
         soci::use(product_id), soci::use(alert_kind), soci::use(raised_at));
    for (std::size_t i = 0; i < rows.id.size(); ++i) {
      id = rows.id[i];
      store_id = rows.store_id[i];
      product_id = rows.product_id[i];
      alert_kind = rows.kind[i];
      raised_at = rows.raised_at[i];
      insert.execute(true);
    }
    return;
  }
  const auto ids = text_array(rows.id);
  const auto store_ids = integer_array(rows.store_id);
  const auto product_ids = integer_array(rows.product_id);
  const auto kinds = text_array(rows.kind);
  const auto raised_at = text_array(rows.raised_at);
  sql << postgresql_insert_alerts, soci::use(ids), soci::use(store_ids), soci::use(product_ids),
      soci::use(kinds), soci::use(raised_at);
}

void clear_alerts(soci::session& sql, dialect kind, const alert_rows& rows,
                  const std::string& now) {
  if (rows.id.empty())
    return;
  if (kind == dialect::sqlite) {
    std::string alert_kind;
    long long store_id = 0, product_id = 0;
    soci::statement update = (sql.prepare << sqlite_clear_alert, soci::use(now),
                              soci::use(store_id), soci::use(product_id), soci::use(alert_kind));
    for (std::size_t i = 0; i < rows.id.size(); ++i) {
      store_id = rows.store_id[i];
      product_id = rows.product_id[i];
      alert_kind = rows.kind[i];
      update.execute(true);
    }
    return;
  }
  const auto store_ids = integer_array(rows.store_id);
  const auto product_ids = integer_array(rows.product_id);
  const auto kinds = text_array(rows.kind);
  sql << postgresql_clear_alerts, soci::use(now), soci::use(store_ids), soci::use(product_ids),
      soci::use(kinds);
}

} // namespace

std::vector<domain::stock_alert> alert_repository::load_open(domain::location_id store) {
  const long long store_value = store.value;
  domain::stock_alert row;
  row.store = store;
  std::string kind;
  soci::statement query =
      (sql_.prepare << select_open_alerts, soci::use(store_value), soci::into(row.id),
       soci::into(row.product.value), soci::into(kind), soci::into(row.since));
  query.execute();
  std::vector<domain::stock_alert> alerts;
  while (query.fetch()) {
    const auto parsed = domain::parse_alert_kind(kind);
    // A schema newer than this binary might know more kinds.
    if (!parsed)
      throw std::runtime_error("stock alert " + row.id + " has unknown kind '" + kind + "'");
    row.kind = *parsed;
    alerts.push_back(row);
  }
  return alerts;
}

void alert_repository::apply(const std::vector<domain::stock_alert>& raised,
                             const std::vector<domain::stock_alert>& cleared,
                             const std::string& now) {
  if (raised.empty() && cleared.empty())
    return;
  write_transaction transaction(sql_, kind_, fence_);
  clear_alerts(sql_, kind_, rows_of(cleared, now), now);
  insert_alerts(sql_, kind_, rows_of(raised, now));
  transaction.commit();
}

} // namespace comptoir::persistence
