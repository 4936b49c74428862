#pragma once
// PostgreSQL array literals, to bind a whole column as one parameter read with `unnest`.

#include <string>
#include <vector>

namespace comptoir::persistence {

/// `{"a","b\"c"}`: every element quoted, quotes and backslashes escaped.
inline std::string text_array(const std::vector<std::string>& values) {
  std::string literal = "{";
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i > 0)
      literal += ',';
    literal += '"';
    for (char c : values[i]) {
      if (c == '"' || c == '\\')
        literal += '\\';
      literal += c;
    }
    literal += '"';
  }
  literal += '}';
  return literal;
}

/// `{1,2,3}`.
template <class Integer> std::string integer_array(const std::vector<Integer>& values) {
  std::string literal = "{";
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i > 0)
      literal += ',';
    literal += std::to_string(values[i]);
  }
  literal += '}';
  return literal;
}

} // namespace comptoir::persistence
