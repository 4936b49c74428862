#include "domain/cursor.hpp"

#include "domain/parse.hpp"

namespace comptoir::domain {

namespace {
// Versioned so the encoding can change without misreading old cursors.
constexpr std::string_view prefix = "v1.";
constexpr std::string_view sale_prefix = "s1.";
} // namespace

std::string encode_cursor(std::int64_t after_id) {
  return std::string{prefix} + std::to_string(after_id);
}

std::optional<std::int64_t> decode_cursor(std::string_view cursor) {
  if (!cursor.starts_with(prefix))
    return std::nullopt;
  return parse_id(cursor.substr(prefix.size()));
}

std::string encode_uuid_cursor(std::string_view sale_id) {
  return std::string{sale_prefix} + std::string{sale_id};
}

std::optional<std::string> decode_uuid_cursor(std::string_view cursor) {
  if (!cursor.starts_with(sale_prefix) || !is_uuid(cursor.substr(sale_prefix.size())))
    return std::nullopt;
  return std::string{cursor.substr(sale_prefix.size())};
}

bool is_uuid(std::string_view text) {
  if (text.size() != 36)
    return false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    char c = text[i];
    if (dash ? c != '-' : !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
      return false;
  }
  return true;
}

} // namespace comptoir::domain
