#pragma once
// The actor that owns the product catalogue and the directory of locations.

#include "actors/protocol.hpp"
#include "actors/routing.hpp"

#include <caf/typed_event_based_actor.hpp>

#include <string>
#include <unordered_map>
#include <vector>

namespace comptoir::actors {

struct catalogue_state {
  /// Ordered by id, as domain::find_products expects.
  std::vector<domain::product> products;
  /// The rendered JSON of products[i], kept in step with it.
  std::vector<std::string> rendered_products;
  std::unordered_map<domain::product_id, std::size_t> index;
  std::string rendered_stores;
  /// Bumped by every change of any product: the ETag of product reads.
  std::uint64_t version = 1;
  database_actor db;
  /// The locations this node owns are told of new products and prices; so
  /// are the other nodes' catalogues, when this one is the writer.
  std::shared_ptr<const route_table> routes;
  metrics_link metrics;
  static inline const char* name = "catalogue";
};

/// Loads the products through `db` before it serves anything. Sends its
/// mailbox depth to `metrics` every flush interval.
catalogue_actor::behavior_type catalogue(catalogue_actor::stateful_pointer<catalogue_state> self,
                                         database_actor db, std::vector<domain::location> locations,
                                         std::shared_ptr<const route_table> routes,
                                         metrics_link metrics);

} // namespace comptoir::actors
