#pragma once
// The actor that runs one owner's SQL on a thread and a database session of its own.

#include "actors/metrics_actor.hpp"
#include "actors/protocol.hpp"
#include "persistence/database_url.hpp"
#include "persistence/ownership_repository.hpp"

#include <caf/typed_event_based_actor.hpp>

#include <memory>
#include <optional>

namespace soci {
class session;
}

namespace comptoir::persistence {
class sale_repository;
}

namespace comptoir::actors {

struct database_state {
  // Out of line: soci::session is complete only in database_actor.cpp.
  database_state();
  ~database_state();
  std::unique_ptr<soci::session> session;
  persistence::dialect kind = persistence::dialect::sqlite;
  // Kept from call to call: it keeps its prepared commit statement (after
  // `session`, so that it goes first).
  std::unique_ptr<persistence::sale_repository> sales;
  /// The sessions of this one's role in use, held while a handler runs;
  /// null for a session the metrics do not count.
  busy_sessions busy;
  /// Checked by every write of the location-scoped repositories; none for an
  /// unfenced writer (a single node, a reader, the catalogue).
  std::optional<persistence::write_fence> fence;
  static inline const char* name = "database";
};

/// Spawn it `caf::detached`: every handler blocks on the database. With a
/// `fence` (PostgreSQL), a write for a location this node no longer owns fails
/// with error_code::fenced, and a transaction left idle for 2 s is ended by
/// the server, so that a frozen writer cannot hold off a new owner.
database_actor::behavior_type database(database_actor::stateful_pointer<database_state> self,
                                       persistence::database_url url, busy_sessions busy,
                                       std::optional<persistence::write_fence> fence);

} // namespace comptoir::actors
