// Loading settings: the shipped default, files, environment overrides, and every
// mistake an operator can make, each reported with its file (or variable) and key.

#include "config/loader.hpp"

#include <doctest/doctest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <utility>

using namespace comptoir::config;
using namespace std::chrono_literals;

namespace {

namespace fs = std::filesystem;

// A private directory under the system's temporary one, removed with its files.
class scratch_dir {
public:
  scratch_dir()
      : path_(fs::temp_directory_path() / ("comptoir-config-test-" + std::to_string(::getpid()) +
                                           "-" + std::to_string(next_id_++))) {
    fs::create_directories(path_);
  }
  ~scratch_dir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  scratch_dir(const scratch_dir&) = delete;
  scratch_dir& operator=(const scratch_dir&) = delete;

  const fs::path& path() const { return path_; }

  std::string write(const std::string& name, const std::string& text) const {
    const fs::path file = path_ / name;
    std::ofstream(file, std::ios::binary) << text;
    return file.string();
  }

private:
  static inline int next_id_ = 0;
  fs::path path_;
};

// An environment holding only `variables`, so the real one cannot leak into a test.
getenv_function environment(std::map<std::string, std::string> variables = {}) {
  return [variables = std::move(variables)](const char* name) -> std::optional<std::string> {
    const auto found = variables.find(name);
    return found == variables.end() ? std::nullopt : std::optional<std::string>(found->second);
  };
}

settings load_text(const std::string& text, const getenv_function& env = environment()) {
  const scratch_dir dir;
  return load_settings(dir.write("node.toml", text), env);
}

struct failure {
  std::string path;
  // Empty when loading succeeded.
  std::string message;
};

failure load_failure(const std::string& text, const getenv_function& env = environment()) {
  const scratch_dir dir;
  failure result{dir.write("node.toml", text), ""};
  try {
    load_settings(result.path, env);
  } catch (const config_error& error) {
    result.message = error.what();
  }
  return result;
}

std::string default_failure(const getenv_function& env) {
  try {
    load_settings(std::nullopt, env);
  } catch (const config_error& error) {
    return error.what();
  }
  return "";
}

} // namespace

// -- the shipped default -------------------------------------------------------

TEST_CASE("without a file, the built-in default runs demo mode on SQLite at 127.0.0.1:8080") {
  const settings s = load_settings(std::nullopt, environment());
  CHECK(s.source == "built-in default");
  CHECK(s.http.address == "127.0.0.1");
  CHECK(s.http.port == 8080);
  CHECK(s.http.io_threads == 1);
  CHECK(s.http.body_limit_bytes == 1024 * 1024);
  CHECK(s.http.header_limit_bytes == 16 * 1024);
  CHECK(s.http.read_timeout == 10s);
  CHECK(s.http.idle_timeout == 30s);
  CHECK(s.actors.scheduler_threads == 1);
  CHECK(s.actors.workers == 4);
  CHECK(s.actors.request_timeout == 5s);
  CHECK(s.database.url == "sqlite://var/comptoir.db");
  CHECK(s.demo);
  CHECK(s.log_level == "info");
  CHECK(s.tokens.empty());
}

TEST_CASE("the shipped file states the same values a file gets for the keys it leaves out") {
  settings shipped = load_settings(std::nullopt, environment());
  const settings minimal = load_text("[demo]\nenabled = true\n");
  shipped.source = minimal.source;
  CHECK(shipped == minimal);
}

TEST_CASE("a file that leaves demo mode out runs without it") {
  CHECK_FALSE(load_text("").demo);
}

// -- files -----------------------------------------------------------------------

