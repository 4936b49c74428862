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

/// The cursor that resumes a listing by UUIDv7 (sales, restock requests) after this id.
std::string encode_uuid_cursor(std::string_view sale_id);

/// The id encoded by `encode_uuid_cursor`, or nothing.
std::optional<std::string> decode_uuid_cursor(std::string_view cursor);

/// A UUID in its canonical text form (lower-case hex, 8-4-4-4-12).
bool is_uuid(std::string_view text);

} // namespace comptoir::domain
