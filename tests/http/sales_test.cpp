// End-to-end tests of the point of sale: sales, returns, idempotency keys,
// concurrency and crash safety, against the real comptoir binary over HTTP on
// the database of COMPTOIR_TEST_DATABASE_URL (SQLite or PostgreSQL), checked
// through the API and with SQL on the database itself.

#include "support/api_helpers.hpp"

#include <boost/json.hpp>
#include <doctest/doctest.h>
#include <soci/soci.h>

#include <algorithm>
#include <chrono>
#include <atomic>
#include <cstdint>
#include <exception>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

using namespace comptoir::test;
namespace json = boost::json;

namespace {

// -- HTTP helpers -------------------------------------------------------------

std::int64_t price_of(std::uint16_t port, std::int64_t product) {
  auto reply = get(port, "/api/v1/products/" + std::to_string(product), "demo-admin");
  REQUIRE(reply.status == 200);
  return json_body(reply).at("price_cents").as_int64();
}

/// Runs `work(job)` for jobs 0..jobs-1 on `threads` threads; every call opens
/// its own connections. Exceptions are rethrown here, after the join, since
/// doctest's assertions are not meant for other threads.
template <class Work> void run_concurrently(std::size_t jobs, std::size_t threads, Work work) {
  std::atomic<std::size_t> next{0};
  std::exception_ptr failure;
  std::mutex failure_mutex;
  std::vector<std::thread> pool;
  for (std::size_t t = 0; t < threads; ++t)
    pool.emplace_back([&] {
      for (auto job = next++; job < jobs; job = next++) {
        try {
          work(job);
        } catch (...) {
          std::lock_guard lock{failure_mutex};
          if (!failure)
            failure = std::current_exception();
        }
      }
    });
  for (auto& thread : pool)
    thread.join();
  if (failure)
    std::rethrow_exception(failure);
}

// -- SQL on the node's database ----------------------------------------------

std::string returned_in(std::int64_t store, std::int64_t product) {
  return "SELECT CAST(COALESCE(SUM(l.quantity), 0) AS BIGINT) FROM return_lines l"
         " JOIN returns r ON r.id = l.return_id JOIN sales s ON s.id = r.sale_id"
         " WHERE s.store_id = " +
         std::to_string(store) + " AND l.product_id = " + std::to_string(product);
}

} // namespace

// -- concurrency --------------------------------------------------------------

TEST_CASE("concurrent tills selling the last units sell each unit exactly once") {
  auto node = fresh_node();
  const auto port = node->port();
  constexpr std::int64_t store = 2;
  // The scarcest product with 40 units or more, to keep the run short, and a
  // plentiful one sold on the same ticket: a refused sale must not take it either.
  auto before = stock_of(port, store);
  std::int64_t scarce = 0;
  std::int64_t plentiful = 0;
  for (auto [product, on_hand] : before) {
    if (on_hand >= 40 && (scarce == 0 || on_hand < before[scarce]))
      scarce = product;
    if (plentiful == 0 || on_hand > before[plentiful])
      plentiful = product;
  }
  REQUIRE(scarce != 0);
  REQUIRE(plentiful != scarce);
  const auto last_units = before[scarce];
  CAPTURE(last_units);

  const auto attempts = static_cast<std::size_t>(3 * last_units);
  std::vector<http_reply> replies(attempts);
  const auto body = lines_body({{scarce, 1}, {plentiful, 1}});
  run_concurrently(attempts, 16,
                   [&](std::size_t i) { replies[i] = sell(port, store, clerk_of(store), body); });

  std::int64_t created = 0;
  std::set<std::string> sale_ids;
  for (auto& reply : replies) {
    CAPTURE(reply.body);
    if (reply.status == 201) {
      ++created;
      sale_ids.insert(std::string{json_body(reply).at("id").as_string()});
      continue;
    }
    check_problem(reply, 409);
    auto problem = json_body(reply);
    auto& lines = problem.at("lines").as_array();
    REQUIRE(lines.size() == 1); // only the short line is listed
    CHECK(lines[0].at("product_id").as_int64() == scarce);
    CHECK(lines[0].at("requested").as_int64() == 1);
    CHECK(lines[0].at("available").as_int64() < 1);
    CHECK(lines[0].at("available").as_int64() == 0);
  }
  CHECK(created == last_units);
  CHECK(sale_ids.size() == static_cast<std::size_t>(created));

  auto after = stock_of(port, store);
  CHECK(after[scarce] == 0);
  CHECK(after[plentiful] == before[plentiful] - last_units);
  CHECK(get(port, "/api/v1/stores/" + std::to_string(store) + "/stock", "demo-admin").status ==
        200);

  auto sql = open_database();
  CHECK(scalar(*sql, "SELECT COUNT(*) FROM sale_lines l JOIN sales s ON s.id = l.sale_id"
                     " WHERE s.store_id = " +
                         std::to_string(store) + " AND l.product_id = " + std::to_string(scarce)) ==
        last_units);
  CHECK(scalar(*sql, sold_in(store, scarce)) == last_units);
  CHECK(scalar(*sql, sold_in(store, plentiful)) == last_units);
  CHECK(scalar(*sql, "SELECT COUNT(*) FROM sales") == last_units);
  CHECK(scalar(*sql, on_hand_in(store, scarce)) == 0);
  CHECK(scalar(*sql, on_hand_in(store, plentiful)) == before[plentiful] - last_units);
}

