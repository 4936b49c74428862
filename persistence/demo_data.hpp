#pragma once
// The demo chain: five stores, the logistics centre, a catalogue and stock everywhere.

#include "persistence/database_url.hpp"

namespace soci {
class session;
} // namespace soci

namespace comptoir::persistence {

/// Fills a migrated, empty database in one transaction: stores 1-5, the
/// logistics centre (6), products 1-50 and stock for every location and
/// product. The data is the same on every run. Returns false and changes
/// nothing when the database already holds locations or products.
bool load_demo_data(soci::session& sql, dialect kind);

} // namespace comptoir::persistence
