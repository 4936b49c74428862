#pragma once
// A persistence test's database: the demo chain, migrated, on the test's
// database (SQLite or PostgreSQL), with helpers to read it back with SQL.

#include "domain/ids.hpp"
#include "domain/uuid.hpp"
#include "persistence/database_url.hpp"

#include <chrono>
#include <memory>
#include <string>

namespace soci {
class session;
}

namespace comptoir::test {

/// The demo chain on COMPTOIR_TEST_DATABASE_URL (emptied first), migrated,
/// with 100 units of products 1-5 everywhere; a clock for the rows it makes.
struct demo_database {
  persistence::database_url url;
  std::unique_ptr<soci::session> sql;
  domain::uuid_v7_generator ids;
  std::chrono::system_clock::time_point now;

  demo_database();
  ~demo_database();
  demo_database(const demo_database&) = delete;
  demo_database& operator=(const demo_database&) = delete;

  /// Another connection, as another node or writer has.
  std::unique_ptr<soci::session> connect() const;
  /// The one number `query` selects.
  long long count(const std::string& query);
  long long on_hand(domain::location_id where, std::int64_t product);
  /// One minute later than the last row made, formatted.
  std::string tick();
};

} // namespace comptoir::test