TEST_CASE("concurrent returns on one sale never give back more than was sold") {
  auto node = fresh_node();
  const auto port = node->port();
  constexpr std::int64_t store = 1;
  auto before = stock_of(port, store);
  auto sale = sell(port, store, "demo-clerk-1", lines_body({{7, 10}, {8, 1}}));
  REQUIRE(sale.status == 201);
  const auto sale_id = std::string{json_body(sale).at("id").as_string()};

  std::vector<http_reply> replies(40);
  run_concurrently(replies.size(), 16, [&](std::size_t i) {
    replies[i] = give_back(port, sale_id, "demo-clerk-1", lines_body({{7, 1}}));
  });
  int accepted = 0;
  for (auto& reply : replies) {
    CAPTURE(reply.body);
    if (reply.status == 201) {
      ++accepted;
      continue;
    }
    check_problem(reply, 409);
    auto problem = json_body(reply);
    auto& lines = problem.at("lines").as_array();
    REQUIRE(lines.size() == 1);
    CHECK(lines[0].at("product_id").as_int64() == 7);
    CHECK(lines[0].at("available").as_int64() == 0);
  }
  CHECK(accepted == 10);
  auto after = stock_of(port, store);
  CHECK(after[7] == before[7]);
  CHECK(after[8] == before[8] - 1);
  auto stored = json_body(get(port, "/api/v1/sales/" + sale_id, "demo-clerk-1"));
  CHECK(stored.at("status").as_string() == "partially_returned");
  CHECK(stored.at("returns").as_array().size() == 10);
  auto sql = open_database();
  CHECK(scalar(*sql, returned_in(store, 7)) == 10);
  CHECK(scalar(*sql, on_hand_in(store, 7)) == before[7]);

  // A product that is not on the sale cannot come back with it.
  auto stranger = give_back(port, sale_id, "demo-clerk-1", lines_body({{9, 1}}));
  CHECK((stranger.status == 409 || stranger.status == 422));
  check_problem(give_back(port, sale_id, "demo-clerk-1", lines_body({{8, 2}})), 409);
  CHECK(give_back(port, sale_id, "demo-clerk-1", lines_body({{8, 1}})).status == 201);
  CHECK(json_body(get(port, "/api/v1/sales/" + sale_id, "demo-clerk-1")).at("status").as_string() ==
        "returned");
  check_problem(give_back(port, sale_id, "demo-clerk-1", lines_body({{8, 1}})), 409);
  CHECK(stock_of(port, store) == before);
}

// -- idempotency keys ---------------------------------------------------------

TEST_CASE("a stock read after a sale's 201 shows the sale, while other clients keep the view hot") {
  // Reads of an unchanged store are answered from the view its actor
  // published; a sale must make that view stale before its 201 leaves.
  auto node = fresh_node();
  const auto port = node->port();
  constexpr std::int64_t store = 2;
  const auto clerk = clerk_of(store);
  auto before = stock_of(port, store);
  auto product =
      std::ranges::max_element(before, {}, [](const auto& line) { return line.second; })->first;
  constexpr int sales = 40;
  REQUIRE(before[product] >= sales);

  std::atomic<int> hot_reads{0};
  std::atomic<int> hot_failures{0};
  // Stopped and joined however the test case ends.
  std::vector<std::jthread> readers;
  for (int r = 0; r < 2; ++r)
    readers.emplace_back([&](std::stop_token stop) {
      while (!stop.stop_requested())
        ++(get(port, stock_target(store), clerk).status == 200 ? hot_reads : hot_failures);
    });
  std::set<std::string> etags;
  for (int i = 1; i <= sales; ++i) {
    REQUIRE(sell(port, store, clerk, lines_body({{product, 1}})).status == 201);
    auto read = get(port, stock_target(store), clerk);
    REQUIRE(read.status == 200);
    std::int64_t on_hand = -1;
    auto listed = json_body(read);
    for (const auto& item : listed.at("items").as_array())
      if (item.at("product_id").as_int64() == product)
        on_hand = item.at("on_hand").as_int64();
    CHECK(on_hand == before[product] - i);
    // A new version, so a new ETag, after every sale.
    CHECK(etags.insert(read.headers["etag"]).second);
  }
  readers.clear();
  CHECK(hot_reads > 0);
  CHECK(hot_failures == 0);
}