TEST_CASE("a file overrides the keys it names and keeps the defaults of the others") {
  const settings s = load_text(R"(
[http]
address = "0.0.0.0"
port = 9090
io_threads = 4
read_timeout_ms = 2500

[actors]
workers = 16

[database]
url = "postgresql://comptoir:secret@db:5432/comptoir"

[demo]
enabled = false

[log]
level = "debug"

[[tokens]]
token = "hq-token"
role = "hq"

[[tokens]]
token = "clerk-token"
role = "clerk"
store_id = 3
)");
  CHECK(s.http.address == "0.0.0.0");
  CHECK(s.http.port == 9090);
  CHECK(s.http.io_threads == 4);
  CHECK(s.http.read_timeout == 2500ms);
  CHECK(s.http.idle_timeout == 30s);
  CHECK(s.http.body_limit_bytes == 1024 * 1024);
  CHECK(s.actors.workers == 16);
  CHECK(s.actors.scheduler_threads == 1);
  CHECK(s.database.url == "postgresql://comptoir:secret@db:5432/comptoir");
  CHECK_FALSE(s.demo);
  CHECK(s.log_level == "debug");
  REQUIRE(s.tokens.size() == 2);
  CHECK(s.tokens[0] == token_settings{"hq-token", "hq", 0, ""});
  CHECK(s.tokens[1] == token_settings{"clerk-token", "clerk", 3, ""});
}

TEST_CASE("an IPv6 address is a valid listening address") {
  CHECK(load_text("[http]\naddress = \"::1\"\n").http.address == "::1");
}

TEST_CASE("COMPTOIR_CONFIG names the file when the command line does not") {
  const scratch_dir dir;
  const std::string path = dir.write("node.toml", "[http]\nport = 9001\n");
  const settings s = load_settings(std::nullopt, environment({{"COMPTOIR_CONFIG", path}}));
  CHECK(s.source == path);
  CHECK(s.http.port == 9001);
}

TEST_CASE("the command-line path wins over COMPTOIR_CONFIG") {
  const scratch_dir dir;
  const std::string chosen = dir.write("chosen.toml", "[http]\nport = 9001\n");
  const std::string ignored = dir.write("ignored.toml", "[http]\nport = 9002\n");
  const settings s = load_settings(chosen, environment({{"COMPTOIR_CONFIG", ignored}}));
  CHECK(s.source == chosen);
  CHECK(s.http.port == 9001);
}

// -- environment overrides -------------------------------------------------------

TEST_CASE("environment variables win over the file") {
  const settings s = load_text(
      "[http]\naddress = \"127.0.0.1\"\nport = 9001\n[database]\nurl = \"sqlite://a.db\"\n",
      environment({{"COMPTOIR_HTTP_PORT", "9100"},
                   {"COMPTOIR_HTTP_ADDRESS", "0.0.0.0"},
                   {"COMPTOIR_DATABASE_URL", "sqlite:///srv/comptoir.db"}}));
  CHECK(s.http.port == 9100);
  CHECK(s.http.address == "0.0.0.0");
  CHECK(s.database.url == "sqlite:///srv/comptoir.db");
}

TEST_CASE("environment variables also override the built-in default") {
  const settings s = load_settings(std::nullopt, environment({{"COMPTOIR_HTTP_PORT", "18080"}}));
  CHECK(s.source == "built-in default");
  CHECK(s.http.port == 18080);
}

TEST_CASE("an empty environment variable counts as unset") {
  const settings s = load_settings(
      std::nullopt, environment({{"COMPTOIR_CONFIG", ""}, {"COMPTOIR_HTTP_PORT", ""}}));
  CHECK(s.source == "built-in default");
  CHECK(s.http.port == 8080);
}

// -- errors in a file ------------------------------------------------------------

TEST_CASE("a TOML syntax error names the file, line and column") {
  const failure f = load_failure("[http]\nport = = 1\n");
  CHECK(f.message.starts_with(f.path + ":2:8: "));
  CHECK(f.message.size() > (f.path + ":2:8: ").size());
}

TEST_CASE("a value of the wrong type names the file, the key and what was expected") {
  const failure f = load_failure("[http]\nport = \"abc\"\n");
  CHECK(f.message ==
        f.path + ": http.port: expected an integer between 1 and 65535, got \"abc\" (line 2)");
}

