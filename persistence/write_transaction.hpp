#pragma once
// A transaction for the repositories' writes, rolled back unless committed.

#include "persistence/database_url.hpp"

namespace soci {
class session;
} // namespace soci

namespace comptoir::persistence {

/// On SQLite takes the write lock at once (BEGIN IMMEDIATE) rather than fail to
/// upgrade a read lock later; on PostgreSQL a plain BEGIN.
class write_transaction {
public:
  write_transaction(soci::session& sql, dialect kind);
  ~write_transaction();
  write_transaction(const write_transaction&) = delete;
  write_transaction& operator=(const write_transaction&) = delete;

  void commit();

private:
  soci::session& sql_;
  bool committed_ = false;
};

} // namespace comptoir::persistence