TEST_CASE("a sale and a return replayed with their key are answered again and made once") {
  auto node = fresh_node();
  const auto port = node->port();
  constexpr std::int64_t store = 3;
  const auto clerk = clerk_of(store);
  auto before = stock_of(port, store);
  auto sql = open_database();

  const std::string sale_key = "till-3/ticket-0001";
  const auto sale_body = lines_body({{10, 2}, {11, 1}});
  auto first = sell(port, store, clerk, sale_body, &sale_key);
  REQUIRE(first.status == 201);
  auto sale_id = std::string{json_body(first).at("id").as_string()};
  auto after_sale = stock_of(port, store);
  CHECK(after_sale[10] == before[10] - 2);
  CHECK(after_sale[11] == before[11] - 1);

  for (int retry = 0; retry < 3; ++retry) {
    auto again = sell(port, store, clerk, sale_body, &sale_key);
    CHECK(again.status == 201);
    CHECK(again.body == first.body);
  }
  CHECK(stock_of(port, store) == after_sale);
  CHECK(scalar(*sql, "SELECT COUNT(*) FROM sales") == 1);
  CHECK(scalar(*sql, "SELECT COUNT(*) FROM sale_lines") == 2);

  // The same key for another basket is a client error and changes nothing.
  check_problem(sell(port, store, clerk, lines_body({{10, 3}, {11, 1}}), &sale_key), 422);
  check_problem(sell(port, store, clerk, lines_body({{12, 1}}), &sale_key), 422);
  CHECK(stock_of(port, store) == after_sale);
  CHECK(scalar(*sql, "SELECT COUNT(*) FROM sales") == 1);

  const std::string return_key = "till-3/return-0001";
  const auto return_body = lines_body({{10, 1}});
  auto taken_back = give_back(port, sale_id, clerk, return_body, &return_key);
  REQUIRE(taken_back.status == 201);
  for (int retry = 0; retry < 3; ++retry) {
    auto again = give_back(port, sale_id, clerk, return_body, &return_key);
    CHECK(again.status == 201);
    CHECK(again.body == taken_back.body);
  }
  check_problem(give_back(port, sale_id, clerk, lines_body({{10, 2}}), &return_key), 422);
  auto after_return = stock_of(port, store);
  CHECK(after_return[10] == after_sale[10] + 1);
  CHECK(after_return[11] == after_sale[11]);
  CHECK(scalar(*sql, "SELECT COUNT(*) FROM returns") == 1);
  CHECK(scalar(*sql, "SELECT COUNT(*) FROM return_lines") == 1);
  auto sale = json_body(get(port, "/api/v1/sales/" + sale_id, clerk));
  CHECK(sale.at("returns").as_array().size() == 1);
  CHECK(sale.at("status").as_string() == "partially_returned");

  // The sale key replayed after the return still gives the original answer.
  auto late = sell(port, store, clerk, sale_body, &sale_key);
  CHECK(late.status == 201);
  CHECK(late.body == first.body);
  CHECK(scalar(*sql, "SELECT COUNT(*) FROM sales") == 1);
}

TEST_CASE("an idempotency key must be 1 to 255 characters") {
  auto node = fresh_node();
  const auto port = node->port();
  const auto body = lines_body({{1, 1}});
  const std::string too_long(256, 'k');
  const std::string empty;
  const std::string longest(255, 'k');
  check_problem(sell(port, 1, "demo-clerk-1", body, &too_long), 400);
  check_problem(sell(port, 1, "demo-clerk-1", body, &empty), 400);
  auto sql = open_database();
  CHECK(scalar(*sql, "SELECT COUNT(*) FROM sales") == 0);

  auto sale = sell(port, 1, "demo-clerk-1", body, &longest);
  REQUIRE(sale.status == 201);
  auto sale_id = std::string{json_body(sale).at("id").as_string()};
  CHECK(sell(port, 1, "demo-clerk-1", body, &longest).body == sale.body);
  check_problem(give_back(port, sale_id, "demo-clerk-1", body, &too_long), 400);
  check_problem(give_back(port, sale_id, "demo-clerk-1", body, &empty), 400);
  CHECK(scalar(*sql, "SELECT COUNT(*) FROM sales") == 1);
  CHECK(scalar(*sql, "SELECT COUNT(*) FROM returns") == 0);
}

TEST_CASE("the same key sent by many tills at once makes one sale, answered alike") {
  auto node = fresh_node();
  const auto port = node->port();
  constexpr std::int64_t store = 4;
  auto before = stock_of(port, store);
  const std::string key = "retry-storm-1";
  const auto body = lines_body({{20, 1}, {21, 2}});
  std::vector<http_reply> replies(16);
  run_concurrently(replies.size(), replies.size(), [&](std::size_t i) {
    replies[i] = sell(port, store, clerk_of(store), body, &key);
  });
  for (auto& reply : replies) {
    CAPTURE(reply.body);
    CHECK(reply.status == 201);
    CHECK(reply.body == replies.front().body);
  }
  auto after = stock_of(port, store);
  CHECK(after[20] == before[20] - 1);
  CHECK(after[21] == before[21] - 2);
  auto sql = open_database();
  CHECK(scalar(*sql, "SELECT COUNT(*) FROM sales") == 1);
}

TEST_CASE("a refused sale does not use up its idempotency key") {
  auto node = fresh_node();
  const auto port = node->port();
  constexpr std::int64_t store = 5;
  auto before = stock_of(port, store);
  const std::string key = "till-5/ticket-0042";
  const auto too_many = lines_body({{30, before[30] + 1}});
  check_problem(sell(port, store, clerk_of(store), too_many, &key), 409);
  check_problem(sell(port, store, clerk_of(store), too_many, &key), 409);
  // Only 201 answers are kept under a key: the basket may be corrected.
  auto corrected = sell(port, store, clerk_of(store), lines_body({{30, 1}}), &key);
  CHECK(corrected.status == 201);
  CHECK(stock_of(port, store)[30] == before[30] - 1);
}

TEST_CASE("an idempotency key is the till's own: other stores may use the same one") {
  auto node = fresh_node();
  const auto port = node->port();
  const std::string key = "ticket-0001";
  const auto body = lines_body({{1, 1}});
  auto at_one = sell(port, 1, "demo-clerk-1", body, &key);
  auto at_two = sell(port, 2, "demo-clerk-2", body, &key);
  REQUIRE(at_one.status == 201);
  REQUIRE(at_two.status == 201);
  CHECK(json_body(at_one).at("id") != json_body(at_two).at("id"));
  CHECK(json_body(at_two).at("store_id").as_int64() == 2);
  // A return may carry the key its sale was made with.
  auto sale_id = std::string{json_body(at_one).at("id").as_string()};
  auto taken_back = give_back(port, sale_id, "demo-clerk-1", body, &key);
  CHECK(taken_back.status == 201);
  CHECK(json_body(taken_back).at("sale_id").as_string() == sale_id);
  auto sql = open_database();
  CHECK(scalar(*sql, "SELECT COUNT(*) FROM sales") == 2);
  CHECK(scalar(*sql, "SELECT COUNT(*) FROM returns") == 1);
}