TEST_CASE("a number where true or false belongs is refused") {
  const failure f = load_failure("[demo]\nenabled = 1\n");
  CHECK(f.message == f.path + ": demo.enabled: expected true or false, got 1 (line 2)");
}

TEST_CASE("a value out of range is refused with the range") {
  CHECK(load_failure("[http]\nport = 70000\n")
            .message.ends_with(
                ": http.port: expected an integer between 1 and 65535, got 70000 (line 2)"));
  CHECK(load_failure("[http]\nio_threads = 0\n")
            .message.ends_with(
                ": http.io_threads: expected an integer between 1 and 1024, got 0 (line 2)"));
  CHECK(load_failure("[actors]\nrequest_timeout_ms = 0\n")
            .message.ends_with(": actors.request_timeout_ms: expected an integer between 1 and "
                               "86400000, got 0 (line 2)"));
  CHECK(load_failure("[http]\nheader_limit_bytes = 5000000000\n")
            .message.ends_with(": http.header_limit_bytes: expected an integer between 1 and "
                               "4294967295, got 5000000000 "
                               "(line 2)"));
}

TEST_CASE("a misspelt key is an error, not silently ignored") {
  const failure f = load_failure("[http]\nprot = 8081\n");
  CHECK(f.message == f.path +
                         ": http.prot: unknown key (expected one of address, port, io_threads, "
                         "body_limit_bytes, header_limit_bytes, url_limit_bytes, "
                         "read_timeout_ms, idle_timeout_ms, header_timeout_ms, max_connections, "
                         "max_pipelined, max_in_flight, cors_origins) (line 2)");
}

TEST_CASE("an unknown section is an error") {
  const failure f = load_failure("[htpp]\nport = 8081\n");
  CHECK(f.message.starts_with(f.path + ": htpp: unknown key (expected one of http, web, actors, "));
}

TEST_CASE("a section given as a plain value is refused") {
  const failure f = load_failure("http = 8080\n");
  CHECK(f.message == f.path + ": http: expected a table [http], got 8080 (line 1)");
}

TEST_CASE("a listening address must be an IP address") {
  const failure f = load_failure("[http]\naddress = \"localhost\"\n");
  CHECK(f.message ==
        f.path + ": http.address: expected an IPv4 or IPv6 address, got \"localhost\" (line 2)");
}

TEST_CASE("a database URL must be SQLite or PostgreSQL") {
  const failure f = load_failure("[database]\nurl = \"mysql://db/comptoir\"\n");
  CHECK(f.message.starts_with(f.path + ": database.url: expected sqlite://"));
  CHECK(f.message.ends_with(", got \"mysql://db/comptoir\" (line 2)"));
}

TEST_CASE("a log level must be one spdlog knows") {
  const failure f = load_failure("[log]\nlevel = \"verbose\"\n");
  CHECK(f.message == f.path +
                         ": log.level: expected one of trace, debug, info, warn, error, off, got "
                         "\"verbose\" (line 2)");
}

TEST_CASE("control characters in a bad value are escaped in the message") {
  const failure f = load_failure("[log]\nlevel = \"in\\u0001fo\"\n");
  CHECK(f.message.ends_with("got \"in\\u0001fo\" (line 2)"));
}

// -- errors in tokens ------------------------------------------------------------

TEST_CASE("a token with an unknown role is refused") {
  const failure f = load_failure("[[tokens]]\ntoken = \"t1\"\nrole = \"boss\"\n");
  CHECK(f.message == f.path + ": tokens[0].role: expected one of admin, hq, logistics, clerk, got "
                              "\"boss\" (line 3)");
}

TEST_CASE("a clerk token without a store is refused") {
  const failure f = load_failure("[[tokens]]\ntoken = \"t1\"\nrole = \"admin\"\n"
                                 "[[tokens]]\ntoken = \"t2\"\nrole = \"clerk\"\n");
  CHECK(f.message.starts_with(f.path + ": tokens[1].store_id: missing ("));
}

