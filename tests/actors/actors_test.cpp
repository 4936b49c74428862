// The actors of one node against a real database (SQLite or PostgreSQL, from
// COMPTOIR_TEST_DATABASE_URL), driven through the worker pool as the HTTP
// layer does.

#include "actors/errors.hpp"
#include "actors/node.hpp"
#include "actors/protocol.hpp"
#include "actors/views.hpp"
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

#include <optional>
#include <string>
#include <thread>

using namespace comptoir;
namespace json = boost::json;

namespace {

constexpr auto timeout = std::chrono::seconds{10};
/// Short, so that the metrics tests need not wait long for the actors' stats.
constexpr auto flush_interval = std::chrono::milliseconds{50};

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
    settings.flush_interval = flush_interval;
    settings.scheduler_threads = 2;
    settings.version = "9.8.7-test";
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

  /// The metrics actor's Prometheus text.
  std::string scrape() {
    caf::scoped_actor self{*system};
    std::string text;
    self->request(running.metrics, timeout, caf::get_atom_v, actors::metrics_atom_v)
        .receive([&](std::string& answer) { text = std::move(answer); },
                 [](caf::error& err) { FAIL("scrape failed: ", to_string(err)); });
    return text;
  }
};

/// The value of the sample `series` (`name{labels}` as the text writes it).
std::optional<double> sample(const std::string& text, const std::string& series) {
  auto key = "\n" + series + " ";
  auto at = text.find(key);
  if (at == std::string::npos)
    return std::nullopt;
  auto start = at + key.size();
  return std::stod(text.substr(start, text.find('\n', start) - start));
}

/// The value of `series`, which must be present.
double value(const std::string& text, const std::string& series) {
  auto found = sample(text, series);
  REQUIRE_MESSAGE(found, series, " missing");
  return *found;
}

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

TEST_CASE_FIXTURE(node_fixture,
                  "a store publishes its stock view, current until the next change of its stock") {
  const domain::location_id store{1};
  auto& board = *running.stock;
  // Nothing is published before the store has rendered its stock once.
  CHECK(board.read(store) == nullptr);
  auto stock = ask(caf::get_atom_v, actors::stock_atom_v, store, false);
  REQUIRE(stock);
  auto published = board.read(store);
  REQUIRE(published != nullptr);
  CHECK(published->body == stock->body);
  CHECK(published->version == stock->version);
  // Only stores of the chain, and only the full list: not the logistics centre.
  CHECK(board.read(domain::location_id{99}) == nullptr);
  for (const auto& where : locations)
    CHECK((board.find(where.id) != nullptr) == (where.kind == domain::location_kind::store));

  // A committed sale makes it stale before the sale is answered.
  auto product = json::parse(stock->body).at("items").at(0).at("product_id").as_int64();
  REQUIRE(ask(actors::sell_atom_v,
              actors::sale_request{store, {{domain::product_id{product}, 1}}, "", ""}));
  CHECK(board.read(store) == nullptr);
  // The next read through the store renders and publishes the new stock.
  auto after = ask(caf::get_atom_v, actors::stock_atom_v, store, false);
  REQUIRE(after);
  CHECK(after->version > stock->version);
  published = board.read(store);
  REQUIRE(published != nullptr);
  CHECK(published->version == after->version);
  CHECK(published->body == after->body);
  // A list below the reorder points is rendered for its reader, never published.
  REQUIRE(ask(caf::get_atom_v, actors::stock_atom_v, store, true));
  CHECK(board.read(store)->body == after->body);
}

