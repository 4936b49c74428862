// The composition root: reads the config, opens and migrates the database,
// spawns the actors, starts the HTTP listener and stops it all on a signal.
// Nothing else knows how the pieces are wired.

#include "actors/node.hpp"
#include "actors/protocol.hpp"
#include "app/generate_command.hpp"
#include "config/loader.hpp"
#include "net/api.hpp"
#include "net/auth.hpp"
#include "net/http_server.hpp"
#include "persistence/demo_data.hpp"
#include "persistence/location_repository.hpp"
#include "persistence/migrations.hpp"
#include "persistence/session.hpp"

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/io/middleman.hpp>
#include <caf/openssl/manager.hpp>
#include <caf/openssl/publish.hpp>
#include <prometheus/registry.h>
#include <soci/soci.h>
#include <spdlog/spdlog.h>

#include <csignal>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <string>
#include <malloc.h>
#include <sys/resource.h>

namespace {

using namespace comptoir;

// -- exit codes (sysexits.h) ----------------------------------------------------

constexpr int exit_ok = 0;
constexpr int exit_usage = 64;       // bad command line
constexpr int exit_data = 65;        // the database content cannot be served (or generated into)
constexpr int exit_unavailable = 69; // database unreachable, port taken
constexpr int exit_internal = 70;    // a bug
constexpr int exit_config = 78;      // bad config file or environment

constexpr std::string_view usage = R"(Usage: comptoir COMMAND [--config FILE]

Commands:
  serve      migrate the database, then serve the HTTP API until SIGINT/SIGTERM
  migrate    apply the missing database migrations and exit
  generate   migrate an empty database, then fill it with a synthetic chain:
               --stores N --products M --stock Q [--sales S] [--days D] [--seed X]
             N stores (ids 1..N), the logistics centre (N+1), M products, Q
             units of each in each store (10 x Q in the centre), S completed
             sales over the last D days (S default 0, D 56, seed 1)

Options:
  --config FILE  the TOML config file (default: $COMPTOIR_CONFIG, else the
                 built-in default: demo mode, sqlite://var/comptoir.db,
                 127.0.0.1:8080)
  --help         show this help
  --version      show the version

Environment: COMPTOIR_CONFIG, COMPTOIR_HTTP_ADDRESS, COMPTOIR_HTTP_PORT,
COMPTOIR_DATABASE_URL override the config file.
Exit codes: 0 ok, 64 usage, 65 unusable data (generate: the database is not
empty), 69 database or port unavailable, 70 internal error, 78 bad configuration.
)";

struct command_line {
  std::string command;
  std::optional<std::string> config_path;
  /// The arguments after `generate`, and the options they make.
  std::vector<std::string> generate_args;
  std::optional<persistence::generation_options> generate;
};

/// Nothing when the program should exit with `exit_code`.
std::optional<command_line> parse_command_line(int argc, char** argv, int& exit_code) {
  command_line parsed;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::cout << usage;
      exit_code = exit_ok;
      return std::nullopt;
    }
    if (arg == "--version") {
      std::cout << "comptoir " << COMPTOIR_VERSION << '\n';
      exit_code = exit_ok;
      return std::nullopt;
    }
    if (arg == "--config" && i + 1 < argc) {
      parsed.config_path = argv[++i];
    } else if (arg.starts_with("--config=")) {
      parsed.config_path = std::string{arg.substr(9)};
    } else if (!arg.starts_with("-") && parsed.command.empty()) {
      parsed.command = arg;
    } else if (parsed.command == "generate") {
      parsed.generate_args.emplace_back(arg);
    } else {
      std::cerr << "comptoir: unexpected argument '" << arg << "'\n\n" << usage;
      exit_code = exit_usage;
      return std::nullopt;
    }
  }
  if (parsed.command != "serve" && parsed.command != "migrate" && parsed.command != "generate") {
    if (parsed.command.empty())
      std::cerr << "comptoir: a command is needed\n\n" << usage;
    else
      std::cerr << "comptoir: unknown command '" << parsed.command << "'\n\n" << usage;
    exit_code = exit_usage;
    return std::nullopt;
  }
  if (parsed.command == "generate") {
    std::string error;
    parsed.generate = app::parse_generate_options(parsed.generate_args, error);
    if (!parsed.generate) {
      std::cerr << "comptoir generate: " << error << "\n\n" << usage;
      exit_code = exit_usage;
      return std::nullopt;
    }
  }
  return parsed;
}

