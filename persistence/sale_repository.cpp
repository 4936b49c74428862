#include "persistence/sale_repository.hpp"

#include "persistence/array_literal.hpp"
#include "persistence/write_transaction.hpp"

#include <libpq-fe.h>
#include <soci/postgresql/soci-postgresql.h>
#include <soci/soci.h>

#include <algorithm>
#include <map>
#include <memory>
#include <set>
#include <stdexcept>
#include <utility>

namespace comptoir::persistence {

namespace {

// The group commit costs a handful of statements per batch, whatever its size.
// SQLite runs in process: prepared statements with SOCI's bulk binding (one
// sqlite3_step per row, no round trip). PostgreSQL: SOCI's bulk binding would
// send one Execute per row, so each table gets one statement that reads its
// rows from arrays (`unnest`), bound as array literals.

// -- SQL: SQLite ----------------------------------------------------------------

constexpr auto sqlite_insert_key =
    "INSERT INTO idempotency_keys"
    " (scope, idempotency_key, request_hash, status_code, response_body, created_at)"
    " VALUES (:scope, :key, :hash, :status, :body, :created_at)"
    " ON CONFLICT (scope, idempotency_key) DO NOTHING";

constexpr auto sqlite_select_key =
    "SELECT scope, idempotency_key, request_hash, status_code, response_body, created_at"
    " FROM idempotency_keys WHERE scope = :scope AND idempotency_key = :key";

constexpr auto sqlite_insert_sales =
    "INSERT INTO sales (id, store_id, total_cents, status, created_at)"
    " VALUES (:id, :store_id, :total_cents, :status, :created_at)";

constexpr auto sqlite_insert_sale_lines =
    "INSERT INTO sale_lines (sale_id, line_no, product_id, quantity, unit_price_cents)"
    " VALUES (:sale_id, :line_no, :product_id, :quantity, :unit_price_cents)";

constexpr auto sqlite_insert_returns = "INSERT INTO returns (id, sale_id, refund_cents, created_at)"
                                       " VALUES (:id, :sale_id, :refund_cents, :created_at)";

constexpr auto sqlite_insert_return_lines =
    "INSERT INTO return_lines (return_id, line_no, product_id, quantity)"
    " VALUES (:return_id, :line_no, :product_id, :quantity)";

constexpr auto sqlite_update_sale_status = "UPDATE sales SET status = :status WHERE id = :id";

constexpr auto sqlite_update_stock = "UPDATE stock SET on_hand = on_hand + :delta"
                                     " WHERE location_id = :store AND product_id = :product";

// -- SQL: PostgreSQL ------------------------------------------------------------

// Returns the keys it inserted: the others were stored already.
constexpr auto postgresql_insert_keys =
    "INSERT INTO idempotency_keys"
    " (scope, idempotency_key, request_hash, status_code, response_body, created_at)"
    " SELECT * FROM unnest(CAST(:scopes AS text[]), CAST(:keys AS text[]),"
    " CAST(:hashes AS text[]), CAST(:statuses AS integer[]), CAST(:bodies AS text[]),"
    " CAST(:created_at AS text[]))"
    " ON CONFLICT (scope, idempotency_key) DO NOTHING"
    " RETURNING scope, idempotency_key";

constexpr auto postgresql_select_keys =
    "SELECT k.scope, k.idempotency_key, k.request_hash, k.status_code, k.response_body,"
    " k.created_at FROM idempotency_keys k"
    " JOIN unnest(CAST(:scopes AS text[]), CAST(:keys AS text[])) AS w (scope, idempotency_key)"
    " ON k.scope = w.scope AND k.idempotency_key = w.idempotency_key";

constexpr auto postgresql_insert_sales =
    "INSERT INTO sales (id, store_id, total_cents, status, created_at)"
    " SELECT * FROM unnest(CAST(:ids AS text[]), CAST(:store_ids AS bigint[]),"
    " CAST(:total_cents AS bigint[]), CAST(:statuses AS text[]), CAST(:created_at AS text[]))";

constexpr auto postgresql_insert_sale_lines =
    "INSERT INTO sale_lines (sale_id, line_no, product_id, quantity, unit_price_cents)"
    " SELECT * FROM unnest(CAST(:sale_ids AS text[]), CAST(:line_nos AS integer[]),"
    " CAST(:product_ids AS bigint[]), CAST(:quantities AS bigint[]),"
    " CAST(:unit_prices AS bigint[]))";

constexpr auto postgresql_insert_returns =
    "INSERT INTO returns (id, sale_id, refund_cents, created_at)"
    " SELECT * FROM unnest(CAST(:ids AS text[]), CAST(:sale_ids AS text[]),"
    " CAST(:refund_cents AS bigint[]), CAST(:created_at AS text[]))";

constexpr auto postgresql_insert_return_lines =
    "INSERT INTO return_lines (return_id, line_no, product_id, quantity)"
    " SELECT * FROM unnest(CAST(:return_ids AS text[]), CAST(:line_nos AS integer[]),"
    " CAST(:product_ids AS bigint[]), CAST(:quantities AS bigint[]))";

// Given one row per sale: a sale matched twice would get either status.
constexpr auto postgresql_update_sale_statuses =
    "UPDATE sales SET status = u.status"
    " FROM unnest(CAST(:statuses AS text[]), CAST(:ids AS text[])) AS u (status, id)"
    " WHERE sales.id = u.id";

// Returns the products it updated, to check that every one had a stock row.
constexpr auto postgresql_update_stock =
    "UPDATE stock SET on_hand = stock.on_hand + c.delta"
    " FROM unnest(CAST(:deltas AS bigint[]), CAST(:product_ids AS bigint[])) AS c (delta, "
    "product_id)"
    " WHERE stock.location_id = :store AND stock.product_id = c.product_id"
    " RETURNING stock.product_id";

// -- SQL: reads -------------------------------------------------------------------

constexpr auto select_sale_store = "SELECT store_id FROM sales WHERE id = :id";

constexpr auto select_sale =
    "SELECT store_id, total_cents, status, created_at FROM sales WHERE id = :id";

constexpr auto select_sale_lines =
    "SELECT product_id, quantity, unit_price_cents FROM sale_lines WHERE sale_id = :id"
    " ORDER BY line_no";

constexpr auto select_returns_of_sale =
    "SELECT id, refund_cents, created_at FROM returns WHERE sale_id = :id ORDER BY id";

constexpr auto select_return_lines_of_sale =
    "SELECT l.return_id, l.product_id, l.quantity FROM return_lines l"
    " JOIN returns r ON r.id = l.return_id WHERE r.sale_id = :id"
    " ORDER BY l.return_id, l.line_no";

constexpr auto select_keys_of_scope =
    "SELECT scope, idempotency_key, request_hash, status_code, response_body, created_at"
    " FROM idempotency_keys WHERE scope = :scope AND created_at >= :since"
    " ORDER BY created_at, idempotency_key";

constexpr auto delete_keys_before = "DELETE FROM idempotency_keys WHERE created_at < :before";

// -- idempotency keys ----------------------------------------------------------------

using key_id = std::pair<std::string, std::string>;

key_id id_of(const domain::idempotency_record& record) {
  return {record.scope, record.key};
}

/// Inserts the keys that are not stored yet; true for each key it inserted.
std::vector<bool> insert_keys(soci::session& sql, dialect kind,
                              const std::vector<const domain::idempotency_record*>& keys) {
  std::vector<bool> inserted(keys.size(), false);
  if (keys.empty())
    return inserted;
  if (kind == dialect::sqlite) {
    domain::idempotency_record row;
    soci::statement insert = (sql.prepare << sqlite_insert_key, soci::use(row.scope),
                              soci::use(row.key), soci::use(row.fingerprint), soci::use(row.status),
                              soci::use(row.body), soci::use(row.created_at));
    for (std::size_t i = 0; i < keys.size(); ++i) {
      row = *keys[i];
      insert.execute(true);
      inserted[i] = insert.get_affected_rows() == 1;
    }
    return inserted;
  }
  std::vector<std::string> scopes, names, hashes, bodies, created_at;
  std::vector<int> statuses;
  for (const auto* key : keys) {
    scopes.push_back(key->scope);
    names.push_back(key->key);
    hashes.push_back(key->fingerprint);
    statuses.push_back(key->status);
    bodies.push_back(key->body);
    created_at.push_back(key->created_at);
  }
  const auto scopes_array = text_array(scopes);
  const auto names_array = text_array(names);
  const auto hashes_array = text_array(hashes);
  const auto statuses_array = integer_array(statuses);
  const auto bodies_array = text_array(bodies);
  const auto created_at_array = text_array(created_at);
  std::vector<std::string> inserted_scopes(keys.size());
  std::vector<std::string> inserted_names(keys.size());
  sql << postgresql_insert_keys, soci::use(scopes_array), soci::use(names_array),
      soci::use(hashes_array), soci::use(statuses_array), soci::use(bodies_array),
      soci::use(created_at_array), soci::into(inserted_scopes), soci::into(inserted_names);
  std::set<key_id> inserted_ids;
  for (std::size_t i = 0; i < inserted_scopes.size(); ++i)
    inserted_ids.emplace(inserted_scopes[i], inserted_names[i]);
  for (std::size_t i = 0; i < keys.size(); ++i)
    inserted[i] = inserted_ids.contains(id_of(*keys[i]));
  return inserted;
}

/// The stored records of these keys.
std::map<key_id, domain::idempotency_record> load_stored_keys(soci::session& sql, dialect kind,
                                                              const std::vector<key_id>& ids) {
  std::map<key_id, domain::idempotency_record> stored;
  if (ids.empty())
    return stored;
  domain::idempotency_record row;
  if (kind == dialect::sqlite) {
    std::string scope, key;
    soci::statement select =
        (sql.prepare << sqlite_select_key, soci::use(scope), soci::use(key), soci::into(row.scope),
         soci::into(row.key), soci::into(row.fingerprint), soci::into(row.status),
         soci::into(row.body), soci::into(row.created_at));
    for (const auto& id : ids) {
      std::tie(scope, key) = id;
      if (select.execute(true))
        stored.emplace(id, row);
    }
    return stored;
  }
  std::vector<std::string> scopes, names;
  for (const auto& [scope, key] : ids) {
    scopes.push_back(scope);
    names.push_back(key);
  }
  const auto scopes_array = text_array(scopes);
  const auto names_array = text_array(names);
  soci::statement select =
      (sql.prepare << postgresql_select_keys, soci::use(scopes_array), soci::use(names_array),
       soci::into(row.scope), soci::into(row.key), soci::into(row.fingerprint),
       soci::into(row.status), soci::into(row.body), soci::into(row.created_at));
  select.execute();
  while (select.fetch())
    stored.emplace(id_of(row), row);
  return stored;
}

// -- rows of a batch -------------------------------------------------------------------

struct sale_rows {
  std::vector<std::string> id;
  std::vector<long long> store_id;
  std::vector<long long> total_cents;
  std::vector<std::string> status;
  std::vector<std::string> created_at;
};

struct sale_line_rows {
  std::vector<std::string> sale_id;
  std::vector<int> line_no;
  std::vector<long long> product_id;
  std::vector<long long> quantity;
  std::vector<long long> unit_price_cents;
};

struct return_rows {
  std::vector<std::string> id;
  std::vector<std::string> sale_id;
  std::vector<long long> refund_cents;
  std::vector<std::string> created_at;
};

struct return_line_rows {
  std::vector<std::string> return_id;
  std::vector<int> line_no;
  std::vector<long long> product_id;
  std::vector<long long> quantity;
};

struct sale_status_rows {
  std::vector<std::string> status;
  std::vector<std::string> id;
};

void insert_sales(soci::session& sql, dialect kind, const sale_rows& rows) {
  if (rows.id.empty())
    return;
  if (kind == dialect::sqlite) {
    sql << sqlite_insert_sales, soci::use(rows.id), soci::use(rows.store_id),
        soci::use(rows.total_cents), soci::use(rows.status), soci::use(rows.created_at);
    return;
  }
  const auto ids = text_array(rows.id);
  const auto store_ids = integer_array(rows.store_id);
  const auto totals = integer_array(rows.total_cents);
  const auto statuses = text_array(rows.status);
  const auto created_at = text_array(rows.created_at);
  sql << postgresql_insert_sales, soci::use(ids), soci::use(store_ids), soci::use(totals),
      soci::use(statuses), soci::use(created_at);
}

void insert_sale_lines(soci::session& sql, dialect kind, const sale_line_rows& rows) {
  if (rows.sale_id.empty())
    return;
  if (kind == dialect::sqlite) {
    sql << sqlite_insert_sale_lines, soci::use(rows.sale_id), soci::use(rows.line_no),
        soci::use(rows.product_id), soci::use(rows.quantity), soci::use(rows.unit_price_cents);
    return;
  }
  const auto sale_ids = text_array(rows.sale_id);
  const auto line_nos = integer_array(rows.line_no);
  const auto product_ids = integer_array(rows.product_id);
  const auto quantities = integer_array(rows.quantity);
  const auto unit_prices = integer_array(rows.unit_price_cents);
  sql << postgresql_insert_sale_lines, soci::use(sale_ids), soci::use(line_nos),
      soci::use(product_ids), soci::use(quantities), soci::use(unit_prices);
}

void insert_returns(soci::session& sql, dialect kind, const return_rows& rows) {
  if (rows.id.empty())
    return;
  if (kind == dialect::sqlite) {
    sql << sqlite_insert_returns, soci::use(rows.id), soci::use(rows.sale_id),
        soci::use(rows.refund_cents), soci::use(rows.created_at);
    return;
  }
  const auto ids = text_array(rows.id);
  const auto sale_ids = text_array(rows.sale_id);
  const auto refunds = integer_array(rows.refund_cents);
  const auto created_at = text_array(rows.created_at);
  sql << postgresql_insert_returns, soci::use(ids), soci::use(sale_ids), soci::use(refunds),
      soci::use(created_at);
}

void insert_return_lines(soci::session& sql, dialect kind, const return_line_rows& rows) {
  if (rows.return_id.empty())
    return;
  if (kind == dialect::sqlite) {
    sql << sqlite_insert_return_lines, soci::use(rows.return_id), soci::use(rows.line_no),
        soci::use(rows.product_id), soci::use(rows.quantity);
    return;
  }
  const auto return_ids = text_array(rows.return_id);
  const auto line_nos = integer_array(rows.line_no);
  const auto product_ids = integer_array(rows.product_id);
  const auto quantities = integer_array(rows.quantity);
  sql << postgresql_insert_return_lines, soci::use(return_ids), soci::use(line_nos),
      soci::use(product_ids), soci::use(quantities);
}

/// One row per sale, with the status after the last of its returns in the batch.
void update_sale_statuses(soci::session& sql, dialect kind, const sale_status_rows& rows) {
  if (rows.id.empty())
    return;
  if (kind == dialect::sqlite) {
    sql << sqlite_update_sale_status, soci::use(rows.status), soci::use(rows.id);
    return;
  }
  const auto statuses = text_array(rows.status);
  const auto ids = text_array(rows.id);
  sql << postgresql_update_sale_statuses, soci::use(statuses), soci::use(ids);
}

[[noreturn]] void throw_missing_stock(domain::location_id store) {
  throw std::runtime_error("a product of the batch has no stock row at location " +
                           std::to_string(store.value));
}

/// A change that would take on_hand below zero fails on the CHECK constraint.
void apply_stock_changes(soci::session& sql, dialect kind, domain::location_id store,
                         const std::vector<domain::stock_change>& changes) {
  if (changes.empty())
    return;
  if (kind == dialect::sqlite) {
    long long delta = 0;
    long long product = 0;
    const long long location = store.value;
    soci::statement update = (sql.prepare << sqlite_update_stock, soci::use(delta),
                              soci::use(location), soci::use(product));
    for (const auto& change : changes) {
      delta = change.delta;
      product = change.product.value;
      update.execute(true);
      if (update.get_affected_rows() != 1)
        throw_missing_stock(store);
    }
    return;
  }
  std::vector<long long> deltas, products;
  for (const auto& change : changes) {
    deltas.push_back(change.delta);
    products.push_back(change.product.value);
  }
  const auto deltas_array = integer_array(deltas);
  const auto products_array = integer_array(products);
  const long long location = store.value;
  std::vector<long long> updated(changes.size());
  sql << postgresql_update_stock, soci::use(deltas_array), soci::use(products_array),
      soci::use(location), soci::into(updated);
  if (updated.size() != changes.size())
    throw_missing_stock(store);
}

domain::sale_status parse_status(const std::string& text, const std::string& sale_id) {
  const auto status = domain::parse_sale_status(text);
  // A schema newer than this binary might know more statuses.
  if (!status)
    throw std::runtime_error("sale " + sale_id + " has unknown status '" + text + "'");
  return *status;
}

} // namespace

// -- group commit ------------------------------------------------------------------------

namespace {

void check_stores(const domain::commit_batch& batch) {
  for (const auto& write : batch.sales)
    if (write.sale.store != batch.store)
      throw std::invalid_argument("sale " + write.sale.id + " is not of the batch's store");
  for (const auto& write : batch.returns)
    if (write.record.store != batch.store)
      throw std::invalid_argument("return " + write.record.id + " is not of the batch's store");
}

/// The writes with a key, sales then returns; a key used twice in the batch is
/// inserted once, for its first write.
struct key_plan {
  struct keyed_write {
    bool is_sale;
    std::size_t index;
    std::size_t key;
  };
  std::vector<keyed_write> keyed;
  std::vector<const domain::idempotency_record*> keys;
  /// Per key, its first write (an index into `keyed`).
  std::vector<std::size_t> first_writer;
};

key_plan plan_keys(const domain::commit_batch& batch) {
  key_plan plan;
  std::map<key_id, std::size_t> key_index;
  const auto add_key = [&](bool is_sale, std::size_t index, const domain::idempotency_record& key) {
    if (key.key.empty())
      return;
    const auto [at, added] = key_index.emplace(id_of(key), plan.keys.size());
    if (added) {
      plan.keys.push_back(&key);
      plan.first_writer.push_back(plan.keyed.size());
    }
    plan.keyed.push_back({is_sale, index, at->second});
  };
  for (std::size_t i = 0; i < batch.sales.size(); ++i)
    add_key(true, i, batch.sales[i].key);
  for (std::size_t i = 0; i < batch.returns.size(); ++i)
    add_key(false, i, batch.returns[i].key);
  return plan;
}

/// Per write with a key that was not inserted for it: the record it gets, and
/// nothing of it commits.
void answer_taken_keys(const key_plan& plan, const std::vector<bool>& inserted,
                       const std::map<key_id, domain::idempotency_record>& stored,
                       domain::batch_result& result, std::vector<bool>& sale_committed,
                       std::vector<bool>& return_committed) {
  for (std::size_t w = 0; w < plan.keyed.size(); ++w) {
    const auto& write = plan.keyed[w];
    std::optional<domain::idempotency_record> answer;
    if (!inserted[write.key]) {
      const auto found = stored.find(id_of(*plan.keys[write.key]));
      // Only a purge between the INSERT and the SELECT could remove it.
      if (found == stored.end())
        throw std::runtime_error("idempotency key vanished during the commit");
      answer = found->second;
    } else if (plan.first_writer[write.key] != w) {
      answer = *plan.keys[write.key];
    }
    if (!answer)
      continue;
    if (write.is_sale) {
      result.sales[write.index] = std::move(answer);
      sale_committed[write.index] = false;
    } else {
      result.returns[write.index] = std::move(answer);
      return_committed[write.index] = false;
    }
  }
}

// -- PostgreSQL: a batch of sales in one statement ------------------------------------------
//
// One round trip per batch instead of six: BEGIN and COMMIT are folded away (a
// single statement in autocommit is its own transaction) and the statement is
// prepared once per connection, so PostgreSQL neither parses nor plans it again.
// All the CTEs see the snapshot taken before the statement, so each step reads
// what the previous one did only from its RETURNING rows: the sales from the
// keys it inserted, the lines and the stock from the sales it inserted.
// With a fence ($18 owner, $19 epoch; both null without), the first CTE locks
// the location's location_owners row FOR SHARE, as a fenced write_transaction
// does: no claim can take the location before the statement ends, and when the
// row no longer names this owner and epoch, nothing is inserted.
// Errors roll the whole statement back; three are raised on purpose with a cast
// that fails (SQL has no RAISE); each cast reads a column, or PostgreSQL would
// fold it, and fail, while planning:
// - a fence that did not hold (the location was taken: fenced_error);
// - a product without a stock row (as the stepwise UPDATE ... RETURNING check);
// - a key that conflicted but that the statement's snapshot does not show: its
//   writer committed during the statement. The batch is then committed in
//   steps, whose SELECT of the stored keys takes a newer snapshot.
// The CHECK (on_hand >= 0) constraint still stops stock from going below zero.

constexpr auto postgresql_commit_sales_name = "comptoir_commit_sales_v2";
constexpr int postgresql_commit_sales_parameters = 19;
constexpr auto postgresql_key_not_visible = "comptoir: stored key not visible";
constexpr auto postgresql_fenced = "comptoir: fenced";

constexpr auto postgresql_commit_sales =
    "WITH fence AS ("
    " SELECT 1 FROM location_owners WHERE location_id = CAST($7 AS bigint)"
    " AND owner = CAST($18 AS text) AND epoch = CAST($19 AS bigint) FOR SHARE),"
    " k AS ("
    " SELECT * FROM unnest(CAST($1 AS text[]), CAST($2 AS text[]), CAST($3 AS text[]),"
    " CAST($4 AS integer[]), CAST($5 AS text[]), CAST($6 AS text[]))"
    " WITH ORDINALITY AS k (scope, name, hash, status, body, created_at, n)"
    " WHERE CAST($18 AS text) IS NULL OR EXISTS (SELECT 1 FROM fence)),"
    " new_keys AS ("
    " INSERT INTO idempotency_keys"
    " (scope, idempotency_key, request_hash, status_code, response_body, created_at)"
    " SELECT scope, name, hash, status, body, created_at FROM k"
    " ON CONFLICT (scope, idempotency_key) DO NOTHING"
    " RETURNING scope, idempotency_key),"
    " fresh AS ("
    " SELECT k.n FROM k JOIN new_keys f ON f.scope = k.scope AND f.idempotency_key = k.name),"
    " new_sales AS ("
    " INSERT INTO sales (id, store_id, total_cents, status, created_at)"
    " SELECT s.id, CAST($7 AS bigint), s.total_cents, s.status, s.created_at"
    " FROM unnest(CAST($8 AS text[]), CAST($9 AS bigint[]), CAST($10 AS bigint[]),"
    " CAST($11 AS text[]), CAST($12 AS text[]))"
    " AS s (id, key_n, total_cents, status, created_at)"
    " WHERE (s.key_n = 0 OR s.key_n IN (SELECT n FROM fresh))"
    " AND (CAST($18 AS text) IS NULL OR EXISTS (SELECT 1 FROM fence))"
    " RETURNING id),"
    " lines AS ("
    " SELECT l.* FROM unnest(CAST($13 AS text[]), CAST($14 AS integer[]),"
    " CAST($15 AS bigint[]), CAST($16 AS bigint[]), CAST($17 AS bigint[]))"
    " AS l (sale_id, line_no, product_id, quantity, unit_price_cents)"
    " WHERE l.sale_id IN (SELECT id FROM new_sales)),"
    " new_lines AS ("
    " INSERT INTO sale_lines (sale_id, line_no, product_id, quantity, unit_price_cents)"
    " SELECT sale_id, line_no, product_id, quantity, unit_price_cents FROM lines),"
    " sold AS ("
    " SELECT product_id, CAST(sum(quantity) AS bigint) AS quantity FROM lines"
    " GROUP BY product_id),"
    " stocked AS ("
    " UPDATE stock SET on_hand = stock.on_hand - sold.quantity FROM sold"
    " WHERE stock.location_id = CAST($7 AS bigint) AND stock.product_id = sold.product_id"
    " RETURNING stock.product_id)"
    // The keys that were stored already, with their records.
    " SELECT k.n, stored.request_hash, stored.status_code, stored.response_body,"
    " stored.created_at, CASE WHEN stored.scope IS NULL"
    " THEN CAST('comptoir: stored key not visible ' || k.n AS integer) END"
    " FROM k LEFT JOIN idempotency_keys stored"
    " ON stored.scope = k.scope AND stored.idempotency_key = k.name"
    " WHERE k.n NOT IN (SELECT n FROM fresh)"
    " UNION ALL"
    " SELECT NULL, NULL, NULL, NULL, NULL,"
    " CAST('comptoir: no stock row for product ' || sold.product_id"
    " || ' at location ' || CAST($7 AS bigint) AS integer)"
    " FROM sold WHERE sold.product_id NOT IN (SELECT product_id FROM stocked)"
    " UNION ALL"
    " SELECT NULL, NULL, NULL, NULL, NULL,"
    " CAST('comptoir: fenced at location ' || CAST($7 AS bigint) || ' (' || f.held"
    " || ' fence rows)' AS integer)"
    " FROM (SELECT count(*) AS held FROM fence) f"
    " WHERE CAST($18 AS text) IS NOT NULL AND f.held = 0";

using pg_result = std::unique_ptr<PGresult, decltype(&PQclear)>;

PGconn* connection_of(soci::session& sql) {
  // dialect::postgresql: the backend is SOCI's PostgreSQL one.
  auto* backend = static_cast<soci::postgresql_session_backend*>(sql.get_backend());
  if (backend == nullptr || backend->conn_ == nullptr)
    throw std::runtime_error("no PostgreSQL connection");
  return backend->conn_;
}

std::string sqlstate_of(const PGresult* result) {
  const char* state = PQresultErrorField(result, PG_DIAG_SQLSTATE);
  return state == nullptr ? std::string{} : std::string{state};
}

std::string error_of(PGconn* conn, const PGresult* result) {
  const char* message = result != nullptr ? PQresultErrorMessage(result) : "";
  if (message == nullptr || *message == '\0')
    message = PQerrorMessage(conn);
  std::string text = message == nullptr ? "" : message;
  while (!text.empty() && (text.back() == '\n' || text.back() == ' '))
    text.pop_back();
  return text;
}

/// Prepares the statement on this connection; an earlier repository on the same
/// connection may have prepared it already.
void prepare_commit_sales(PGconn* conn) {
  pg_result prepared(PQprepare(conn, postgresql_commit_sales_name, postgresql_commit_sales,
                               postgresql_commit_sales_parameters, nullptr),
                     &PQclear);
  if (prepared && PQresultStatus(prepared.get()) == PGRES_COMMAND_OK)
    return;
  if (prepared && sqlstate_of(prepared.get()) == "42P05") // duplicate_prepared_statement
    return;
  throw std::runtime_error("cannot prepare the sales commit: " + error_of(conn, prepared.get()));
}

} // namespace

struct sale_repository::prepared_commit {
  /// The connection it is prepared on: a reconnect makes a new one.
  PGconn* conn = nullptr;
  int backend_pid = 0;
};

sale_repository::sale_repository(soci::session& sql, dialect kind, const write_fence* fence)
    : sql_(sql), kind_(kind), fence_(fence), prepared_(std::make_unique<prepared_commit>()) {}

sale_repository::~sale_repository() = default;

domain::batch_result sale_repository::commit(const domain::commit_batch& batch) {
  check_stores(batch);
  // Returns are rare: their batches take the stepwise path.
  if (kind_ == dialect::postgresql && batch.returns.empty()) {
    if (auto result = commit_sales_at_once(batch))
      return std::move(*result);
  }
  return commit_in_steps(batch);
}

std::optional<domain::batch_result>
sale_repository::commit_sales_at_once(const domain::commit_batch& batch) {
  const auto plan = plan_keys(batch);

  // The keys, in plan order: key n (1-based) is plan.keys[n - 1].
  std::vector<std::string> scopes, names, hashes, bodies, key_created_at;
  std::vector<int> statuses;
  for (const auto* key : plan.keys) {
    scopes.push_back(key->scope);
    names.push_back(key->key);
    hashes.push_back(key->fingerprint);
    statuses.push_back(key->status);
    bodies.push_back(key->body);
    key_created_at.push_back(key->created_at);
  }
  // A sale whose key an earlier sale of the batch uses never commits: not sent.
  // The others go with their key's number, 0 for none.
  std::vector<long long> key_of_sale(batch.sales.size(), 0);
  std::vector<bool> sent(batch.sales.size(), true);
  for (std::size_t w = 0; w < plan.keyed.size(); ++w) {
    const auto& write = plan.keyed[w];
    if (plan.first_writer[write.key] == w)
      key_of_sale[write.index] = static_cast<long long>(write.key) + 1;
    else
      sent[write.index] = false;
  }
  sale_rows sales;
  std::vector<long long> sale_keys;
  sale_line_rows sale_lines;
  for (std::size_t i = 0; i < batch.sales.size(); ++i) {
    if (!sent[i])
      continue;
    const auto& sale = batch.sales[i].sale;
    sales.id.push_back(sale.id);
    sale_keys.push_back(key_of_sale[i]);
    sales.total_cents.push_back(sale.total_cents);
    sales.status.emplace_back(domain::to_string(sale.status));
    sales.created_at.push_back(sale.created_at);
    int line_no = 0;
    for (const auto& line : sale.lines) {
      sale_lines.sale_id.push_back(sale.id);
      sale_lines.line_no.push_back(++line_no);
      sale_lines.product_id.push_back(line.product.value);
      sale_lines.quantity.push_back(line.quantity);
      sale_lines.unit_price_cents.push_back(line.unit_price_cents);
    }
  }

  const std::string values[postgresql_commit_sales_parameters] = {
      text_array(scopes),
      text_array(names),
      text_array(hashes),
      integer_array(statuses),
      text_array(bodies),
      text_array(key_created_at),
      std::to_string(batch.store.value),
      text_array(sales.id),
      integer_array(sale_keys),
      integer_array(sales.total_cents),
      text_array(sales.status),
      text_array(sales.created_at),
      text_array(sale_lines.sale_id),
      integer_array(sale_lines.line_no),
      integer_array(sale_lines.product_id),
      integer_array(sale_lines.quantity),
      integer_array(sale_lines.unit_price_cents),
      fence_ != nullptr ? fence_->owner : std::string{},
      fence_ != nullptr ? std::to_string(fence_->epoch) : std::string{}};
  const char* parameters[postgresql_commit_sales_parameters];
  for (int i = 0; i < postgresql_commit_sales_parameters; ++i)
    parameters[i] = values[i].c_str();
  // Unfenced: the fence parameters are null.
  if (fence_ == nullptr)
    parameters[17] = parameters[18] = nullptr;

  PGconn* conn = connection_of(sql_);
  const auto execute = [&] {
    if (prepared_->conn != conn || prepared_->backend_pid != PQbackendPID(conn)) {
      prepared_->conn = nullptr;
      prepare_commit_sales(conn);
      prepared_->conn = conn;
      prepared_->backend_pid = PQbackendPID(conn);
    }
    return pg_result(PQexecPrepared(conn, postgresql_commit_sales_name,
                                    postgresql_commit_sales_parameters, parameters, nullptr,
                                    nullptr, 0),
                     &PQclear);
  };
  auto rows = execute();
  if (rows && PQresultStatus(rows.get()) != PGRES_TUPLES_OK &&
      sqlstate_of(rows.get()) == "26000") { // invalid_sql_statement_name: DISCARD ALL?
    prepared_->conn = nullptr;
    rows = execute();
  }
  if (!rows || PQresultStatus(rows.get()) != PGRES_TUPLES_OK) {
    const auto message = error_of(conn, rows.get());
    if (message.find(postgresql_key_not_visible) != std::string::npos)
      return std::nullopt;
    if (message.find(postgresql_fenced) != std::string::npos)
      throw fenced_error("this node no longer owns location " + std::to_string(batch.store.value) +
                         " at epoch " + std::to_string(fence_->epoch));
    throw std::runtime_error("committing the sales failed: " + message);
  }

  std::vector<bool> inserted(plan.keys.size(), true);
  std::map<key_id, domain::idempotency_record> stored;
  const int count = PQntuples(rows.get());
  for (int row = 0; row < count; ++row) {
    if (PQgetisnull(rows.get(), row, 0) || PQgetisnull(rows.get(), row, 1))
      throw std::runtime_error("unexpected row from the sales commit");
    const auto n = std::stoull(PQgetvalue(rows.get(), row, 0));
    if (n < 1 || n > plan.keys.size())
      throw std::runtime_error("unexpected key number from the sales commit");
    const auto& key = *plan.keys[n - 1];
    inserted[n - 1] = false;
    domain::idempotency_record record;
    record.scope = key.scope;
    record.key = key.key;
    record.fingerprint = PQgetvalue(rows.get(), row, 1);
    record.status = static_cast<std::int32_t>(std::stol(PQgetvalue(rows.get(), row, 2)));
    record.body = PQgetvalue(rows.get(), row, 3);
    record.created_at = PQgetvalue(rows.get(), row, 4);
    stored.emplace(id_of(key), std::move(record));
  }

  domain::batch_result result;
  result.sales.resize(batch.sales.size());
  std::vector<bool> sale_committed(batch.sales.size(), true);
  std::vector<bool> return_committed;
  answer_taken_keys(plan, inserted, stored, result, sale_committed, return_committed);
  return result;
}

domain::batch_result sale_repository::commit_in_steps(const domain::commit_batch& batch) {
  domain::batch_result result;
  result.sales.resize(batch.sales.size());
  result.returns.resize(batch.returns.size());
  std::vector<bool> sale_committed(batch.sales.size(), true);
  std::vector<bool> return_committed(batch.returns.size(), true);
  const auto plan = plan_keys(batch);
  const auto& keys = plan.keys;

  write_transaction transaction(sql_, kind_, fence_);

  const auto inserted = insert_keys(sql_, kind_, keys);
  std::vector<key_id> stored_before;
  for (std::size_t k = 0; k < keys.size(); ++k)
    if (!inserted[k])
      stored_before.push_back(id_of(*keys[k]));
  const auto stored = load_stored_keys(sql_, kind_, stored_before);
  answer_taken_keys(plan, inserted, stored, result, sale_committed, return_committed);
  sale_rows sales;
  sale_line_rows sale_lines;
  for (std::size_t i = 0; i < batch.sales.size(); ++i) {
    if (!sale_committed[i])
      continue;
    const auto& sale = batch.sales[i].sale;
    sales.id.push_back(sale.id);
    sales.store_id.push_back(sale.store.value);
    sales.total_cents.push_back(sale.total_cents);
    sales.status.emplace_back(domain::to_string(sale.status));
    sales.created_at.push_back(sale.created_at);
    int line_no = 0;
    for (const auto& line : sale.lines) {
      sale_lines.sale_id.push_back(sale.id);
      sale_lines.line_no.push_back(++line_no);
      sale_lines.product_id.push_back(line.product.value);
      sale_lines.quantity.push_back(line.quantity);
      sale_lines.unit_price_cents.push_back(line.unit_price_cents);
    }
  }

  return_rows returns;
  return_line_rows return_lines;
  std::map<std::string, domain::sale_status> status_after;
  for (std::size_t i = 0; i < batch.returns.size(); ++i) {
    if (!return_committed[i])
      continue;
    const auto& write = batch.returns[i];
    const auto& record = write.record;
    returns.id.push_back(record.id);
    returns.sale_id.push_back(record.sale_id);
    returns.refund_cents.push_back(record.refund_cents);
    returns.created_at.push_back(record.created_at);
    int line_no = 0;
    for (const auto& line : record.lines) {
      return_lines.return_id.push_back(record.id);
      return_lines.line_no.push_back(++line_no);
      return_lines.product_id.push_back(line.product.value);
      return_lines.quantity.push_back(line.quantity);
    }
    status_after[record.sale_id] = write.sale_status_after;
  }
  sale_status_rows statuses;
  for (const auto& [sale_id, status] : status_after) {
    statuses.status.emplace_back(domain::to_string(status));
    statuses.id.push_back(sale_id);
  }

  insert_sales(sql_, kind_, sales);
  insert_sale_lines(sql_, kind_, sale_lines);
  insert_returns(sql_, kind_, returns);
  insert_return_lines(sql_, kind_, return_lines);
  update_sale_statuses(sql_, kind_, statuses);
  apply_stock_changes(sql_, kind_, batch.store,
                      domain::stock_changes(batch, sale_committed, return_committed));
  transaction.commit();
  return result;
}

// -- reads ---------------------------------------------------------------------------------

std::optional<domain::location_id> sale_repository::locate_sale(const std::string& sale_id) {
  domain::location_id store;
  sql_ << select_sale_store, soci::use(sale_id), soci::into(store.value);
  if (!sql_.got_data())
    return std::nullopt;
  return store;
}

std::optional<domain::sale_record> sale_repository::load_sale(const std::string& sale_id) {
  domain::sale_record record;
  auto& sale = record.sale;
  std::string status;
  sql_ << select_sale, soci::use(sale_id), soci::into(sale.store.value),
      soci::into(sale.total_cents), soci::into(status), soci::into(sale.created_at);
  if (!sql_.got_data())
    return std::nullopt;
  sale.id = sale_id;
  sale.status = parse_status(status, sale_id);

  domain::sale_line line;
  soci::statement lines =
      (sql_.prepare << select_sale_lines, soci::use(sale_id), soci::into(line.product.value),
       soci::into(line.quantity), soci::into(line.unit_price_cents));
  lines.execute();
  while (lines.fetch())
    sale.lines.push_back(line);

  domain::sale_return sale_return;
  soci::statement returns =
      (sql_.prepare << select_returns_of_sale, soci::use(sale_id), soci::into(sale_return.id),
       soci::into(sale_return.refund_cents), soci::into(sale_return.created_at));
  returns.execute();
  while (returns.fetch()) {
    sale_return.sale_id = sale_id;
    sale_return.store = sale.store;
    record.returns.push_back(sale_return);
  }
  if (record.returns.empty())
    return record;

  std::map<std::string, std::size_t> return_index;
  for (std::size_t i = 0; i < record.returns.size(); ++i)
    return_index.emplace(record.returns[i].id, i);
  std::string return_id;
  domain::basket_line return_line;
  soci::statement return_lines =
      (sql_.prepare << select_return_lines_of_sale, soci::use(sale_id), soci::into(return_id),
       soci::into(return_line.product.value), soci::into(return_line.quantity));
  return_lines.execute();
  while (return_lines.fetch()) {
    const auto at = return_index.find(return_id);
    if (at != return_index.end())
      record.returns[at->second].lines.push_back(return_line);
  }
  return record;
}

domain::sales_page sale_repository::list_sales(const domain::sales_query& query) {
  const long long store = query.store.value;
  const long long limit = std::max<std::int32_t>(query.limit, 1);
  const long long fetched = limit + 1; // one more tells whether there is a next page

  // The page of sales, then its lines joined to it: one statement, one snapshot.
  std::string text = "SELECT s.id, s.total_cents, s.status, s.created_at,"
                     " l.product_id, l.quantity, l.unit_price_cents"
                     " FROM (SELECT id, total_cents, status, created_at FROM sales"
                     " WHERE store_id = :store";
  if (!query.from.empty())
    text += " AND created_at >= :from";
  if (!query.to.empty())
    text += " AND created_at < :to";
  if (!query.before_id.empty())
    text += " AND id < :before_id";
  text += " ORDER BY id DESC LIMIT :fetched) s"
          " LEFT JOIN sale_lines l ON l.sale_id = s.id"
          " ORDER BY s.id DESC, l.line_no";

  std::string id, status, created_at;
  long long total_cents = 0;
  domain::sale_line line;
  // Null only for a sale without lines, which the domain does not make.
  soci::indicator line_present = soci::i_null;
  soci::indicator quantity_present = soci::i_null;
  soci::indicator price_present = soci::i_null;
  // Bound one by one: which bounds the query has depends on the request.
  soci::statement rows(sql_);
  rows.exchange(soci::use(store));
  if (!query.from.empty())
    rows.exchange(soci::use(query.from));
  if (!query.to.empty())
    rows.exchange(soci::use(query.to));
  if (!query.before_id.empty())
    rows.exchange(soci::use(query.before_id));
  rows.exchange(soci::use(fetched));
  rows.exchange(soci::into(id));
  rows.exchange(soci::into(total_cents));
  rows.exchange(soci::into(status));
  rows.exchange(soci::into(created_at));
  rows.exchange(soci::into(line.product.value, line_present));
  rows.exchange(soci::into(line.quantity, quantity_present));
  rows.exchange(soci::into(line.unit_price_cents, price_present));
  rows.alloc();
  rows.prepare(text);
  rows.define_and_bind();
  rows.execute();

  domain::sales_page page;
  while (rows.fetch()) {
    if (page.items.empty() || page.items.back().id != id) {
      domain::sale sale;
      sale.id = id;
      sale.store = query.store;
      sale.total_cents = total_cents;
      sale.status = parse_status(status, id);
      sale.created_at = created_at;
      page.items.push_back(std::move(sale));
    }
    if (line_present == soci::i_ok)
      page.items.back().lines.push_back(line);
  }
  if (static_cast<long long>(page.items.size()) > limit) {
    page.items.pop_back();
    page.next_before_id = page.items.back().id;
  }
  return page;
}

std::vector<domain::idempotency_record>
sale_repository::load_keys(const std::vector<std::string>& scopes, const std::string& since) {
  std::vector<domain::idempotency_record> records;
  if (scopes.empty())
    return records;
  std::string scope;
  domain::idempotency_record row;
  soci::statement select =
      (sql_.prepare << select_keys_of_scope, soci::use(scope), soci::use(since),
       soci::into(row.scope), soci::into(row.key), soci::into(row.fingerprint),
       soci::into(row.status), soci::into(row.body), soci::into(row.created_at));
  for (const auto& wanted : scopes) {
    scope = wanted;
    select.execute();
    while (select.fetch())
      records.push_back(row);
  }
  return records;
}

std::int64_t sale_repository::purge_keys(const std::string& before) {
  soci::statement purge = (sql_.prepare << delete_keys_before, soci::use(before));
  purge.execute(true);
  return purge.get_affected_rows();
}

} // namespace comptoir::persistence
