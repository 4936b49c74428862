#include "domain/parse.hpp"

#include <charconv>

namespace comptoir::domain {

namespace {

template <class T> std::optional<T> parse_decimal(std::string_view text) {
  if (text.empty() || text.front() < '0' || text.front() > '9')
    return std::nullopt;
  T value{};
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size())
    return std::nullopt;
  return value;
}

} // namespace

std::optional<std::int64_t> parse_id(std::string_view text) {
  auto value = parse_decimal<std::int64_t>(text);
  if (!value || *value < 1)
    return std::nullopt;
  return value;
}

std::optional<std::int32_t> parse_limit(std::string_view text, std::int32_t max) {
  auto value = parse_decimal<std::int32_t>(text);
  if (!value || *value < 1 || *value > max)
    return std::nullopt;
  return value;
}

} // namespace comptoir::domain
