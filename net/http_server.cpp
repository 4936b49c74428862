#include "net/http_server.hpp"

#include "domain/timestamp.hpp"
#include "net/beast_request.hpp"
#include "net/problem.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>

#include <array>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <random>
#include <thread>
#include <unordered_map>

namespace comptoir::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

class session;

/// The access log's sink: its lines gather in memory and reach stderr in one
/// write when 64 KiB have gathered and on every flush (each second, at stop,
/// and at once for a warning or an error), not one write(2) per request.
class buffered_stderr_sink final : public spdlog::sinks::base_sink<std::mutex> {
protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    spdlog::memory_buf_t line;
    formatter_->format(msg, line);
    pending_.append(line.data(), line.size());
    if (pending_.size() >= flush_size)
      flush_();
  }

  void flush_() override {
    if (pending_.empty())
      return;
    std::fwrite(pending_.data(), 1, pending_.size(), stderr);
    std::fflush(stderr);
    pending_.clear();
  }

private:
  static constexpr std::size_t flush_size = 64 * 1024;
  std::string pending_;
};

/// How long an access log line may wait in the sink's buffer.
constexpr std::chrono::seconds access_log_flush_interval{1};

/// What the listener and all its sessions share.
struct server_state {
  explicit server_state(http_metrics& counts) : metrics(counts) {}

  server_settings settings;
  request_handler handler;
  http_metrics& metrics;
  std::shared_ptr<spdlog::logger> access_log;
  std::atomic<bool> stopping{false};

  // Requests read but not yet answered: bounded by max_in_flight; stop()
  // waits for zero.
  std::mutex in_flight_mutex;
  std::condition_variable in_flight_changed;
  std::size_t in_flight = 0;

  std::mutex sessions_mutex;
  std::unordered_map<session*, std::weak_ptr<session>> sessions;

  std::string request_id_prefix;
  std::atomic<std::uint64_t> request_counter{0};

  std::string next_request_id() {
    auto n = request_counter.fetch_add(1, std::memory_order_relaxed);
    char suffix[17];
    std::snprintf(suffix, sizeof suffix, "%016llx", static_cast<unsigned long long>(n));
    return request_id_prefix + suffix;
  }

  /// Counts a request in, unless the node already has max_in_flight.
  bool try_start_request() {
    std::lock_guard guard{in_flight_mutex};
    if (in_flight >= settings.max_in_flight)
      return false;
    ++in_flight;
    metrics.in_flight.fetch_add(1, std::memory_order_relaxed);
    return true;
  }

  void request_done() {
    std::lock_guard guard{in_flight_mutex};
    metrics.in_flight.fetch_sub(1, std::memory_order_relaxed);
    if (--in_flight == 0)
      in_flight_changed.notify_all();
  }
};

// -- session ------------------------------------------------------------------

/// One connection: read a request, hand it to the API, write the answer,
/// and again while the client keeps the connection alive.
class session : public std::enable_shared_from_this<session> {
public:
  session(tcp::socket&& socket, std::shared_ptr<server_state> server)
      : stream_(std::move(socket)), server_(std::move(server)) {
    server_->metrics.connections.fetch_add(1, std::memory_order_relaxed);
  }

  ~session() {
    server_->metrics.connections.fetch_sub(1, std::memory_order_relaxed);
    std::lock_guard guard{server_->sessions_mutex};
    server_->sessions.erase(this);
  }

  void start() {
    {
      std::lock_guard guard{server_->sessions_mutex};
      server_->sessions.emplace(this, weak_from_this());
    }
    asio::dispatch(stream_.get_executor(),
                   beast::bind_front_handler(&session::do_read, shared_from_this()));
  }

  /// For a connection beyond max_connections: answers 503 without reading a
  /// request, then closes.
  void start_refused() {
    asio::dispatch(stream_.get_executor(), [self = shared_from_this()] {
      auto id = self->server_->next_request_id();
      self->server_->metrics.rejected(reject_reason::connections);
      self->refuse(unavailable("The server has too many open connections; try again shortly.",
                              id, "http.max_connections reached"),
                   id);
    });
  }

  /// Called on shutdown: an idle connection is closed now, a busy one after
  /// its response.
  void close_when_idle() {
    asio::post(stream_.get_executor(), [self = shared_from_this()] {
      if (!self->busy_)
        self->stream_.socket().close();
    });
  }

private:
  void do_read() {
    busy_ = false;
    if (server_->stopping)
      return do_close();
    parser_.emplace();
    parser_->body_limit(server_->settings.body_limit);
    parser_->header_limit(server_->settings.header_limit);
    if (pipelined_ > server_->settings.max_pipelined) {
      auto id = server_->next_request_id();
      server_->metrics.rejected(reject_reason::pipelined);
      return refuse(unavailable("Too many requests were sent ahead of the answers on this "
                               "connection; send fewer at a time.",
                               id, "http.max_pipelined reached"),
                    id);
    }
    if (buffer_.size() > 0)
      return read_header();
    // Idle until the first byte; from then on the header has header_timeout.
    stream_.expires_after(server_->settings.idle_timeout);
    stream_.async_read_some(
        buffer_.prepare(first_read_size),
        beast::bind_front_handler(&session::on_first_bytes, shared_from_this()));
  }

