#pragma once
// A transaction for the repositories' writes, rolled back unless committed.

#include "persistence/database_url.hpp"
#include "persistence/ownership_repository.hpp"

namespace soci {
class session;
} // namespace soci

namespace comptoir::persistence {

/// On SQLite takes the write lock at once (BEGIN IMMEDIATE) rather than fail to
/// upgrade a read lock later; on PostgreSQL a plain BEGIN.
class write_transaction {
public:
  /// With a `fence` (PostgreSQL only; null: unfenced), first locks the fence's
  /// location_owners row FOR SHARE, so that no claim can take the location
  /// before this transaction ends, and throws fenced_error, rolled back, when
  /// the row no longer names the fence's owner and epoch.
  write_transaction(soci::session& sql, dialect kind, const write_fence* fence = nullptr);
  ~write_transaction();
  write_transaction(const write_transaction&) = delete;
  write_transaction& operator=(const write_transaction&) = delete;

  void commit();

private:
  void roll_back() noexcept;

  soci::session& sql_;
  bool committed_ = false;
};

} // namespace comptoir::persistence
