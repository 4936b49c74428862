#include "actors/catalogue_actor.hpp"

#include "actors/errors.hpp"
#include "actors/fan_out.hpp"
#include "actors/metrics_actor.hpp"
#include "actors/views.hpp"

#include "domain/timestamp.hpp"

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

namespace comptoir::actors {

namespace {

void load(catalogue_state& state, std::vector<domain::product> products) {
  std::ranges::sort(products, {}, &domain::product::id);
  state.products = std::move(products);
  state.rendered_products.clear();
  state.index.clear();
  for (std::size_t i = 0; i < state.products.size(); ++i) {
    state.rendered_products.push_back(render_product(state.products[i]));
    state.index.emplace(state.products[i].id, i);
  }
}

using self_pointer = catalogue_actor::stateful_pointer<catalogue_state>;
using promise_type = caf::typed_response_promise<rendered>;

/// Keeps `item` in memory (new or changed), rendered, and moves the version on.
const std::string& remember(catalogue_state& state, const domain::product& item) {
  ++state.version;
  auto found = state.index.find(item.id);
  if (found != state.index.end()) {
    state.products[found->second] = item;
    return state.rendered_products[found->second] = render_product(item);
  }
  // New ids are the highest so far: appending keeps the order by id.
  if (state.products.empty() || state.products.back().id < item.id) {
    state.index.emplace(item.id, state.products.size());
    state.products.push_back(item);
    state.rendered_products.push_back(render_product(item));
    return state.rendered_products.back();
  }
  // Not so when another node's catalogue created it while a later one
  // already arrived here: insert in order.
  auto products = state.products;
  products.push_back(item);
  load(state, std::move(products));
  return state.rendered_products[state.index.at(item.id)];
}

constexpr auto tell_timeout = std::chrono::seconds{10};

/// Tells the locations this node owns a product's price (adding its stock
/// line when new); `done` gets true once all have it, or the first error.
template <class Done> void tell_local(self_pointer self, const domain::product& item, Done done) {
  auto routes = self->state.routes->snapshot();
  fan_out<bool>(
      self, routes->local_locations, tell_timeout,
      [done](std::vector<bool>) mutable { done(caf::expected<bool>{true}); },
      [done](caf::error err) mutable { done(caf::expected<bool>{std::move(err)}); },
      caf::put_atom_v, item.id, item.price_cents);
}

/// Tells the other nodes' catalogues of a product change, then answers
/// `answer`. A node that does not answer is down: its locations load the
/// product from the database when they are taken over, so the committed
/// change still stands.
void tell_peers(self_pointer self, const domain::product& item, rendered answer,
                promise_type promise) {
  fan_out<bool>(
      self, self->state.routes->snapshot()->peer_catalogues, tell_timeout,
      [answer, promise](std::vector<bool>) mutable { promise.deliver(answer); },
      [answer, promise, id = item.id](caf::error err) mutable {
        spdlog::warn("catalogue: a peer node did not take product {}: {}", id.value,
                     to_string(err));
        promise.deliver(answer);
      },
      sync_atom_v, item);
}

/// Tells every location of the chain a product's price: this node's own,
/// then every other node's through its catalogue, then answers `answer`.
void tell_holders(self_pointer self, const domain::product& item, rendered answer,
                  promise_type promise) {
  tell_local(self, item, [self, item, answer, promise](caf::expected<bool> told) mutable {
    if (!told)
      promise.deliver(std::move(told.error()));
    else
      tell_peers(self, item, std::move(answer), promise);
  });
}

caf::result<rendered> create(self_pointer self, domain::product item) {
  auto& state = self->state;
  if (std::ranges::any_of(state.products,
                          [&](const domain::product& known) { return known.sku == item.sku; }))
    return make_error(error_code::state_conflict,
                      "A product with the SKU " + item.sku + " exists already.");
  auto promise = self->make_response_promise<rendered>();
  auto now = domain::format_timestamp(std::chrono::system_clock::now());
  self->request(state.db, caf::infinite, caf::put_atom_v, item, now)
      .then(
          [self, item, promise](domain::product_id id) mutable {
            item.id = id;
            const auto& body = remember(self->state, item);
            tell_holders(self, item, rendered{body, self->state.version}, promise);
          },
          [promise](caf::error& err) mutable { promise.deliver(std::move(err)); });
  return promise;
}

caf::result<rendered> change(self_pointer self, domain::product_id id,
                             const domain::product_patch& patch) {
  auto& state = self->state;
  auto found = state.index.find(id);
  if (found == state.index.end())
    return make_error(error_code::not_found);
  auto item = state.products[found->second];
  auto old_price = item.price_cents;
  domain::apply(item, patch);
  if (auto problems = domain::validate_product(item); !problems.empty())
    return make_error(error_code::invalid, render_field_problems(problems));
  auto promise = self->make_response_promise<rendered>();
  auto now = domain::format_timestamp(std::chrono::system_clock::now());
  self->request(state.db, caf::infinite, patch_atom_v, item, now)
      .then(
          [self, item, old_price, promise](bool) mutable {
            const auto& body = remember(self->state, item);
            rendered answer{body, self->state.version};
            // The PATCH answers once every store sells at the new price.
            if (item.price_cents != old_price)
              tell_holders(self, item, answer, promise);
            else
              // Other nodes' catalogues still show names and descriptions.
              tell_peers(self, item, answer, promise);
          },
          [promise](caf::error& err) mutable { promise.deliver(std::move(err)); });
  return promise;
}

} // namespace

catalogue_actor::behavior_type catalogue(catalogue_actor::stateful_pointer<catalogue_state> self,
                                         database_actor db, std::vector<domain::location> locations,
                                         std::shared_ptr<const route_table> routes,
                                         metrics_link metrics) {
  self->state.rendered_stores = render_stores(locations);
  self->state.db = db;
  self->state.routes = std::move(routes);
  self->state.metrics = std::move(metrics);
  start_flushing(self, self->state.metrics.every);
  // await: nothing is served before the catalogue is in memory.
  self->request(db, caf::infinite, load_atom_v, products_atom_v)
      .await(
          [self](std::vector<domain::product>& products) {
            load(self->state, std::move(products));
            spdlog::info("catalogue: {} products loaded", self->state.products.size());
          },
          [self](caf::error& err) {
            spdlog::error("catalogue: cannot load the products: {}", to_string(err));
            self->quit(std::move(err));
          });
  return {
      [self](caf::get_atom, domain::product_id id) -> caf::result<rendered> {
        auto& state = self->state;
        auto found = state.index.find(id);
        if (found == state.index.end())
          return make_error(error_code::not_found);
        return rendered{state.rendered_products[found->second], state.version};
      },
      [self](list_atom, const domain::product_query& query) -> rendered {
        auto& state = self->state;
        auto page = domain::find_products(state.products, query);
        std::vector<const std::string*> items;
        items.reserve(page.items.size());
        for (const auto* item : page.items)
          items.push_back(&state.rendered_products[item - state.products.data()]);
        std::optional<std::int64_t> next;
        if (page.next_after)
          next = page.next_after->value;
        return rendered{render_page(items, next), state.version};
      },
      [self](list_atom, stores_atom) {
        return rendered{self->state.rendered_stores, 1};
      },
      [self](caf::put_atom, domain::product& item) { return create(self, std::move(item)); },
      [self](patch_atom, domain::product_id id, const domain::product_patch& patch) {
        return change(self, id, patch);
      },
      [self](sync_atom, const domain::product& item) {
        remember(self->state, item);
        auto promise = self->make_response_promise<bool>();
        tell_local(self, item, [promise](caf::expected<bool> told) mutable {
          if (told)
            promise.deliver(true);
          else
            promise.deliver(std::move(told.error()));
        });
        return promise;
      },
      [](ready_atom) { return true; },
      [self](caf::tick_atom) {
        auto& metrics = self->state.metrics;
        self->send(metrics.sink, actor_stats{actor_kind::catalogue, 0, self->mailbox().size(), {}});
        schedule_flush(self, metrics.every);
      },
  };
}

} // namespace comptoir::actors
