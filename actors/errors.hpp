#pragma once
// The errors actors reply with; net/ maps them to HTTP problem details.

#include <caf/atom.hpp>
#include <caf/error.hpp>
#include <caf/make_message.hpp>

#include <cstdint>
#include <string>

namespace comptoir::actors {

enum class error_code : std::uint8_t {
  /// The named product, store or record does not exist.
  not_found = 1,
  /// The database or an owner actor cannot serve the request right now.
  unavailable,
};

constexpr caf::atom_value error_category = caf::atom("comptoir");

inline caf::error make_error(error_code code) {
  return {static_cast<std::uint8_t>(code), error_category};
}

/// `context` is for the logs only; it never reaches a client.
inline caf::error make_error(error_code code, std::string context) {
  return {static_cast<std::uint8_t>(code), error_category, caf::make_message(std::move(context))};
}

} // namespace comptoir::actors
