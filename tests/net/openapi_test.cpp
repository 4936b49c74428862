// The OpenAPI document served at /openapi.json (net/openapi.json) against the
// route table (net/router.cpp): a route added, removed or opened up without
// its documentation fails here, naming the route and what to change.

#include "net/openapi.hpp"
#include "net/router.hpp"

#include <boost/json.hpp>
#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <set>
#include <string>
#include <string_view>
#include <vector>

using namespace comptoir::net;
namespace json = boost::json;
using comptoir::domain::location_id;
using comptoir::domain::principal;
using comptoir::domain::role;

namespace {

constexpr std::array operation_keys{"get",     "put",  "post",  "delete",
                                    "options", "head", "patch", "trace"};

/// The document as parsed, or null when net/openapi.json is not JSON.
const json::value& whole() {
  static const json::value parsed = [] {
    boost::system::error_code ec;
    auto value = json::parse(openapi_document(), ec);
    return ec ? json::value{} : value;
  }();
  return parsed;
}

const json::object& document() {
  static const json::object empty;
  return whole().is_object() ? whole().as_object() : empty;
}

const json::object& paths() {
  static const json::object empty;
  const auto* found = document().if_contains("paths");
  return found && found->is_object() ? found->as_object() : empty;
}

std::string lower(std::string_view text) {
  std::string out{text};
  std::ranges::transform(out, out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

/// "GET /api/v1/products", the way a developer reads the route table.
std::string name_of(const route& r) {
  return std::string{to_string(r.method)} + " " + std::string{r.pattern};
}

/// The document's `#/...` target of a `$ref`, or nullptr.
const json::value* resolve(std::string_view ref) {
  if (!ref.starts_with("#"))
    return nullptr;
  boost::system::error_code ec;
  ref.remove_prefix(1);
  return whole().find_pointer(ref, ec);
}

/// `value` itself, or what its `$ref` names (following chains); nullptr when
/// a reference does not resolve.
const json::value* follow(const json::value& value) {
  const json::value* at = &value;
  for (int hops = 0; hops < 16 && at; ++hops) {
    const auto* object = at->if_object();
    const json::value* ref = object ? object->if_contains("$ref") : nullptr;
    if (!ref || !ref->is_string())
      return at;
    at = resolve(ref->as_string());
  }
  return nullptr;
}

/// The operation of `r` in the document, or nullptr.
const json::object* operation_of(const route& r) {
  const auto* item = paths().if_contains(r.pattern);
  if (!item || !item->is_object())
    return nullptr;
  const auto* op = item->as_object().if_contains(lower(to_string(r.method)));
  return op && op->is_object() ? &op->as_object() : nullptr;
}

/// The routes the document must describe: HEAD is answered wherever GET is
/// and is not listed on its own.
std::vector<route> documented_routes() {
  std::vector<route> out;
  // Keep the router alive while reading it (routes() is a reference into it).
  const auto table = router::comptoir_routes();
  for (const auto& r : table.routes())
    if (r.method != method::head)
      out.push_back(r);
  return out;
}

/// The names in braces of a route pattern: `{id}` -> "id".
std::set<std::string> pattern_parameters(std::string_view pattern) {
  std::set<std::string> names;
  for (auto open = pattern.find('{'); open != std::string_view::npos;
       open = pattern.find('{', open + 1)) {
    auto close = pattern.find('}', open);
    if (close == std::string_view::npos)
      break;
    names.emplace(pattern.substr(open + 1, close - open - 1));
  }
  return names;
}

/// The `in: path` parameters of an operation and of its path item.
std::set<std::string> declared_path_parameters(const route& r, const json::object& op) {
  std::set<std::string> names;
  auto collect = [&](const json::object& holder) {
    const auto* list = holder.if_contains("parameters");
    if (!list || !list->is_array())
      return;
    for (const auto& entry : list->as_array()) {
      const auto* parameter = follow(entry);
      if (!parameter || !parameter->is_object())
        continue;
      const auto& fields = parameter->as_object();
      const auto* in = fields.if_contains("in");
      const auto* name = fields.if_contains("name");
      const auto* required = fields.if_contains("required");
      if (in && *in == "path" && name && name->is_string()) {
        names.emplace(name->as_string());
        CHECK_MESSAGE((required && *required == true), name_of(r) << ": the path parameter "
                                                                  << name->as_string()
                                                                  << " must have required: true");
      }
    }
  };
  collect(paths().at(r.pattern).as_object());
  collect(op);
  return names;
}

/// The security requirements in force for an operation.
const json::value* effective_security(const json::object& op) {
  if (const auto* own = op.if_contains("security"))
    return own;
  return document().if_contains("security");
}

bool uses_bearer(const json::value& security) {
  const auto* schemes = document().if_contains("components");
  if (schemes && schemes->is_object())
    schemes = schemes->as_object().if_contains("securitySchemes");
  if (!security.is_array() || security.as_array().empty() || !schemes || !schemes->is_object())
    return false;
  for (const auto& requirement : security.as_array()) {
    if (!requirement.is_object() || requirement.as_object().empty())
      return false; // `{}` would make the token optional
    for (const auto& [scheme_name, scopes] : requirement.as_object()) {
      const auto* scheme = schemes->as_object().if_contains(scheme_name);
      if (!scheme || !scheme->is_object())
        return false;
      const auto& fields = scheme->as_object();
      const auto* type = fields.if_contains("type");
      const auto* kind = fields.if_contains("scheme");
      if (!type || *type != "http" || !kind || !kind->is_string() ||
          lower(kind->as_string()) != "bearer")
        return false;
    }
  }
  return true;
}

const json::object* response_of(const json::object& op, std::string_view status) {
  const auto* responses = op.if_contains("responses");
  if (!responses || !responses->is_object())
    return nullptr;
  const auto* entry = responses->as_object().if_contains(status);
  const auto* target = entry ? follow(*entry) : nullptr;
  return target && target->is_object() ? &target->as_object() : nullptr;
}

bool is_problem(const json::object& response) {
  const auto* content = response.if_contains("content");
  if (!content || !content->is_object() || content->as_object().empty())
    return false;
  return std::ranges::all_of(content->as_object(), [](const auto& entry) {
    return entry.key() == "application/problem+json";
  });
}

/// The "**Who:** ..." paragraph that opens an operation's description.
std::string who_of(const json::object& op) {
  const auto* description = op.if_contains("description");
  if (!description || !description->is_string())
    return {};
  std::string_view text = description->as_string();
  if (!text.starts_with("**Who:**"))
    return {};
  return std::string{text.substr(0, text.find("\n\n"))};
}

void collect_refs(const json::value& value, const std::string& where,
                  std::vector<std::pair<std::string, std::string>>& refs) {
  if (const auto* object = value.if_object()) {
    for (const auto& [key, member] : *object) {
      // A JSON pointer: "~" and "/" in a key are escaped.
      auto at = where + "/";
      for (char c : std::string_view{key})
        at += c == '~' ? "~0" : c == '/' ? "~1" : std::string(1, c);
      if (key == "$ref" && member.is_string())
        refs.emplace_back(at, std::string{member.as_string()});
      else
        collect_refs(member, at, refs);
    }
  } else if (const auto* array = value.if_array()) {
    for (std::size_t i = 0; i < array->size(); ++i)
      collect_refs((*array)[i], where + "/" + std::to_string(i), refs);
  }
}

} // namespace

TEST_CASE("the served document is an OpenAPI 3.1 document with its shared components") {
  REQUIRE_MESSAGE(whole().is_object(), "net/openapi.json is not a JSON object");
  const auto& doc = document();
  CHECK(doc.at("openapi") == "3.1.0");
  const auto& info = doc.at("info").as_object();
  CHECK(info.contains("title"));
  CHECK(info.contains("version"));
  CHECK(info.contains("description"));
  const auto& components = doc.at("components").as_object();
  for (auto name : {"Problem", "FieldError"})
    CHECK_MESSAGE(components.at("schemas").as_object().contains(name), "schema " << name);
  for (auto name : {"BadRequest", "Unauthorized", "Forbidden", "NotFound", "Conflict",
                    "PayloadTooLarge", "UnprocessableEntity", "ServiceUnavailable"})
    CHECK_MESSAGE(components.at("responses").as_object().contains(name), "response " << name);
  CHECK(components.at("securitySchemes").as_object().size() >= 1);
}

TEST_CASE("every route of the router is an operation of the OpenAPI document") {
  auto routes = documented_routes();
  REQUIRE(!routes.empty());
  for (const auto& r : routes)
    CHECK_MESSAGE(operation_of(r) != nullptr,
                  name_of(r) << " is a route (net/router.cpp) but not in net/openapi.json: add "
                             << "paths[\"" << r.pattern << "\"]." << lower(to_string(r.method)));
}

TEST_CASE("every operation of the OpenAPI document is a route of the router") {
  auto routes = documented_routes();
  REQUIRE(!paths().empty());
  for (const auto& [path, item] : paths()) {
    REQUIRE_MESSAGE(item.is_object(), "paths[\"" << std::string_view{path} << "\"]");
    for (const auto& [key, op] : item.as_object()) {
      if (std::ranges::find(operation_keys, std::string_view{key}) == operation_keys.end())
        continue;
      // A documented HEAD stands for the GET of the same path.
      auto wanted = key == "head" ? std::string{"get"} : std::string{key};
      bool routed = std::ranges::any_of(routes, [&](const route& r) {
        return r.pattern == std::string_view{path} && lower(to_string(r.method)) == wanted;
      });
      CHECK_MESSAGE(routed, "net/openapi.json documents "
                                << lower(std::string_view{key}) << " " << std::string_view{path}
                                << " but net/router.cpp has no such route: remove it from the "
                                   "document or add the route");
    }
  }
}

TEST_CASE("every operation has a unique operationId, a summary and says who may call it") {
  std::set<std::string> ids;
  for (const auto& r : documented_routes()) {
    const auto* op = operation_of(r);
    if (!op)
      continue; // reported above
    const auto* id = op->if_contains("operationId");
    REQUIRE_MESSAGE((id && id->is_string()), name_of(r) << ": add an operationId");
    CHECK_MESSAGE(ids.emplace(id->as_string()).second,
                  name_of(r) << ": operationId " << id->as_string() << " is used twice");
    CHECK_MESSAGE(op->contains("summary"), name_of(r) << ": add a summary");

    auto who = who_of(*op);
    REQUIRE_MESSAGE(!who.empty(), name_of(r) << ": the description must start with a "
                                                "\"**Who:** ...\" paragraph");
    if (!r.access) {
      CHECK_MESSAGE(who.find("anyone") != std::string::npos,
                    name_of(r) << " is open: its \"**Who:**\" must say anyone may call it");
      continue;
    }
    // The roles the rule lets in at the route's own store are those named.
    for (auto each : {role::admin, role::hq, role::logistics, role::clerk}) {
      bool allowed = r.access->allows(principal{each, location_id{1}}, location_id{1});
      auto named = who.find("`" + std::string{to_string(each)} + "`") != std::string::npos;
      CHECK_MESSAGE(allowed == named, name_of(r) << ": role " << to_string(each)
                                                 << (allowed ? " may call it but is not named"
                                                             : " may not call it but is named")
                                                 << " in \"" << who << "\"");
    }
    bool own_store_only =
        r.access->allows(principal{role::clerk, location_id{1}}, location_id{1}) &&
        !r.access->allows(principal{role::clerk, location_id{1}}, location_id{2});
    if (!own_store_only)
      continue;
    if (r.store_of_record)
      CHECK_MESSAGE((who.find("`clerk` of the ") != std::string::npos &&
                     who.find("'s store") != std::string::npos),
                    name_of(r) << ": clerks may call it for the store of the record it names only; "
                                  "say \"a `clerk` of the sale's store\" (or the record's) in \""
                               << who << "\"");
    else
      CHECK_MESSAGE(who.find("`clerk` of that store") != std::string::npos,
                    name_of(r) << ": clerks may call it for their own store only; say \"a "
                                  "`clerk` of that store\" in \""
                               << who << "\"");
  }
}

TEST_CASE("the path parameters of every route are declared in its operation") {
  for (const auto& r : documented_routes()) {
    const auto* op = operation_of(r);
    if (!op)
      continue;
    auto wanted = pattern_parameters(r.pattern);
    auto declared = declared_path_parameters(r, *op);
    for (const auto& name : wanted)
      CHECK_MESSAGE(declared.contains(name),
                    name_of(r) << ": declare the path parameter {" << name
                               << "} (in: path, required: true) in its parameters");
    for (const auto& name : declared)
      CHECK_MESSAGE(wanted.contains(name), name_of(r) << ": the path parameter " << name
                                                      << " is not in the route's pattern");
  }
}

TEST_CASE("open routes need no token; the others take a bearer token and answer 401 and 403") {
  for (const auto& r : documented_routes()) {
    const auto* op = operation_of(r);
    if (!op)
      continue;
    if (!r.access) {
      const auto* security = op->if_contains("security");
      CHECK_MESSAGE((security && security->is_array() && security->as_array().empty()),
                    name_of(r) << " is open (no access rule): give its operation \"security\": []");
      continue;
    }
    const auto* security = effective_security(*op);
    CHECK_MESSAGE((security && uses_bearer(*security)),
                  name_of(r) << " needs a token: its operation must use the bearer scheme "
                                "(\"security\": [{\"bearerAuth\": []}])");
    for (std::string_view status : {"401", "403"})
      CHECK_MESSAGE(response_of(*op, status) != nullptr,
                    name_of(r) << " needs a token: list the " << status << " response");
  }
}

TEST_CASE("every operation lists 503 with Retry-After, and its errors are problem details") {
  for (const auto& r : documented_routes()) {
    const auto* op = operation_of(r);
    if (!op)
      continue;
    const auto* unavailable = response_of(*op, "503");
    CHECK_MESSAGE(
        unavailable != nullptr,
        name_of(r) << ": list the 503 response (#/components/responses/ServiceUnavailable)");
    if (unavailable) {
      const auto* headers = unavailable->if_contains("headers");
      CHECK_MESSAGE(
          (headers && headers->is_object() && headers->as_object().contains("Retry-After")),
          name_of(r) << ": its 503 response must declare the Retry-After header");
    }
    const auto& responses = op->at("responses").as_object();
    bool has_problem = false;
    for (const auto& [status, entry] : responses) {
      std::string_view code = status;
      bool error = code == "default" || code.starts_with('4') || code.starts_with('5');
      if (!error)
        continue;
      const auto* target = follow(entry);
      bool problem = target && target->is_object() && is_problem(target->as_object());
      CHECK_MESSAGE(problem, name_of(r) << ": the " << code
                                        << " response must be application/problem+json only");
      has_problem = has_problem || problem;
    }
    CHECK_MESSAGE((responses.contains("default") || has_problem),
                  name_of(r) << ": list a default (or specific) problem response");
    bool has_success = std::ranges::any_of(
        responses, [](const auto& entry) { return entry.key().starts_with('2'); });
    CHECK_MESSAGE(has_success, name_of(r) << ": list its success response");
  }
}

TEST_CASE("every $ref of the document resolves inside it") {
  std::vector<std::pair<std::string, std::string>> refs;
  collect_refs(whole(), "#", refs);
  CHECK(!refs.empty());
  for (const auto& [where, ref] : refs)
    CHECK_MESSAGE(resolve(ref) != nullptr, "the $ref \""
                                               << ref << "\" at " << where
                                               << " does not resolve in net/openapi.json");
}
