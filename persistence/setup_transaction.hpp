#pragma once
// A transaction that has the database to itself, for migrating or seeding it.

#include "persistence/database_url.hpp"

namespace soci {
class session;
} // namespace soci

namespace comptoir::persistence {

/// Two nodes (or two processes on one SQLite file) starting at once must not
/// both apply a migration or both load the demo data: the second waits here
/// until the first commits, then sees its work. Rolls back unless committed.
class setup_transaction {
public:
  setup_transaction(soci::session& sql, dialect kind);
  ~setup_transaction();
  setup_transaction(const setup_transaction&) = delete;
  setup_transaction& operator=(const setup_transaction&) = delete;

  void commit();

private:
  soci::session& sql_;
  bool committed_ = false;
};

} // namespace comptoir::persistence