  void on_first_bytes(beast::error_code ec, std::size_t bytes) {
    if (ec)
      return do_close(); // idle timeout, reset or a clean close by the client
    buffer_.commit(bytes);
    read_header();
  }

  void read_header() {
    stream_.expires_after(server_->settings.header_timeout);
    http::async_read_header(stream_, buffer_, *parser_,
                            beast::bind_front_handler(&session::on_header, shared_from_this()));
  }

  void on_header(beast::error_code ec, std::size_t) {
    if (ec)
      return on_read_error(ec);
    busy_ = true;
    const auto& header = parser_->get();
    if (header.target().size() > server_->settings.url_limit)
      return refuse_header(414, "The request target is longer than this server accepts.");
    // A Transfer-Encoding whose last coding is not chunked leaves the body's
    // end unknown: reading on would take the body for the next request
    // (request smuggling). RFC 9112, 6.3: answer 400 and close.
    if (header.find(http::field::transfer_encoding) != header.end() && !parser_->chunked())
      return refuse_header(400, "Only the chunked transfer coding is accepted, and last.");
    stream_.expires_after(server_->settings.read_timeout);
    http::async_read(stream_, buffer_, *parser_,
                     beast::bind_front_handler(&session::on_read, shared_from_this()));
  }

  void on_read_error(beast::error_code ec) {
    unsigned status = 0;
    std::string_view detail;
    if (ec == http::error::body_limit) {
      status = 413;
      detail = "The request body is larger than this server accepts.";
    } else if (ec == http::error::header_limit) {
      status = 431;
      detail = "The request header is larger than this server accepts.";
    } else if (ec.category() == http::make_error_code(http::error::bad_target).category() &&
               ec != http::error::end_of_stream && ec != http::error::partial_message) {
      status = 400;
      detail = "The request is not valid HTTP/1.1.";
    }
    if (status == 0)
      return do_close(); // timeout, reset or a clean close by the client
    auto id = server_->next_request_id();
    auto answer = problem(status, detail, id);
    answer.log_note = ec.message();
    refuse(std::move(answer), std::move(id));
  }

  /// Answers a request that cannot be read any further, then closes.
  /// `method` and `target` are for the log line.
  void refuse(response answer, std::string request_id, std::string method = "-",
              std::string target = {}) {
    busy_ = true;
    keep_alive_ = false;
    head_ = false;
    counted_ = false;
    request_id_ = std::move(request_id);
    method_code_ = method::other;
    method_ = std::move(method);
    target_ = std::move(target);
    started_ = std::chrono::steady_clock::now();
    write(std::move(answer));
  }

  /// Refuses the request whose header was read, before its body.
  void refuse_header(unsigned status, std::string_view detail) {
    const auto& header = parser_->get();
    auto id = server_->next_request_id();
    auto answer = problem(status, detail, id);
    refuse(std::move(answer), std::move(id), std::string{header.method_string()},
           std::string{header.target()});
  }

  void on_read(beast::error_code ec, std::size_t) {
    if (ec)
      return on_read_error(ec);
    started_ = std::chrono::steady_clock::now();
    // Bytes past this request, read or waiting, before it is even answered:
    // the client sent them ahead (pipelining), which no client waiting for
    // its answers does. Counted while it goes on; reset once it stops.
    beast::error_code ignored;
    if (buffer_.size() > 0 || stream_.socket().available(ignored) > 0)
      ++pipelined_;
    else
      pipelined_ = 0;
    auto& message = parser_->get();
    keep_alive_ = message.keep_alive();
    head_ = message.method() == http::verb::head;
    method_ = std::string{message.method_string()};
    auto incoming = to_request(message, server_->next_request_id());
    method_code_ = incoming.method;
    parser_.reset();
    request_id_ = incoming.request_id;
    target_ = incoming.target;
    if (!server_->try_start_request()) {
      counted_ = false;
      server_->metrics.rejected(reject_reason::in_flight);
      return write(unavailable("The server is at its limit of requests in progress; try again "
                              "shortly.",
                              request_id_, "http.max_in_flight reached"));
    }
    counted_ = true;
    // The API may answer from any thread: hop back onto this session's strand.
    responder reply = [self = shared_from_this()](response answer) {
      asio::post(self->stream_.get_executor(),
                 [self, answer = std::move(answer)]() mutable { self->write(std::move(answer)); });
    };
    try {
      server_->handler(std::move(incoming), reply);
    } catch (const std::exception& e) {
      // The handler answers every error itself: this is a bug, not the client's.
      auto answer = problem(500, "An internal error occurred.", request_id_);
      answer.log_note = std::string{"unhandled exception: "} + e.what();
      reply(std::move(answer));
    }
  }