std::vector<net::token_grant> token_grants(const config::settings& settings) {
  std::vector<net::token_grant> grants;
  if (settings.demo)
    grants = net::demo_grants();
  // Only digests are kept: the plain tokens of the file go no further.
  for (const auto& token : settings.tokens)
    grants.push_back({token.token.empty() ? *net::parse_digest(token.token_sha256)
                                          : net::digest_of(token.token),
                      {*domain::parse_role(token.role), {token.store_id}}});
  return grants;
}

/// Raises this process's open-file limit to its hard limit (a server's usual
/// first step), and warns when that still cannot hold `connections`.
void raise_open_file_limit(std::size_t connections) {
  rlimit files{};
  if (getrlimit(RLIMIT_NOFILE, &files) != 0)
    return;
  if (files.rlim_cur < files.rlim_max) {
    files.rlim_cur = files.rlim_max;
    setrlimit(RLIMIT_NOFILE, &files);
    getrlimit(RLIMIT_NOFILE, &files);
  }
  // Database sessions, log files and the listener need some descriptors too.
  constexpr rlim_t reserved = 64;
  if (files.rlim_cur != RLIM_INFINITY && files.rlim_cur < connections + reserved)
    spdlog::warn("http.max_connections is {} but this process may open only {} files: "
                 "connections beyond about {} will fail to be accepted; raise the limit "
                 "(LimitNOFILE= in systemd, ulimit -n) or lower http.max_connections",
                 connections, files.rlim_cur, files.rlim_cur - std::min(files.rlim_cur, reserved));
}

/// Blocks SIGINT and SIGTERM in this thread and every thread it starts
/// after, so that only `wait_for_stop_signal` receives them.
sigset_t block_stop_signals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  return signals;
}

/// Waits for SIGINT or SIGTERM. Meanwhile, once a second, hands the memory
/// freed since back to the system (malloc_trim): a large store's stock is
/// half a megabyte of JSON, rendered again after its changes, and glibc
/// would otherwise keep what such blocks leave free resident for good
/// (docs/benchmarks.md, memory).
int wait_for_stop_signal(const sigset_t& signals) {
  const timespec every_second{1, 0};
  for (;;) {
    int received = sigtimedwait(&signals, nullptr, &every_second);
    if (received > 0)
      return received;
    malloc_trim(0);
  }
}

