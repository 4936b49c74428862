#include "actors/catalogue_actor.hpp"

#include "actors/errors.hpp"
#include "actors/views.hpp"

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

} // namespace

catalogue_actor::behavior_type catalogue(catalogue_actor::stateful_pointer<catalogue_state> self,
                                         database_actor db,
                                         std::vector<domain::location> locations) {
  self->state.rendered_stores = render_stores(locations);
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
      [](ready_atom) { return true; },
  };
}

} // namespace comptoir::actors
