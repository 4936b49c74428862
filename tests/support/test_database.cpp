#include "tests/support/test_database.hpp"

#include "persistence/database_url.hpp"
#include "persistence/session.hpp"

#include <soci/soci.h>

#include <cstdlib>
#include <filesystem>
#include <stdexcept>

namespace comptoir::test {

namespace {

// DROP ... CASCADE lists every dropped object as a NOTICE on stderr otherwise.
constexpr auto quiet_notices = "SET client_min_messages = warning";
constexpr auto drop_public_schema = "DROP SCHEMA IF EXISTS public CASCADE";
constexpr auto create_public_schema = "CREATE SCHEMA public";

void remove_sqlite_files(const std::filesystem::path& database) {
  for (const auto* suffix : {"", "-wal", "-shm", "-journal"}) {
    auto file = database;
    file += suffix;
    std::filesystem::remove(file);
  }
}

} // namespace

std::string test_database_url() {
  const char* url = std::getenv("COMPTOIR_TEST_DATABASE_URL");
  if (url == nullptr || *url == '\0')
    throw std::runtime_error(
        "COMPTOIR_TEST_DATABASE_URL is not set: run this test through ctest, "
        "or set it to sqlite:///tmp/test.db or postgresql://user@host:port/db");
  return url;
}

void reset_database(const std::string& url) {
  const auto parsed = persistence::parse_database_url(url);
  if (!parsed)
    throw std::runtime_error("COMPTOIR_TEST_DATABASE_URL is not a database URL: " + url);
  if (parsed->kind == persistence::dialect::sqlite) {
    remove_sqlite_files(parsed->sqlite_path);
    return;
  }
  const auto sql = persistence::open_session(*parsed);
  *sql << quiet_notices;
  *sql << drop_public_schema;
  *sql << create_public_schema;
}

} // namespace comptoir::test
