#include "actors/worker_actor.hpp"

#include "actors/errors.hpp"

#include "actors/fan_out.hpp"
#include "actors/metrics_actor.hpp"
#include "actors/views.hpp"

#include <caf/actor_pool.hpp>
#include <caf/all.hpp>


namespace comptoir::actors {

namespace {

// Reads of sales are indexed look-ups; past this the database is in trouble
// and the frontend has long answered 503.
constexpr auto read_timeout = std::chrono::seconds{30};

/// The store's owner, wherever it is served: 404 for no such store, 503
/// while it is between owners.
caf::expected<store_actor> store_owner(const directory& owners, const routes& served,
                                       domain::location_id store) {
  if (!owners.stores.contains(store))
    return make_error(error_code::not_found);
  auto found = served.stores.find(store);
  if (found == served.stores.end())
    return make_error(error_code::unavailable, "store between owners");
  return found->second;
}

caf::expected<store_actor> store_owner(const directory& owners, domain::location_id store) {
  return store_owner(owners, *owners.routes->snapshot(), store);
}

caf::expected<warehouse_actor> warehouse_owner(const directory& owners) {
  auto routes = owners.routes->snapshot();
  if (!routes->warehouse)
    return make_error(error_code::unavailable, "logistics centre between owners");
  return routes->warehouse;
}

caf::expected<catalogue_actor> catalogue_writer(const directory& owners) {
  auto routes = owners.routes->snapshot();
  if (!routes->catalogue_writer)
    return make_error(error_code::unavailable, "catalogue writer between owners");
  return routes->catalogue_writer;
}

// A request another node's owner has not answered in this time fails with
// 503: the frontend's own timeout must not be what the client sees first.
constexpr auto forward_timeout = std::chrono::seconds{4};

/// Hands the request to `owner`: delegated when the owner is on this node;
/// asked, with any failure answered 503, when it is on another (a node that
/// dies with the request in flight is noticed by the timeout only).
template <class Handle, class... Ts>
void relay(worker_actor::pointer self, caf::typed_response_promise<rendered> promise,
           const Handle& owner, Ts&&... xs) {
  if (owner.node() == self->node()) {
    promise.delegate(owner, std::forward<Ts>(xs)...);
    return;
  }
  self->request(owner, forward_timeout, std::forward<Ts>(xs)...)
      .then([promise](rendered& answer) mutable { promise.deliver(std::move(answer)); },
            [promise](caf::error& err) mutable {
              if (err.category() == error_category)
                promise.deliver(std::move(err));
              else
                promise.deliver(make_error(error_code::unavailable, to_string(err)));
            });
}

template <class Handle, class... Ts>
caf::result<rendered> forward(worker_actor::pointer self, const Handle& owner, Ts&&... xs) {
  if (owner.node() == self->node())
    return self->delegate(owner, std::forward<Ts>(xs)...);
  auto promise = self->make_response_promise<rendered>();
  relay(self, promise, owner, std::forward<Ts>(xs)...);
  return promise;
}

} // namespace

worker_actor::behavior_type worker(worker_actor::pointer self,
                                   std::shared_ptr<const directory> owners, metrics_link metrics,
                                   std::int64_t index) {
  start_flushing(self, metrics.every);
  // Workers delegate: the owner answers the original requester directly.
  return {
      [self, owners](caf::get_atom, domain::product_id id) {
        return self->delegate(owners->catalogue, caf::get_atom_v, id);
      },
      [self, owners](list_atom, domain::product_query& query) {
        return self->delegate(owners->catalogue, list_atom_v, std::move(query));
      },
      [self, owners](list_atom, stores_atom) {
        return self->delegate(owners->catalogue, list_atom_v, stores_atom_v);
      },
      [self, owners](caf::get_atom, stock_atom, domain::location_id store,
                     bool below_reorder_only) -> caf::result<rendered> {
        auto owner = store_owner(*owners, store);
        if (!owner)
          return std::move(owner.error());
        return forward(self, *owner, caf::get_atom_v, stock_atom_v, below_reorder_only);
      },
      [self, owners](caf::get_atom, warehouse_atom,
                     bool below_reorder_only) -> caf::result<rendered> {
        auto owner = warehouse_owner(*owners);
        if (!owner)
          return std::move(owner.error());
        return forward(self, *owner, caf::get_atom_v, stock_atom_v, below_reorder_only);
      },
      [self, owners](reorder_atom, domain::location_id store, domain::product_id product,
                     std::int64_t reorder_point) -> caf::result<rendered> {
        auto owner = store_owner(*owners, store);
        if (!owner)
          return std::move(owner.error());
        return forward(self, *owner, reorder_atom_v, product, reorder_point);
      },
      [self, owners](restock_atom, domain::location_id store,
                     std::vector<domain::basket_line>& lines, std::string& key,
                     std::string& fingerprint) -> caf::result<rendered> {
        if (!owners->stores.contains(store))
          return make_error(error_code::not_found);
        auto owner = warehouse_owner(*owners);
        if (!owner)
          return std::move(owner.error());
        return forward(self, *owner, restock_atom_v, store, std::move(lines), std::move(key),
                              std::move(fingerprint));
      },
      [self, owners](list_atom, domain::restock_query& query) {
        auto promise = self->make_response_promise<rendered>();
        self->request(owners->readers, read_timeout, list_atom_v, std::move(query))
            .then(
                [promise](domain::restock_page& page) mutable {
                  promise.deliver(rendered{render_restock_page(page), 0});
                },
                [promise](caf::error& err) mutable { promise.deliver(std::move(err)); });
        return promise;
      },
      [self, owners](approve_atom, std::string& id, std::string& key) -> caf::result<rendered> {
        auto owner = warehouse_owner(*owners);
        if (!owner)
          return std::move(owner.error());
        return forward(self, *owner, approve_atom_v, std::move(id), std::move(key));
      },
      [self, owners](reject_atom, std::string& id) -> caf::result<rendered> {
        auto owner = warehouse_owner(*owners);
        if (!owner)
          return std::move(owner.error());
        return forward(self, *owner, reject_atom_v, std::move(id));
      },
      [self, owners](caf::put_atom, domain::product& item) -> caf::result<rendered> {
        auto writer = catalogue_writer(*owners);
        if (!writer)
          return std::move(writer.error());
        return forward(self, *writer, caf::put_atom_v, std::move(item));
      },
      [self, owners](patch_atom, domain::product_id id,
                     domain::product_patch& patch) -> caf::result<rendered> {
        auto writer = catalogue_writer(*owners);
        if (!writer)
          return std::move(writer.error());
        return forward(self, *writer, patch_atom_v, id, std::move(patch));
      },
      [self, owners](report_atom, std::string& from_day, std::string& to_day) {
        return self->delegate(owners->head_office, report_atom_v, std::move(from_day),
                              std::move(to_day));
      },
      [self, owners](dashboard_atom) {
        return self->delegate(owners->head_office, dashboard_atom_v);
      },
      [self, owners](alerts_atom) -> caf::result<rendered> {
        // Every store answers from memory; the reply waits for all of them.
        std::vector<store_actor> stores;
        auto served = owners->routes->snapshot();
        for (auto id : owners->stores) {
          auto owner = store_owner(*owners, *served, id);
          if (!owner)
            return std::move(owner.error());
          stores.push_back(*owner);
        }
        auto promise = self->make_response_promise<rendered>();
        fan_out<std::vector<domain::stock_alert>>(
            self, stores, read_timeout,
            [promise](std::vector<std::vector<domain::stock_alert>> per_store) mutable {
              std::vector<domain::stock_alert> alerts;
              for (auto& store_alerts : per_store)
                std::ranges::move(store_alerts, std::back_inserter(alerts));
              std::ranges::sort(alerts, {}, &domain::stock_alert::id);
              promise.deliver(rendered{render_alerts(alerts), 0});
            },
            [promise](caf::error err) mutable { promise.deliver(std::move(err)); }, alerts_atom_v);
        return promise;
      },
      [self, owners](sell_atom, sale_request& request) -> caf::result<rendered> {
        auto owner = store_owner(*owners, request.store);
        if (!owner)
          return std::move(owner.error());
        return forward(self, *owner, sell_atom_v, std::move(request));
      },
      [self, owners](return_atom, const domain::principal& caller, return_request& request) {
        auto promise = self->make_response_promise<rendered>();
        self->request(owners->readers, read_timeout, locate_atom_v, request.sale_id)
            .then(
                [self, owners, caller, request, promise](domain::location_id store) mutable {
                  auto owner = store_owner(*owners, store);
                  if (!owner)
                    promise.deliver(std::move(owner.error()));
                  else if (!domain::rules::till.allows(caller, store))
                    promise.deliver(make_error(error_code::forbidden));
                  else
                    relay(self, promise, *owner, return_atom_v, std::move(request));
                },
                [promise](caf::error& err) mutable { promise.deliver(std::move(err)); });
        return promise;
      },
      [self, owners](caf::get_atom, sale_atom, const domain::principal& caller,
                     const std::string& sale_id) {
        auto promise = self->make_response_promise<rendered>();
        self->request(owners->readers, read_timeout, load_atom_v, sale_atom_v, sale_id)
            .then(
                [caller, promise](domain::sale_record& record) mutable {
                  if (!domain::rules::sales_readers.allows(caller, record.sale.store))
                    promise.deliver(make_error(error_code::forbidden));
                  else
                    promise.deliver(rendered{render_sale_record(record), 0});
                },
                [promise](caf::error& err) mutable { promise.deliver(std::move(err)); });
        return promise;
      },
      [self, owners](list_atom, domain::sales_query& query) -> caf::result<rendered> {
        if (!owners->stores.contains(query.store))
          return make_error(error_code::not_found);
        auto promise = self->make_response_promise<rendered>();
        self->request(owners->readers, read_timeout, list_atom_v, std::move(query))
            .then(
                [promise](domain::sales_page& page) mutable {
                  promise.deliver(rendered{render_sales_page(page), 0});
                },
                [promise](caf::error& err) mutable { promise.deliver(std::move(err)); });
        return promise;
      },
      [self, owners](ready_atom) -> caf::result<bool> {
        // A cluster node that has not joined yet, lost its lease, or cannot
        // reach most of the cluster, is not.
        if (!owners->lease->held() || !owners->lease->quorate())
          return false;
        // Then the database, then every location this node owns (each
        // answers once its state is loaded).
        auto promise = self->make_response_promise<bool>();
        self->request(owners->probe, read_timeout, ping_atom_v)
            .then(
                [self, owners, promise](bool) mutable {
                  fan_out<bool>(
                      self, owners->routes->snapshot()->local_locations, read_timeout,
                      [promise](std::vector<bool>) mutable { promise.deliver(true); },
                      [promise](caf::error err) mutable { promise.deliver(std::move(err)); },
                      ready_atom_v);
                },
                [promise](caf::error& err) mutable { promise.deliver(std::move(err)); });
        return promise;
      },
      [self, metrics, index](caf::tick_atom) {
        self->send(metrics.sink,
                   actor_stats{actor_kind::worker, index, self->mailbox().size(), {}});
        schedule_flush(self, metrics.every);
      },
  };
}

worker_actor spawn_worker_pool(caf::actor_system& sys, std::size_t size,
                               std::shared_ptr<const directory> owners, metrics_link metrics) {
  auto next_index = std::make_shared<std::int64_t>(0);
  auto spawn_one = [&sys, owners, metrics, next_index] {
    return caf::actor_cast<caf::actor>(sys.spawn(worker, owners, metrics, (*next_index)++));
  };
  auto pool = caf::actor_pool::make(sys.dummy_execution_unit(), size, spawn_one,
                                    caf::actor_pool::round_robin());
  return caf::actor_cast<worker_actor>(pool);
}

} // namespace comptoir::actors
