#pragma once
// The errors actors reply with; net/ maps them to HTTP problem details in one table.

#include <caf/atom.hpp>
#include <caf/error.hpp>
#include <caf/make_message.hpp>

#include <cstdint>
#include <string>

namespace comptoir::actors {

enum class error_code : std::uint8_t {
  /// The named product, store, sale or record does not exist.
  not_found = 1,
  /// The database or an owner actor cannot serve the request right now.
  unavailable,
  /// The caller may not act on this store's records.
  forbidden,
  /// Well-formed but invalid (e.g. an unknown product); the context is a
  /// JSON array of {field, message} for the client.
  invalid,
  /// Not enough stock, or not that much left to return; the context is a
  /// JSON array of {product_id, requested, available} for the client.
  insufficient,
  /// The Idempotency-Key was first used with another request.
  key_reused,
  /// The record is not in a state that allows this (e.g. approving a
  /// rejected request); the context is a sentence for the client.
  state_conflict,
  /// This node no longer owns the location; nothing was written.
  fenced,
};

constexpr caf::atom_value error_category = caf::atom("comptoir");

inline caf::error make_error(error_code code) {
  return {static_cast<std::uint8_t>(code), error_category};
}

/// For `invalid` and `insufficient`, `context` is JSON meant for the client;
/// for every other code it is for the logs only and never reaches a client.
inline caf::error make_error(error_code code, std::string context) {
  return {static_cast<std::uint8_t>(code), error_category, caf::make_message(std::move(context))};
}

} // namespace comptoir::actors