TEST_CASE("a stock view is the JSON of the ledger, byte for byte as a JSON library writes it") {
  domain::stock_ledger ledger{{{domain::product_id{3}, 0, 4},
                               {domain::product_id{1}, 9'000'000'000, 2},
                               {domain::product_id{2}, 5, 5}}};
  auto expected = [&](const char* key, std::int64_t id, bool below_only) {
    json::array items;
    for (const auto& item : ledger.items())
      if (!below_only || item.on_hand < item.reorder_point)
        items.push_back(json::object{{"product_id", item.product.value},
                                     {"on_hand", item.on_hand},
                                     {"reorder_point", item.reorder_point}});
    return json::serialize(
        json::object{{key, id}, {"version", ledger.version()}, {"items", std::move(items)}});
  };
  const domain::location store{domain::location_id{7}, domain::location_kind::store, "S", "C"};
  const domain::location centre{domain::location_id{8}, domain::location_kind::warehouse, "W",
                                "C"};
  CHECK(actors::render_stock(store, ledger, false) == expected("store_id", 7, false));
  CHECK(actors::render_stock(store, ledger, true) == expected("store_id", 7, true));
  CHECK(actors::render_stock(centre, ledger, false) == expected("warehouse_id", 8, false));
  CHECK(actors::render_stock(store, domain::stock_ledger{}, false) ==
        R"({"store_id":7,"version":1,"items":[]})");
}

TEST_CASE("a published stock view is not read once the node's lease has lapsed") {
  auto lease = std::make_shared<actors::ownership_lease>();
  actors::stock_board board{{domain::location_id{1}}, lease};
  auto* slot = board.find(domain::location_id{1});
  REQUIRE(slot != nullptr);
  slot->version() = 7;
  slot->publish(std::make_shared<const actors::stock_snapshot>(actors::stock_snapshot{"{}", 7}));
  REQUIRE(board.read(domain::location_id{1}) != nullptr);
  lease->revoke();
  CHECK(board.read(domain::location_id{1}) == nullptr);
  lease->extend_until(actors::ownership_lease::clock::now() + std::chrono::minutes{1});
  CHECK(board.read(domain::location_id{1}) != nullptr);
  CHECK(slot->take_hits() == 2);
  slot->withdraw();
  CHECK(board.read(domain::location_id{1}) == nullptr);
  CHECK(slot->take_hits() == 0);
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

// -- metrics ----------------------------------------------------------------------

TEST_CASE_FIXTURE(node_fixture,
                  "the metrics count committed sales, commits, caches and mailboxes") {
  const domain::location_id store{1};
  const std::string of_store = "{store=\"1\"}";
  // A product of store 1 with enough stock for every sale below.
  auto stock = ask(caf::get_atom_v, actors::stock_atom_v, store, false);
  REQUIRE(stock);
  std::int64_t product = 0;
  std::int64_t on_hand = 0;
  auto stock_body = json::parse(stock->body);
  for (auto& item : stock_body.at("items").as_array())
    if (item.at("on_hand").as_int64() > on_hand) {
      on_hand = item.at("on_hand").as_int64();
      product = item.at("product_id").as_int64();
    }
  constexpr int one_by_one = 5;
  constexpr int together = 20;
  REQUIRE(on_hand >= one_by_one + together + 1);
  // Every cache once missed, then hit: stock view, report, dashboard.
  REQUIRE(ask(caf::get_atom_v, actors::stock_atom_v, store, false));
  REQUIRE(ask(caf::get_atom_v, actors::warehouse_atom_v, false));
  for (int i = 0; i < 2; ++i) {
    REQUIRE(ask(actors::report_atom_v, std::string{}, std::string{}));
    REQUIRE(ask(actors::dashboard_atom_v));
  }

  auto before = scrape();
  auto sales_before = value(before, "comptoir_sales_total" + of_store);
  auto revenue_before = value(before, "comptoir_sales_revenue_cents_total" + of_store);
  auto commits_before = value(before, "comptoir_commit_batch_size_count" + of_store);
  auto batched_before = value(before, "comptoir_commit_batch_size_sum" + of_store);
  auto singles_before = value(before, "comptoir_commit_batch_size_bucket{store=\"1\",le=\"1\"}");
  auto durations_before = value(before, "comptoir_commit_duration_seconds_count" + of_store);
  auto report_invalidations_before =
      value(before, "comptoir_cache_invalidations_total{cache=\"report\"}");

  auto sale = [&] {
    return actors::sale_request{store, {{domain::product_id{product}, 1}}, "", ""};
  };
  std::int64_t revenue = 0;
  // One at a time: one commit each.
  for (int i = 0; i < one_by_one; ++i) {
    auto sold = ask(actors::sell_atom_v, sale());
    REQUIRE(sold);
    revenue += json::parse(sold->body).at("total_cents").as_int64();
  }
  // All at once: group commit, fewer transactions than sales.
  {
    caf::scoped_actor self{*system};
    for (int i = 0; i < together; ++i)
      self->send(caf::actor_cast<caf::actor>(running.workers), actors::sell_atom_v, sale());
    for (int i = 0; i < together; ++i)
      self->receive(
          [&](actors::rendered& sold) {
            revenue += json::parse(sold.body).at("total_cents").as_int64();
          },
          [](caf::error& err) { FAIL("sale failed: ", to_string(err)); },
          caf::after(timeout) >> [] { FAIL("no answer to a sale"); });
  }
  // A return of one of them.
  auto last_sale = ask(actors::sell_atom_v, sale());
  REQUIRE(last_sale);
  auto last_body = json::parse(last_sale->body);
  revenue += last_body.at("total_cents").as_int64();
  auto returned = ask(
      actors::return_atom_v, domain::principal{domain::role::admin, {}},
      actors::return_request{
          std::string{last_body.at("id").as_string()}, {{domain::product_id{product}, 1}}, "", ""});
  REQUIRE(returned);
  auto refund = json::parse(returned->body).at("refund_cents").as_int64();
  constexpr int sold = one_by_one + together + 1;

  // The stores' next flush carries them: at most one interval, plus scheduling.
  std::string after;
  for (auto deadline = std::chrono::steady_clock::now() + timeout;
       std::chrono::steady_clock::now() < deadline; std::this_thread::sleep_for(flush_interval)) {
    after = scrape();
    if (value(after, "comptoir_sales_total" + of_store) >= sales_before + sold &&
        value(after, "comptoir_returns_total" + of_store) >= 1)
      break;
  }
  // Another flush or two: nothing is counted twice.
  std::this_thread::sleep_for(3 * flush_interval);
  after = scrape();
  CHECK(value(after, "comptoir_sales_total" + of_store) == sales_before + sold);
  CHECK(value(after, "comptoir_sales_revenue_cents_total" + of_store) ==
        revenue_before + static_cast<double>(revenue));
  CHECK(value(after, "comptoir_returns_total" + of_store) ==
        value(before, "comptoir_returns_total" + of_store) + 1);
  CHECK(value(after, "comptoir_returns_refund_cents_total" + of_store) ==
        value(before, "comptoir_returns_refund_cents_total" + of_store) +
            static_cast<double>(refund));

  // Batch sizes: every sale and return in exactly one commit.
  auto commits = value(after, "comptoir_commit_batch_size_count" + of_store) - commits_before;
  CHECK(value(after, "comptoir_commit_batch_size_sum" + of_store) - batched_before == sold + 1);
  // The ones sent one at a time (and the last sale and the return) were alone.
  CHECK(value(after, "comptoir_commit_batch_size_bucket{store=\"1\",le=\"1\"}") - singles_before >=
        one_by_one + 2);
  CHECK(commits >= one_by_one + 3);
  CHECK(commits <= sold + 1);
  CHECK(value(after, "comptoir_commit_batch_size_bucket{store=\"1\",le=\"+Inf\"}") ==
        value(after, "comptoir_commit_batch_size_count" + of_store));
  CHECK(value(after, "comptoir_commit_duration_seconds_count" + of_store) - durations_before ==
        commits);
  CHECK(value(after, "comptoir_commit_duration_seconds_sum" + of_store) > 0);

  // Caches: each missed once and hit once above; the sales invalidated the reports.
  for (std::string cache : {"stock_view", "report", "dashboard"}) {
    auto labels = "{cache=\"" + cache + "\"}";
    CHECK_MESSAGE(value(after, "comptoir_cache_hits_total" + labels) >= 1, cache);
    CHECK_MESSAGE(value(after, "comptoir_cache_misses_total" + labels) >= 1, cache);
    CHECK_MESSAGE(sample(after, "comptoir_cache_invalidations_total" + labels), cache);
  }
  CHECK(value(after, "comptoir_cache_invalidations_total{cache=\"report\"}") >
        report_invalidations_before);

  // Open alerts: what the stores say.
  auto alerts = ask(actors::alerts_atom_v);
  REQUIRE(alerts);
  auto alerts_body = json::parse(alerts->body);
  for (std::string kind : {"low_stock", "out_of_stock"}) {
    double open = 0;
    for (auto& alert : alerts_body.at("items").as_array())
      if (alert.at("store_id").as_int64() == 1 && alert.at("kind").as_string() == kind)
        ++open;
    CHECK_MESSAGE(value(after, "comptoir_open_alerts{kind=\"" + kind + "\",store=\"1\"}") == open,
                  kind);
  }

  // A mailbox gauge for every actor, and the pool's queue.
  auto mailbox = [&](const std::string& actor, std::int64_t id) {
    return "comptoir_actor_mailbox_messages{actor=\"" + actor + "\",id=\"" + std::to_string(id) +
           "\"}";
  };
  std::vector<std::string> expected{mailbox("frontend", 0), mailbox("worker", 0),
                                    mailbox("worker", 1), mailbox("catalogue", 0),
                                    mailbox("hq", 0)};
  std::size_t stores = 0;
  for (const auto& where : locations) {
    bool is_store = where.kind == domain::location_kind::store;
    stores += is_store ? 1 : 0;
    expected.push_back(mailbox(is_store ? "store" : "warehouse", where.id.value));
    if (is_store)
      CHECK(
          sample(after, "comptoir_sales_total{store=\"" + std::to_string(where.id.value) + "\"}"));
  }
  for (const auto& series : expected)
    CHECK_MESSAGE(value(after, series) >= 0, series);
  CHECK(value(after, "comptoir_worker_pool_queue_messages") >= 0);

  // The node and the process.
  CHECK(value(after, "comptoir_scheduler_threads") == 2);
  CHECK(value(after, "comptoir_cluster_members") == 1);
  CHECK(value(after, "comptoir_db_sessions{role=\"writer\"}") == static_cast<double>(stores + 1));
  CHECK(value(after, "comptoir_db_sessions{role=\"reader\"}") == 2);
  CHECK(value(after, "comptoir_db_sessions_busy{role=\"writer\"}") >= 0);
  CHECK(value(after, "comptoir_db_sessions_busy{role=\"reader\"}") >= 0);
  CHECK(after.find("\ncomptoir_build_info{build_type=\"") != std::string::npos);
  CHECK(after.find("version=\"9.8.7-test\"} 1\n") != std::string::npos);
  auto resident = value(after, "process_resident_memory_bytes");
  CHECK(resident > 1'000'000);
  CHECK(value(after, "process_virtual_memory_bytes") >= resident);
  CHECK(value(after, "process_cpu_seconds_total") > 0);
  auto fds = value(after, "process_open_fds");
  CHECK(fds >= 3);
  CHECK(fds <= value(after, "process_max_fds"));
  auto now = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch());
  auto started = value(after, "process_start_time_seconds");
  CHECK(started <= now.count() + 1);
  CHECK(started > now.count() - 24 * 3600);
  for (const auto* type :
       {"# TYPE process_cpu_seconds_total counter", "# TYPE comptoir_commit_batch_size histogram",
        "# TYPE comptoir_actor_mailbox_messages gauge"})
    CHECK_MESSAGE(after.find(type) != std::string::npos, type);
}
