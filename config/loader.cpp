// Turns TOML text and environment variables into settings, one checked key at a time.

#include "config/loader.hpp"

#include "config/default_config.hpp"

#include <toml++/toml.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <initializer_list>
#include <limits>
#include <memory>
#include <sstream>
#include <string_view>
#include <system_error>
#include <unordered_map>
#include <utility>

namespace comptoir::config {

namespace {

constexpr std::string_view built_in_source = "built-in default";

// -- rules for values ----------------------------------------------------------

struct integer_rule {
  std::int64_t min;
  std::int64_t max;
};

// Upper bounds catch a slipped digit before it spawns a million threads or
// waits for a year.
constexpr integer_rule port_rule{1, 65535};
constexpr integer_rule thread_rule{1, 1024};
constexpr integer_rule worker_rule{1, 10'000};
constexpr integer_rule reader_rule{1, 64};
constexpr integer_rule multiple_rule{1, 100};
constexpr integer_rule batch_rule{1, 10'000};
constexpr integer_rule retention_rule{1, 24 * 365};
constexpr integer_rule line_count_rule{1, 10'000};
constexpr integer_rule quantity_rule{1, 1'000'000'000};
constexpr integer_rule duration_rule{1, 86'400'000};
constexpr integer_rule body_limit_rule{1, std::numeric_limits<std::int64_t>::max()};
constexpr integer_rule header_limit_rule{1, std::numeric_limits<std::uint32_t>::max()};
constexpr integer_rule store_id_rule{1, std::numeric_limits<std::int64_t>::max()};
constexpr integer_rule connection_rule{1, 1'000'000};
constexpr integer_rule pipelined_rule{1, 10'000};
constexpr integer_rule weight_rule{1, 100};

std::string expectation(integer_rule rule) {
  if (rule.max == std::numeric_limits<std::int64_t>::max())
    return "expected an integer of at least " + std::to_string(rule.min);
  return "expected an integer between " + std::to_string(rule.min) + " and " +
         std::to_string(rule.max);
}

struct text_rule {
  bool (*accepts)(std::string_view);
  std::string_view expectation;
  // A secret is never repeated in an error: messages end up in logs.
  bool secret = false;
};

bool is_ip_address(std::string_view text) {
  if (text.find('\0') != std::string_view::npos)
    return false;
  const std::string terminated(text);
  in6_addr address{};
  return inet_pton(AF_INET, terminated.c_str(), &address) == 1 ||
         inet_pton(AF_INET6, terminated.c_str(), &address) == 1;
}

bool is_database_url(std::string_view text) {
  for (std::string_view scheme : {"sqlite://", "postgresql://"})
    if (text.starts_with(scheme) && text.size() > scheme.size())
      return true;
  return false;
}

bool is_log_level(std::string_view text) {
  for (std::string_view level : {"trace", "debug", "info", "warn", "error", "off"})
    if (text == level)
      return true;
  return false;
}

bool is_role(std::string_view text) {
  for (std::string_view role : {"admin", "hq", "logistics", "clerk"})
    if (text == role)
      return true;
  return false;
}

// A token travels as `Authorization: Bearer <token>`: anything outside visible
// ASCII could never be sent back intact.
bool is_token(std::string_view text) {
  return !text.empty() && text.size() <= 255 &&
         std::all_of(text.begin(), text.end(), [](char c) { return c > ' ' && c < 0x7f; });
}

bool is_sha256_hex(std::string_view text) {
  return text.size() == 64 && std::all_of(text.begin(), text.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

// A browser sends its page's origin as scheme://host[:port], without a path;
// an entry must match it exactly. `*` is refused: list the origins.
bool is_origin(std::string_view text) {
  std::string_view rest;
  for (std::string_view scheme : {"http://", "https://"})
    if (text.starts_with(scheme))
      rest = text.substr(scheme.size());
  return !rest.empty() && rest.size() <= 253 + 6 &&
         std::all_of(rest.begin(), rest.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
                  c == ':' || c == '[' || c == ']';
         });
}

// A node id names the node in logs, metrics and the database; empty: none given.
bool is_node_id(std::string_view text) {
  return text.size() <= 64 && std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.';
  });
}

// host:port, the host a name or an IPv4 address (an IPv6 one in brackets).
bool is_host_port(std::string_view text) {
  auto colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0 || colon > 255)
    return false;
  auto host = text.substr(0, colon);
  auto port = text.substr(colon + 1);
  std::int64_t number = 0;
  const auto [stop, error] = std::from_chars(port.data(), port.data() + port.size(), number);
  if (error != std::errc{} || stop != port.data() + port.size() || number < 1 || number > 65535)
    return false;
  if (host.front() == '[' && host.back() == ']')
    return is_ip_address(host.substr(1, host.size() - 2));
  return std::all_of(host.begin(), host.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.';
  });
}

// Empty: none given.
bool is_optional_host_port(std::string_view text) {
  return text.empty() || is_host_port(text);
}

// Empty: none given.
bool is_path(std::string_view text) {
  return text.find('\0') == std::string_view::npos;
}

constexpr text_rule address_rule{is_ip_address, "expected an IPv4 or IPv6 address"};
constexpr text_rule node_id_rule{is_node_id, "expected up to 64 letters, digits, '-', '_' or '.'"};
constexpr text_rule host_port_rule{is_host_port,
                                   "expected host:port, e.g. \"10.0.0.2:4801\" or "
                                   "\"node-2.internal:4801\""};
constexpr text_rule optional_host_port_rule{is_optional_host_port, host_port_rule.expectation};
constexpr text_rule path_rule{is_path, "expected a file path"};
constexpr text_rule database_url_rule{is_database_url,
                                      "expected sqlite://path.db, sqlite:///absolute/path.db or "
                                      "postgresql://user:password@host:port/database"};
constexpr text_rule log_level_rule{is_log_level,
                                   "expected one of trace, debug, info, warn, error, off"};
constexpr text_rule role_rule{is_role, "expected one of admin, hq, logistics, clerk"};
constexpr text_rule origin_rule{
    is_origin, "expected an origin such as \"https://backoffice.example.com\" or "
               "\"http://10.0.0.5:8080\" (lower case, no path, no wildcard)"};
constexpr text_rule sha256_rule{.accepts = is_sha256_hex,
                                .expectation = "expected 64 lower-case hex digits (sha256sum)",
                                .secret = true};
constexpr text_rule token_rule{.accepts = is_token,
                               .expectation =
                                   "expected 1 to 255 visible ASCII characters, no spaces",
                               .secret = true};

// -- describing what was found -------------------------------------------------

// Escaped as in a TOML basic string, so control characters in a bad value
// cannot garble the message.
std::string quoted(std::string_view text) {
  std::string out = "\"";
  for (const char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      std::array<char, 8> escape{};
      std::snprintf(escape.data(), escape.size(), "\\u%04x", static_cast<unsigned>(c));
      out += escape.data();
    } else {
      out += c;
    }
  }
  return out + '"';
}

std::string describe(const toml::node& node) {
  if (node.is_table())
    return "a table";
  if (node.is_array())
    return "an array";
  if (const auto* text = node.as_string())
    return quoted(text->get());
  std::ostringstream out;
  node.visit([&out](const auto& value) { out << value; });
  return out.str();
}

std::string found(const toml::node& node, const text_rule& rule) {
  return rule.secret && node.is_string() ? "" : ", got " + describe(node);
}

std::string one_of(std::initializer_list<std::string_view> names) {
  std::string out;
  for (std::string_view name : names)
    out += (out.empty() ? "" : ", ") + std::string(name);
  return out;
}

std::string join(std::string_view prefix, std::string_view name) {
  return prefix.empty() ? std::string(name) : std::string(prefix) + "." + std::string(name);
}

// -- reading a document --------------------------------------------------------

// Reads one parsed document, naming its source and the dotted key in every error.
class document_reader {
public:
  explicit document_reader(std::string_view source) : source_(source) {}

  settings read(const toml::table& root) const {
    allow_only(root, "",
               {"http", "web", "actors", "database", "sales", "restock", "reports", "metrics",
                "faults", "demo", "log", "tokens", "cluster"});
    settings result;
    if (const toml::table* http = section(root, "http")) {
      allow_only(*http, "http",
                 {"address", "port", "io_threads", "body_limit_bytes", "header_limit_bytes",
                  "url_limit_bytes", "read_timeout_ms", "idle_timeout_ms", "header_timeout_ms",
                  "max_connections", "max_pipelined", "max_in_flight", "cors_origins"});
      read_text(*http, "http", "address", address_rule, result.http.address);
      read_integer(*http, "http", "port", port_rule, result.http.port);
      read_integer(*http, "http", "io_threads", thread_rule, result.http.io_threads);
      read_integer(*http, "http", "body_limit_bytes", body_limit_rule,
                   result.http.body_limit_bytes);
      read_integer(*http, "http", "header_limit_bytes", header_limit_rule,
                   result.http.header_limit_bytes);
      read_duration(*http, "http", "read_timeout_ms", result.http.read_timeout);
      read_duration(*http, "http", "idle_timeout_ms", result.http.idle_timeout);
      read_integer(*http, "http", "url_limit_bytes", header_limit_rule,
                   result.http.url_limit_bytes);
      read_duration(*http, "http", "header_timeout_ms", result.http.header_timeout);
      read_integer(*http, "http", "max_connections", connection_rule,
                   result.http.max_connections);
      read_integer(*http, "http", "max_pipelined", pipelined_rule, result.http.max_pipelined);
      read_integer(*http, "http", "max_in_flight", connection_rule, result.http.max_in_flight);
      read_text_list(*http, "http", "cors_origins", origin_rule, result.http.cors_origins);
    }
    if (const toml::table* web = section(root, "web")) {
      allow_only(*web, "web", {"enabled", "directory"});
      read_bool(*web, "web", "enabled", result.web.enabled);
      read_text(*web, "web", "directory", path_rule, result.web.directory);
    }
    if (const toml::table* actors = section(root, "actors")) {
      allow_only(*actors, "actors", {"scheduler_threads", "workers", "request_timeout_ms"});
      read_integer(*actors, "actors", "scheduler_threads", thread_rule,
                   result.actors.scheduler_threads);
      read_integer(*actors, "actors", "workers", worker_rule, result.actors.workers);
      read_duration(*actors, "actors", "request_timeout_ms", result.actors.request_timeout);
    }
    if (const toml::table* database = section(root, "database")) {
      allow_only(*database, "database", {"url", "readers"});
      read_text(*database, "database", "url", database_url_rule, result.database.url);
      read_integer(*database, "database", "readers", reader_rule, result.database.readers);
    }
    if (const toml::table* sales = section(root, "sales")) {
      allow_only(*sales, "sales",
                 {"max_batch", "idempotency_retention_hours", "max_lines", "max_quantity"});
      read_integer(*sales, "sales", "max_batch", batch_rule, result.sales.max_batch);
      read_integer(*sales, "sales", "idempotency_retention_hours", retention_rule,
                   result.sales.idempotency_retention_hours);
      read_integer(*sales, "sales", "max_lines", line_count_rule, result.sales.max_lines);
      read_integer(*sales, "sales", "max_quantity", quantity_rule, result.sales.max_quantity);
    }
    if (const toml::table* restock = section(root, "restock")) {
      allow_only(*restock, "restock", {"auto_request", "target_multiple"});
      read_bool(*restock, "restock", "auto_request", result.restock.auto_request);
      read_integer(*restock, "restock", "target_multiple", multiple_rule,
                   result.restock.target_multiple);
    }
    if (const toml::table* reports = section(root, "reports")) {
      allow_only(*reports, "reports", {"cache_ttl_ms", "overstock_multiple"});
      read_duration(*reports, "reports", "cache_ttl_ms", result.reports.cache_ttl);
      read_integer(*reports, "reports", "overstock_multiple", multiple_rule,
                   result.reports.overstock_multiple);
    }
    if (const toml::table* metrics = section(root, "metrics")) {
      allow_only(*metrics, "metrics", {"flush_interval_ms"});
      read_duration(*metrics, "metrics", "flush_interval_ms", result.metrics.flush_interval);
    }
    if (const toml::table* faults = section(root, "faults")) {
      allow_only(*faults, "faults", {"exit_between_transfer_sides"});
      read_bool(*faults, "faults", "exit_between_transfer_sides",
                result.faults.exit_between_transfer_sides);
    }
    if (const toml::table* demo = section(root, "demo")) {
      allow_only(*demo, "demo", {"enabled"});
      read_bool(*demo, "demo", "enabled", result.demo);
    }
    if (const toml::table* log = section(root, "log")) {
      allow_only(*log, "log", {"level", "access"});
      read_text(*log, "log", "level", log_level_rule, result.log_level);
      read_bool(*log, "log", "access", result.access_log);
    }
    if (const toml::table* cluster = section(root, "cluster"))
      result.cluster = read_cluster(*cluster);
    if (const toml::node* tokens = root.get("tokens"))
      result.tokens = read_tokens(*tokens);
    return result;
  }

private:
  [[noreturn]] void fail(std::string_view key, std::string_view problem,
                         const toml::source_region& where) const {
    std::string message = source_ + ": " + std::string(key) + ": " + std::string(problem);
    if (where.begin.line != 0)
      message += " (line " + std::to_string(where.begin.line) + ")";
    throw config_error(message);
  }

  // A misspelt key would otherwise be ignored and its default used unnoticed.
  void allow_only(const toml::table& table, std::string_view prefix,
                  std::initializer_list<std::string_view> known) const {
    for (const auto& [key, value] : table)
      if (std::find(known.begin(), known.end(), key.str()) == known.end())
        fail(join(prefix, key.str()), "unknown key (expected one of " + one_of(known) + ")",
             key.source());
  }

  const toml::table* section(const toml::table& root, std::string_view name) const {
    const toml::node* node = root.get(name);
    if (node && !node->is_table())
      fail(name, "expected a table [" + std::string(name) + "], got " + describe(*node),
           node->source());
    return node ? node->as_table() : nullptr;
  }

  template <class Integer>
  void read_integer(const toml::table& table, std::string_view prefix, std::string_view name,
                    integer_rule rule, Integer& out) const {
    const toml::node* node = table.get(name);
    if (!node)
      return;
    const auto* value = node->as_integer();
    if (!value || value->get() < rule.min || value->get() > rule.max)
      fail(join(prefix, name), expectation(rule) + ", got " + describe(*node), node->source());
    out = static_cast<Integer>(value->get());
  }

  void read_duration(const toml::table& table, std::string_view prefix, std::string_view name,
                     std::chrono::milliseconds& out) const {
    std::int64_t count = out.count();
    read_integer(table, prefix, name, duration_rule, count);
    out = std::chrono::milliseconds(count);
  }

  void read_bool(const toml::table& table, std::string_view prefix, std::string_view name,
                 bool& out) const {
    const toml::node* node = table.get(name);
    if (!node)
      return;
    const auto* value = node->as_boolean();
    if (!value)
      fail(join(prefix, name), "expected true or false, got " + describe(*node), node->source());
    out = value->get();
  }

  void read_text(const toml::table& table, std::string_view prefix, std::string_view name,
                 const text_rule& rule, std::string& out) const {
    const toml::node* node = table.get(name);
    if (!node)
      return;
    const auto* value = node->as_string();
    if (!value || !rule.accepts(value->get()))
      fail(join(prefix, name), std::string(rule.expectation) + found(*node, rule), node->source());
    out = value->get();
  }

  void read_text_list(const toml::table& table, std::string_view prefix, std::string_view name,
                      const text_rule& rule, std::vector<std::string>& out) const {
    const toml::node* node = table.get(name);
    if (!node)
      return;
    const auto* items = node->as_array();
    if (!items)
      fail(join(prefix, name), "expected an array of strings, got " + describe(*node),
           node->source());
    out.clear();
    for (std::size_t index = 0; index < items->size(); ++index) {
      const toml::node& item = *items->get(index);
      const auto* value = item.as_string();
      if (!value || !rule.accepts(value->get()))
        fail(join(prefix, name) + "[" + std::to_string(index) + "]",
             std::string(rule.expectation) + found(item, rule), item.source());
      out.push_back(value->get());
    }
  }

  void require(const toml::table& table, std::string_view prefix, std::string_view name,
               std::string_view expectation) const {
    if (!table.contains(name))
      fail(join(prefix, name), "missing (" + std::string(expectation) + ")", table.source());
  }

  cluster_settings read_cluster(const toml::table& table) const {
    allow_only(table, "cluster",
               {"enabled", "node_id", "address", "port", "advertise", "seeds", "weight",
                "heartbeat_interval_ms", "connection_timeout_ms", "lease_ttl_ms", "tls",
                "tls_certificate", "tls_key", "tls_cafile"});
    cluster_settings cluster;
    read_bool(table, "cluster", "enabled", cluster.enabled);
    read_text(table, "cluster", "node_id", node_id_rule, cluster.node_id);
    read_text(table, "cluster", "address", address_rule, cluster.address);
    read_integer(table, "cluster", "port", port_rule, cluster.port);
    read_text(table, "cluster", "advertise", optional_host_port_rule, cluster.advertise);
    read_text_list(table, "cluster", "seeds", host_port_rule, cluster.seeds);
    read_integer(table, "cluster", "weight", weight_rule, cluster.weight);
    read_duration(table, "cluster", "heartbeat_interval_ms", cluster.heartbeat_interval);
    read_duration(table, "cluster", "connection_timeout_ms", cluster.connection_timeout);
    read_duration(table, "cluster", "lease_ttl_ms", cluster.lease_ttl);
    read_bool(table, "cluster", "tls", cluster.tls);
    read_text(table, "cluster", "tls_certificate", path_rule, cluster.tls_certificate);
    read_text(table, "cluster", "tls_key", path_rule, cluster.tls_key);
    read_text(table, "cluster", "tls_cafile", path_rule, cluster.tls_cafile);
    if (!cluster.enabled)
      return cluster;
    if (cluster.node_id.empty())
      fail("cluster.node_id", "missing (a cluster node needs a unique id)", table.source());
    // Detection must come well before a lease can expire, or a frozen owner
    // would be taken over while its peers still route to it.
    if (cluster.connection_timeout <= cluster.heartbeat_interval)
      fail("cluster.connection_timeout_ms", "must be longer than heartbeat_interval_ms",
           table.source());
    if (cluster.lease_ttl < std::chrono::milliseconds{300})
      fail("cluster.lease_ttl_ms", "expected at least 300 (it is renewed every third of it)",
           table.source());
    if (cluster.tls &&
        (cluster.tls_certificate.empty() || cluster.tls_key.empty() || cluster.tls_cafile.empty()))
      fail("cluster.tls", "needs tls_certificate, tls_key and tls_cafile (a private CA's)",
           table.source());
    if (cluster.advertise.empty() && (cluster.address == "0.0.0.0" || cluster.address == "::"))
      fail("cluster.advertise",
           "missing: the cluster port listens on every interface, so say which address the "
           "other nodes dial",
           table.source());
    return cluster;
  }

  std::vector<token_settings> read_tokens(const toml::node& node) const {
    const auto* entries = node.as_array();
    if (!entries)
      fail("tokens", "expected an array of tables [[tokens]], got " + describe(node),
           node.source());
    std::vector<token_settings> tokens;
    std::unordered_map<std::string, std::size_t> index_of_token;
    for (std::size_t index = 0; index < entries->size(); ++index) {
      const std::string prefix = "tokens[" + std::to_string(index) + "]";
      const toml::node& entry = *entries->get(index);
      const auto* table = entry.as_table();
      if (!table)
        fail(prefix, "expected a table [[tokens]], got " + describe(entry), entry.source());
      allow_only(*table, prefix, {"token", "token_sha256", "role", "store_id"});

      token_settings token;
      if (table->contains("token") == table->contains("token_sha256"))
        fail(prefix, "expected exactly one of token and token_sha256", table->source());
      read_text(*table, prefix, "token", token_rule, token.token);
      read_text(*table, prefix, "token_sha256", sha256_rule, token.token_sha256);
      require(*table, prefix, "role", role_rule.expectation);
      read_text(*table, prefix, "role", role_rule, token.role);
      if (token.role == "clerk") {
        require(*table, prefix, "store_id",
                "a clerk token names its store, an integer of at least 1");
        read_integer(*table, prefix, "store_id", store_id_rule, token.store_id);
      } else if (const toml::node* store_id = table->get("store_id")) {
        fail(prefix + ".store_id",
             "not allowed for role " + quoted(token.role) + ": only a clerk token has a store",
             store_id->source());
      }

      // A hash and a plain token that stand for the same secret are caught
      // when the node builds its token table (net::authenticator).
      const std::string_view key = token.token.empty() ? "token_sha256" : "token";
      const auto [earlier, inserted] = index_of_token.try_emplace(
          std::string(key) + "=" + token.token + token.token_sha256, index);
      if (!inserted)
        fail(prefix + "." + std::string(key),
             "the same as tokens[" + std::to_string(earlier->second) + "]." + std::string(key) +
                 " (tokens must be unique)",
             table->get(key)->source());
      tokens.push_back(std::move(token));
    }
    return tokens;
  }

  std::string source_;
};

// -- the sources ---------------------------------------------------------------

struct file_closer {
  void operator()(std::FILE* file) const { std::fclose(file); }
};

std::string read_file(const std::string& path) {
  const auto cannot_read = [&path] {
    return config_error(path + ": cannot read: " + std::generic_category().message(errno));
  };
  errno = 0;
  const std::unique_ptr<std::FILE, file_closer> file(std::fopen(path.c_str(), "rb"));
  if (!file)
    throw cannot_read();
  std::string text;
  std::array<char, 4096> buffer;
  while (const std::size_t count = std::fread(buffer.data(), 1, buffer.size(), file.get()))
    text.append(buffer.data(), count);
  if (std::ferror(file.get()))
    throw cannot_read();
  return text;
}

toml::table parse(std::string_view text, const std::string& source) {
  try {
    return toml::parse(text, std::string_view(source));
  } catch (const toml::parse_error& error) {
    const toml::source_position where = error.source().begin;
    throw config_error(source + ":" + std::to_string(where.line) + ":" +
                       std::to_string(where.column) + ": " + std::string(error.description()));
  }
}

// An empty variable is treated as unset, as shells and container runtimes
// often define variables they mean to leave blank.
std::optional<std::string> variable(const getenv_function& getenv_fn, const char* name) {
  std::optional<std::string> value = getenv_fn(name);
  if (value && value->empty())
    return std::nullopt;
  return value;
}

[[noreturn]] void fail_variable(std::string_view name, std::string_view key,
                                std::string_view expectation, std::string_view value) {
  throw config_error(std::string(name) + ": " + std::string(key) + ": " + std::string(expectation) +
                     ", got " + quoted(value));
}

void override_text(const getenv_function& getenv_fn, const char* name, std::string_view key,
                   const text_rule& rule, std::string& out) {
  if (std::optional<std::string> value = variable(getenv_fn, name)) {
    if (!rule.accepts(*value))
      fail_variable(name, key, rule.expectation, *value);
    out = std::move(*value);
  }
}

void override_port(const getenv_function& getenv_fn, std::uint16_t& out) {
  constexpr const char* name = "COMPTOIR_HTTP_PORT";
  if (const std::optional<std::string> value = variable(getenv_fn, name)) {
    std::int64_t port = 0;
    const char* end = value->data() + value->size();
    const auto [stop, error] = std::from_chars(value->data(), end, port);
    if (error != std::errc{} || stop != end || port < port_rule.min || port > port_rule.max)
      fail_variable(name, "http.port", expectation(port_rule), *value);
    out = static_cast<std::uint16_t>(port);
  }
}

} // namespace

settings read_settings(std::string_view text, const std::string& source) {
  settings result = document_reader(source).read(parse(text, source));
  result.source = source;
  return result;
}

settings load_settings(std::optional<std::string> cli_path, const getenv_function& getenv_fn) {
  const std::optional<std::string> path =
      cli_path ? std::move(cli_path) : variable(getenv_fn, "COMPTOIR_CONFIG");
  const std::string source = path ? *path : std::string(built_in_source);
  const std::string text = path ? read_file(*path) : std::string(default_config_text());

  settings result = read_settings(text, source);
  override_port(getenv_fn, result.http.port);
  override_text(getenv_fn, "COMPTOIR_HTTP_ADDRESS", "http.address", address_rule,
                result.http.address);
  override_text(getenv_fn, "COMPTOIR_DATABASE_URL", "database.url", database_url_rule,
                result.database.url);
  // After the overrides: the variable may have changed the database.
  if (result.cluster.enabled && !result.database.url.starts_with("postgresql://"))
    throw config_error(source +
                       ": cluster.enabled: a cluster needs a postgresql:// database.url "
                       "(SQLite serves a single node)");
  return result;
}

settings load_settings(std::optional<std::string> cli_path) {
  return load_settings(std::move(cli_path), [](const char* name) -> std::optional<std::string> {
    const char* value = std::getenv(name);
    return value ? std::optional<std::string>(value) : std::nullopt;
  });
}

} // namespace comptoir::config