TEST_CASE("a store on a token that is not a clerk's is refused") {
  const failure f = load_failure("[[tokens]]\ntoken = \"t1\"\nrole = \"hq\"\nstore_id = 2\n");
  CHECK(f.message == f.path +
                         ": tokens[0].store_id: not allowed for role \"hq\": only a clerk token "
                         "has a store (line 4)");
}

TEST_CASE("a clerk's store id must be at least 1") {
  const failure f = load_failure("[[tokens]]\ntoken = \"t1\"\nrole = \"clerk\"\nstore_id = 0\n");
  CHECK(f.message ==
        f.path + ": tokens[0].store_id: expected an integer of at least 1, got 0 (line 4)");
}

TEST_CASE("the same token twice is refused, naming both entries") {
  const failure f = load_failure("[[tokens]]\ntoken = \"same\"\nrole = \"admin\"\n"
                                 "[[tokens]]\ntoken = \"other\"\nrole = \"hq\"\n"
                                 "[[tokens]]\ntoken = \"same\"\nrole = \"logistics\"\n");
  CHECK(f.message == f.path +
                         ": tokens[2].token: the same as tokens[0].token (tokens must be "
                         "unique) (line 8)");
}

TEST_CASE("a token that could not be sent in a header is refused without being repeated") {
  const failure f = load_failure("[[tokens]]\ntoken = \"has space\"\nrole = \"admin\"\n");
  CHECK(f.message == f.path + ": tokens[0].token: expected 1 to 255 visible ASCII characters, no "
                              "spaces (line 2)");
  CHECK(load_failure("[[tokens]]\ntoken = \"\"\nrole = \"admin\"\n")
            .message.ends_with(": tokens[0].token: expected 1 to 255 visible ASCII characters, "
                               "no spaces (line 2)"));
  CHECK(load_failure("[[tokens]]\ntoken = \"" + std::string(256, 'x') + "\"\nrole = \"admin\"\n")
            .message.find("tokens[0].token: expected 1 to 255") != std::string::npos);
}

TEST_CASE("a token entry needs a token or its hash, and a role") {
  CHECK(load_failure("[[tokens]]\nrole = \"admin\"\n").message.ends_with(
      ": tokens[0]: expected exactly one of token and token_sha256 (line 1)"));
  const std::string hash(64, 'a');
  CHECK(load_failure("[[tokens]]\ntoken = \"t\"\ntoken_sha256 = \"" + hash +
                     "\"\nrole = \"admin\"\n")
            .message.ends_with(": tokens[0]: expected exactly one of token and token_sha256 "
                               "(line 1)"));
  CHECK(load_failure("[[tokens]]\ntoken = \"t1\"\n").message.find(": tokens[0].role: missing (") !=
        std::string::npos);
}

TEST_CASE("tokens must be an array of tables") {
  const failure f = load_failure("tokens = \"t1\"\n");
  CHECK(f.message ==
        f.path + ": tokens: expected an array of tables [[tokens]], got \"t1\" (line 1)");
}

// -- unreadable files ------------------------------------------------------------

TEST_CASE("a file that does not exist cannot be read, and the message says why") {
  const scratch_dir dir;
  const std::string path = (dir.path() / "missing.toml").string();
  CHECK_THROWS_WITH_AS(load_settings(path, environment()),
                       (path + ": cannot read: No such file or directory").c_str(), config_error);
}

TEST_CASE("a directory is not a config file") {
  const scratch_dir dir;
  const std::string path = dir.path().string();
  CHECK_THROWS_WITH_AS(load_settings(path, environment()),
                       (path + ": cannot read: Is a directory").c_str(), config_error);
}

TEST_CASE("a missing file named by COMPTOIR_CONFIG is reported under its path") {
  const scratch_dir dir;
  const std::string path = (dir.path() / "missing.toml").string();
  CHECK(default_failure(environment({{"COMPTOIR_CONFIG", path}})) ==
        path + ": cannot read: No such file or directory");
}

