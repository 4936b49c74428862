#pragma once
// Which database a node uses, parsed from the URL given in the config or the environment.

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace comptoir::persistence {

enum class dialect { sqlite, postgresql };

struct database_url {
  dialect kind = dialect::sqlite;
  /// What SOCI's backend is opened with.
  std::string connect_string;
  /// The database file; empty for PostgreSQL.
  std::filesystem::path sqlite_path;
};

/// Accepts `sqlite://relative/path.db` (from the working directory),
/// `sqlite:///absolute/path.db`, and `postgresql://...` or `postgres://...`
/// (handed to libpq as they are). Anything else gives nothing.
std::optional<database_url> parse_database_url(std::string_view url);

} // namespace comptoir::persistence
