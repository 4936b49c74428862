#include "persistence/restock_repository.hpp"

#include "persistence/array_literal.hpp"
#include "persistence/write_transaction.hpp"

#include <soci/soci.h>

#include <algorithm>
#include <map>
#include <stdexcept>
#include <utility>

namespace comptoir::persistence {

namespace {

// A request has a handful of lines: SQLite inserts them with SOCI's bulk
// binding, PostgreSQL in one statement reading arrays (`unnest`), as the sales do.

// -- SQL: writes ------------------------------------------------------------------

constexpr auto insert_key_if_new =
    "INSERT INTO idempotency_keys"
    " (scope, idempotency_key, request_hash, status_code, response_body, created_at)"
    " VALUES (:scope, :key, :hash, :status, :body, :created_at)"
    " ON CONFLICT (scope, idempotency_key) DO NOTHING";

constexpr auto insert_key =
    "INSERT INTO idempotency_keys"
    " (scope, idempotency_key, request_hash, status_code, response_body, created_at)"
    " VALUES (:scope, :key, :hash, :status, :body, :created_at)";

constexpr auto select_key =
    "SELECT scope, idempotency_key, request_hash, status_code, response_body, created_at"
    " FROM idempotency_keys WHERE scope = :scope AND idempotency_key = :key";

constexpr auto insert_request =
    "INSERT INTO restock_requests (id, store_id, status, created_at, updated_at)"
    " VALUES (:id, :store_id, 'pending', :created_at, :updated_at)";

constexpr auto sqlite_insert_lines =
    "INSERT INTO restock_request_lines (request_id, line_no, product_id, quantity)"
    " VALUES (:request_id, :line_no, :product_id, :quantity)";

constexpr auto postgresql_insert_lines =
    "INSERT INTO restock_request_lines (request_id, line_no, product_id, quantity)"
    " SELECT * FROM unnest(CAST(:request_ids AS text[]), CAST(:line_nos AS integer[]),"
    " CAST(:product_ids AS bigint[]), CAST(:quantities AS bigint[]))";

// Moves a request along one step; no row when it is not at `from` (or unknown).
constexpr auto update_status = "UPDATE restock_requests SET status = :to, updated_at = :now"
                               " WHERE id = :id AND status = :from";

constexpr auto sqlite_update_stock = "UPDATE stock SET on_hand = on_hand + :delta"
                                     " WHERE location_id = :location AND product_id = :product";

// Returns the products it updated, to check that every one had a stock row.
constexpr auto postgresql_update_stock =
    "UPDATE stock SET on_hand = stock.on_hand + c.delta"
    " FROM unnest(CAST(:deltas AS bigint[]), CAST(:product_ids AS bigint[])) AS c (delta, "
    "product_id)"
    " WHERE stock.location_id = :location AND stock.product_id = c.product_id"
    " RETURNING stock.product_id";

// -- SQL: reads -------------------------------------------------------------------

// Requests with their lines, one row per line: `{requests}` is the table or a
// subquery of it named r.
constexpr auto select_requests_with_lines =
    "SELECT r.id, r.store_id, r.status, r.created_at, r.updated_at, l.product_id, l.quantity"
    " FROM {requests} LEFT JOIN restock_request_lines l ON l.request_id = r.id";

constexpr auto open_statuses = "('pending', 'approved')";

// -- helpers ------------------------------------------------------------------------

std::string requests_with_lines(const std::string& requests) {
  std::string text = select_requests_with_lines;
  const std::string placeholder = "{requests}";
  text.replace(text.find(placeholder), placeholder.size(), requests);
  return text;
}

/// One row of `select_requests_with_lines`.
struct request_row {
  std::string id;
  std::int64_t store = 0;
  std::string status;
  std::string created_at;
  std::string updated_at;
  domain::basket_line line;
  // Null only for a request without lines, which the domain does not make.
  soci::indicator line_present = soci::i_null;
  soci::indicator quantity_present = soci::i_null;
};

/// Binds the row, prepares `text` and runs it; the uses are exchanged already.
void run(soci::statement& rows, request_row& row, const std::string& text) {
  rows.exchange(soci::into(row.id));
  rows.exchange(soci::into(row.store));
  rows.exchange(soci::into(row.status));
  rows.exchange(soci::into(row.created_at));
  rows.exchange(soci::into(row.updated_at));
  rows.exchange(soci::into(row.line.product.value, row.line_present));
  rows.exchange(soci::into(row.line.quantity, row.quantity_present));
  rows.alloc();
  rows.prepare(text);
  rows.define_and_bind();
  rows.execute();
}

domain::restock_status parse_status(const std::string& text, const std::string& request_id) {
  const auto status = domain::parse_restock_status(text);
  // A schema newer than this binary might know more statuses.
  if (!status)
    throw std::runtime_error("restock request " + request_id + " has unknown status '" + text +
                             "'");
  return *status;
}

/// The requests of the rows, in the rows' order, which keeps a request's rows together.
std::vector<domain::restock_request> collect(soci::statement& rows, request_row& row) {
  std::vector<domain::restock_request> requests;
  while (rows.fetch()) {
    if (requests.empty() || requests.back().id != row.id) {
      domain::restock_request request;
      request.id = row.id;
      request.store = domain::location_id{row.store};
      request.status = parse_status(row.status, row.id);
      request.created_at = row.created_at;
      request.updated_at = row.updated_at;
      requests.push_back(std::move(request));
    }
    if (row.line_present == soci::i_ok)
      requests.back().lines.push_back(row.line);
  }
  return requests;
}

/// Moves the request from `from` to `to`; true when it was at `from`.
bool change_status(soci::session& sql, const std::string& id, domain::restock_status from,
                   domain::restock_status to, const std::string& now) {
  const std::string from_text{domain::to_string(from)};
  const std::string to_text{domain::to_string(to)};
  soci::statement update = (sql.prepare << update_status, soci::use(to_text), soci::use(now),
                            soci::use(id), soci::use(from_text));
  update.execute(true);
  return update.get_affected_rows() == 1;
}

void insert_lines(soci::session& sql, dialect kind, const domain::restock_request& request) {
  if (request.lines.empty())
    return;
  std::vector<std::string> request_ids;
  std::vector<int> line_nos;
  std::vector<long long> product_ids, quantities;
  int line_no = 0;
  for (const auto& line : request.lines) {
    request_ids.push_back(request.id);
    line_nos.push_back(++line_no);
    product_ids.push_back(line.product.value);
    quantities.push_back(line.quantity);
  }
  if (kind == dialect::sqlite) {
    sql << sqlite_insert_lines, soci::use(request_ids), soci::use(line_nos), soci::use(product_ids),
        soci::use(quantities);
    return;
  }
  const auto request_ids_array = text_array(request_ids);
  const auto line_nos_array = integer_array(line_nos);
  const auto product_ids_array = integer_array(product_ids);
  const auto quantities_array = integer_array(quantities);
  sql << postgresql_insert_lines, soci::use(request_ids_array), soci::use(line_nos_array),
      soci::use(product_ids_array), soci::use(quantities_array);
}

/// One change per product: PostgreSQL's UPDATE ... FROM would apply only one of
/// two rows matching the same stock row.
std::map<std::int64_t, std::int64_t> stock_deltas(const std::vector<domain::basket_line>& lines,
                                                  std::int64_t sign) {
  std::map<std::int64_t, std::int64_t> deltas;
  for (const auto& line : lines) {
    if (line.quantity <= 0)
      throw std::invalid_argument("a restock line moves a positive quantity, not " +
                                  std::to_string(line.quantity));
    deltas[line.product.value] += sign * line.quantity;
  }
  return deltas;
}

[[noreturn]] void throw_missing_stock(domain::location_id location) {
  throw std::runtime_error("a product of the restock request has no stock row at location " +
                           std::to_string(location.value));
}

/// A change that would take on_hand below zero fails on the CHECK constraint.
void apply_stock_deltas(soci::session& sql, dialect kind, domain::location_id location,
                        const std::map<std::int64_t, std::int64_t>& deltas) {
  if (deltas.empty())
    return;
  const long long location_value = location.value;
  if (kind == dialect::sqlite) {
    long long delta = 0;
    long long product = 0;
    soci::statement update = (sql.prepare << sqlite_update_stock, soci::use(delta),
                              soci::use(location_value), soci::use(product));
    for (const auto& [product_value, change] : deltas) {
      delta = change;
      product = product_value;
      update.execute(true);
      if (update.get_affected_rows() != 1)
        throw_missing_stock(location);
    }
    return;
  }
  std::vector<long long> changes, products;
  for (const auto& [product_value, change] : deltas) {
    changes.push_back(change);
    products.push_back(product_value);
  }
  const auto changes_array = integer_array(changes);
  const auto products_array = integer_array(products);
  std::vector<long long> updated(deltas.size());
  sql << postgresql_update_stock, soci::use(changes_array), soci::use(products_array),
      soci::use(location_value), soci::into(updated);
  if (updated.size() != deltas.size())
    throw_missing_stock(location);
}

} // namespace

// -- writes ---------------------------------------------------------------------------

std::optional<domain::idempotency_record>
restock_repository::create(const domain::restock_request& request,
                           const domain::idempotency_record& key) {
  write_transaction transaction(sql_, kind_, fence_);
  if (!key.key.empty()) {
    soci::statement insert = (sql_.prepare << insert_key_if_new, soci::use(key.scope),
                              soci::use(key.key), soci::use(key.fingerprint), soci::use(key.status),
                              soci::use(key.body), soci::use(key.created_at));
    insert.execute(true);
    if (insert.get_affected_rows() != 1) {
      domain::idempotency_record stored;
      sql_ << select_key, soci::use(key.scope), soci::use(key.key), soci::into(stored.scope),
          soci::into(stored.key), soci::into(stored.fingerprint), soci::into(stored.status),
          soci::into(stored.body), soci::into(stored.created_at);
      // Only a purge between the INSERT and the SELECT could remove it.
      if (!sql_.got_data())
        throw std::runtime_error("idempotency key vanished during the restock request");
      return stored;
    }
  }
  const long long store = request.store.value;
  const auto& updated_at = request.updated_at.empty() ? request.created_at : request.updated_at;
  sql_ << insert_request, soci::use(request.id), soci::use(store), soci::use(request.created_at),
      soci::use(updated_at);
  insert_lines(sql_, kind_, request);
  transaction.commit();
  return std::nullopt;
}

void restock_repository::approve(const std::string& id, domain::location_id warehouse,
                                 const std::vector<domain::basket_line>& lines,
                                 const std::string& now, const domain::idempotency_record& key) {
  const auto deltas = stock_deltas(lines, -1);
  write_transaction transaction(sql_, kind_, fence_);
  if (!change_status(sql_, id, domain::restock_status::pending, domain::restock_status::approved,
                     now))
    throw std::logic_error("restock request " + id + " is not pending");
  apply_stock_deltas(sql_, kind_, warehouse, deltas);
  if (!key.key.empty())
    sql_ << insert_key, soci::use(key.scope), soci::use(key.key), soci::use(key.fingerprint),
        soci::use(key.status), soci::use(key.body), soci::use(key.created_at);
  transaction.commit();
}

void restock_repository::reject(const std::string& id, const std::string& now) {
  write_transaction transaction(sql_, kind_, fence_);
  if (!change_status(sql_, id, domain::restock_status::pending, domain::restock_status::rejected,
                     now))
    throw std::logic_error("restock request " + id + " is not pending");
  transaction.commit();
}

bool restock_repository::fulfil(const std::string& id, domain::location_id store,
                                const std::vector<domain::basket_line>& lines,
                                const std::string& now) {
  const auto deltas = stock_deltas(lines, +1);
  write_transaction transaction(sql_, kind_, fence_);
  if (!change_status(sql_, id, domain::restock_status::approved, domain::restock_status::fulfilled,
                     now))
    return false; // rolled back: nothing was written
  apply_stock_deltas(sql_, kind_, store, deltas);
  transaction.commit();
  return true;
}

// -- reads ------------------------------------------------------------------------------

std::optional<domain::restock_request> restock_repository::load(const std::string& id) {
  request_row row;
  soci::statement rows(sql_);
  rows.exchange(soci::use(id));
  run(rows, row,
      requests_with_lines("restock_requests r") + " WHERE r.id = :id ORDER BY l.line_no");
  auto requests = collect(rows, row);
  if (requests.empty())
    return std::nullopt;
  return std::move(requests.front());
}

domain::restock_page restock_repository::list(const domain::restock_query& query) {
  const long long limit = std::max<std::int32_t>(query.limit, 1);
  const long long fetched = limit + 1; // one more tells whether there is a next page
  const std::string status = query.status ? std::string{domain::to_string(*query.status)} : "";
  const long long store = query.store ? query.store->value : 0;

  // The page of requests, then its lines joined to it: one statement, one snapshot.
  std::vector<std::string> conditions;
  if (query.status)
    conditions.emplace_back("status = :status");
  if (query.store)
    conditions.emplace_back("store_id = :store");
  if (!query.before_id.empty())
    conditions.emplace_back("id < :before_id");
  std::string page = "(SELECT id, store_id, status, created_at, updated_at FROM restock_requests";
  for (std::size_t i = 0; i < conditions.size(); ++i)
    page += (i == 0 ? " WHERE " : " AND ") + conditions[i];
  page += " ORDER BY id DESC LIMIT :fetched) r";

  request_row row;
  // Bound one by one: which bounds the query has depends on the request.
  soci::statement rows(sql_);
  if (query.status)
    rows.exchange(soci::use(status));
  if (query.store)
    rows.exchange(soci::use(store));
  if (!query.before_id.empty())
    rows.exchange(soci::use(query.before_id));
  rows.exchange(soci::use(fetched));
  run(rows, row, requests_with_lines(page) + " ORDER BY r.id DESC, l.line_no");

  domain::restock_page result;
  result.items = collect(rows, row);
  if (static_cast<long long>(result.items.size()) > limit) {
    result.items.pop_back();
    result.next_before_id = result.items.back().id;
  }
  return result;
}

std::vector<domain::restock_request> restock_repository::load_open() {
  request_row row;
  soci::statement rows(sql_);
  run(rows, row,
      requests_with_lines("restock_requests r") + " WHERE r.status IN " + open_statuses +
          " ORDER BY r.id, l.line_no");
  return collect(rows, row);
}

} // namespace comptoir::persistence
