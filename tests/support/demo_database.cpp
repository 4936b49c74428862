#include "support/demo_database.hpp"

#include "domain/timestamp.hpp"
#include "persistence/demo_data.hpp"
#include "persistence/migrations.hpp"
#include "persistence/session.hpp"
#include "support/test_database.hpp"

#include <soci/soci.h>

#include <stdexcept>

namespace comptoir::test {

using namespace std::chrono_literals;

demo_database::demo_database()
    : now(std::chrono::sys_days{std::chrono::year{2026} / 3 / 2} + 9h) {
  const auto text = test_database_url();
  reset_database(text);
  auto parsed = persistence::parse_database_url(text);
  if (!parsed)
    throw std::runtime_error("COMPTOIR_TEST_DATABASE_URL is not a database URL: " + text);
  url = *parsed;
  sql = persistence::open_session(url);
  persistence::migrate(*sql, url.kind);
  persistence::load_demo_data(*sql, url.kind);
  *sql << "UPDATE stock SET on_hand = 100 WHERE product_id <= 5";
}

demo_database::~demo_database() = default;

std::unique_ptr<soci::session> demo_database::connect() const {
  return persistence::open_session(url);
}

long long demo_database::count(const std::string& query) {
  long long rows = 0;
  *sql << query, soci::into(rows);
  return rows;
}

long long demo_database::on_hand(domain::location_id where, std::int64_t product) {
  long long units = 0;
  *sql << "SELECT on_hand FROM stock WHERE location_id = :location AND product_id = :product",
      soci::use(where.value), soci::use(product), soci::into(units);
  return units;
}

std::string demo_database::tick() {
  now += 1min;
  return domain::format_timestamp(now);
}

} // namespace comptoir::test
