#pragma once
// The versioned schema of the database, the same on SQLite and PostgreSQL.

#include "persistence/database_url.hpp"

namespace soci {
class session;
} // namespace soci

namespace comptoir::persistence {

/// Applies the migrations the database lacks, in order, each in its own
/// transaction recorded in `schema_migrations`. Returns how many it applied.
/// Safe to run from several nodes at once.
int migrate(soci::session& sql, dialect kind);

/// The highest migration applied; 0 for an empty database.
int schema_version(soci::session& sql);

} // namespace comptoir::persistence