int serve(const config::settings& settings, const persistence::database_url& url,
          std::vector<domain::location> locations) {
  std::optional<net::authenticator> tokens;
  try {
    tokens.emplace(token_grants(settings));
  } catch (const std::invalid_argument& e) {
    // Grants are numbered after the 8 demo ones when demo mode is on.
    spdlog::critical("{}: tokens: {}{}", settings.source, e.what(),
                     settings.demo ? " (the first 8 are the demo tokens)" : "");
    return exit_config;
  }
  // The managers' web page: compiled in, or an operator's directory read now,
  // so that a wrong path stops the node at start rather than 404s later.
  std::shared_ptr<const net::web_assets> web;
  if (settings.web.enabled) {
    try {
      web = std::make_shared<const net::web_assets>(
          settings.web.directory.empty() ? net::web_assets::embedded()
                                         : net::web_assets::from_directory(settings.web.directory));
    } catch (const std::runtime_error& e) {
      spdlog::critical("{}: {}", settings.source, e.what());
      return exit_config;
    }
    spdlog::info("web page: {} files {}", web->size(),
                 settings.web.directory.empty() ? "compiled in"
                                                : "from " + settings.web.directory);
  }
  auto signals = block_stop_signals();

  // Every metric of /metrics: the actors' and the HTTP layer's. Declared
  // before the actor system, whose destructor waits for the metrics actor
  // that drains the listener's counts.
  auto registry = std::make_shared<prometheus::Registry>();
  net::http_metrics http_counts{*registry};

  caf::actor_system_config caf_config;
  caf_config.add_message_types<caf::id_block::comptoir>();
  caf_config.add_message_types<caf::id_block::comptoir_cluster>();
  caf_config.set("scheduler.max-threads", settings.actors.scheduler_threads);
  // An idle scheduler thread polls its queue 500 times, 50 us apart, after
  // every job before it waits on a condition variable (which an enqueue
  // signals). The actors' once-a-second ticks restart that each time: an idle
  // node spent 12 % of a core on it. Ten polls, then the wait.
  caf_config.set("work-stealing.moderate-poll-attempts", std::size_t{10});
  const auto& cluster = settings.cluster;
  if (cluster.enabled) {
    caf_config.load<caf::io::middleman>();
    // Heartbeats on every node alike: a node without them is dropped by
    // those that time out, and a frozen peer is noticed only through them.
    caf_config.set("middleman.heartbeat-interval", caf::timespan{cluster.heartbeat_interval});
    caf_config.set("middleman.connection-timeout", caf::timespan{cluster.connection_timeout});
    if (cluster.tls) {
      caf_config.load<caf::openssl::manager>();
      caf_config.openssl_certificate = cluster.tls_certificate;
      caf_config.openssl_key = cluster.tls_key;
      caf_config.openssl_cafile = cluster.tls_cafile;
    }
  }
  caf::actor_system system{caf_config};

  actors::node running;
  try {
    std::chrono::hours key_retention{settings.sales.idempotency_retention_hours};
    actors::node_settings node_config;
    node_config.database = url;
    node_config.workers = settings.actors.workers;
    node_config.readers = settings.database.readers;
    node_config.store = {settings.sales.max_batch, key_retention, settings.restock.auto_request,
                         settings.restock.target_multiple};
    node_config.warehouse = {key_retention, settings.faults.exit_between_transfer_sides};
    node_config.head_office.cache_ttl = settings.reports.cache_ttl;
    node_config.head_office.overstock_multiple = settings.reports.overstock_multiple;
    node_config.registry = registry;
    node_config.collectors = {[&http_counts] { http_counts.flush(); }};
    node_config.flush_interval = settings.metrics.flush_interval;
    node_config.scheduler_threads = settings.actors.scheduler_threads;
    node_config.version = COMPTOIR_VERSION;
    if (cluster.enabled) {
      actors::cluster_settings membership;
      membership.node_id = cluster.node_id;
      membership.advertise = cluster.advertised();
      membership.weight = cluster.weight;
      membership.seeds = cluster.seeds;
      membership.lease_ttl = cluster.lease_ttl;
      membership.database = url;
      node_config.cluster = actors::cluster_membership{
          std::move(membership), cluster.tls ? system.openssl_manager().actor_handle()
                                             : system.middleman().actor_handle()};
    }
    running = actors::start_node(system, node_config, locations);
  } catch (const std::invalid_argument& e) {
    spdlog::critical("cannot serve this database: {}", e.what());
    return exit_data;
  }
  if (auto err = actors::await_ready(system, running, std::chrono::seconds{60})) {
    spdlog::critical("the actors could not load their state: {}", caf::to_string(err));
    actors::stop_node(system, running);
    return exit_unavailable;
  }
  if (running.cluster) {
    auto published =
        cluster.tls
            ? caf::openssl::publish(running.cluster, cluster.port, cluster.address.c_str(), true)
            : system.middleman().publish(running.cluster, cluster.port, cluster.address.c_str(),
                                         true);
    if (!published) {
      spdlog::critical("cannot open the cluster port {}:{}: {}", cluster.address, cluster.port,
                       caf::to_string(published.error()));
      actors::stop_node(system, running);
      return exit_unavailable;
    }
    spdlog::info("cluster: node {} on {}:{}{}, reached at {}", cluster.node_id, cluster.address,
                 cluster.port, cluster.tls ? " (TLS)" : "", cluster.advertised());
  }

  net::api handler{running.frontend,
                   caf::actor_cast<caf::actor>(running.metrics),
                   std::move(*tokens),
                   settings.actors.request_timeout,
                   {settings.sales.max_lines, settings.sales.max_quantity},
                   settings.http.cors_origins,
                   std::move(web),
                   running.stock};
  net::server_settings listen;
  listen.address = settings.http.address;
  listen.port = settings.http.port;
  listen.io_threads = settings.http.io_threads;
  listen.body_limit = settings.http.body_limit_bytes;
  listen.header_limit = settings.http.header_limit_bytes;
  listen.read_timeout = settings.http.read_timeout;
  listen.idle_timeout = settings.http.idle_timeout;
  listen.header_timeout = settings.http.header_timeout;
  listen.url_limit = settings.http.url_limit_bytes;
  listen.max_connections = settings.http.max_connections;
  listen.max_pipelined = settings.http.max_pipelined;
  listen.max_in_flight = settings.http.max_in_flight;
  listen.access_log = settings.access_log;
  raise_open_file_limit(settings.http.max_connections);
  std::optional<net::http_server> server;
  try {
    server.emplace(listen, [&handler](net::request incoming, net::responder reply) {
      handler.handle(std::move(incoming), std::move(reply));
    }, http_counts);
  } catch (const std::runtime_error& e) {
    spdlog::critical("{}", e.what());
    actors::stop_node(system, running);
    return exit_unavailable;
  }
  server->start();
  spdlog::info("comptoir {} listening on http://{}:{} ({} locations, config: {})", COMPTOIR_VERSION,
               listen.address, listen.port, locations.size(), settings.source);

  auto signal = wait_for_stop_signal(signals);
  spdlog::info("received {}: stopping", signal == SIGINT ? "SIGINT" : "SIGTERM");
  server->stop(std::chrono::seconds{4});
  actors::stop_node(system, running);
  spdlog::info("stopped");
  return exit_ok;
}