// -- errors in the environment ---------------------------------------------------

TEST_CASE("a bad port in the environment names the variable and the key") {
  for (const char* bad : {"abc", "0", "65536", "80x", "+80", " 80", "-1"}) {
    CAPTURE(bad);
    CHECK(default_failure(environment({{"COMPTOIR_HTTP_PORT", bad}})) ==
          std::string("COMPTOIR_HTTP_PORT: http.port: expected an integer between 1 and 65535, "
                      "got \"") +
              bad + "\"");
  }
}

TEST_CASE("a bad address or database URL in the environment names the variable and the key") {
  CHECK(default_failure(environment({{"COMPTOIR_HTTP_ADDRESS", "example.com"}})) ==
        "COMPTOIR_HTTP_ADDRESS: http.address: expected an IPv4 or IPv6 address, got "
        "\"example.com\"");
  CHECK(default_failure(environment({{"COMPTOIR_DATABASE_URL", "comptoir.db"}}))
            .starts_with("COMPTOIR_DATABASE_URL: database.url: expected sqlite://"));
}

TEST_CASE("an environment variable overriding a file is still checked") {
  const failure f =
      load_failure("[http]\nport = 9001\n", environment({{"COMPTOIR_HTTP_PORT", "99999"}}));
  CHECK(f.message.starts_with("COMPTOIR_HTTP_PORT: http.port: "));
}

// -- hashed tokens and CORS origins ----------------------------------------------

TEST_CASE("a token may be given as its SHA-256, and a bad hash is refused without echoing it") {
  const std::string hash = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
  const settings s =
      load_text("[[tokens]]\ntoken_sha256 = \"" + hash + "\"\nrole = \"logistics\"\n");
  REQUIRE(s.tokens.size() == 1);
  CHECK(s.tokens[0] == token_settings{"", "logistics", 0, hash});

  const failure upper = load_failure("[[tokens]]\ntoken_sha256 = \"" + std::string(64, 'A') +
                                     "\"\nrole = \"hq\"\n");
  CHECK(upper.message.ends_with(
      ": tokens[0].token_sha256: expected 64 lower-case hex digits (sha256sum) (line 2)"));
  CHECK(upper.message.find("AAAA") == std::string::npos);

  const failure twice = load_failure("[[tokens]]\ntoken_sha256 = \"" + hash +
                                     "\"\nrole = \"hq\"\n[[tokens]]\ntoken_sha256 = \"" +
                                     hash + "\"\nrole = \"admin\"\n");
  CHECK(twice.message.ends_with(": tokens[1].token_sha256: the same as tokens[0].token_sha256 "
                                "(tokens must be unique) (line 5)"));
}

TEST_CASE("CORS origins are listed exactly; a wildcard or a path is refused") {
  const settings s = load_text(
      "[http]\ncors_origins = [\"https://backoffice.example.com\", \"http://10.0.0.5:8080\"]\n");
  CHECK(s.http.cors_origins ==
        std::vector<std::string>{"https://backoffice.example.com", "http://10.0.0.5:8080"});
  for (const std::string bad : {"*", "https://a.example.com/", "ftp://a.example.com",
                                "https://A.example.com", "https://"}) {
    CAPTURE(bad);
    CHECK(load_failure("[http]\ncors_origins = [\"https://ok.example.com\", \"" + bad + "\"]\n")
              .message.find(": http.cors_origins[1]: expected an origin such as") !=
          std::string::npos);
  }
  CHECK(load_failure("[http]\ncors_origins = \"https://a.example.com\"\n")
            .message.find(": http.cors_origins: expected an array of strings") != std::string::npos);
}

