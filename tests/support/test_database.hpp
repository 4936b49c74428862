#pragma once
// The database a test binary runs against, and wiping it between test cases.

#include <string>

namespace comptoir::test {

/// COMPTOIR_TEST_DATABASE_URL; throws when it is not set, so that a database
/// test never silently runs against nothing.
std::string test_database_url();

/// Leaves an empty database at `url`: an SQLite file is deleted with its
/// journals, a PostgreSQL schema `public` is dropped and created again.
void reset_database(const std::string& url);

} // namespace comptoir::test
