#pragma once
// The typed message protocol between Comptoir's actors, and its type ids.
// Every message type that may cross nodes is registered here, once.

#include "domain/location.hpp"
#include "domain/product.hpp"
#include "domain/product_query.hpp"
#include "domain/stock.hpp"

#include <caf/fwd.hpp>
#include <caf/replies_to.hpp>
#include <caf/type_id.hpp>
#include <caf/typed_actor.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace comptoir::actors {

/// A JSON body ready to send, and the version of the state it shows
/// (the ETag of later responses is built from it).
struct rendered {
  std::string body;
  std::uint64_t version = 0;
};

template <class Inspector> typename Inspector::result_type inspect(Inspector& f, rendered& x) {
  return f(x.body, x.version);
}

} // namespace comptoir::actors

// -- type ids and atoms -------------------------------------------------------

CAF_BEGIN_TYPE_ID_BLOCK(comptoir, caf::first_custom_type_id)
CAF_ADD_TYPE_ID(comptoir, (comptoir::actors::rendered))
CAF_ADD_TYPE_ID(comptoir, (comptoir::domain::product_id))
CAF_ADD_TYPE_ID(comptoir, (comptoir::domain::location_id))
CAF_ADD_TYPE_ID(comptoir, (comptoir::domain::location_kind))
CAF_ADD_TYPE_ID(comptoir, (comptoir::domain::product))
CAF_ADD_TYPE_ID(comptoir, (comptoir::domain::product_query))
CAF_ADD_TYPE_ID(comptoir, (comptoir::domain::location))
CAF_ADD_TYPE_ID(comptoir, (comptoir::domain::stock_item))

CAF_ADD_ATOM(comptoir, comptoir::actors, list_atom, "list")
CAF_ADD_ATOM(comptoir, comptoir::actors, load_atom, "load")
CAF_ADD_ATOM(comptoir, comptoir::actors, ping_atom, "ping")
CAF_ADD_ATOM(comptoir, comptoir::actors, products_atom, "products")
CAF_ADD_ATOM(comptoir, comptoir::actors, ready_atom, "ready")
CAF_ADD_ATOM(comptoir, comptoir::actors, stock_atom, "stock")
CAF_ADD_ATOM(comptoir, comptoir::actors, stores_atom, "stores")
CAF_ADD_ATOM(comptoir, comptoir::actors, warehouse_atom, "warehouse")
CAF_END_TYPE_ID_BLOCK(comptoir)

namespace comptoir::actors {

// -- actor interfaces ---------------------------------------------------------

/// Owns one database session on a thread of its own (spawned detached), so
/// blocking SQL never runs on the scheduler.
using database_actor =
    caf::typed_actor<caf::replies_to<load_atom, products_atom>::with<std::vector<domain::product>>,
                     caf::replies_to<load_atom, stock_atom,
                                     domain::location_id>::with<std::vector<domain::stock_item>>,
                     caf::replies_to<ping_atom>::with<bool>>;

/// Owns the products and the directory of locations.
using catalogue_actor =
    caf::typed_actor<caf::replies_to<caf::get_atom, domain::product_id>::with<rendered>,
                     caf::replies_to<list_atom, domain::product_query>::with<rendered>,
                     caf::replies_to<list_atom, stores_atom>::with<rendered>,
                     caf::replies_to<ready_atom>::with<bool>>;

/// Owns the stock of one location: a store or the logistics centre.
using location_actor = caf::typed_actor<caf::replies_to<caf::get_atom, stock_atom>::with<rendered>,
                                        caf::replies_to<ready_atom>::with<bool>>;

/// A stateless worker of the pool the frontend dispatches to: it finds the
/// owner of the data a request needs and asks it.
using worker_actor = caf::typed_actor<
    caf::replies_to<caf::get_atom, domain::product_id>::with<rendered>,
    caf::replies_to<list_atom, domain::product_query>::with<rendered>,
    caf::replies_to<list_atom, stores_atom>::with<rendered>,
    caf::replies_to<caf::get_atom, stock_atom, domain::location_id>::with<rendered>,
    caf::replies_to<caf::get_atom, warehouse_atom>::with<rendered>,
    caf::replies_to<ready_atom>::with<bool>>;

} // namespace comptoir::actors
