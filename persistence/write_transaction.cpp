#include "persistence/write_transaction.hpp"

#include <soci/soci.h>

#include <string>

namespace comptoir::persistence {

namespace {

constexpr auto sqlite_begin_immediate = "BEGIN IMMEDIATE";

// FOR SHARE, not FOR KEY SHARE: only FOR SHARE conflicts with the claim's
// UPDATE of non-key columns.
constexpr auto postgresql_check_fence =
    "SELECT 1 FROM location_owners"
    " WHERE location_id = :location AND owner = :owner AND epoch = :epoch FOR SHARE";

} // namespace

write_transaction::write_transaction(soci::session& sql, dialect kind, const write_fence* fence)
    : sql_(sql) {
  if (kind == dialect::sqlite)
    sql_ << sqlite_begin_immediate;
  else
    sql_.begin();
  if (fence == nullptr || kind != dialect::postgresql)
    return;
  const long long location = fence->location;
  const long long epoch = fence->epoch;
  int held = 0;
  try {
    sql_ << postgresql_check_fence, soci::use(location), soci::use(fence->owner), soci::use(epoch),
        soci::into(held);
  } catch (...) {
    roll_back();
    throw;
  }
  if (sql_.got_data())
    return;
  roll_back();
  throw fenced_error("this node no longer owns location " + std::to_string(fence->location) +
                     " at epoch " + std::to_string(fence->epoch));
}

write_transaction::~write_transaction() {
  if (!committed_)
    roll_back();
}

void write_transaction::commit() {
  sql_.commit();
  committed_ = true;
}

void write_transaction::roll_back() noexcept {
  try {
    sql_.rollback();
  } catch (const std::exception&) {
    // A lost connection has rolled back already; this runs in a destructor.
  }
}

} // namespace comptoir::persistence
