#include "persistence/setup_transaction.hpp"

#include <soci/soci.h>

namespace comptoir::persistence {

namespace {

// Takes the write lock at once: a deferred transaction that read first could
// not upgrade after another writer's commit (SQLITE_BUSY_SNAPSHOT).
constexpr auto sqlite_begin_immediate = "BEGIN IMMEDIATE";
// Held until commit or rollback. The key is the bytes of "comptoir" read as a
// big-endian integer, a constant no other lock uses.
// It reads a row: run without an `into`, SOCI 4.0's PostgreSQL backend left
// the lock untaken (the concurrent start-up test caught it).
constexpr auto postgresql_lock_setup =
    "SELECT 1 FROM (SELECT pg_advisory_xact_lock(7165065861926971762)) AS locked";

} // namespace

setup_transaction::setup_transaction(soci::session& sql, dialect kind) : sql_(sql) {
  if (kind == dialect::sqlite) {
    sql_ << sqlite_begin_immediate;
    return;
  }
  sql_.begin();
  try {
    int locked = 0;
    sql_ << postgresql_lock_setup, soci::into(locked);
  } catch (...) {
    sql_.rollback();
    throw;
  }
}

setup_transaction::~setup_transaction() {
  if (committed_)
    return;
  try {
    sql_.rollback();
  } catch (const std::exception&) {
    // A lost connection has rolled back already; a destructor must not throw.
  }
}

void setup_transaction::commit() {
  sql_.commit();
  committed_ = true;
}

} // namespace comptoir::persistence
