#include "net/http_server.hpp"

#include "net/problem.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <spdlog/spdlog.h>

#include <atomic>
#include <condition_variable>
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

/// What the listener and all its sessions share.
struct server_state {
  server_settings settings;
  request_handler handler;
  std::atomic<bool> stopping{false};

  // Requests read but not yet answered; stop() waits for zero.
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

  void request_started() {
    std::lock_guard guard{in_flight_mutex};
    ++in_flight;
  }

  void request_done() {
    std::lock_guard guard{in_flight_mutex};
    if (--in_flight == 0)
      in_flight_changed.notify_all();
  }
};

method to_method(http::verb verb) {
  switch (verb) {
  case http::verb::get:
    return method::get;
  case http::verb::head:
    return method::head;
  case http::verb::post:
    return method::post;
  case http::verb::put:
    return method::put;
  case http::verb::patch:
    return method::patch;
  case http::verb::delete_:
    return method::del;
  case http::verb::options:
    return method::options;
  default:
    return method::other;
  }
}

/// A client's request id is echoed only when it is short and printable.
bool acceptable_request_id(beast::string_view id) {
  if (id.empty() || id.size() > 128)
    return false;
  for (char c : id)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.' &&
        c != ':')
      return false;
  return true;
}

// -- session ------------------------------------------------------------------

/// One connection: read a request, hand it to the API, write the answer,
/// and again while the client keeps the connection alive.
class session : public std::enable_shared_from_this<session> {
public:
  session(tcp::socket&& socket, std::shared_ptr<server_state> server)
      : stream_(std::move(socket)), server_(std::move(server)) {}

  ~session() {
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
    stream_.expires_after(server_->settings.idle_timeout);
    http::async_read_header(stream_, buffer_, *parser_,
                            beast::bind_front_handler(&session::on_header, shared_from_this()));
  }

  void on_header(beast::error_code ec, std::size_t) {
    if (ec)
      return on_read_error(ec);
    busy_ = true;
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
    // The request cannot be read any further: answer, then close.
    busy_ = true;
    keep_alive_ = false;
    head_ = false;
    server_->request_started();
    write(problem(status, detail, request_id_ = server_->next_request_id()));
  }

  void on_read(beast::error_code ec, std::size_t) {
    if (ec)
      return on_read_error(ec);
    auto message = parser_->release();
    keep_alive_ = message.keep_alive();
    head_ = message.method() == http::verb::head;
    auto given_id = message["X-Request-Id"];
    request_id_ =
        acceptable_request_id(given_id) ? std::string{given_id} : server_->next_request_id();
    request incoming;
    incoming.method = to_method(message.method());
    incoming.target = std::string{message.target()};
    incoming.authorization = std::string{message[http::field::authorization]};
    incoming.request_id = request_id_;
    incoming.if_none_match = std::string{message[http::field::if_none_match]};
    if (auto key = message.find("Idempotency-Key"); key != message.end())
      incoming.idempotency_key = std::string{key->value()};
    incoming.body = std::move(message.body());
    server_->request_started();
    // The API may answer from any thread: hop back onto this session's strand.
    server_->handler(std::move(incoming), [self = shared_from_this()](response answer) {
      asio::post(self->stream_.get_executor(),
                 [self, answer = std::move(answer)]() mutable { self->write(std::move(answer)); });
    });
  }

  void write(response answer) {
    auto out = std::make_shared<http::response<http::string_body>>();
    out->version(11);
    out->result(answer.status);
    out->set(http::field::content_type, answer.content_type);
    out->set("X-Request-Id", request_id_);
    for (auto& [name, value] : answer.headers)
      out->set(name, value);
    out->keep_alive(keep_alive_ && !server_->stopping);
    out->content_length(answer.body.size());
    if (!head_)
      out->body() = std::move(answer.body);
    stream_.expires_after(server_->settings.read_timeout);
    http::async_write(stream_, *out,
                      [self = shared_from_this(), out](beast::error_code ec, std::size_t) {
                        self->on_write(ec, out->keep_alive());
                      });
  }

  void on_write(beast::error_code ec, bool keep_alive) {
    server_->request_done();
    if (ec || !keep_alive)
      return do_close();
    do_read();
  }

  void do_close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.socket().close(ignored);
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::shared_ptr<server_state> server_;
  std::string request_id_;
  bool busy_ = false;
  bool keep_alive_ = true;
  bool head_ = false;
};

} // namespace

// -- listener -----------------------------------------------------------------

struct http_server::impl {
  asio::io_context io;
  tcp::acceptor acceptor{asio::make_strand(io)};
  std::shared_ptr<server_state> state = std::make_shared<server_state>();
  std::vector<std::thread> threads;

  void do_accept() {
    acceptor.async_accept(asio::make_strand(io), [this](beast::error_code ec, tcp::socket socket) {
      if (ec == asio::error::operation_aborted || !acceptor.is_open())
        return;
      if (ec) {
        spdlog::warn("http: accept failed: {}", ec.message());
      } else {
        socket.set_option(tcp::no_delay{true}, ec);
        std::make_shared<session>(std::move(socket), state)->start();
      }
      do_accept();
    });
  }
};

http_server::http_server(const server_settings& settings, request_handler handler)
    : impl_(std::make_unique<impl>()) {
  auto& state = *impl_->state;
  state.settings = settings;
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
  asio::dispatch(impl_->acceptor.get_executor(), [this] { impl_->do_accept(); });
  for (std::size_t i = 0; i < std::max<std::size_t>(1, impl_->state->settings.io_threads); ++i)
    impl_->threads.emplace_back([this] { impl_->io.run(); });
}

void http_server::stop(std::chrono::milliseconds grace) {
  auto& state = *impl_->state;
  state.stopping = true;
  asio::post(impl_->acceptor.get_executor(), [this] {
    beast::error_code ignored;
    impl_->acceptor.close(ignored);
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
}

} // namespace comptoir::net