// -- crash safety -------------------------------------------------------------

TEST_CASE("a sale the database holds up past the request timeout is 503, then made once with its key") {
  config_file config{"[demo]\nenabled = true\n[actors]\nrequest_timeout_ms = 400\n"};
  auto node = fresh_node({{"COMPTOIR_CONFIG", config.path()}});
  const auto port = node->port();
  const std::string key = "held-up-1";
  const auto body = lines_body({{2, 1}});
  auto before = scalar(*open_database(), "SELECT COUNT(*) FROM sales");
  {
    // Another writer holds the database: the store's commit waits behind it.
    auto blocker = open_database();
    if (blocker->get_backend_name() == "sqlite3") {
      *blocker << "BEGIN IMMEDIATE";
    } else {
      blocker->begin();
      *blocker << "LOCK TABLE stock IN EXCLUSIVE MODE";
    }
    auto started = std::chrono::steady_clock::now();
    auto held_up = sell(port, 1, "demo-clerk-1", body, &key);
    auto waited = std::chrono::steady_clock::now() - started;
    CHECK(held_up.status == 503);
    CHECK(held_up.headers.contains("retry-after"));
    // The request timeout, give or take the frontend's 100 ms sweep.
    CHECK(waited >= std::chrono::milliseconds{350});
    CHECK(waited < std::chrono::milliseconds{2000});
    *blocker << "ROLLBACK";
  }
  // Retried with its key until the store answers: one sale, whichever
  // attempt made it (on PostgreSQL the first one commits once the lock goes).
  http_reply made;
  for (int attempt = 0; attempt < 50; ++attempt) {
    made = sell(port, 1, "demo-clerk-1", body, &key);
    if (made.status != 503)
      break;
    std::this_thread::sleep_for(std::chrono::milliseconds{200});
  }
  CHECK(made.status == 201);
  CHECK(scalar(*open_database(), "SELECT COUNT(*) FROM sales") == before + 1);
  auto again = sell(port, 1, "demo-clerk-1", body, &key);
  CHECK(again.status == 201);
  CHECK(again.body == made.body);
}

TEST_CASE("every acknowledged sale survives kill -9 of the node") {
  auto node = fresh_node();
  const auto port = node->port();
  std::map<std::int64_t, std::map<std::int64_t, std::int64_t>> initial;
  for (std::int64_t store = 1; store <= 5; ++store)
    initial[store] = stock_of(port, store);

  struct attempt {
    std::int64_t store = 0;
    std::vector<std::pair<std::int64_t, std::int64_t>> lines;
    std::string key; // empty: sent without one
    http_reply reply;
  };
  std::vector<attempt> attempts(200);
  std::mt19937 random{20261128};
  for (std::size_t i = 0; i < attempts.size(); ++i) {
    auto& sale = attempts[i];
    sale.store = 1 + static_cast<std::int64_t>(random() % 5);
    auto first = 1 + static_cast<std::int64_t>(random() % 10);
    sale.lines.emplace_back(first, 1 + static_cast<std::int64_t>(random() % 2));
    if (random() % 2)
      sale.lines.emplace_back(first + 10, 1);
    if (i % 3 == 0)
      sale.key = "crash-" + std::to_string(i);
  }
  run_concurrently(attempts.size(), 16, [&](std::size_t i) {
    auto& sale = attempts[i];
    sale.reply = sell(port, sale.store, clerk_of(sale.store), lines_body(sale.lines),
                      sale.key.empty() ? nullptr : &sale.key);
  });
  node->kill_hard(); // right after the last acknowledgement

  std::map<std::int64_t, std::map<std::int64_t, std::int64_t>> sold;
  std::size_t acknowledged = 0;
  for (auto& sale : attempts) {
    CAPTURE(sale.reply.body);
    REQUIRE((sale.reply.status == 201 || sale.reply.status == 409));
    if (sale.reply.status != 201)
      continue;
    ++acknowledged;
    for (auto [product, quantity] : sale.lines)
      sold[sale.store][product] += quantity;
  }
  CHECK(acknowledged > 150);

  node->restart();
  for (auto& sale : attempts) {
    if (sale.reply.status != 201)
      continue;
    auto acknowledged_sale = json_body(sale.reply);
    std::string id{acknowledged_sale.at("id").as_string()};
    CAPTURE(id);
    auto found = get(port, "/api/v1/sales/" + id, clerk_of(sale.store));
    REQUIRE(found.status == 200);
    auto stored = json_body(found);
    CHECK(stored.at("returns").as_array().empty());
    stored.erase("returns");
    CHECK(json::value{stored} == json::value{acknowledged_sale});
  }
  for (std::int64_t store = 1; store <= 5; ++store) {
    auto now = stock_of(port, store);
    for (auto [product, on_hand] : initial[store]) {
      CAPTURE(store);
      CAPTURE(product);
      CHECK(now[product] == on_hand - sold[store][product]);
    }
  }
  auto sql = open_database();
  CHECK(scalar(*sql, "SELECT COUNT(*) FROM sales") == static_cast<long long>(acknowledged));

  // The keys survived too: a till retrying after the crash gets its sale back.
  for (auto& sale : attempts) {
    if (sale.key.empty() || sale.reply.status != 201)
      continue;
    auto again = sell(port, sale.store, clerk_of(sale.store), lines_body(sale.lines), &sale.key);
    CHECK(again.status == 201);
    CHECK(again.body == sale.reply.body);
  }
  CHECK(scalar(*sql, "SELECT COUNT(*) FROM sales") == static_cast<long long>(acknowledged));
}

