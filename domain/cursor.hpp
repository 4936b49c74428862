#pragma once
// Opaque pagination cursors: clients pass back what they were given.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace comptoir::domain {

/// The cursor that resumes a listing after the item with this id.
std::string encode_cursor(std::int64_t after_id);

/// The id encoded by `encode_cursor`, or nothing for a cursor we did not make.
std::optional<std::int64_t> decode_cursor(std::string_view cursor);

} // namespace comptoir::domain
