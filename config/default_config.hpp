#pragma once
// The shipped config/comptoir.toml, built into the binary so a node runs without any file.

#include <string_view>

namespace comptoir::config {

/// The text of config/comptoir.toml as it was at build time (the source is
/// generated from it by config/CMakeLists.txt).
std::string_view default_config_text();

} // namespace comptoir::config
