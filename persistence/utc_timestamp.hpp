#pragma once
// The current time as the RFC 3339 UTC text that every time column holds.

#include <string>

namespace comptoir::persistence {

/// For example "2024-05-17T14:03:09Z".
std::string utc_timestamp_now();

} // namespace comptoir::persistence
