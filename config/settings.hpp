#pragma once
// Everything a node is configured with, as plain values; config/loader.hpp fills them.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace comptoir::config {

// The defaults below are those a file gets for the keys it leaves out; the
// shipped config/comptoir.toml states the same values (a test keeps them in step).

struct http_settings {
  std::string address = "127.0.0.1";
  std::uint16_t port = 8080;
  std::size_t io_threads = 1;
  // Typed as Beast's parser limits are, so they pass without a narrowing cast.
  std::uint64_t body_limit_bytes = 1024 * 1024;
  std::uint32_t header_limit_bytes = 16 * 1024;
  /// The time a client has to send one whole request.
  std::chrono::milliseconds read_timeout{10'000};
  /// How long a kept-alive connection may wait for its next request.
  std::chrono::milliseconds idle_timeout{30'000};
  /// The time a client has to send a request's whole header once its first
  /// byte arrived (a slowloris client is dropped after it).
  std::chrono::milliseconds header_timeout{10'000};
  /// Longest request target (path and query) accepted; longer is 414.
  std::uint32_t url_limit_bytes = 8 * 1024;
  /// Open connections beyond this are answered 503 and closed.
  std::size_t max_connections = 10'000;
  /// Requests a client may send ahead of the answers on one connection; the
  /// next is answered 503 and the connection closed.
  std::size_t max_pipelined = 32;
  /// Requests read but not yet answered, over the whole node; beyond, 503.
  std::size_t max_in_flight = 1024;
  /// Origins (scheme://host[:port]) whose browser pages may call the API.
  std::vector<std::string> cors_origins;

  bool operator==(const http_settings&) const = default;
};

struct actor_settings {
  std::size_t scheduler_threads = 1;
  std::size_t workers = 4;
  std::chrono::milliseconds request_timeout{5'000};

  bool operator==(const actor_settings&) const = default;
};

struct database_settings {
  /// sqlite://relative.db, sqlite:///absolute.db or postgresql://user:pass@host:port/db.
  std::string url = "sqlite://var/comptoir.db";
  /// Database sessions serving reads of sales, apart from the stores' writers.
  std::size_t readers = 2;

  bool operator==(const database_settings&) const = default;
};

struct sales_settings {
  /// Most sales and returns one store commits in one transaction.
  std::size_t max_batch = 256;
  std::int64_t idempotency_retention_hours = 24;
  std::size_t max_lines = 100;
  std::int64_t max_quantity = 10'000;

  bool operator==(const sales_settings&) const = default;
};

struct restock_settings {
  /// Stores file a restock request themselves when a product falls below its
  /// reorder point, up to target_multiple x the reorder point.
  bool auto_request = false;
  std::int64_t target_multiple = 2;

  bool operator==(const restock_settings&) const = default;
};

struct report_settings {
  /// A cached report or dashboard is dropped after this, even when no store changed.
  std::chrono::milliseconds cache_ttl{5'000};
  /// The dashboard's overstock: more than this many times the reorder point on hand.
  std::int64_t overstock_multiple = 3;

  bool operator==(const report_settings&) const = default;
};

struct metrics_settings {
  /// How often actors send their counts to the metrics actor: what /metrics
  /// shows is at most this old.
  std::chrono::milliseconds flush_interval{1'000};

  bool operator==(const metrics_settings&) const = default;
};

/// Membership of a cluster of nodes sharing one PostgreSQL database (docs/cluster.md).
struct cluster_settings {
  /// Off: this node owns every location by itself.
  bool enabled = false;
  /// Unique and stable per node.
  std::string node_id;
  /// Where the cluster port listens.
  std::string address = "127.0.0.1";
  std::uint16_t port = 4801;
  /// host:port that the other nodes dial; empty: address:port.
  std::string advertise;
  /// host:port of other nodes' cluster ports, dialled at start.
  std::vector<std::string> seeds;
  /// This node's share of the locations, relative to the others'.
  std::int64_t weight = 1;
  std::chrono::milliseconds heartbeat_interval{500};
  /// A peer silent for this long is dropped.
  std::chrono::milliseconds connection_timeout{2'000};
  /// Ownership lease in the database, renewed every third of it.
  std::chrono::milliseconds lease_ttl{3'000};
  /// CAF's OpenSSL transport, with these PEM files.
  bool tls = false;
  std::string tls_certificate;
  std::string tls_key;
  std::string tls_cafile;

  /// advertise, or address:port.
  std::string advertised() const {
    return advertise.empty() ? address + ":" + std::to_string(port) : advertise;
  }

  bool operator==(const cluster_settings&) const = default;
};

/// Fault injection for the tests only; never set in production.
struct fault_settings {
  /// Exit right after the logistics centre's side of a transfer commits.
  bool exit_between_transfer_sides = false;

  bool operator==(const fault_settings&) const = default;
};

/// An API token from the config file. Demo tokens are not listed here.
struct token_settings {
  std::string token;
  /// admin, hq, logistics or clerk.
  std::string role;
  /// The clerk's store; 0 for every other role.
  std::int64_t store_id = 0;
  /// Instead of `token`: the SHA-256 of the token, 64 lower-case hex digits,
  /// so that the file need not hold the secret itself.
  std::string token_sha256;

  bool operator==(const token_settings&) const = default;
};

struct web_settings {
  /// Serve the managers' web page at / and its files under /ui/. Off: / is
  /// the JSON index and /ui/ is 404, for nodes that only serve the API.
  bool enabled = true;
  /// Empty: the page compiled into the binary (net/web/). A directory: its
  /// files (flat, read once at start) instead, for a customised page.
  std::string directory;

  bool operator==(const web_settings&) const = default;
};

struct settings {
  http_settings http;
  web_settings web;
  actor_settings actors;
  database_settings database;
  sales_settings sales;
  restock_settings restock;
  report_settings reports;
  fault_settings faults;
  metrics_settings metrics;
  cluster_settings cluster;
  // Off unless a file turns it on, so a hand-written production file cannot
  // expose demo tokens by leaving the key out.
  bool demo = false;
  /// trace, debug, info, warn, error or off (each one spdlog::level::from_str reads).
  std::string log_level = "info";
  /// One JSON line per request (access log); off, only error answers get one.
  bool access_log = true;
  std::vector<token_settings> tokens;
  /// The file these settings came from, or "built-in default".
  std::string source;

  bool operator==(const settings&) const = default;
};

} // namespace comptoir::config
