// The actors of one node against a real database (SQLite or PostgreSQL, from
// COMPTOIR_TEST_DATABASE_URL), driven through the worker pool as the HTTP
// layer does.

#include "actors/errors.hpp"
#include "actors/node.hpp"
#include "actors/protocol.hpp"
#include "persistence/demo_data.hpp"
#include "persistence/location_repository.hpp"
#include "persistence/migrations.hpp"
#include "persistence/session.hpp"
#include "persistence/stock_repository.hpp"
#include "support/test_database.hpp"

#include <boost/json.hpp>
#include <caf/all.hpp>
#include <doctest/doctest.h>
#include <soci/soci.h>

using namespace comptoir;
namespace json = boost::json;

namespace {

constexpr auto timeout = std::chrono::seconds{10};

/// A demo database and a running node on it.
struct node_fixture {
  persistence::database_url url;
  std::vector<domain::location> locations;
  caf::actor_system_config config;
  std::unique_ptr<caf::actor_system> system;
  actors::node running;

  node_fixture() {
    auto text = test::test_database_url();
    test::reset_database(text);
    url = *persistence::parse_database_url(text);
    auto session = persistence::open_session(url);
    persistence::migrate(*session, url.kind);
    persistence::load_demo_data(*session, url.kind);
    locations = persistence::location_repository{*session}.load_all();
    config.add_message_types<caf::id_block::comptoir>();
    config.set("scheduler.max-threads", 2);
    system = std::make_unique<caf::actor_system>(config);
    actors::node_settings settings;
    settings.database = url;
    settings.workers = 2;
    running = actors::start_node(*system, settings, locations);
    REQUIRE(!actors::await_ready(*system, running, timeout));
  }

  ~node_fixture() {
    actors::stop_node(*system, running);
    running = {};
    system.reset();
  }

  /// The reply of the worker pool, or its error.
  template <class... Ts> caf::expected<actors::rendered> ask(Ts... xs) {
    caf::scoped_actor self{*system};
    caf::expected<actors::rendered> result{caf::error{}};
    self->request(running.workers, timeout, xs...)
        .receive([&](actors::rendered& view) { result = std::move(view); },
                 [&](caf::error& err) { result = std::move(err); });
    return result;
  }
};

bool is_not_found(const caf::error& err) {
  return err == actors::make_error(actors::error_code::not_found);
}

} // namespace

TEST_CASE_FIXTURE(node_fixture, "a store's stock read through the pool equals the database rows") {
  auto session = persistence::open_session(url);
  auto rows = persistence::stock_repository{*session}.load(domain::location_id{1});
  REQUIRE(!rows.empty());
  auto view = ask(caf::get_atom_v, actors::stock_atom_v, domain::location_id{1}, false);
  REQUIRE(view);
  auto body = json::parse(view->body).as_object();
  CHECK(body.at("store_id").as_int64() == 1);
  auto& items = body.at("items").as_array();
  REQUIRE(items.size() == rows.size());
  for (std::size_t i = 0; i < rows.size(); ++i) {
    auto& item = items[i].as_object();
    CHECK(item.at("product_id").as_int64() == rows[i].product.value);
    CHECK(item.at("on_hand").as_int64() == rows[i].on_hand);
    CHECK(item.at("reorder_point").as_int64() == rows[i].reorder_point);
  }
}

TEST_CASE_FIXTURE(node_fixture, "the logistics centre is not a store") {
  auto warehouse =
      std::ranges::find(locations, domain::location_kind::warehouse, &domain::location::kind);
  REQUIRE(warehouse != locations.end());
  auto as_store = ask(caf::get_atom_v, actors::stock_atom_v, warehouse->id, false);
  REQUIRE(!as_store);
  CHECK(is_not_found(as_store.error()));
  auto view = ask(caf::get_atom_v, actors::warehouse_atom_v, false);
  REQUIRE(view);
  CHECK(json::parse(view->body).at("warehouse_id").as_int64() == warehouse->id.value);
}

TEST_CASE_FIXTURE(node_fixture, "an unknown store or product is not found") {
  auto store = ask(caf::get_atom_v, actors::stock_atom_v, domain::location_id{4242}, false);
  REQUIRE(!store);
  CHECK(is_not_found(store.error()));
  auto item = ask(caf::get_atom_v, domain::product_id{4242});
  REQUIRE(!item);
  CHECK(is_not_found(item.error()));
}

TEST_CASE_FIXTURE(node_fixture, "a product is served with every field of the contract") {
  auto view = ask(caf::get_atom_v, domain::product_id{1});
  REQUIRE(view);
  auto body = json::parse(view->body).as_object();
  CHECK(body.at("id").as_int64() == 1);
  for (auto field : {"sku", "name", "category", "description"})
    CHECK_MESSAGE(body.at(field).is_string(), field);
  CHECK(body.at("price_cents").as_int64() >= 0);
}

TEST_CASE_FIXTURE(node_fixture, "the product list pages through the whole catalogue") {
  domain::product_query query;
  query.limit = 7;
  std::vector<std::int64_t> seen;
  for (int page = 0; page < 100; ++page) {
    auto view = ask(actors::list_atom_v, query);
    REQUIRE(view);
    auto body = json::parse(view->body).as_object();
    for (auto& item : body.at("items").as_array())
      seen.push_back(item.at("id").as_int64());
    if (body.at("next_cursor").is_null())
      break;
    query.after = seen.back();
  }
  auto session = persistence::open_session(url);
  int count = 0;
  *session << "SELECT COUNT(*) FROM products", soci::into(count);
  CHECK(seen.size() == static_cast<std::size_t>(count));
  CHECK(std::ranges::is_sorted(seen));
  CHECK(std::ranges::adjacent_find(seen) == seen.end());
}

TEST_CASE_FIXTURE(node_fixture, "the stores list holds the stores and not the logistics centre") {
  auto view = ask(actors::list_atom_v, actors::stores_atom_v);
  REQUIRE(view);
  auto items = json::parse(view->body).at("items").as_array();
  auto stores =
      std::ranges::count(locations, domain::location_kind::store, &domain::location::kind);
  CHECK(items.size() == static_cast<std::size_t>(stores));
}

TEST_CASE_FIXTURE(node_fixture, "the node is ready when its database answers") {
  caf::scoped_actor self{*system};
  bool ready = false;
  self->request(running.workers, timeout, actors::ready_atom_v)
      .receive([&](bool answer) { ready = answer; }, [](caf::error&) {});
  CHECK(ready);
}

TEST_CASE("a node refuses a database without a logistics centre") {
  caf::actor_system_config config;
  config.add_message_types<caf::id_block::comptoir>();
  caf::actor_system system{config};
  auto url = *persistence::parse_database_url(test::test_database_url());
  std::vector<domain::location> only_stores{
      {domain::location_id{1}, domain::location_kind::store, "Store", "City"}};
  actors::node_settings settings;
  settings.database = url;
  CHECK_THROWS_AS(actors::start_node(system, settings, only_stores), std::invalid_argument);
}
