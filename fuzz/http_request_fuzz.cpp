// libFuzzer target: the bytes are what a client sends on one HTTP/1.1
// connection. Beast parses them with the limits the listener uses; every
// complete request goes through net::to_request and net::api::handle, as in
// the server. The frontend actor drops the api_calls it gets, so what runs is
// routing, authentication, path and query parsing, JSON decoding and
// validation: no worker, no database.
//
// A finding is a sanitizer report, an uncaught exception, or a broken
// invariant of the answers (checked in `check_answer`, __builtin_trap):
//   - the status is 200..599;
//   - a 4xx/5xx is application/problem+json whose body is a JSON object with
//     `status` equal to the status and `request_id` equal to the request's id;
//   - no body shows internal text ("what()", "exception", "std::"), the
//     client's own request id aside;
//   - no header name or value holds CR or LF;
//   - every request is either answered at once, exactly once, or handed to
//     the frontend exactly once (never both, never neither).
//
// The actor system runs on CAF's deterministic test scheduler: no scheduler
// thread, and the harness drains the frontend's mailbox after each request,
// so every input is single-threaded and reproducible and libFuzzer's leak
// detection sees each input's allocations freed before it returns.

#include "actors/frontend_actor.hpp"
#include "actors/protocol.hpp"
#include "net/api.hpp"
#include "net/auth.hpp"
#include "net/beast_request.hpp"
#include "net/http_types.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/json.hpp>
#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scheduler/test_coordinator.hpp>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace {

using namespace comptoir;
namespace http = boost::beast::http;

// The listener's limits (net/http_server.hpp server_settings).
constexpr std::uint64_t body_limit = 1 << 20;
constexpr std::uint32_t header_limit = 16 << 10;

constexpr const char* fresh_request_id = "fuzz-request-id";

/// Used when a request has no Authorization header, chosen by a byte of the input.
constexpr std::string_view substitute_authorizations[] = {
    "",                   // none
    "Bearer not-a-token", // bad
    "Bearer demo-admin",
    "Bearer demo-hq",
    "Bearer demo-logistics",
    "Bearer demo-clerk-1",
};

/// Everything built once. Held through a global pointer and never destroyed:
/// reachable at exit (no leak report), and no actor-system shutdown racing
/// libFuzzer's exit.
struct harness {
  caf::actor_system_config config;
  std::unique_ptr<caf::actor_system> system;
  caf::scheduler::test_coordinator* scheduler = nullptr;
  caf::actor frontend;
  std::unique_ptr<net::api> api;
  /// api_calls the frontend got (and dropped).
  std::size_t forwarded = 0;
  /// COMPTOIR_FUZZ_TRACE set: each request and its answer go to stderr, to
  /// see what a reproducer does (build-fuzz/fuzz/http_request_fuzz FILE).
  bool trace = false;
};

harness* state = nullptr;