  void write(response answer) {
    auto latency = std::chrono::steady_clock::now() - started_;
    server_->metrics.record(method_code_, answer.route, answer.status, latency);
    if (answer.status >= 400 || server_->settings.access_log)
      log_request(answer, latency);
    // The message's body is a view of the answer's, which lives beside it
    // until the write completes: a shared body is never copied.
    struct outgoing {
      response answer;
      http::response<http::span_body<const char>> message;
    };
    auto held = std::make_shared<outgoing>();
    auto* out = &held->message;
    out->version(11);
    out->result(answer.status);
    if (!answer.content_type.empty())
      out->set(http::field::content_type, answer.content_type);
    out->set("X-Request-Id", request_id_);
    for (auto& [name, value] : answer.headers)
      out->set(name, value);
    out->keep_alive(keep_alive_ && !server_->stopping);
    held->answer = std::move(answer);
    auto bytes = payload(held->answer);
    out->content_length(bytes.size());
    if (!head_)
      out->body() = {bytes.data(), bytes.size()};
    stream_.expires_after(server_->settings.read_timeout);
    http::async_write(stream_, *out,
                      [self = shared_from_this(), held](beast::error_code ec, std::size_t) {
                        self->on_write(ec, held->message.keep_alive());
                      });
  }

  /// The request's JSON log line: every request when the access log is on,
  /// else only error answers. Client errors and successes at info, overload
  /// at warn, other server errors at error. Never the token.
  void log_request(const response& answer, std::chrono::steady_clock::duration latency) const {
    auto level = answer.status < 500    ? spdlog::level::info
                 : answer.status == 503 ? spdlog::level::warn
                                        : spdlog::level::err;
    auto& log = *server_->access_log;
    if (!log.should_log(level))
      return;
    namespace json = boost::json;
    json::object line{
        {"time", domain::format_timestamp(std::chrono::system_clock::now())},
        {"level", spdlog::level::to_string_view(level).data()},
        {"request_id", request_id_},
        {"method", method_},
        {"route", answer.route},
        {"path", target_.substr(0, std::min(target_.find('?'), max_logged_path))},
        {"status", answer.status},
        {"latency_us",
         std::chrono::duration_cast<std::chrono::microseconds>(latency).count()},
        {"bytes", payload(answer).size()},
    };
    if (answer.store != 0)
      line["store"] = answer.store;
    if (!answer.role.empty())
      line["role"] = answer.role;
    if (answer.status >= 400) {
      constexpr std::string_view key = "\"detail\":\"";
      if (auto at = answer.body.find(key); at != std::string::npos) {
        auto from = at + key.size();
        line["detail"] = std::string_view{answer.body}.substr(from, answer.body.find('"', from) - from);
      }
      if (!answer.log_note.empty())
        line["cause"] = answer.log_note;
    }
    log.log(level, json::serialize(line));
  }

  void on_write(beast::error_code ec, bool keep_alive) {
    if (counted_)
      server_->request_done();
    counted_ = false;
    if (ec)
      return do_close();
    if (!keep_alive)
      return linger();
    do_read();
  }

  void do_close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.socket().close(ignored);
  }

  /// Closes after a last answer without losing it: closing a socket with
  /// unread input resets the connection, and the client may then never see
  /// the answer (a 503 to a pipelined flood, say). So stop sending, read and
  /// drop what the client still sends, and close at its end or after a second.
  void linger() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.expires_after(linger_time);
    drain();
  }

  void drain() {
    stream_.async_read_some(asio::buffer(drained_),
                            [self = shared_from_this()](beast::error_code ec, std::size_t) {
                              if (ec)
                                return self->do_close();
                              self->drain();
                            });
  }

  static constexpr std::size_t first_read_size = 4096;
  static constexpr std::size_t max_logged_path = 256;
  static constexpr std::chrono::seconds linger_time{1};

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::shared_ptr<server_state> server_;
  std::string request_id_;
  std::string method_;
  method method_code_ = method::other;
  std::string target_;
  std::chrono::steady_clock::time_point started_;
  std::size_t pipelined_ = 0;
  bool busy_ = false;
  bool keep_alive_ = true;
  bool head_ = false;
  /// Whether this request holds one of the node's in-flight places.
  bool counted_ = false;
  std::array<char, 1024> drained_;
};

} // namespace

// -- listener -----------------------------------------------------------------

struct http_server::impl {
  asio::io_context io;
  tcp::acceptor acceptor{asio::make_strand(io)};
  std::shared_ptr<server_state> state;
  std::vector<std::thread> threads;