TEST_CASE("the web page is on and compiled in unless [web] says otherwise") {
  const settings defaults = load_text("");
  CHECK(defaults.web.enabled);
  CHECK(defaults.web.directory.empty());
  const settings s = load_text("[web]\nenabled = false\ndirectory = \"/srv/comptoir-page\"\n");
  CHECK_FALSE(s.web.enabled);
  CHECK(s.web.directory == "/srv/comptoir-page");
  CHECK(load_failure("[web]\nenabled = \"yes\"\n").message.find(": web.enabled: expected") !=
        std::string::npos);
  CHECK(load_failure("[web]\nroot = \"x\"\n").message.find(": web.root: unknown key") !=
        std::string::npos);
}

TEST_CASE("a cluster node names itself, its port, its seeds and its lease") {
  const settings s = load_text("[database]\nurl = \"postgresql://c@db:5432/comptoir\"\n"
                               "[cluster]\nenabled = true\nnode_id = \"node-2\"\n"
                               "address = \"0.0.0.0\"\nport = 4802\nadvertise = \"10.0.0.2:4802\"\n"
                               "seeds = [\"10.0.0.1:4801\", \"node-3.internal:4803\"]\n"
                               "weight = 2\nlease_ttl_ms = 6000\n");
  CHECK(s.cluster.enabled);
  CHECK(s.cluster.node_id == "node-2");
  CHECK(s.cluster.port == 4802);
  CHECK(s.cluster.advertised() == "10.0.0.2:4802");
  CHECK(s.cluster.seeds == std::vector<std::string>{"10.0.0.1:4801", "node-3.internal:4803"});
  CHECK(s.cluster.weight == 2);
  CHECK(s.cluster.lease_ttl == 6000ms);
  CHECK(s.cluster.heartbeat_interval == 500ms);
  CHECK(load_text("[cluster]\naddress = \"10.0.0.7\"\nport = 4809\n").cluster.advertised() ==
        "10.0.0.7:4809");
}

TEST_CASE("a cluster on SQLite, without a node id or with a half TLS setup is refused") {
  const std::string pg = "[database]\nurl = \"postgresql://c@db:5432/comptoir\"\n";
  CHECK(load_failure("[cluster]\nenabled = true\nnode_id = \"n1\"\n")
            .message.ends_with(": cluster.enabled: a cluster needs a postgresql:// database.url "
                               "(SQLite serves a single node)"));
  // The variable that points a PostgreSQL file at SQLite is caught too.
  CHECK(load_failure(pg + "[cluster]\nenabled = true\nnode_id = \"n1\"\n",
                     environment({{"COMPTOIR_DATABASE_URL", "sqlite://a.db"}}))
            .message.find("a cluster needs a postgresql:// database.url") != std::string::npos);
  CHECK(load_failure(pg + "[cluster]\nenabled = true\n")
            .message.find(": cluster.node_id: missing") != std::string::npos);
  CHECK(load_failure(pg + "[cluster]\nenabled = true\nnode_id = \"n1\"\ntls = true\n"
                          "tls_certificate = \"n1.pem\"\n")
            .message.find(": cluster.tls: needs tls_certificate, tls_key and tls_cafile") !=
        std::string::npos);
  CHECK(load_failure(pg + "[cluster]\nenabled = true\nnode_id = \"n1\"\naddress = \"0.0.0.0\"\n")
            .message.find(": cluster.advertise: missing") != std::string::npos);
  CHECK(load_failure(pg + "[cluster]\nenabled = true\nnode_id = \"n1\"\n"
                          "heartbeat_interval_ms = 2000\nconnection_timeout_ms = 2000\n")
            .message.find("must be longer than heartbeat_interval_ms") != std::string::npos);
  for (const std::string bad : {"n1", "10.0.0.1", ":4801", "h:0", "h:70000", "a b:1", "h:1x"}) {
    CAPTURE(bad);
    CHECK(load_failure("[cluster]\nseeds = [\"" + bad + "\"]\n")
              .message.find(": cluster.seeds[0]: expected host:port") != std::string::npos);
  }
  CHECK(load_failure("[cluster]\nnode_id = \"no/slash\"\n")
            .message.find(": cluster.node_id: expected up to 64 letters") != std::string::npos);
}