int run(const command_line& cli) {
  config::settings settings;
  try {
    settings = config::load_settings(cli.config_path);
  } catch (const config::config_error& e) {
    std::cerr << "comptoir: " << e.what() << '\n';
    return exit_config;
  }
  spdlog::set_level(spdlog::level::from_str(settings.log_level));

  auto url = persistence::parse_database_url(settings.database.url);
  if (!url) {
    std::cerr << "comptoir: database.url: expected sqlite://PATH or postgresql://..., got \""
              << settings.database.url << "\"\n";
    return exit_config;
  }

  std::vector<domain::location> locations;
  try {
    auto session = persistence::open_session(*url);
    auto applied = persistence::migrate(*session, url->kind);
    auto version = persistence::schema_version(*session);
    if (cli.command == "migrate") {
      std::cout << "schema at version " << version << " (" << applied << " migrations applied)\n";
      return exit_ok;
    }
    // Before the demo data, which would fill the empty database first.
    if (cli.command == "generate")
      return app::run_generate(*session, url->kind, *cli.generate) == app::generate_result::done
                 ? exit_ok
                 : exit_data;
    if (applied > 0)
      spdlog::info("database migrated to version {} ({} migrations applied)", version, applied);
    if (settings.demo) {
      spdlog::warn("********************************************************************");
    spdlog::warn("DEMO MODE IS ON: anyone may act as admin with the token demo-admin, and");
    spdlog::warn("as head office, logistics or any demo clerk with the other demo tokens.");
    spdlog::warn("Never run demo mode on a real store network: set [demo] enabled = false");
    spdlog::warn("and give each user a [[tokens]] entry (see config/comptoir.toml).");
    spdlog::warn("********************************************************************");
      if (persistence::load_demo_data(*session, url->kind))
        spdlog::info("demo data loaded into the empty database");
    }
    locations = persistence::location_repository{*session}.load_all();
  } catch (const std::exception& e) {
    spdlog::critical("cannot use the database: {}", e.what());
    return exit_unavailable;
  }
  return serve(settings, *url, std::move(locations));
}

} // namespace

int main(int argc, char** argv) {
  // glibc gives threads up to 8 malloc arenas per core, and a node runs a
  // thread per database session (one per store): their free lists add up
  // (docs/benchmarks.md, memory). Two arenas serve the two busy threads (HTTP
  // I/O and the actors). MALLOC_ARENA_MAX in the environment wins.
  if (std::getenv("MALLOC_ARENA_MAX") == nullptr)
    mallopt(M_ARENA_MAX, 2);
  int exit_code = exit_ok;
  auto cli = parse_command_line(argc, argv, exit_code);
  if (!cli)
    return exit_code;
  try {
    return run(*cli);
  } catch (const std::exception& e) {
    spdlog::critical("internal error: {}", e.what());
    return exit_internal;
  }
}
