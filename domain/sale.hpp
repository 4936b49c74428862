#pragma once
// Sales and returns: what a till records, and what the store commits in one batch.

#include "domain/ids.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace comptoir::domain {

/// A product and a quantity, as a client asks for it in a basket or a return.
struct basket_line {
  product_id product;
  std::int64_t quantity = 0;
};

template <class Inspector> typename Inspector::result_type inspect(Inspector& f, basket_line& x) {
  return f(x.product, x.quantity);
}

/// A line that cannot be served in full: not enough stock for a sale, or
/// not that much left to return of a sale.
struct shortage {
  product_id product;
  std::int64_t requested = 0;
  std::int64_t available = 0;
};

struct sale_line {
  product_id product;
  std::int64_t quantity = 0;
  /// The catalogue price when the sale was made.
  std::int64_t unit_price_cents = 0;
};

template <class Inspector> typename Inspector::result_type inspect(Inspector& f, sale_line& x) {
  return f(x.product, x.quantity, x.unit_price_cents);
}

enum class sale_status : std::uint8_t { completed, partially_returned, returned };

std::string_view to_string(sale_status status);
std::optional<sale_status> parse_sale_status(std::string_view text);

struct sale {
  /// UUIDv7.
  std::string id;
  location_id store;
  std::vector<sale_line> lines;
  std::int64_t total_cents = 0;
  sale_status status = sale_status::completed;
  /// RFC 3339 UTC with milliseconds.
  std::string created_at;
};

template <class Inspector> typename Inspector::result_type inspect(Inspector& f, sale& x) {
  return f(x.id, x.store, x.lines, x.total_cents, x.status, x.created_at);
}

struct sale_return {
  /// UUIDv7.
  std::string id;
  std::string sale_id;
  location_id store;
  std::vector<basket_line> lines;
  std::int64_t refund_cents = 0;
  std::string created_at;
};

template <class Inspector> typename Inspector::result_type inspect(Inspector& f, sale_return& x) {
  return f(x.id, x.sale_id, x.store, x.lines, x.refund_cents, x.created_at);
}

/// A sale with the returns made against it.
struct sale_record {
  domain::sale sale;
  std::vector<sale_return> returns;
};

template <class Inspector> typename Inspector::result_type inspect(Inspector& f, sale_record& x) {
  return f(x.sale, x.returns);
}

/// A page of one store's sales, newest first.
struct sales_query {
  location_id store;
  /// Inclusive lower and exclusive upper bounds on created_at, in the
  /// normalized form of domain/timestamp.hpp; empty for no bound.
  std::string from;
  std::string to;
  /// Resume after this sale id (ids are time-ordered); empty from the newest.
  std::string before_id;
  std::int32_t limit = 50;
};

template <class Inspector> typename Inspector::result_type inspect(Inspector& f, sales_query& x) {
  return f(x.store, x.from, x.to, x.before_id, x.limit);
}

/// A page of records listed newest first by their UUIDv7 ids.
template <class Record>
struct id_page {
  std::vector<Record> items;
  /// The id to pass as `before_id` for the next page, when there is one.
  std::optional<std::string> next_before_id;
};

using sales_page = id_page<sale>;

/// The stored answer to a request made with an Idempotency-Key.
struct idempotency_record {
  /// Who the key belongs to, e.g. "sale:3" for sales of store 3.
  std::string scope;
  std::string key;
  /// Identifies the request the key was first used with.
  std::string fingerprint;
  std::int32_t status = 0;
  std::string body;
  std::string created_at;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, idempotency_record& x) {
  return f(x.scope, x.key, x.fingerprint, x.status, x.body, x.created_at);
}

// -- group commit ---------------------------------------------------------------

struct sale_write {
  domain::sale sale;
  /// Empty `key`: the request had no Idempotency-Key.
  idempotency_record key;
};

struct return_write {
  sale_return record;
  /// The sale's status once this return is made.
  sale_status sale_status_after = sale_status::completed;
  idempotency_record key;
};

/// Everything one store commits in one transaction.
struct commit_batch {
  location_id store;
  std::vector<sale_write> sales;
  std::vector<return_write> returns;
};

/// Per write of a batch, index for index: nothing when it was committed, or
/// the idempotency record that already held its key (then nothing of that
/// write was committed).
struct batch_result {
  std::vector<std::optional<idempotency_record>> sales;
  std::vector<std::optional<idempotency_record>> returns;
};

struct stock_change {
  product_id product;
  /// Negative for units sold, positive for units returned.
  std::int64_t delta = 0;
};

/// The stock changes of the writes not in `skipped_*`, one per product,
/// ordered by product id (a stable lock order for the UPDATEs).
std::vector<stock_change> stock_changes(const commit_batch& batch,
                                        const std::vector<bool>& sale_committed,
                                        const std::vector<bool>& return_committed);

} // namespace comptoir::domain
