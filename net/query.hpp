#pragma once
// Splitting a request target into its path and decoded query parameters.

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace comptoir::net {

struct split_target {
  std::string_view path;
  /// Decoded name/value pairs in order of appearance.
  std::vector<std::pair<std::string, std::string>> params;
};

/// Nothing when the query string holds a malformed percent escape.
std::optional<split_target> split(std::string_view target);

/// The value of the first parameter called `name`.
const std::string* find_param(const split_target& target, std::string_view name);

} // namespace comptoir::net