TEST_CASE("a kill -9 in the middle of a burst loses no acknowledged sale and halves none") {
  auto node = fresh_node();
  const auto port = node->port();
  std::map<std::int64_t, std::map<std::int64_t, std::int64_t>> initial;
  for (std::int64_t store = 1; store <= 5; ++store)
    initial[store] = stock_of(port, store);

  struct attempt {
    std::int64_t store = 0;
    std::string body;
    std::string key;
    http_reply reply; // status 0: no answer, the node died first
  };
  // Products with plenty on hand in each store, so that every sale can be made.
  std::map<std::int64_t, std::vector<std::int64_t>> plentiful;
  for (auto& [store, stock] : initial)
    for (auto [product, on_hand] : stock)
      if (on_hand >= 30)
        plentiful[store].push_back(product);
  std::vector<attempt> attempts(300);
  for (std::size_t i = 0; i < attempts.size(); ++i) {
    auto& sale = attempts[i];
    sale.store = 1 + static_cast<std::int64_t>(i % 5);
    auto& choice = plentiful[sale.store];
    REQUIRE(choice.size() >= 20);
    auto pick = [&](std::size_t j) { return choice[(3 * (i / 5) + j) % choice.size()]; };
    sale.body = lines_body({{pick(0), 1}, {pick(1), 2}, {pick(2), 1}});
    sale.key = "burst-" + std::to_string(i);
  }
  std::atomic<int> acknowledged{0};
  std::once_flag killed;
  run_concurrently(attempts.size(), 16, [&](std::size_t i) {
    auto& sale = attempts[i];
    try {
      sale.reply = sell(port, sale.store, clerk_of(sale.store), sale.body, &sale.key);
    } catch (const std::exception&) {
      return; // refused or cut by the kill
    }
    if (sale.reply.status == 201 && ++acknowledged == 100)
      std::call_once(killed, [&] { node->kill_hard(); });
  });
  REQUIRE(acknowledged >= 100);

  node->restart();
  auto sql = open_database();
  for (auto& sale : attempts) {
    if (sale.reply.status != 201)
      continue;
    auto acknowledged_sale = json_body(sale.reply);
    auto found = get(port, "/api/v1/sales/" + std::string{acknowledged_sale.at("id").as_string()},
                     "demo-admin");
    REQUIRE(found.status == 200);
    auto stored = json_body(found);
    stored.erase("returns");
    CHECK(json::value{stored} == json::value{acknowledged_sale});
  }
  // A sale in the database is whole: three lines, its total their sum.
  CHECK(scalar(*sql, "SELECT COUNT(*) FROM sales s WHERE 3 <> (SELECT COUNT(*) FROM sale_lines l"
                     " WHERE l.sale_id = s.id)") == 0);
  CHECK(scalar(*sql, "SELECT COUNT(*) FROM sales s WHERE total_cents <> (SELECT"
                     " SUM(l.quantity * l.unit_price_cents) FROM sale_lines l"
                     " WHERE l.sale_id = s.id)") == 0);
  auto balances = [&] {
    for (std::int64_t store = 1; store <= 5; ++store) {
      auto now = stock_of(port, store);
      for (auto [product, on_hand] : initial[store]) {
        CAPTURE(store);
        CAPTURE(product);
        CHECK(now[product] == on_hand - scalar(*sql, sold_in(store, product)));
        CHECK(scalar(*sql, on_hand_in(store, product)) == now[product]);
      }
    }
  };
  balances();

  // Tills retry what got no answer, with the same key: whatever was committed
  // before the kill is answered again, the rest is sold now, nothing twice.
  for (auto& sale : attempts) {
    if (sale.reply.status == 201)
      continue;
    auto retried = sell(port, sale.store, clerk_of(sale.store), sale.body, &sale.key);
    CAPTURE(retried.body);
    REQUIRE(retried.status == 201);
  }
  CHECK(scalar(*sql, "SELECT COUNT(*) FROM sales") == static_cast<long long>(attempts.size()));
  balances();
}

// -- the stock ledger ---------------------------------------------------------

