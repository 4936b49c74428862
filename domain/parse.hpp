#pragma once
// Strict parsing of the numbers that arrive in URLs and query strings.

#include <cstdint>
#include <optional>
#include <string_view>

namespace comptoir::domain {

/// A positive decimal id (1 .. 2^63-1): digits only, no sign, no spaces.
/// "abc", "-1", "0" and "99999999999999999999" are all refused.
std::optional<std::int64_t> parse_id(std::string_view text);

/// A page size between 1 and `max`.
std::optional<std::int32_t> parse_limit(std::string_view text, std::int32_t max);

} // namespace comptoir::domain
