#include "net/query.hpp"

namespace comptoir::net {

namespace {

int hex_digit(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

/// application/x-www-form-urlencoded decoding: %XX escapes and '+' for space.
std::optional<std::string> decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '+') {
      out += ' ';
    } else if (text[i] == '%') {
      if (i + 2 >= text.size())
        return std::nullopt;
      int high = hex_digit(text[i + 1]);
      int low = hex_digit(text[i + 2]);
      if (high < 0 || low < 0)
        return std::nullopt;
      out += static_cast<char>(high * 16 + low);
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

} // namespace

std::optional<split_target> split(std::string_view target) {
  split_target result;
  auto mark = target.find('?');
  result.path = target.substr(0, mark);
  if (mark == std::string_view::npos)
    return result;
  auto query = target.substr(mark + 1);
  while (!query.empty()) {
    auto amp = query.find('&');
    auto pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (pair.empty())
      continue;
    auto eq = pair.find('=');
    auto name = decode(pair.substr(0, eq));
    auto value = decode(eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1));
    if (!name || !value)
      return std::nullopt;
    result.params.emplace_back(std::move(*name), std::move(*value));
  }
  return result;
}

const std::string* find_param(const split_target& target, std::string_view name) {
  for (const auto& [key, value] : target.params)
    if (key == name)
      return &value;
  return nullptr;
}

} // namespace comptoir::net