TEST_CASE("after a random run of sales and returns the stock ledger balances") {
  auto node = fresh_node();
  const auto port = node->port();
  constexpr std::int64_t stores = 5;
  constexpr std::int64_t products = 8; // few, so that stores run short now and then
  std::map<std::int64_t, std::map<std::int64_t, std::int64_t>> initial;
  for (std::int64_t store = 1; store <= stores; ++store)
    initial[store] = stock_of(port, store);

  struct sale_record {
    std::string id;
    std::map<std::int64_t, std::int64_t> sold;     // product -> quantity
    std::map<std::int64_t, std::int64_t> returned; // product -> quantity
    std::map<std::int64_t, std::int64_t> unit_price_cents;
    std::int64_t total_cents = 0;
  };
  struct till {
    std::int64_t store = 0;
    std::vector<sale_record> sales;
    std::map<std::int64_t, std::int64_t> sold, returned; // product -> quantity
    std::int64_t refused_sales = 0, over_returns = 0;
    std::vector<std::string> failures; // checked on the main thread
  };
  std::vector<till> tills(stores);

  // One till per store, all at once, on the same few products.
  run_concurrently(tills.size(), tills.size(), [&](std::size_t index) {
    auto& till = tills[index];
    till.store = static_cast<std::int64_t>(index) + 1;
    const auto clerk = clerk_of(till.store);
    std::mt19937 random{static_cast<unsigned>(1000 + index)};
    auto fail = [&](const std::string& what, const http_reply& reply) {
      till.failures.push_back(what + ": " + std::to_string(reply.status) + " " + reply.body);
    };
    for (int step = 0; step < 60; ++step) {
      auto choice = random() % 10;
      if (till.sales.empty() || choice < 5) {
        std::set<std::int64_t> chosen;
        std::vector<std::pair<std::int64_t, std::int64_t>> lines;
        for (auto n = 1 + random() % 3; n > 0; --n) {
          auto product = 1 + static_cast<std::int64_t>(random() % products);
          if (chosen.insert(product).second)
            lines.emplace_back(product, 1 + static_cast<std::int64_t>(random() % 8));
        }
        auto reply = sell(port, till.store, clerk, lines_body(lines));
        if (reply.status == 409) {
          ++till.refused_sales;
          continue;
        }
        if (reply.status != 201) {
          fail("sale", reply);
          continue;
        }
        auto body = json_body(reply);
        sale_record record;
        record.id = body.at("id").as_string();
        record.total_cents = body.at("total_cents").as_int64();
        for (auto& line : body.at("lines").as_array())
          record.unit_price_cents[line.at("product_id").as_int64()] =
              line.at("unit_price_cents").as_int64();
        for (auto [product, quantity] : lines) {
          record.sold[product] = quantity;
          till.sold[product] += quantity;
        }
        till.sales.push_back(std::move(record));
        continue;
      }
      // A return on one of this till's sales: partial, full, or too much.
      auto& sale = till.sales[random() % till.sales.size()];
      std::vector<std::pair<std::int64_t, std::int64_t>> lines;
      bool too_much = false;
      for (auto [product, quantity] : sale.sold) {
        auto left = quantity - sale.returned[product];
        if (choice == 9) { // ask one more than is left on every line
          lines.emplace_back(product, left + 1);
          too_much = true;
        } else if (left > 0 && (choice == 8 || random() % 2)) {
          lines.emplace_back(product, choice == 8
                                          ? left
                                          : 1 + static_cast<std::int64_t>(
                                                    random() % static_cast<std::uint64_t>(left)));
        }
      }
      if (lines.empty())
        continue;
      auto reply = give_back(port, sale.id, clerk, lines_body(lines));
      if (too_much) {
        if (reply.status != 409) {
          fail("over-return", reply);
          continue;
        }
        ++till.over_returns;
        auto problem = json_body(reply);
        for (auto& line : problem.at("lines").as_array()) {
          auto product = line.at("product_id").as_int64();
          if (line.at("available").as_int64() != sale.sold[product] - sale.returned[product] ||
              line.at("requested").as_int64() != sale.sold[product] - sale.returned[product] + 1)
            fail("over-return lines", reply);
        }
        continue;
      }
      if (reply.status != 201) {
        fail("return", reply);
        continue;
      }
      std::int64_t refund = 0;
      for (auto [product, quantity] : lines) {
        sale.returned[product] += quantity;
        till.returned[product] += quantity;
        refund += quantity * sale.unit_price_cents[product];
      }
      if (json_body(reply).at("refund_cents").as_int64() != refund)
        fail("refund", reply);
    }
  });

  auto sql = open_database();
  std::int64_t over_returns = 0;
  for (auto& till : tills) {
    CAPTURE(till.store);
    for (auto& failure : till.failures)
      FAIL_CHECK(failure);
    over_returns += till.over_returns;
    auto now = stock_of(port, till.store);
    for (auto [product, on_hand] : initial[till.store]) {
      CAPTURE(product);
      auto sold = till.sold[product];
      auto returned = till.returned[product];
      CHECK(now[product] >= 0);
      CHECK(now[product] == on_hand - sold + returned);
      CHECK(scalar(*sql, sold_in(till.store, product)) == sold);
      CHECK(scalar(*sql, returned_in(till.store, product)) == returned);
      CHECK(scalar(*sql, on_hand_in(till.store, product)) == now[product]);
    }
    for (auto& sale : till.sales) {
      CAPTURE(sale.id);
      std::int64_t left = 0, given_back = 0;
      for (auto [product, quantity] : sale.sold) {
        left += quantity - sale.returned[product];
        given_back += sale.returned[product];
      }
      std::string status = given_back == 0 ? "completed"
                           : left == 0     ? "returned"
                                           : "partially_returned";
      auto found = get(port, "/api/v1/sales/" + sale.id, clerk_of(till.store));
      REQUIRE(found.status == 200);
      auto body = json_body(found);
      CHECK(body.at("status").as_string() == status);
      CHECK(body.at("total_cents").as_int64() == sale.total_cents);
      std::map<std::int64_t, std::int64_t> returned;
      for (auto& taken_back : body.at("returns").as_array())
        for (auto& line : taken_back.at("lines").as_array())
          returned[line.at("product_id").as_int64()] += line.at("quantity").as_int64();
      for (auto [product, quantity] : sale.sold) {
        CHECK(returned[product] == sale.returned[product]);
        CHECK(returned[product] <= quantity);
      }
      std::string stored_status;
      *sql << "SELECT status FROM sales WHERE id = :id", soci::use(sale.id),
          soci::into(stored_status);
      CHECK(stored_status == status);
    }
  }
  CHECK(over_returns > 0);
  // Nowhere in the database was more given back than sold on a sale line.
  CHECK(scalar(*sql, "SELECT COUNT(*) FROM (SELECT r.sale_id, l.product_id, SUM(l.quantity) AS q"
                     " FROM return_lines l JOIN returns r ON r.id = l.return_id"
                     " GROUP BY r.sale_id, l.product_id) back"
                     " JOIN sale_lines s ON s.sale_id = back.sale_id"
                     " AND s.product_id = back.product_id WHERE back.q > s.quantity") == 0);
  CHECK(scalar(*sql, "SELECT COUNT(*) FROM stock WHERE on_hand < 0") == 0);
}

