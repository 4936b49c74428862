#include "persistence/write_transaction.hpp"

#include <soci/soci.h>

namespace comptoir::persistence {

namespace {

constexpr auto sqlite_begin_immediate = "BEGIN IMMEDIATE";

} // namespace

write_transaction::write_transaction(soci::session& sql, dialect kind) : sql_(sql) {
  if (kind == dialect::sqlite)
    sql_ << sqlite_begin_immediate;
  else
    sql_.begin();
}

write_transaction::~write_transaction() {
  if (committed_)
    return;
  try {
    sql_.rollback();
  } catch (const std::exception&) {
    // A lost connection has rolled back already; a destructor must not throw.
  }
}

void write_transaction::commit() {
  sql_.commit();
  committed_ = true;
}

} // namespace comptoir::persistence
