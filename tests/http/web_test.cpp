// The managers' web page as the node serves it (issue 10): / and /ui/{file},
// content types, caching, security headers, no way out of the page's files,
// an operator's directory instead of the compiled-in page, the page turned
// off, and GET /api/v1/me. The page's behaviour in a browser is tests/web/.

#include "support/api_helpers.hpp"

#include <boost/json.hpp>
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <string>

using namespace comptoir::test;
namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

constexpr std::string_view page_policy =
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

http_reply fetch(std::uint16_t port, const std::string& target,
                 const std::map<std::string, std::string>& headers = {},
                 const std::string& method = "GET") {
  http_call request;
  request.method = method;
  request.target = target;
  request.headers = headers;
  return send(port, request);
}

std::string header(const http_reply& reply, const std::string& name) {
  auto found = reply.headers.find(name);
  return found == reply.headers.end() ? std::string{} : found->second;
}

void check_not_found(const http_reply& reply) {
  CHECK(reply.status == 404);
  CHECK(header(reply, "content-type") == "application/problem+json");
}

/// A directory of the test's own, removed when destroyed.
struct temp_dir {
  fs::path path;
  temp_dir() {
    auto pattern = (fs::temp_directory_path() / "comptoir-web-XXXXXX").string();
    REQUIRE(::mkdtemp(pattern.data()) != nullptr);
    path = pattern;
  }
  ~temp_dir() {
    std::error_code ignored;
    fs::remove_all(path, ignored);
  }
  void write(const std::string& name, const std::string& bytes) const {
    std::ofstream{path / name, std::ios::binary} << bytes;
  }
};

