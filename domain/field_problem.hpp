#pragma once
// A field of a request that breaks a rule: what 422 answers list under `errors`.

#include <string>

namespace comptoir::domain {

/// e.g. {"lines[2].quantity", "must be between 1 and 10000"}
struct field_problem {
  std::string field;
  std::string message;
};

} // namespace comptoir::domain
