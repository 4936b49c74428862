#include "actors/warehouse_actor.hpp"

#include "actors/errors.hpp"
#include "actors/metrics_actor.hpp"
#include "domain/timestamp.hpp"

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include <cstdlib>

namespace comptoir::actors {

namespace {

using self_pointer = warehouse_actor::stateful_pointer<warehouse_state>;
using clock = std::chrono::system_clock;
using promise_type = caf::typed_response_promise<rendered>;

constexpr auto approval_scope = "approve";
// The store's side is one short transaction; past this, try again later.
constexpr auto landing_timeout = std::chrono::seconds{10};
constexpr auto landing_retry = std::chrono::seconds{1};

caf::error conflict(std::string sentence) {
  return make_error(error_code::state_conflict, std::move(sentence));
}

std::optional<caf::error> refusal(const warehouse_state& state) {
  return serving_refusal(state.draining, *state.lease, "logistics centre");
}

/// Lands an approved transfer at its store (the second side). Until the store
/// has committed, it is retried every second; `promise`, when given, gets the
/// fulfilled request or 503.
void land(self_pointer self, domain::restock_request request, std::optional<promise_type> promise) {
  auto& state = self->state;
  auto routes = state.routes->snapshot();
  auto store = routes->stores.find(request.store);
  if (store == routes->stores.end()) {
    // Between owners (a cluster moving it): it lands once the store is back.
    spdlog::warn("warehouse: restock request {} waits for store {} to be served again",
                 request.id, request.store.value);
    if (promise)
      promise->deliver(make_error(error_code::unavailable, "transfer in transit"));
    self->delayed_send(self, landing_retry, fulfil_atom_v, std::move(request));
    return;
  }
  self->request(store->second, landing_timeout, fulfil_atom_v, request.id, request.lines)
      .then(
          [self, request, promise](bool) mutable {
            self->state.in_progress.erase(request.id);
            if (!promise)
              return;
            // Answer with the request as stored (the store's side set its
            // updated_at), so a retry with the same key gets the same body.
            self->request(self->state.db, caf::infinite, load_atom_v, restock_atom_v, request.id)
                .then(
                    [promise](domain::restock_request& stored) mutable {
                      promise->deliver(rendered{render_restock(stored), 0});
                    },
                    [promise](caf::error& err) mutable { promise->deliver(std::move(err)); });
          },
          [self, request, promise](caf::error& err) mutable {
            self->state.in_progress.erase(request.id);
            if (promise)
              promise->deliver(make_error(error_code::unavailable, "transfer in transit"));
            if (err == make_error(error_code::invalid)) {
              // Retrying cannot help: the store has no stock line for a product.
              spdlog::error("warehouse: restock request {} cannot land at store {}: {}; it stays "
                            "approved (in transit) until the store stocks the product",
                            request.id, request.store.value, to_string(err));
              return;
            }
            spdlog::warn("warehouse: restock request {} not landed at store {} yet: {}", request.id,
                         request.store.value, to_string(err));
            self->delayed_send(self, landing_retry, fulfil_atom_v, std::move(request));
          });
}

/// The logistics centre's side: reserve, commit, then land at the store.
void approve_pending(self_pointer self, domain::restock_request request, const std::string& key,
                     promise_type promise) {
  auto& state = self->state;
  if (auto short_lines = state.ledger.reserve(request.lines); !short_lines.empty()) {
    state.in_progress.erase(request.id);
    promise.deliver(make_error(error_code::insufficient, render_shortages(short_lines)));
    return;
  }
  auto now = domain::format_timestamp(clock::now());
  domain::idempotency_record key_record;
  if (!key.empty())
    key_record = {approval_scope, key, request.id, 200, request.id, now};
  self->request(state.db, caf::infinite, approve_atom_v, request.id, state.where.id, request.lines,
                now, key_record)
      .then(
          [self, request, key, now, promise](bool) mutable {
            auto& state = self->state;
            state.ledger.commit_sale(request.lines);
            if (!key.empty())
              state.approval_keys[key] = request.id;
            if (state.settings.exit_between_transfer_sides) {
              spdlog::critical(
                  "warehouse: exiting between the two sides of transfer {} (test hook)",
                  request.id);
              std::_Exit(75);
            }
            request.status = domain::restock_status::approved;
            request.updated_at = now;
            land(self, std::move(request), promise);
          },
          [self, request, promise](caf::error& err) mutable {
            self->state.ledger.release(request.lines);
            self->state.in_progress.erase(request.id);
            promise.deliver(std::move(err));
          });
}

caf::result<rendered> approve(self_pointer self, const std::string& id, const std::string& key) {
  auto& state = self->state;
  // A retry with the approval's key answers with where the transfer is now.
  bool retry = false;
  if (!key.empty()) {
    if (auto known = state.approval_keys.find(key); known != state.approval_keys.end()) {
      if (known->second != id)
        return make_error(error_code::key_reused);
      retry = true;
    }
  }
  if (state.in_progress.contains(id))
    return conflict("This restock request is being approved or rejected.");
  state.in_progress.insert(id);
  auto promise = self->make_response_promise<rendered>();
  self->request(state.db, caf::infinite, load_atom_v, restock_atom_v, id)
      .then(
          [self, key, retry, promise](domain::restock_request& request) mutable {
            auto& state = self->state;
            using domain::restock_status;
            if (request.status == restock_status::pending) {
              approve_pending(self, std::move(request), key, promise);
            } else if (request.status == restock_status::approved && retry) {
              land(self, std::move(request), promise);
            } else {
              state.in_progress.erase(request.id);
              if (request.status == restock_status::fulfilled && retry)
                promise.deliver(rendered{render_restock(request), 0});
              else if (request.status == restock_status::approved)
                promise.deliver(
                    conflict("This restock request is approved already; its stock is in transit."));
              else if (request.status == restock_status::fulfilled)
                promise.deliver(conflict("This restock request is fulfilled already."));
              else
                promise.deliver(conflict("This restock request was rejected."));
            }
          },
          [self, id, promise](caf::error& err) mutable {
            self->state.in_progress.erase(id);
            promise.deliver(std::move(err));
          });
  return promise;
}

caf::result<rendered> reject(self_pointer self, const std::string& id) {
  auto& state = self->state;
  if (state.in_progress.contains(id))
    return conflict("This restock request is being approved or rejected.");
  state.in_progress.insert(id);
  auto promise = self->make_response_promise<rendered>();
  auto done = [self, id, promise](caf::expected<rendered> answer) mutable {
    self->state.in_progress.erase(id);
    if (answer)
      promise.deliver(std::move(*answer));
    else
      promise.deliver(std::move(answer.error()));
  };
  self->request(state.db, caf::infinite, load_atom_v, restock_atom_v, id)
      .then(
          [self, done](domain::restock_request& request) mutable {
            if (request.status != domain::restock_status::pending)
              return done(conflict("Only a pending restock request can be rejected; this one is " +
                                   std::string{to_string(request.status)} + "."));
            auto now = domain::format_timestamp(clock::now());
            self->request(self->state.db, caf::infinite, reject_atom_v, request.id, now)
                .then(
                    [request, now, done](bool) mutable {
                      request.status = domain::restock_status::rejected;
                      request.updated_at = now;
                      done(rendered{render_restock(request), 0});
                    },
                    [done](caf::error& err) mutable { done(std::move(err)); });
          },
          [done](caf::error& err) mutable { done(std::move(err)); });
  return promise;
}

caf::result<rendered> create(self_pointer self, domain::location_id store,
                             std::vector<domain::basket_line>& lines, const std::string& key,
                             const std::string& fingerprint) {
  auto& state = self->state;
  auto unknown = domain::lines_not_held(state.ledger, lines,
                                        "the logistics centre does not stock this product");
  if (!unknown.empty())
    return make_error(error_code::invalid, render_field_problems(unknown));
  auto now = clock::now();
  domain::restock_request request;
  request.id = state.ids.next(now);
  request.store = store;
  request.lines = std::move(lines);
  request.created_at = request.updated_at = domain::format_timestamp(now);
  auto body = render_restock(request);
  domain::idempotency_record key_record;
  if (!key.empty())
    key_record = {
        "restock:" + std::to_string(store.value), key, fingerprint, 201, body, request.created_at};
  auto promise = self->make_response_promise<rendered>();
  self->request(state.db, caf::infinite, restock_atom_v, std::move(request), std::move(key_record))
      .then(
          [body, fingerprint, promise](domain::idempotency_record& existing) mutable {
            if (existing.key.empty())
              promise.deliver(rendered{body, 0});
            else if (existing.fingerprint == fingerprint)
              promise.deliver(rendered{existing.body, 0});
            else
              promise.deliver(make_error(error_code::key_reused));
          },
          [promise](caf::error& err) mutable { promise.deliver(std::move(err)); });
  return promise;
}

} // namespace

warehouse_actor::behavior_type
warehouse(warehouse_actor::stateful_pointer<warehouse_state> self, database_actor db,
          domain::location where, std::shared_ptr<const route_table> routes,
          std::shared_ptr<const ownership_lease> lease, warehouse_settings settings,
          metrics_link metrics) {
  auto& state = self->state;
  state.where = std::move(where);
  state.db = db;
  state.routes = std::move(routes);
  state.lease = std::move(lease);
  state.settings = settings;
  state.metrics = std::move(metrics);
  auto fail_start = [self](const caf::error& err) {
    spdlog::error("warehouse: cannot load its state: {}", to_string(err));
    self->quit(err);
  };
  // await: nothing is served before the stock and keys are in memory.
  self->request(db, caf::infinite, load_atom_v, stock_atom_v, state.where.id)
      .await(
          [self](std::vector<domain::stock_item>& items) {
            self->state.ledger = domain::stock_ledger{std::move(items)};
          },
          fail_start);
  auto since = domain::format_timestamp(clock::now() - settings.key_retention);
  self->request(db, caf::infinite, load_atom_v, keys_atom_v,
                std::vector<std::string>{approval_scope}, since)
      .await(
          [self](std::vector<domain::idempotency_record>& records) {
            for (auto& record : records)
              self->state.approval_keys[record.key] = record.fingerprint;
          },
          fail_start);
  // Transfers a crash left in transit land now, once (the store's side is
  // conditional on the request still being approved).
  self->request(db, caf::infinite, load_atom_v, restock_atom_v)
      .then(
          [self](std::vector<domain::restock_request>& open) {
            for (auto& request : open)
              if (request.status == domain::restock_status::approved) {
                spdlog::info("warehouse: landing transfer {} left in transit", request.id);
                self->state.in_progress.insert(request.id);
                land(self, std::move(request), std::nullopt);
              }
          },
          fail_start);
  start_flushing(self, state.metrics.every);
  return {
      [self](caf::get_atom, stock_atom, bool below_reorder_only) -> caf::result<rendered> {
        auto& state = self->state;
        if (auto refused = refusal(state))
          return std::move(*refused);
        return read_stock(state.rendered_stock, state.where, state.ledger, below_reorder_only);
      },
      [self](caf::put_atom, domain::product_id product, std::int64_t) {
        self->state.ledger.add_product(product);
        return true;
      },
      [](ready_atom) { return true; },
      [self](restock_atom, domain::location_id store, std::vector<domain::basket_line>& lines,
             const std::string& key, const std::string& fingerprint) -> caf::result<rendered> {
        if (auto refused = refusal(self->state))
          return std::move(*refused);
        return create(self, store, lines, key, fingerprint);
      },
      [self](approve_atom, const std::string& id,
             const std::string& key) -> caf::result<rendered> {
        if (auto refused = refusal(self->state))
          return std::move(*refused);
        return approve(self, id, key);
      },
      [self](reject_atom, const std::string& id) -> caf::result<rendered> {
        if (auto refused = refusal(self->state))
          return std::move(*refused);
        return reject(self, id);
      },
      [self](drain_atom) {
        // Its writes are fenced, and the handover waits for the one in flight.
        self->state.draining = true;
        return true;
      },
      [self](fulfil_atom, domain::restock_request& request) {
        self->state.in_progress.insert(request.id);
        land(self, std::move(request), std::nullopt);
      },
      [self](caf::tick_atom) {
        auto& state = self->state;
        actor_stats stats{actor_kind::warehouse,
                          state.where.id.value,
                          self->mailbox().size(),
                          {stock_view_delta(state.rendered_stock, state.flushed_view)}};
        self->send(state.metrics.sink, std::move(stats));
        schedule_flush(self, state.metrics.every);
      },
  };
}

} // namespace comptoir::actors
