#pragma once
// Opening a database session configured for Comptoir, and checking that it still answers.

#include "persistence/database_url.hpp"

#include <memory>

namespace soci {
class session;
} // namespace soci

namespace comptoir::persistence {

/// Connects to the database. For SQLite, creates the file's directory and sets
/// the pragmas that make a committed sale durable and writers wait for each
/// other. Throws std::runtime_error (soci::soci_error is one) naming what failed.
std::unique_ptr<soci::session> open_session(const database_url& url);

/// True when the database answers a trivial query; never throws.
bool ping(soci::session& sql);

} // namespace comptoir::persistence
