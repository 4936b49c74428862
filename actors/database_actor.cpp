#include "actors/database_actor.hpp"

#include "actors/errors.hpp"
#include "persistence/catalogue_repository.hpp"
#include "persistence/session.hpp"
#include "persistence/stock_repository.hpp"

#include <caf/all.hpp>
#include <soci/soci.h>
#include <spdlog/spdlog.h>

namespace comptoir::actors {

namespace {

/// Runs `load` on the session; a database failure becomes `unavailable`
/// instead of an exception that would kill the actor.
template <class Load>
auto guarded(database_state& state, const char* what, Load load)
    -> caf::result<decltype(load(*state.session))> {
  try {
    return load(*state.session);
  } catch (const std::exception& e) {
    spdlog::error("database: {} failed: {}", what, e.what());
    return make_error(error_code::unavailable, what);
  }
}

} // namespace

database_state::database_state() = default;
database_state::~database_state() = default;

database_actor::behavior_type database(database_actor::stateful_pointer<database_state> self,
                                       persistence::database_url url) {
  try {
    self->state.session = persistence::open_session(url);
  } catch (const std::exception& e) {
    spdlog::error("database: cannot open a session: {}", e.what());
    // No message is handled after quit; the behaviour below only completes the type.
    self->quit(make_error(error_code::unavailable, "cannot open a database session"));
  }
  return {
      [self](load_atom, products_atom) {
        return guarded(self->state, "loading the catalogue", [](soci::session& db) {
          return persistence::catalogue_repository{db}.load_all();
        });
      },
      [self](load_atom, stock_atom, domain::location_id where) {
        return guarded(self->state, "loading stock", [where](soci::session& db) {
          return persistence::stock_repository{db}.load(where);
        });
      },
      [self](ping_atom) -> bool {
        auto& db = *self->state.session;
        if (persistence::ping(db))
          return true;
        // The server may have restarted: one reconnect, then report.
        try {
          db.reconnect();
        } catch (const std::exception& e) {
          spdlog::warn("database: reconnect failed: {}", e.what());
          return false;
        }
        return persistence::ping(db);
      },
  };
}

} // namespace comptoir::actors
