#include "actors/worker_actor.hpp"

#include "actors/errors.hpp"

#include "actors/fan_out.hpp"
#include "actors/metrics_actor.hpp"
#include "actors/views.hpp"

#include <caf/actor_pool.hpp>
#include <caf/all.hpp>

#include <ranges>

namespace comptoir::actors {

namespace {

// Reads of sales are indexed look-ups; past this the database is in trouble
// and the frontend has long answered 503.
constexpr auto read_timeout = std::chrono::seconds{30};

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
        auto found = owners->stores.find(store);
        if (found == owners->stores.end())
          return make_error(error_code::not_found);
        return self->delegate(found->second, caf::get_atom_v, stock_atom_v, below_reorder_only);
      },
      [self, owners](caf::get_atom, warehouse_atom, bool below_reorder_only) {
        return self->delegate(owners->warehouse, caf::get_atom_v, stock_atom_v, below_reorder_only);
      },
      [self, owners](reorder_atom, domain::location_id store, domain::product_id product,
                     std::int64_t reorder_point) -> caf::result<rendered> {
        auto found = owners->stores.find(store);
        if (found == owners->stores.end())
          return make_error(error_code::not_found);
        return self->delegate(found->second, reorder_atom_v, product, reorder_point);
      },
      [self, owners](restock_atom, domain::location_id store,
                     std::vector<domain::basket_line>& lines, std::string& key,
                     std::string& fingerprint) -> caf::result<rendered> {
        if (!owners->stores.contains(store))
          return make_error(error_code::not_found);
        return self->delegate(owners->warehouse, restock_atom_v, store, std::move(lines),
                              std::move(key), std::move(fingerprint));
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
      [self, owners](approve_atom, std::string& id, std::string& key) {
        return self->delegate(owners->warehouse, approve_atom_v, std::move(id), std::move(key));
      },
      [self, owners](reject_atom, std::string& id) {
        return self->delegate(owners->warehouse, reject_atom_v, std::move(id));
      },
      [self, owners](caf::put_atom, domain::product& item) {
        return self->delegate(owners->catalogue, caf::put_atom_v, std::move(item));
      },
      [self, owners](patch_atom, domain::product_id id, domain::product_patch& patch) {
        return self->delegate(owners->catalogue, patch_atom_v, id, std::move(patch));
      },
      [self, owners](report_atom, std::string& from_day, std::string& to_day) {
        return self->delegate(owners->head_office, report_atom_v, std::move(from_day),
                              std::move(to_day));
      },
      [self, owners](dashboard_atom) {
        return self->delegate(owners->head_office, dashboard_atom_v);
      },
      [self, owners](alerts_atom) {
        // Every store answers from memory; the reply waits for all of them.
        auto promise = self->make_response_promise<rendered>();
        fan_out<std::vector<domain::stock_alert>>(
            self, std::views::values(owners->stores), read_timeout,
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
        auto found = owners->stores.find(request.store);
        if (found == owners->stores.end())
          return make_error(error_code::not_found);
        return self->delegate(found->second, sell_atom_v, std::move(request));
      },
      [self, owners](return_atom, const domain::principal& caller, return_request& request) {
        auto promise = self->make_response_promise<rendered>();
        self->request(owners->readers, read_timeout, locate_atom_v, request.sale_id)
            .then(
                [owners, caller, request, promise](domain::location_id store) mutable {
                  auto found = owners->stores.find(store);
                  if (found == owners->stores.end())
                    promise.deliver(make_error(error_code::not_found));
                  else if (!domain::rules::till.allows(caller, store))
                    promise.deliver(make_error(error_code::forbidden));
                  else
                    promise.delegate(found->second, return_atom_v, std::move(request));
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
      [self, owners](ready_atom) { return self->delegate(owners->probe, ping_atom_v); },
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