// -- validation and access ----------------------------------------------------

TEST_CASE("malformed sales are 400 and invalid ones 422, and change nothing") {
  auto node = fresh_node();
  const auto port = node->port();
  auto before = stock_of(port, 1);
  for (auto body : {R"({"lines":)", "not json", R"({})", R"({"lines":{}})", R"([])",
                    R"({"lines":[{"product_id":1,"quantity":"2"}]})",
                    R"({"lines":[{"product_id":"1","quantity":2}]})",
                    R"({"lines":[{"product_id":1,"quantity":1.5}]})"}) {
    CAPTURE(body);
    check_problem(sell(port, 1, "demo-clerk-1", body), 400);
  }
  for (auto body :
       {R"({"lines":[{"product_id":1,"quantity":0}]})",
        R"({"lines":[{"product_id":1,"quantity":-1}]})",
        R"({"lines":[{"product_id":1,"quantity":10001}]})",
        R"({"lines":[{"product_id":1,"quantity":99999999999999999999}]})", R"({"lines":[]})",
        R"({"lines":[{"product_id":1,"quantity":1},{"product_id":1,"quantity":1}]})",
        R"({"lines":[{"product_id":999999,"quantity":1}]})"}) {
    CAPTURE(body);
    auto reply = sell(port, 1, "demo-clerk-1", body);
    check_problem(reply, 422);
    CHECK(!json_body(reply).at("errors").as_array().empty());
  }
  // The largest quantity allowed is valid: refused for stock, not for form.
  check_problem(sell(port, 1, "demo-clerk-1", lines_body({{1, 10000}})), 409);
  CHECK(stock_of(port, 1) == before);
  auto sql = open_database();
  CHECK(scalar(*sql, "SELECT COUNT(*) FROM sales") == 0);

  auto sale = sell(port, 1, "demo-clerk-1", lines_body({{1, 2}}));
  REQUIRE(sale.status == 201);
  auto sale_id = std::string{json_body(sale).at("id").as_string()};
  check_problem(give_back(port, sale_id, "demo-clerk-1", R"({"lines":[{"product_id":1}]})"), 400);
  check_problem(give_back(port, sale_id, "demo-clerk-1", lines_body({{1, 0}})), 422);
  check_problem(give_back(port, sale_id, "demo-clerk-1", lines_body({{1, 3}})), 409);
  CHECK(scalar(*sql, "SELECT COUNT(*) FROM returns") == 0);
}

TEST_CASE("only the clerk of the store and the admin may sell and return there") {
  auto node = fresh_node();
  const auto port = node->port();
  const auto body = lines_body({{2, 1}});
  check_problem(sell(port, 1, "demo-clerk-2", body), 403);
  check_problem(sell(port, 1, "demo-hq", body), 403);
  check_problem(sell(port, 1, "demo-logistics", body), 403);
  check_problem(sell(port, 1, "not-a-token", body), 401);
  check_problem(sell(port, 6, "demo-admin", body), 404); // the logistics centre sells nothing
  auto sql = open_database();
  CHECK(scalar(*sql, "SELECT COUNT(*) FROM sales") == 0);

  auto by_admin = sell(port, 1, "demo-admin", body);
  CHECK(by_admin.status == 201);
  auto sale = sell(port, 1, "demo-clerk-1", lines_body({{2, 2}}));
  REQUIRE(sale.status == 201);
  auto sale_id = std::string{json_body(sale).at("id").as_string()};
  check_problem(get(port, "/api/v1/sales/" + sale_id, "demo-clerk-2"), 403);
  check_problem(give_back(port, sale_id, "demo-clerk-2", body), 403);
  check_problem(give_back(port, sale_id, "demo-hq", body), 403);
  check_problem(get(port, "/api/v1/stores/1/sales", "demo-clerk-2"), 403);
  CHECK(get(port, "/api/v1/sales/" + sale_id, "demo-hq").status == 200);
  CHECK(get(port, "/api/v1/sales/" + sale_id, "demo-admin").status == 200);
  CHECK(get(port, "/api/v1/stores/1/sales", "demo-hq").status == 200);
  CHECK(scalar(*sql, "SELECT COUNT(*) FROM returns") == 0);
  CHECK(give_back(port, sale_id, "demo-admin", body).status == 201);
}

TEST_CASE("an unknown sale is 404 and a malformed sale id 400") {
  auto node = fresh_node();
  const auto port = node->port();
  const auto unknown = "01a22434-7dc7-719d-8a1f-000000000000";
  check_problem(get(port, std::string{"/api/v1/sales/"} + unknown, "demo-admin"), 404);
  check_problem(give_back(port, unknown, "demo-admin", lines_body({{1, 1}})), 404);
  for (auto bad : {"not-a-uuid", "12", "01A22434-7DC7-719D-8A1F-000000000000"}) {
    CAPTURE(bad);
    check_problem(get(port, std::string{"/api/v1/sales/"} + bad, "demo-admin"), 400);
    check_problem(give_back(port, bad, "demo-admin", lines_body({{1, 1}})), 400);
  }
}