/// Every "/ui/..." the page's HTML names, and every "./x.js" its modules import.
std::set<std::string> references(const std::string& text) {
  std::set<std::string> found;
  static const std::regex absolute{R"re(["'](/ui/[^"'?#]+)["'])re"};
  static const std::regex relative{R"re((?:from|import)\s*\(?\s*["']\./([^"'?#]+)["'])re"};
  for (std::sregex_iterator it{text.begin(), text.end(), absolute}, end; it != end; ++it)
    found.insert((*it)[1]);
  for (std::sregex_iterator it{text.begin(), text.end(), relative}, end; it != end; ++it)
    found.insert("/ui/" + (*it)[1].str());
  return found;
}

} // namespace

TEST_CASE("a browser gets the page at /, with its security and caching headers") {
  auto node = fresh_node();
  const auto port = node->port();
  auto page = fetch(port, "/", {{"Accept", "text/html,application/xhtml+xml,*/*;q=0.8"}});
  REQUIRE(page.status == 200);
  CHECK(header(page, "content-type") == "text/html; charset=utf-8");
  CHECK(header(page, "content-security-policy") == page_policy);
  CHECK(header(page, "x-content-type-options") == "nosniff");
  CHECK(header(page, "x-frame-options") == "DENY");
  CHECK(header(page, "referrer-policy") == "no-referrer");
  CHECK(header(page, "cache-control") == "no-cache");
  CHECK(header(page, "vary") == "Accept");
  const auto etag = header(page, "etag");
  CHECK(std::regex_match(etag, std::regex{R"("[0-9a-f]{24}")"}));
  CHECK(page.body.find("<script type=\"module\" src=\"/ui/") != std::string::npos);
  // curl's */* and no Accept at all get the page too; it is the same file as
  // /ui/index.html, with the same ETag.
  CHECK(fetch(port, "/").body == page.body);
  CHECK(fetch(port, "/", {{"Accept", "*/*"}}).body == page.body);
  CHECK(header(fetch(port, "/ui/index.html"), "etag") == etag);

  // Revalidation: the ETag it has gets 304 without a body; another gets the page.
  auto again = fetch(port, "/", {{"If-None-Match", etag}});
  CHECK(again.status == 304);
  CHECK(again.body.empty());
  CHECK(header(again, "etag") == etag);
  CHECK(fetch(port, "/", {{"If-None-Match", "\"0123\""}}).status == 200);
  auto head = fetch(port, "/", {}, "HEAD");
  CHECK(head.status == 200);
  CHECK(head.body.empty());
  CHECK(header(head, "content-length") == std::to_string(page.body.size()));
}

TEST_CASE("every file the page names is served, with its content type, and nothing else") {
  auto node = fresh_node();
  const auto port = node->port();
  // Follow the page: its /ui/ links, then what each module imports.
  std::set<std::string> seen;
  std::vector<std::string> queue;
  for (const auto& target : references(fetch(port, "/").body))
    queue.push_back(target);
  REQUIRE_FALSE(queue.empty());
  while (!queue.empty()) {
    auto target = queue.back();
    queue.pop_back();
    if (!seen.insert(target).second)
      continue;
    CAPTURE(target);
    auto file = fetch(port, target);
    REQUIRE(file.status == 200);
    CHECK_FALSE(header(file, "etag").empty());
    CHECK(header(file, "cache-control") == "no-cache");
    CHECK(header(file, "x-content-type-options") == "nosniff");
    const auto type = header(file, "content-type");
    if (target.ends_with(".js")) {
      CHECK(type == "text/javascript; charset=utf-8");
      for (const auto& imported : references(file.body))
        queue.push_back(imported);
    } else if (target.ends_with(".css")) {
      CHECK(type == "text/css; charset=utf-8");
    } else if (target.ends_with(".svg")) {
      CHECK(type == "image/svg+xml");
    }
    // The page is open: no file asks for a token.
    CHECK(header(file, "www-authenticate").empty());
  }
  CHECK(seen.size() >= 3);
}

TEST_CASE("no request reaches a file outside the page's files") {
  auto node = fresh_node();
  const auto port = node->port();
  for (const char* target :
       {"/ui/", "/ui", "/ui/../CMakeLists.txt", "/ui/..%2fCMakeLists.txt",
        "/ui/%2e%2e%2fconfig%2fcomptoir.toml", "/ui/..%5c..%5cetc%5cpasswd",
        "/ui/index.html/", "/ui/index.html/x", "/ui/./index.html", "/ui//index.html",
        "/ui/%69ndex.html", "/ui/.index.html", "/ui/nothing-here.js", "/../../etc/passwd",
        "/index.html", "/ui/index.html%00.js", "/web/index.html"}) {
    CAPTURE(target);
    check_not_found(fetch(port, target));
  }
  auto posted = fetch(port, "/ui/index.html", {}, "POST");
  CHECK(posted.status == 405);
  CHECK(header(posted, "allow") == "GET, HEAD");
}

TEST_CASE("Accept: application/json at / gets the JSON index instead of the page") {
  auto node = fresh_node();
  const auto port = node->port();
  auto index = fetch(port, "/", {{"Accept", "application/json"}});
  REQUIRE(index.status == 200);
  CHECK(header(index, "content-type") == "application/json");
  CHECK(header(index, "vary") == "Accept");
  auto body = json_body(index);
  CHECK(body.at("api").as_string() == "/api/v1");
  auto& links = body.at("links").as_object();
  for (const auto& [name, target] : links) {
    CAPTURE(name);
    // Every link is a path this node serves (some need a token: 401 then).
    auto followed = fetch(port, std::string{target.as_string()});
    CHECK((followed.status == 200 || followed.status == 401));
  }
  CHECK(links.at("openapi").as_string() == "/openapi.json");
  CHECK(links.at("me").as_string() == "/api/v1/me");
}

TEST_CASE("GET /api/v1/me says who a token is") {
  auto node = fresh_node();
  const auto port = node->port();
  auto anonymous = get(port, "/api/v1/me", "");
  CHECK(anonymous.status == 401);
  CHECK(header(anonymous, "www-authenticate") == "Bearer");
  CHECK(get(port, "/api/v1/me", "not-a-token").status == 401);
  for (auto [token, role] : {std::pair{"demo-admin", "admin"}, std::pair{"demo-hq", "hq"},
                             std::pair{"demo-logistics", "logistics"}}) {
    auto me = get(port, "/api/v1/me", token);
    REQUIRE(me.status == 200);
    CHECK(json_body(me) == json::object{{"role", role}, {"store_id", nullptr}});
  }
  for (std::int64_t store = 1; store <= 5; ++store) {
    auto me = get(port, "/api/v1/me", clerk_of(store));
    REQUIRE(me.status == 200);
    CHECK(json_body(me) == json::object{{"role", "clerk"}, {"store_id", store}});
  }
}

TEST_CASE("web.directory serves an operator's files instead; only plain, visible files") {
  temp_dir site;
  site.write("index.html", "<!doctype html><title>Our own page</title>\n");
  site.write("app.js", "export const answer = 42;\n");
  const std::string png{"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16};
  site.write("logo.png", png);
  site.write(".env", "SECRET=1\n");
  site.write("notes.unknown", "x");
  fs::create_directory(site.path / "sub");
  site.write("sub/inner.js", "x");
  fs::create_symlink("/etc/hostname", site.path / "host.txt");
  fs::create_symlink(site.path / "app.js", site.path / "link.js");

  config_file config{"[demo]\nenabled = true\n[web]\ndirectory = \"" + site.path.string() +
                     "\"\n"};
  auto node = fresh_node({{"COMPTOIR_CONFIG", config.path()}});
  const auto port = node->port();
  auto page = fetch(port, "/");
  CHECK(page.body == "<!doctype html><title>Our own page</title>\n");
  CHECK(header(page, "content-security-policy") == page_policy);
  auto script = fetch(port, "/ui/app.js");
  CHECK(script.body == "export const answer = 42;\n");
  CHECK(header(script, "content-type") == "text/javascript; charset=utf-8");
  auto logo = fetch(port, "/ui/logo.png");
  CHECK(logo.body == png);
  CHECK(header(logo, "content-type") == "image/png");
  CHECK(header(fetch(port, "/ui/notes.unknown"), "content-type") == "application/octet-stream");
  for (const char* target : {"/ui/.env", "/ui/sub", "/ui/sub/inner.js", "/ui/host.txt",
                             "/ui/link.js", "/ui/comptoir.toml"}) {
    CAPTURE(target);
    check_not_found(fetch(port, target));
  }
  // Read once at start: a file changed later is not served until a restart.
  site.write("app.js", "changed");
  CHECK(fetch(port, "/ui/app.js").body == "export const answer = 42;\n");
}

TEST_CASE("a web.directory that cannot serve a page stops the node at start") {
  temp_dir empty;
  for (const auto& directory : {empty.path.string(), (empty.path / "missing").string()}) {
    CAPTURE(directory);
    config_file config{"[demo]\nenabled = true\n[web]\ndirectory = \"" + directory + "\"\n"};
    auto run = run_comptoir({"serve"}, {{"COMPTOIR_CONFIG", config.path()},
                                        {"COMPTOIR_DATABASE_URL", test_database_url()},
                                        {"COMPTOIR_HTTP_PORT", std::to_string(free_port())}});
    CHECK(run.exit_code == 78);
    CHECK(run.output.find("web.directory " + directory) != std::string::npos);
  }
}

TEST_CASE("web.enabled = false: / is the JSON index and /ui/ has nothing") {
  config_file config{"[demo]\nenabled = true\n[web]\nenabled = false\n"};
  auto node = fresh_node({{"COMPTOIR_CONFIG", config.path()}});
  const auto port = node->port();
  auto index = fetch(port, "/", {{"Accept", "text/html"}});
  CHECK(index.status == 200);
  CHECK(header(index, "content-type") == "application/json");
  CHECK(json_body(index).at("api").as_string() == "/api/v1");
  check_not_found(fetch(port, "/ui/index.html"));
}
