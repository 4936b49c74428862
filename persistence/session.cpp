#include "persistence/session.hpp"

#include <soci/postgresql/soci-postgresql.h>
#include <soci/soci.h>
#include <soci/sqlite3/soci-sqlite3.h>

#include <filesystem>
#include <stdexcept>
#include <string>

namespace comptoir::persistence {

namespace {

// Set first, so that switching the journal mode also waits for other writers.
constexpr auto busy_timeout_pragma = "PRAGMA busy_timeout = 5000";
// Readers do not block the writer, and the writer does not block readers.
constexpr auto journal_mode_pragma = "PRAGMA journal_mode = WAL";
// In WAL mode NORMAL may lose the last commits on power loss; a 201 sale must not.
constexpr auto synchronous_pragma = "PRAGMA synchronous = FULL";
// SQLite ignores REFERENCES unless asked, per connection.
constexpr auto foreign_keys_pragma = "PRAGMA foreign_keys = ON";
// Every store writes through a connection of its own: SQLite's default page
// cache of 2 MB each came to 200 MB for 100 stores. The stores keep their
// state in memory and the OS caches the file, so 256 KiB each is plenty
// (100 x 10,000 products: 512 KiB each left the node 18 MB over its 256 MB).
constexpr auto cache_size_pragma = "PRAGMA cache_size = -256";

constexpr auto ping_query = "SELECT 1";

std::unique_ptr<soci::session> open_sqlite(const database_url& url) {
  const auto directory = url.sqlite_path.parent_path();
  if (!directory.empty()) {
    std::error_code error;
    std::filesystem::create_directories(directory, error);
    if (error)
      throw std::runtime_error("cannot create the directory " + directory.string() +
                               " of the SQLite database: " + error.message());
  }
  try {
    auto sql = std::make_unique<soci::session>(soci::sqlite3, url.connect_string);
    *sql << busy_timeout_pragma;
    std::string journal_mode;
    *sql << journal_mode_pragma, soci::into(journal_mode);
    if (journal_mode != "wal")
      throw std::runtime_error("journal mode is '" + journal_mode + "', not 'wal'");
    *sql << synchronous_pragma;
    *sql << foreign_keys_pragma;
    *sql << cache_size_pragma;
    return sql;
  } catch (const std::exception& e) {
    throw std::runtime_error("cannot open the SQLite database " + url.sqlite_path.string() + ": " +
                             e.what());
  }
}

std::unique_ptr<soci::session> open_postgresql(const database_url& url) {
  try {
    return std::make_unique<soci::session>(soci::postgresql, url.connect_string);
  } catch (const std::exception& e) {
    // Not the URL itself: it may carry a password.
    throw std::runtime_error(std::string{"cannot connect to PostgreSQL: "} + e.what());
  }
}

} // namespace

std::unique_ptr<soci::session> open_session(const database_url& url) {
  switch (url.kind) {
  case dialect::sqlite:
    return open_sqlite(url);
  case dialect::postgresql:
    return open_postgresql(url);
  }
  throw std::logic_error("unknown database dialect");
}

bool ping(soci::session& sql) {
  try {
    int one = 0;
    sql << ping_query, soci::into(one);
    return one == 1;
  } catch (const std::exception&) {
    return false;
  }
}

} // namespace comptoir::persistence