TEST_CASE("a store's sales list newest first, page by page, without gaps, within from and to") {
  auto node = fresh_node();
  const auto port = node->port();
  constexpr std::int64_t store = 4;
  std::vector<json::object> made; // oldest first
  for (int i = 0; i < 12; ++i) {
    auto reply = sell(port, store, clerk_of(store), lines_body({{1 + i, 1}}));
    REQUIRE(reply.status == 201);
    made.push_back(json_body(reply));
  }
  CHECK(sell(port, 5, clerk_of(5), lines_body({{1, 1}})).status == 201); // another store's

  std::vector<std::string> listed;
  std::string target = "/api/v1/stores/4/sales?limit=5";
  for (int page = 0; page < 10; ++page) {
    auto reply = get(port, target, clerk_of(store));
    REQUIRE(reply.status == 200);
    auto body = json_body(reply);
    auto& items = body.at("items").as_array();
    CHECK(items.size() <= 5);
    for (auto& item : items) {
      CHECK(item.at("store_id").as_int64() == store);
      listed.emplace_back(item.at("id").as_string());
    }
    if (body.at("next_cursor").is_null())
      break;
    target =
        "/api/v1/stores/4/sales?limit=5&cursor=" + std::string{body.at("next_cursor").as_string()};
  }
  std::vector<std::string> newest_first;
  for (auto it = made.rbegin(); it != made.rend(); ++it)
    newest_first.emplace_back(it->at("id").as_string());
  CHECK(listed == newest_first);

  // from is inclusive, to exclusive.
  std::string from{made[3].at("created_at").as_string()};
  std::string to{made[8].at("created_at").as_string()};
  std::vector<std::string> expected;
  for (auto it = made.rbegin(); it != made.rend(); ++it) {
    std::string at{it->at("created_at").as_string()};
    if (from <= at && at < to)
      expected.emplace_back(it->at("id").as_string());
  }
  auto window = get(port, "/api/v1/stores/4/sales?from=" + from + "&to=" + to, clerk_of(store));
  REQUIRE(window.status == 200);
  std::vector<std::string> in_window;
  auto window_body = json_body(window);
  for (auto& item : window_body.at("items").as_array())
    in_window.emplace_back(item.at("id").as_string());
  CHECK(!expected.empty());
  CHECK(in_window == expected);

  auto today = from.substr(0, 10);
  auto whole_day = get(port, "/api/v1/stores/4/sales?limit=500&from=" + today, clerk_of(store));
  REQUIRE(whole_day.status == 200);
  CHECK(json_body(whole_day).at("items").as_array().size() == made.size());

  for (auto bad : {"from=yesterday", "to=2026-13-01", "limit=0", "limit=501", "cursor=garbage"}) {
    CAPTURE(bad);
    check_problem(get(port, std::string{"/api/v1/stores/4/sales?"} + bad, clerk_of(store)), 400);
  }
}

// -- prices -------------------------------------------------------------------

TEST_CASE("a sale is priced from the catalogue, whatever price the till sends") {
  auto node = fresh_node();
  const auto port = node->port();
  std::map<std::int64_t, std::int64_t> price;
  for (std::int64_t product = 1; product <= 4; ++product)
    price[product] = price_of(port, product);

  auto reply =
      sell(port, 1, "demo-clerk-1",
           R"({"lines":[{"product_id":1,"quantity":1,"unit_price_cents":1,"price_cents":1},)"
           R"({"product_id":2,"quantity":2},{"product_id":3,"quantity":3},)"
           R"({"product_id":4,"quantity":4,"unit_price_cents":0}],)"
           R"("total_cents":1,"price_cents":1})");
  REQUIRE(reply.status == 201);
  CHECK(reply.headers.at("content-type") == "application/json");
  auto sale = json_body(reply);
  CHECK(sale.at("store_id").as_int64() == 1);
  CHECK(sale.at("status").as_string() == "completed");
  CHECK(sale.at("created_at").as_string().ends_with("Z"));
  std::int64_t total = 0;
  auto& lines = sale.at("lines").as_array();
  REQUIRE(lines.size() == 4);
  for (auto& line : lines) {
    auto product = line.at("product_id").as_int64();
    auto quantity = line.at("quantity").as_int64();
    CHECK(quantity == product);
    CHECK(line.at("unit_price_cents").as_int64() == price[product]);
    total += quantity * price[product];
  }
  CHECK(sale.at("total_cents").as_int64() == total);
  auto sale_id = std::string{sale.at("id").as_string()};

  // A price changed in the catalogue applies to the next sale, not to the past.
  node->terminate();
  auto sql = open_database();
  *sql << "UPDATE products SET price_cents = price_cents + 111 WHERE id = 2";
  sql.reset();
  node->restart();
  CHECK(price_of(port, 2) == price[2] + 111);
  auto later = json_body(sell(port, 1, "demo-clerk-1", lines_body({{2, 3}})));
  CHECK(later.at("lines").as_array()[0].at("unit_price_cents").as_int64() == price[2] + 111);
  CHECK(later.at("total_cents").as_int64() == 3 * (price[2] + 111));
  auto earlier = json_body(get(port, "/api/v1/sales/" + sale_id, "demo-clerk-1"));
  CHECK(earlier.at("total_cents").as_int64() == total);

  // A refund is priced at the sale's prices.
  auto refund = give_back(port, sale_id, "demo-clerk-1", lines_body({{2, 2}}));
  REQUIRE(refund.status == 201);
  CHECK(json_body(refund).at("refund_cents").as_int64() == 2 * price[2]);
}
