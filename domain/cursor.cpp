#include "domain/cursor.hpp"

#include "domain/parse.hpp"

namespace comptoir::domain {

namespace {
// Versioned so the encoding can change without misreading old cursors.
constexpr std::string_view prefix = "v1.";
} // namespace

std::string encode_cursor(std::int64_t after_id) {
  return std::string{prefix} + std::to_string(after_id);
}

std::optional<std::int64_t> decode_cursor(std::string_view cursor) {
  if (!cursor.starts_with(prefix))
    return std::nullopt;
  return parse_id(cursor.substr(prefix.size()));
}

} // namespace comptoir::domain
