// Overload: beyond its in-flight and connection caps a node answers 503 with
// Retry-After at once instead of queueing, keeps the latency of what it
// accepts bounded, changes nothing for what it refused, and serves normally
// as soon as the load drops.

#include "support/api_helpers.hpp"

#include <doctest/doctest.h>
#include <soci/soci.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>
#include <vector>

using namespace comptoir::test;
using namespace std::chrono_literals;

namespace {

struct outcome {
  unsigned status = 0;
  std::chrono::microseconds latency{};
  bool retry_after = false;
  bool problem = false;
};

} // namespace

TEST_CASE("at three times its in-flight cap a node refuses the excess at once and loses nothing") {
  constexpr std::size_t cap = 8;
  constexpr std::size_t clients = 3 * cap;
  config_file config{"[demo]\nenabled = true\n[http]\nmax_in_flight = " + std::to_string(cap) +
                     "\n"};
  auto node = fresh_node({{"COMPTOIR_CONFIG", config.path()}});
  const auto port = node->port();
  auto sql = open_database();
  const auto sales_before = scalar(*sql, "select count(*) from sales");

  // Every client sells one unit at a time, with a key of its own, for 3 s.
  std::mutex mutex;
  std::vector<outcome> outcomes;
  std::atomic<std::size_t> failures{0};
  std::vector<std::thread> threads;
  const auto until = std::chrono::steady_clock::now() + 3s;
  for (std::size_t client = 0; client < clients; ++client)
    threads.emplace_back([&, client] {
      std::vector<outcome> mine;
      for (std::size_t n = 0; std::chrono::steady_clock::now() < until; ++n) {
        const std::string key = "overload-" + std::to_string(client) + "-" + std::to_string(n);
        const auto store = static_cast<std::int64_t>(1 + client % 5);
        const auto started = std::chrono::steady_clock::now();
        http_reply reply;
        try {
          reply = sell(port, store, clerk_of(store), lines_body({{1 + n % 50, 1}}), &key);
        } catch (const std::exception&) {
          ++failures; // a refused or reset connection: there must be none
          continue;
        }
        outcome seen;
        seen.status = reply.status;
        seen.latency = std::chrono::duration_cast<std::chrono::microseconds>(
            std::chrono::steady_clock::now() - started);
        seen.retry_after = reply.headers.contains("retry-after");
        seen.problem = reply.headers["content-type"] == "application/problem+json";
        mine.push_back(seen);
      }
      std::lock_guard guard{mutex};
      outcomes.insert(outcomes.end(), mine.begin(), mine.end());
    });
  for (auto& thread : threads)
    thread.join();

  // Accepted: served by the actors, sold (201) or out of stock (409).
  std::vector<std::chrono::microseconds> accepted;
  long long sold = 0;
  std::size_t refused = 0;
  for (const auto& seen : outcomes) {
    CAPTURE(seen.status);
    CHECK((seen.status == 201 || seen.status == 409 || seen.status == 503));
    if (seen.status == 201 || seen.status == 409) {
      accepted.push_back(seen.latency);
      sold += seen.status == 201;
    } else if (seen.status == 503) {
      ++refused;
      CHECK(seen.retry_after);
      CHECK(seen.problem);
    }
  }
  CHECK(failures == 0);
  REQUIRE(!accepted.empty());
  CHECK(refused > 0); // the cap was reached
  std::ranges::sort(accepted);
  const auto p99 = accepted[accepted.size() * 99 / 100];
  const auto worst = accepted.back();
  MESSAGE("clients ", clients, ", cap ", cap, ": ", accepted.size(), " accepted (", sold,
          " sold), ", refused,
          " refused; accepted p50 ", accepted[accepted.size() / 2].count(), " us, p99 ",
          p99.count(), " us, max ", worst.count(), " us");
  // Bounded: a handful of commits, far from the 5 s the actors may take.
  CHECK(worst < 2s);

  // Only what was acknowledged was committed: a refusal changed nothing.
  CHECK(scalar(*sql, "select count(*) from sales") - sales_before == sold);

  // The load is gone: the very next requests are served.
  CHECK(get(port, "/api/v1/stores/1/stock", clerk_of(1)).status == 200);
  const auto after = sell(port, 1, {{1, 1}});
  CHECK((after.status == 201 || after.status == 409));
}

TEST_CASE("a connection beyond the cap is answered 503 and closed; a freed place is reused") {
  config_file config{"[demo]\nenabled = true\n[http]\nmax_connections = 4\n"};
  auto node = fresh_node({{"COMPTOIR_CONFIG", config.path()}});
  const auto port = node->port();

  std::vector<std::unique_ptr<raw_connection>> held;
  for (int i = 0; i < 4; ++i) {
    held.push_back(std::make_unique<raw_connection>(port));
    // Each one is served, and stays open.
    REQUIRE(held.back()->write("GET /health/live HTTP/1.1\r\nHost: t\r\n\r\n"));
    auto replies = held.back()->read_replies(1, 2s);
    REQUIRE(replies.size() == 1);
    CHECK(replies[0].status == 200);
  }

  {
    raw_connection extra{port};
    CHECK(extra.read_until_close(3s));
    auto refused = parse_replies(extra.received());
    REQUIRE(refused.size() == 1);
    CHECK(refused[0].status == 503);
    CHECK(refused[0].headers["retry-after"] == "1");
    CHECK(refused[0].headers["content-type"] == "application/problem+json");
  } // the refused client leaves too: until the node sees it go, it holds a place

  held.pop_back(); // one client leaves
  // Its place is free once the node has seen it go. A refused client that
  // stays connected would hold its place for the node's 1 s linger: the
  // deadline is well past that, for a loaded machine.
  bool served = false;
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (!served && std::chrono::steady_clock::now() < deadline) {
    raw_connection next{port};
    next.write("GET /health/live HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
    next.read_until_close(2s);
    auto replies = parse_replies(next.received());
    served = replies.size() == 1 && replies[0].status == 200;
    if (!served)
      std::this_thread::sleep_for(20ms);
  }
  CHECK(served);
}

TEST_CASE("busy keep-alive clients that wait for each answer are never taken for pipelining") {
  // Under load the next request of a client that waited for its answer can
  // be on the socket before the node reads again: that is not pipelining.
  auto node = fresh_node();
  const auto port = node->port();
  std::atomic<std::size_t> ok{0};
  std::atomic<std::size_t> other{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < 64; ++c)
    clients.emplace_back([&] {
      raw_connection connection{port};
      for (int n = 0; n < 300; ++n) {
        if (!connection.write("GET /api/v1/stores/1/stock HTTP/1.1\r\nHost: t\r\n"
                              "Authorization: Bearer demo-clerk-1\r\n\r\n")) {
          ++other;
          return;
        }
        auto replies = connection.read_replies(n + 1, 5s);
        if (replies.size() != static_cast<std::size_t>(n + 1) || replies.back().status != 200) {
          ++other;
          return;
        }
        ++ok;
      }
    });
  for (auto& client : clients)
    client.join();
  CHECK(other == 0);
  CHECK(ok == 64 * 300);
}