void build_harness() {
  state = new harness;
  state->trace = std::getenv("COMPTOIR_FUZZ_TRACE") != nullptr;
  state->config.add_message_types<caf::id_block::comptoir>();
  // The deterministic scheduler: no scheduler threads at all (fewer than
  // scheduler.max-threads = 1), actors run when the harness says so.
  state->config.set("scheduler.policy", caf::atom("testing"));
  state->config.set("scheduler.max-threads", 1);
  state->config.set("logger.file-verbosity", caf::atom("quiet"));
  state->config.set("logger.console-verbosity", caf::atom("quiet"));
  state->system = std::make_unique<caf::actor_system>(state->config);
  state->scheduler = &dynamic_cast<caf::scheduler::test_coordinator&>(state->system->scheduler());
  // The counters go in as a spawn argument: CAF 0.17's init_fun_factory
  // dereferences a null std::shared_ptr<std::tuple<>> for an actor function
  // without arguments (a UBSan report in CAF's header, not ours).
  state->frontend = state->system->spawn(
      [](caf::event_based_actor*, harness* counters) -> caf::behavior {
        return {
            [counters](const actors::api_call&) { ++counters->forwarded; },
        };
      },
      state);
  state->scheduler->run();
  // No metrics actor: /metrics answers 503, as a node without one would.
  state->api = std::make_unique<net::api>(state->frontend, caf::actor{},
                                          net::authenticator{net::demo_grants()},
                                          std::chrono::milliseconds{5'000},
                                          domain::basket_limits{100, 10'000},
                                          std::vector<std::string>{},
                                          std::make_shared<const net::web_assets>(
                                              net::web_assets::embedded()));
}

[[noreturn]] void finding() {
  __builtin_trap();
}

bool leaks_internals(std::string_view text) {
  return text.find("what()") != std::string_view::npos ||
         text.find("exception") != std::string_view::npos ||
         text.find("std::") != std::string_view::npos;
}

void check_answer(const net::response& answer, const std::string& request_id) {
  if (answer.status < 200 || answer.status > 599)
    finding();
  for (const auto& [name, value] : answer.headers)
    if (name.find_first_of("\r\n") != std::string::npos ||
        value.find_first_of("\r\n") != std::string::npos)
      finding();
  if (answer.status < 400) {
    if (leaks_internals(net::payload(answer)))
      finding();
    return;
  }
  if (answer.content_type != "application/problem+json")
    finding();
  boost::system::error_code ec;
  auto document = boost::json::parse(net::payload(answer), ec);
  if (ec || !document.is_object())
    finding();
  auto& body = document.as_object();
  const auto* status = body.if_contains("status");
  if (!status)
    finding();
  if (!(status->is_int64() && status->get_int64() == static_cast<std::int64_t>(answer.status)) &&
      !(status->is_uint64() && status->get_uint64() == answer.status))
    finding();
  const auto* id = body.if_contains("request_id");
  if (!id || !id->is_string() || id->get_string() != request_id)
    finding();
  // The request id is the client's own text (X-Request-Id): leave it out.
  body.erase("request_id");
  if (leaks_internals(boost::json::serialize(body)))
    finding();
}

/// The outcome of one request, shared with its responder's copies.
struct outcome {
  std::size_t replies = 0;
};

void handle_one(http::request<http::string_body>& message, std::uint8_t selector) {
  bool has_authorization = message.find(http::field::authorization) != message.end();
  auto incoming = net::to_request(message, fresh_request_id);
  if (!has_authorization)
    incoming.authorization =
        std::string{substitute_authorizations[selector % std::size(substitute_authorizations)]};
  auto seen = std::make_shared<outcome>();
  auto request_id = incoming.request_id;
  auto forwarded_before = state->forwarded;
  if (state->trace)
    std::fprintf(stderr, "request: %s %s (Authorization: %s)\n",
                 std::string{message.method_string()}.c_str(), incoming.target.c_str(),
                 incoming.authorization.c_str());
  state->api->handle(std::move(incoming), [seen, request_id](net::response answer) {
    if (state->trace)
      std::fprintf(stderr, "  answer: %u %s %s\n", answer.status, answer.content_type.c_str(),
                   std::string{net::payload(answer).substr(0, 300)}.c_str());
    if (++seen->replies > 1)
      finding(); // a responder is called once
    check_answer(answer, request_id);
  });
  // Lets the frontend take (and drop) what handle sent it.
  state->scheduler->run();
  auto forwarded = state->forwarded - forwarded_before;
  if (state->trace && forwarded > 0)
    std::fprintf(stderr, "  forwarded to the frontend (dropped)\n");
  if (seen->replies + forwarded != 1)
    finding(); // unanswered, or both answered and forwarded
}

} // namespace

extern "C" const char* __ubsan_default_options() {
  // Undefined behaviour is a finding, not a warning: stop at the first.
  return "halt_on_error=1:print_stacktrace=1";
}

extern "C" const char* __asan_default_options() {
  return "detect_leaks=1";
}

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  spdlog::set_level(spdlog::level::off);
  build_harness();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view rest{reinterpret_cast<const char*>(data), size};
  // A byte that picks a token for requests without an Authorization header;
  // the request's position on the connection varies it.
  std::uint8_t selector = size > 0 ? data[size - 1] : 0;
  for (unsigned position = 0; !rest.empty(); ++position) {
    http::request_parser<http::string_body> parser;
    parser.body_limit(body_limit);
    parser.header_limit(header_limit);
    parser.eager(true);
    boost::beast::error_code ec;
    int stalls = 0;
    while (!parser.is_done()) {
      if (rest.empty()) {
        // The connection ends here: the client sent no more bytes.
        parser.put_eof(ec);
        if (ec || !parser.is_done())
          return 0;
        break;
      }
      auto used = parser.put(boost::asio::const_buffer{rest.data(), rest.size()}, ec);
      rest.remove_prefix(used);
      if (ec == http::error::need_more) {
        if (used == 0) {
          // The header is longer than what is left: the stream ends mid-way.
          parser.put_eof(ec);
          return 0;
        }
        ec = {};
      }
      if (ec)
        return 0; // the listener answers 400/413/431 and closes the connection
      // The parser may change state without taking a byte; never loop on that.
      stalls = used == 0 ? stalls + 1 : 0;
      if (stalls > 2)
        return 0;
    }
    auto message = parser.release();
    bool keep_alive = message.keep_alive();
    handle_one(message, static_cast<std::uint8_t>(selector + position));
    if (!keep_alive)
      return 0; // the listener closes the connection after answering
  }
  return 0;
}
