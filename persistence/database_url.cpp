#include "persistence/database_url.hpp"

#include <algorithm>
#include <array>
#include <cctype>

namespace comptoir::persistence {

namespace {

constexpr std::string_view sqlite_scheme = "sqlite://";
constexpr std::array<std::string_view, 2> postgresql_schemes = {"postgresql://", "postgres://"};

// An unreachable server fails the connection within seconds, not after TCP's minutes.
constexpr std::string_view connect_timeout_parameter = "connect_timeout=10";

// SOCI 4.0 splits a PostgreSQL connect string into words at spaces and each
// word at its '=' to find its own options, and rebuilds it with an '=' after a
// word that had none: "postgresql://h/db" reaches libpq as database "db=". A
// URI that ends in a query parameter comes through unchanged, so one is added.
std::string postgresql_connect_string(std::string_view url) {
  std::string connect_string{url};
  if (url.find("connect_timeout=") == std::string_view::npos) {
    connect_string += url.find('?') == std::string_view::npos ? '?' : '&';
    connect_string += connect_timeout_parameter;
  }
  return connect_string;
}

bool has_space(std::string_view text) {
  return std::any_of(text.begin(), text.end(),
                     [](unsigned char c) { return std::isspace(c) != 0; });
}

} // namespace

std::optional<database_url> parse_database_url(std::string_view url) {
  if (url.starts_with(sqlite_scheme)) {
    std::filesystem::path path{url.substr(sqlite_scheme.size())};
    // "sqlite://", "sqlite:///" and "sqlite://var/" name no file.
    if (!path.has_filename())
      return std::nullopt;
    return database_url{dialect::sqlite, path.string(), path};
  }
  for (auto scheme : postgresql_schemes) {
    // A URI spells spaces %20; a bare one would also be split by SOCI.
    if (url.starts_with(scheme) && url.size() > scheme.size() && !has_space(url))
      return database_url{dialect::postgresql, postgresql_connect_string(url), {}};
  }
  return std::nullopt;
}

} // namespace comptoir::persistence
