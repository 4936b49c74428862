#pragma once
// Timestamps as Comptoir stores them: RFC 3339, UTC, milliseconds, fixed width,
// so that text order is time order in both databases.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace comptoir::domain {

/// "2026-11-28T21:57:03.042Z"
std::string format_timestamp(std::chrono::system_clock::time_point when);

/// Any RFC 3339 date-time ("2026-11-28T16:57:03-05:00", "...Z", with or
/// without fractional seconds) or a plain date ("2026-11-28", midnight UTC),
/// normalized to the stored form; nothing if it is not one.
std::optional<std::string> parse_timestamp(std::string_view text);

} // namespace comptoir::domain
