#pragma once
// Reads a node's settings from its TOML file and the environment, rejecting anything doubtful.

#include "config/settings.hpp"

#include <functional>
#include <optional>
#include <stdexcept>
#include <string>

namespace comptoir::config {

/// An unusable configuration. The message is written for the operator, e.g.
/// `etc/node.toml: http.port: expected an integer between 1 and 65535, got "abc" (line 3)`,
/// `COMPTOIR_HTTP_PORT: http.port: ...`, `etc/node.toml:3:8: <TOML syntax error>` or
/// `etc/node.toml: cannot read: <reason>`. Token values are never repeated in it.
class config_error : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

/// Looks up an environment variable; injectable so tests need not touch the real environment.
using getenv_function = std::function<std::optional<std::string>(const char*)>;

/// Reads the file `cli_path`, else the one COMPTOIR_CONFIG names, else the
/// built-in copy of config/comptoir.toml; then COMPTOIR_HTTP_PORT,
/// COMPTOIR_HTTP_ADDRESS and COMPTOIR_DATABASE_URL override what it says.
/// An empty variable counts as unset. Throws config_error.
settings load_settings(std::optional<std::string> cli_path, const getenv_function& getenv_fn);

/// Reads `text` as the TOML file named `source`, without the environment.
/// Throws config_error.
settings read_settings(std::string_view text, const std::string& source);

/// The same, with the variables of this process.
settings load_settings(std::optional<std::string> cli_path);

} // namespace comptoir::config
