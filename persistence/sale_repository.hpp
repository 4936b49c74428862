#pragma once
// Sales, returns and their idempotency keys in the database: the group commit and the reads.

#include "domain/ids.hpp"
#include "domain/sale.hpp"
#include "persistence/database_url.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace soci {
class session;
} // namespace soci

namespace comptoir::persistence {

struct write_fence;

class sale_repository {
public:
  /// With a `fence`, every commit checks it first: a batch for a location this
  /// node no longer owns throws fenced_error and writes nothing.
  sale_repository(soci::session& sql, dialect kind, const write_fence* fence = nullptr);
  ~sale_repository();
  sale_repository(const sale_repository&) = delete;
  sale_repository& operator=(const sale_repository&) = delete;

  /// Commits one store's batch in one transaction: per write, its idempotency
  /// key first; a write whose key is already stored (or taken by an earlier
  /// write of the batch) commits nothing and gets that record in the result.
  /// Then the sales, returns, sale statuses and the stock. On any error rolls
  /// back everything and throws (soci::soci_error or std::runtime_error).
  /// On PostgreSQL a batch without returns is one prepared statement, its own
  /// transaction: keep the repository to reuse it (it is prepared once per
  /// connection, and again after a reconnect).
  domain::batch_result commit(const domain::commit_batch& batch);

  /// The store a sale was made in.
  std::optional<domain::location_id> locate_sale(const std::string& sale_id);

  /// The sale with its lines and its returns (ordered by id), each with its lines.
  std::optional<domain::sale_record> load_sale(const std::string& sale_id);

  /// One store's sales, newest first, with their lines.
  domain::sales_page list_sales(const domain::sales_query& query);

  /// The keys of these scopes created at or after `since`.
  std::vector<domain::idempotency_record> load_keys(const std::vector<std::string>& scopes,
                                                    const std::string& since);

  /// Deletes the keys created before `before`; returns how many.
  std::int64_t purge_keys(const std::string& before);

  /// PostgreSQL's connection-level state of the single-statement commit.
  struct prepared_commit;

private:
  domain::batch_result commit_in_steps(const domain::commit_batch& batch);
  /// Nothing when the statement found a key it could not read (stored by a
  /// transaction that committed during it): it rolled back, commit in steps.
  std::optional<domain::batch_result> commit_sales_at_once(const domain::commit_batch& batch);

  soci::session& sql_;
  dialect kind_;
  const write_fence* fence_;
  std::unique_ptr<prepared_commit> prepared_;
};

} // namespace comptoir::persistence