  /// Paces accepting again after the process ran out of file descriptors.
  asio::steady_timer accept_pause{acceptor.get_executor()};
  /// Writes out the access log's buffered lines every second.
  asio::steady_timer log_flush{acceptor.get_executor()};

  void flush_log_every_second() {
    log_flush.expires_after(access_log_flush_interval);
    log_flush.async_wait([this](beast::error_code ec) {
      if (ec)
        return;
      state->access_log->flush();
      flush_log_every_second();
    });
  }

  void do_accept() {
    acceptor.async_accept(asio::make_strand(io), [this](beast::error_code ec, tcp::socket socket) {
      if (ec == asio::error::operation_aborted || !acceptor.is_open())
        return;
      if (ec) {
        // Out of descriptors (EMFILE/ENFILE) fails every accept at once:
        // wait for connections to close instead of spinning.
        spdlog::warn("http: accept failed: {}; accepting again in 100 ms", ec.message());
        accept_pause.expires_after(std::chrono::milliseconds{100});
        accept_pause.async_wait([this](beast::error_code waited) {
          if (!waited)
            do_accept();
        });
        return;
      }
      socket.set_option(tcp::no_delay{true}, ec);
      bool full = static_cast<std::size_t>(state->metrics.connections.load(
                      std::memory_order_relaxed)) >= state->settings.max_connections;
      auto opened = std::make_shared<session>(std::move(socket), state);
      if (full)
        opened->start_refused();
      else
        opened->start();
      do_accept();
    });
  }
};

http_server::http_server(const server_settings& settings, request_handler handler,
                         http_metrics& metrics)
    : impl_(std::make_unique<impl>()) {
  impl_->state = std::make_shared<server_state>(metrics);
  auto& state = *impl_->state;
  state.settings = settings;
  // The access log's lines are JSON objects of their own: a logger with its
  // own sink (stderr, like the default one), so that its pattern is bare.
  state.access_log =
      std::make_shared<spdlog::logger>("access", std::make_shared<buffered_stderr_sink>());
  state.access_log->set_pattern("%v");
  state.access_log->set_level(spdlog::get_level());
  state.access_log->flush_on(spdlog::level::warn);
  state.handler = std::move(handler);
  std::random_device seed;
  char prefix[10];
  std::snprintf(prefix, sizeof prefix, "%08x-", seed());
  state.request_id_prefix = prefix;

  beast::error_code ec;
  auto address = asio::ip::make_address(settings.address, ec);
  auto fail = [&](std::string_view what) {
    throw std::runtime_error(fmt::format("cannot listen on {}:{}: {}: {}", settings.address,
                                         settings.port, what, ec.message()));
  };
  if (ec)
    fail("bad address");
  tcp::endpoint endpoint{address, settings.port};
  auto& acceptor = impl_->acceptor;
  if (acceptor.open(endpoint.protocol(), ec); ec)
    fail("open");
  if (acceptor.set_option(asio::socket_base::reuse_address(true), ec); ec)
    fail("reuse_address");
  if (acceptor.bind(endpoint, ec); ec)
    fail("bind");
  if (acceptor.listen(asio::socket_base::max_listen_connections, ec); ec)
    fail("listen");
}

http_server::~http_server() {
  if (!impl_->threads.empty())
    stop(std::chrono::milliseconds{0});
}

void http_server::start() {
  asio::dispatch(impl_->acceptor.get_executor(), [this] {
    impl_->do_accept();
    impl_->flush_log_every_second();
  });
  for (std::size_t i = 0; i < std::max<std::size_t>(1, impl_->state->settings.io_threads); ++i)
    impl_->threads.emplace_back([this] { impl_->io.run(); });
}

void http_server::stop(std::chrono::milliseconds grace) {
  auto& state = *impl_->state;
  state.stopping = true;
  asio::post(impl_->acceptor.get_executor(), [this] {
    beast::error_code ignored;
    impl_->acceptor.close(ignored);
    impl_->accept_pause.cancel();
    impl_->log_flush.cancel();
  });
  std::vector<std::shared_ptr<session>> open;
  {
    std::lock_guard guard{state.sessions_mutex};
    for (auto& [ptr, weak] : state.sessions)
      if (auto alive = weak.lock())
        open.push_back(std::move(alive));
  }
  for (auto& s : open)
    s->close_when_idle();
  open.clear();
  {
    std::unique_lock lock{state.in_flight_mutex};
    if (!state.in_flight_changed.wait_for(lock, grace, [&] { return state.in_flight == 0; }))
      spdlog::warn("http: {} requests still in flight at shutdown", state.in_flight);
  }
  impl_->io.stop();
  for (auto& t : impl_->threads)
    t.join();
  impl_->threads.clear();
  state.access_log->flush();
}

} // namespace comptoir::net
