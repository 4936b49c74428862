#include "net/api.hpp"

#include "actors/errors.hpp"
#include "actors/frontend_actor.hpp"
#include "actors/stock_board.hpp"
#include "domain/cursor.hpp"
#include "domain/parse.hpp"
#include "domain/restock.hpp"
#include "domain/timestamp.hpp"
#include "net/cors.hpp"
#include "net/json_body.hpp"
#include "net/openapi.hpp"
#include "net/problem.hpp"
#include "net/query.hpp"

#include <boost/json.hpp>
#include <caf/all.hpp>

#include <algorithm>
#include <random>
#include <variant>

namespace comptoir::net {

namespace {

constexpr std::int32_t default_page_size = 50;
constexpr std::int32_t max_page_size = 500;
constexpr std::int64_t max_reorder_point = 1'000'000'000;

response json_answer(unsigned status, std::string body) {
  response answer;
  answer.status = status;
  answer.body = std::move(body);
  return answer;
}

response json_ok(std::string body) {
  return json_answer(200, std::move(body));
}

/// 200 with a body kept by a cache, sent as is: no copy per response.
response json_shared(std::shared_ptr<const std::string> body) {
  auto answer = json_ok({});
  answer.shared_body = std::move(body);
  return answer;
}

/// The page's Content-Security-Policy: its own files only, no inline script
/// or style, never framed (net/web/ follows it; docs/web.md).
constexpr std::string_view page_policy =
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/// What / answers a client that asks for JSON, or when the page is off.
constexpr std::string_view json_index =
    R"({"name":"Comptoir","api":"/api/v1","links":{"openapi":"/openapi.json",)"
    R"("health_live":"/health/live","health_ready":"/health/ready","metrics":"/metrics",)"
    R"("me":"/api/v1/me","products":"/api/v1/products","stores":"/api/v1/stores"}})";

/// Whether the Accept header asks for JSON rather than a page: it names
/// application/json and not text/html (a browser names text/html; curl sends */*).
bool prefers_json(std::string_view accept) {
  return accept.find("application/json") != std::string_view::npos &&
         accept.find("text/html") == std::string_view::npos;
}

/// Whether an If-None-Match header names `etag` (or is `*`): the client's
/// copy is current, and the answer is 304.
bool client_has(std::string_view if_none_match, std::string_view etag) {
  return if_none_match == "*" || (!etag.empty() && if_none_match.find(etag) != std::string_view::npos);
}

/// A file of the page, or 304 when the client has this version already.
/// `no-cache`: the browser keeps it and asks again with If-None-Match each
/// time, so a new page reaches every manager at their next load, at the cost
/// of a 304 per file.
response web_file(const web_asset& file, std::string_view if_none_match) {
  response answer;
  answer.content_type = file.content_type;
  if (client_has(if_none_match, file.etag))
    answer.status = 304;
  else
    answer.shared_body = file.body;
  answer.headers.emplace_back("ETag", file.etag);
  answer.headers.emplace_back("Cache-Control", "no-cache");
  answer.headers.emplace_back("X-Content-Type-Options", "nosniff");
  if (file.content_type.starts_with("text/html")) {
    answer.headers.emplace_back("Content-Security-Policy", std::string{page_policy});
    answer.headers.emplace_back("Referrer-Policy", "no-referrer");
    answer.headers.emplace_back("X-Frame-Options", "DENY");
  }
  return answer;
}

response json_created(std::string body) {
  return json_answer(201, std::move(body));
}

/// The JSON an actor put in an error's context for the client, if any.
std::string client_context(const caf::error& err) {
  const auto& context = err.context();
  if (context.size() == 1 && context.match_element<std::string>(0))
    return context.get_as<std::string>(0);
  return {};
}

/// The `limit` and `cursor` of a listing, `decode` reading this listing's
/// cursors; what is wrong goes to `errors`.
template <class Decode>
auto read_page(const split_target& target, std::vector<field_error>& errors, Decode decode) {
  struct page {
    std::int32_t limit = default_page_size;
    decltype(decode(std::string_view{})) after;
  } result;
  if (auto* limit = find_param(target, "limit")) {
    if (auto parsed = domain::parse_limit(*limit, max_page_size))
      result.limit = *parsed;
    else
      errors.push_back({"limit", "expected an integer between 1 and 500"});
  }
  if (auto* cursor = find_param(target, "cursor")) {
    result.after = decode(*cursor);
    if (!result.after)
      errors.push_back({"cursor", "not a cursor this server gave out"});
  }
  return result;
}

/// What the metrics and the access log say of a request besides its status.
struct request_labels {
  std::string_view route = "unmatched";
  std::int64_t store = 0;
  std::string_view role;
};

/// A problem whose body gains `member` (a JSON value given as text).
response problem_with(unsigned status, std::string_view detail, const std::string& request_id,
                      std::string_view member, const std::string& json_value) {
  auto answer = problem(status, detail, request_id);
  auto body = boost::json::parse(answer.body).as_object();
  boost::system::error_code ec;
  auto value = boost::json::parse(json_value, ec);
  if (!ec)
    body[member] = std::move(value);
  answer.body = boost::json::serialize(body);
  return answer;
}

/// The one table from actor and database errors to HTTP problems. Internal
/// details go to the log line of the request (log_note), never to the client.
response problem_from(const caf::error& err, std::string_view not_found_detail,
                      const std::string& request_id) {
  using actors::error_code;
  if (err.category() == actors::error_category) {
    switch (static_cast<error_code>(err.code())) {
    case error_code::not_found:
      return problem(404, not_found_detail, request_id);
    case error_code::unavailable:
    case error_code::fenced:
      return unavailable("The service is unavailable; try again shortly.", request_id,
                         caf::to_string(err));
    case error_code::forbidden:
      return problem(403, "This token may not act on this store's records.", request_id);
    case error_code::invalid:
      return problem_with(422, "Some fields are invalid.", request_id, "errors",
                          client_context(err));
    case error_code::insufficient:
      return problem_with(409, "Some lines cannot be served in full.", request_id, "lines",
                          client_context(err));
    case error_code::key_reused:
      return problem(422, "This Idempotency-Key was used with another request.", request_id);
    case error_code::state_conflict:
      return problem(409, client_context(err), request_id);
    }
  }
  if (err == caf::sec::request_timeout || err == caf::sec::request_receiver_down)
    return unavailable("The service is busy or unavailable; try again shortly.", request_id,
                       caf::to_string(err));
  auto answer = problem(500, "An internal error occurred.", request_id);
  answer.log_note = "unexpected error: " + caf::to_string(err);
  return answer;
}

} // namespace

struct api::impl {
  caf::actor frontend;
  authenticator tokens;
  std::chrono::milliseconds timeout;
  domain::basket_limits limits;
  cors_policy cors;
  caf::actor metrics;
  std::shared_ptr<const web_assets> web;
  std::shared_ptr<const actors::stock_board> stock;
  router routes = router::comptoir_routes();
  /// Makes ETags differ across restarts, when versions start again.
  std::string boot_id = std::to_string(std::chrono::steady_clock::now().time_since_epoch().count() ^
                                       std::random_device{}());

  /// Sends one request to the worker pool and answers with `on_value` of its
  /// result, or with the problem its error maps to.
  template <class Result, class OnValue, class... Ts>
  void ask(responder reply, std::string request_id, std::string not_found_detail, OnValue on_value,
           Ts... xs) const {
    caf::anon_send(frontend, actors::api_call{[timeout = timeout, reply = std::move(reply),
                                               request_id, not_found_detail, on_value,
                                               xs...](caf::event_based_actor* self,
                                                      const actors::worker_actor& workers,
                                                      actors::request_deadlines& deadlines) {
                     // No CAF timeout: the frontend's sweep answers a late request.
                     auto ticket = deadlines.add(
                         actors::request_deadlines::clock::now() + timeout,
                         [reply, request_id] {
                           reply(problem_from(caf::sec::request_timeout, "", request_id));
                         });
                     self->request(workers, caf::infinite, xs...)
                         .then(
                             [reply, on_value, ticket](Result& value) mutable {
                               if (ticket.claim())
                                 reply(on_value(value));
                             },
                             [reply, request_id, not_found_detail, ticket](caf::error& err) mutable {
                               if (ticket.claim())
                                 reply(problem_from(err, not_found_detail, request_id));
                             });
                   }});
  }

  template <class... Ts>
  void ask_rendered(responder reply, const std::string& request_id, std::string not_found_detail,
                    Ts... xs) const {
    ask<actors::rendered>(
        std::move(reply), request_id, std::move(not_found_detail),
        [](actors::rendered& view) { return json_ok(std::move(view.body)); }, xs...);
  }

  /// Like ask_rendered, for reads of versioned state: the answer carries an
  /// ETag (this process's boot id and the state's version, so a restart never
  /// reuses one), and a matching If-None-Match gets 304 without a body.
  template <class... Ts>
  void ask_cached(responder reply, const request& incoming, std::string not_found_detail,
                  Ts... xs) const {
    ask<actors::rendered>(
        std::move(reply), incoming.request_id, std::move(not_found_detail),
        [boot = boot_id, if_none_match = incoming.if_none_match](actors::rendered& view) {
          return versioned(boot, if_none_match, view.version, json_ok(std::move(view.body)));
        },
        xs...);
  }

  /// A read of versioned state: `answer` (a 200) with its ETag, or 304
  /// without a body when the client has this version.
  static response versioned(const std::string& boot, const std::string& if_none_match,
                            std::uint64_t version, response answer) {
    auto etag = "\"" + boot + "-" + std::to_string(version) + "\"";
    if (client_has(if_none_match, etag)) {
      answer.status = 304;
      answer.body.clear();
      answer.shared_body.reset();
    }
    answer.headers.emplace_back("ETag", std::move(etag));
    return answer;
  }

  /// Like ask_rendered, for writes that answer 201.
  template <class... Ts>
  void ask_created(responder reply, const std::string& request_id, std::string not_found_detail,
                   Ts... xs) const {
    ask<actors::rendered>(
        std::move(reply), request_id, std::move(not_found_detail),
        [](actors::rendered& view) { return json_created(std::move(view.body)); }, xs...);
  }

  /// Answers with the metrics actor's text exposition.
  void scrape(responder reply, const std::string& request_id) const {
    if (!metrics)
      return reply(unavailable("Metrics are not collected on this node.", request_id,
                               "no metrics actor"));
    caf::anon_send(frontend, actors::api_call{[metrics = metrics, timeout = timeout,
                                               reply = std::move(reply), request_id](
                                                  caf::event_based_actor* self,
                                                  const actors::worker_actor&,
                                                  actors::request_deadlines&) {
                     self->request(metrics, timeout, caf::get_atom_v, actors::metrics_atom_v)
                         .then(
                             [reply](std::string& text) {
                               response answer;
                               answer.content_type = "text/plain; version=0.0.4; charset=utf-8";
                               answer.body = std::move(text);
                               reply(std::move(answer));
                             },
                             [reply, request_id](caf::error& err) {
                               reply(problem_from(err, "", request_id));
                             });
                   }});
  }

  /// The lines of a sale or return body, or the 400/422 problem that answers it.
  std::variant<std::vector<domain::basket_line>, response>
  read_lines(const request& incoming) const;

  void handle(request& incoming, responder& reply, request_labels& labels) const;
};

std::variant<std::vector<domain::basket_line>, response>
api::impl::read_lines(const request& incoming) const {
  const auto& id = incoming.request_id;
  auto decoded = decode_lines(incoming.body);
  if (!decoded.malformed.empty())
    return problem(400, decoded.malformed, id);
  if (!decoded.out_of_range.empty())
    return problem(422, "Some fields are invalid.", id, decoded.out_of_range);
  auto problems = domain::validate_basket(decoded.lines, limits);
  if (!problems.empty()) {
    std::vector<field_error> errors;
    for (auto& p : problems)
      errors.push_back({std::move(p.field), std::move(p.message)});
    return problem(422, "Some fields are invalid.", id, errors);
  }
  return std::move(decoded.lines);
}

void api::impl::handle(request& incoming, responder& reply, request_labels& labels) const {
  const auto& id = incoming.request_id;
  auto target = split(incoming.target);
  if (!target)
    return reply(problem(400, "The query string is malformed.", id));
  auto found = routes.match(incoming.method, target->path);
  if (found.result == route_match::outcome::not_found)
    return reply(problem(404, "There is no resource at this path.", id));
  // No route has OPTIONS: it matches as a wrong method, with what is allowed.
  if (incoming.method == method::options) {
    if (cors_policy::is_preflight(incoming))
      return reply(cors.preflight(incoming, found.allowed));
    response answer;
    answer.status = 204;
    answer.content_type.clear();
    answer.headers.emplace_back("Allow", found.allowed + ", OPTIONS");
    return reply(std::move(answer));
  }
  if (found.result == route_match::outcome::wrong_method) {
    auto answer = problem(405, "This resource does not support this method.", id);
    answer.headers.emplace_back("Allow", found.allowed);
    return reply(std::move(answer));
  }
  const auto& matched = *found.matched;
  labels.route = matched.pattern;

  const domain::principal* caller = nullptr;
  if (matched.access) {
    caller = tokens.authenticate(incoming.authorization);
    if (caller)
      labels.role = domain::to_string(caller->who);
    if (!caller) {
      auto answer = problem(401,
                            incoming.authorization.empty() ? "This resource needs a bearer token."
                                                           : "The bearer token is not valid.",
                            id);
      answer.headers.emplace_back("WWW-Authenticate", "Bearer");
      return reply(std::move(answer));
    }
  }

  // The ids in the path, when the route has them: malformed is 400, unknown is 404.
  // Sales and restock requests have UUIDs; everything else integers.
  bool names_uuid = matched.id == route_id::sale_get || matched.id == route_id::return_create ||
                    matched.id == route_id::restock_approve ||
                    matched.id == route_id::restock_reject;
  std::optional<std::int64_t> path_id;
  std::optional<std::int64_t> second_id;
  std::string sale_id;
  if (names_uuid) {
    sale_id = std::string{found.captures.front()};
    if (!domain::is_uuid(sale_id))
      return reply(problem(400, "The id in the path must be a UUID.", id,
                           {{"id", "expected a lower-case UUID"}}));
  } else if (!found.captures.empty() && matched.id != route_id::web_asset) {
    path_id = domain::parse_id(found.captures.front());
    if (found.captures.size() > 1)
      second_id = domain::parse_id(found.captures[1]);
    if (!path_id || (found.captures.size() > 1 && !second_id))
      return reply(problem(400, "The ids in the path must be positive integers.", id,
                           {{"id", "expected an integer between 1 and 9223372036854775807"}}));
  }

  // Routes under /stores/{id} act on that store.
  std::optional<domain::location_id> target_store;
  if (path_id && target->path.starts_with("/api/v1/stores/")) {
    target_store = domain::location_id{*path_id};
    labels.store = *path_id;
  }

  std::string idempotency_key;
  if (incoming.idempotency_key) {
    idempotency_key = *incoming.idempotency_key;
    bool printable =
        std::ranges::all_of(idempotency_key, [](char c) { return c >= 0x21 && c <= 0x7e; });
    if (idempotency_key.empty() || idempotency_key.size() > 255 || !printable)
      return reply(problem(400, "The Idempotency-Key must be 1 to 255 visible ASCII characters.",
                           id,
                           {{"Idempotency-Key", "expected 1 to 255 visible ASCII characters"}}));
  }
  if (matched.access && !(matched.store_of_record ? matched.access->allows_role(caller->who)
                                                   : matched.access->allows(*caller, target_store)))
    return reply(problem(403, "This token may not do this.", id));

  switch (matched.id) {
  case route_id::web_index: {
    const web_asset* page = web ? web->find("index.html") : nullptr;
    if (!page || prefers_json(incoming.accept)) {
      auto answer = json_ok(std::string{json_index});
      answer.headers.emplace_back("Vary", "Accept");
      return reply(std::move(answer));
    }
    auto answer = web_file(*page, incoming.if_none_match);
    answer.headers.emplace_back("Vary", "Accept");
    return reply(std::move(answer));
  }
  case route_id::web_asset: {
    // Only a name of the set loaded at start: nothing here touches the disk.
    const web_asset* file = web ? web->find(found.captures.front()) : nullptr;
    if (!file)
      return reply(problem(404, "There is no such file of the web page.", id));
    return reply(web_file(*file, incoming.if_none_match));
  }
  case route_id::me: {
    namespace json = boost::json;
    json::object me{{"role", domain::to_string(caller->who)}, {"store_id", nullptr}};
    if (caller->who == domain::role::clerk)
      me["store_id"] = caller->store.value;
    return reply(json_ok(json::serialize(me)));
  }
  case route_id::health_live:
    return reply(json_ok(R"({"status":"ok"})"));
  case route_id::openapi: {
    // Built once, then shared by every response that sends it.
    static const auto document = std::make_shared<const std::string>(openapi_document());
    return reply(json_shared(document));
  }
  case route_id::metrics:
    return scrape(std::move(reply), id);
  case route_id::health_ready:
    return ask<bool>(
        std::move(reply), id, "",
        [id](bool ready) {
          if (ready)
            return json_ok(R"({"status":"ready"})");
          return unavailable("The database is unreachable.", id, "readiness check failed");
        },
        actors::ready_atom_v);
  case route_id::products_list: {
    domain::product_query query;
    std::vector<field_error> errors;
    if (auto* text = find_param(*target, "q"))
      query.text = *text;
    if (auto* category = find_param(*target, "category"))
      query.category = *category;
    auto page = read_page(*target, errors, domain::decode_cursor);
    query.limit = page.limit;
    query.after = page.after.value_or(0);
    if (!errors.empty())
      return reply(problem(400, "Some query parameters are invalid.", id, errors));
    return ask_cached(std::move(reply), incoming, "", actors::list_atom_v, std::move(query));
  }
  case route_id::product_get:
    return ask_cached(std::move(reply), incoming,
                      "There is no product " + std::to_string(*path_id) + ".", caf::get_atom_v,
                      domain::product_id{*path_id});
  case route_id::product_create:
  case route_id::product_update: {
    bool as_patch = matched.id == route_id::product_update;
    auto decoded = decode_product(incoming.body, as_patch);
    if (!decoded.malformed.empty())
      return reply(problem(400, decoded.malformed, id));
    if (as_patch)
      return ask_rendered(
          std::move(reply), id, "There is no product " + std::to_string(*path_id) + ".",
          actors::patch_atom_v, domain::product_id{*path_id}, std::move(decoded.patch));
    if (!decoded.missing.empty()) {
      std::vector<field_error> errors;
      for (auto& field : decoded.missing)
        errors.push_back({std::move(field), "is required"});
      return reply(problem(422, "Some fields are invalid.", id, errors));
    }
    if (auto problems = domain::validate_product(decoded.item); !problems.empty()) {
      std::vector<field_error> errors;
      for (auto& p : problems)
        errors.push_back({std::move(p.field), std::move(p.message)});
      return reply(problem(422, "Some fields are invalid.", id, errors));
    }
    return ask_created(std::move(reply), id, "", caf::put_atom_v, std::move(decoded.item));
  }
  case route_id::stores_list:
    return ask_rendered(std::move(reply), id, "", actors::list_atom_v, actors::stores_atom_v);
  case route_id::store_stock:
  case route_id::warehouse_stock: {
    bool below_reorder_only = false;
    if (auto* below = find_param(*target, "below_reorder")) {
      if (*below != "true" && *below != "false")
        return reply(problem(400, "Some query parameters are invalid.", id,
                             {{"below_reorder", "expected true or false"}}));
      below_reorder_only = *below == "true";
    }
    if (matched.id == route_id::warehouse_stock)
      return ask_cached(std::move(reply), incoming, "", caf::get_atom_v, actors::warehouse_atom_v,
                        below_reorder_only);
    if (!below_reorder_only && stock)
      if (auto view = stock->read(domain::location_id{*path_id}))
        return reply(versioned(boot_id, incoming.if_none_match, view->version,
                               json_shared({view, &view->body})));
    return ask_cached(std::move(reply), incoming,
                      "There is no store " + std::to_string(*path_id) + ".", caf::get_atom_v,
                      actors::stock_atom_v, domain::location_id{*path_id}, below_reorder_only);
  }
  case route_id::reorder_point_set: {
    auto value = decode_reorder_point(incoming.body);
    if (!value.malformed.empty())
      return reply(problem(400, value.malformed, id));
    if (value.reorder_point < 0 || value.reorder_point > max_reorder_point)
      return reply(problem(422, "Some fields are invalid.", id,
                           {{"reorder_point", "must be between 0 and 1000000000"}}));
    return ask_rendered(std::move(reply), id,
                        "Store " + std::to_string(*path_id) + " does not stock product " +
                            std::to_string(*second_id) + ".",
                        actors::reorder_atom_v, domain::location_id{*path_id},
                        domain::product_id{*second_id}, value.reorder_point);
  }
  case route_id::restock_create: {
    auto lines = read_lines(incoming);
    if (auto* refused = std::get_if<response>(&lines))
      return reply(std::move(*refused));
    auto wanted = std::move(std::get<0>(lines));
    auto digest = fingerprint("restock", std::to_string(*path_id), wanted);
    return ask_created(std::move(reply), id, "There is no store " + std::to_string(*path_id) + ".",
                       actors::restock_atom_v, domain::location_id{*path_id}, std::move(wanted),
                       std::move(idempotency_key), std::move(digest));
  }
  case route_id::restock_list: {
    domain::restock_query query;
    std::vector<field_error> errors;
    if (caller->who == domain::role::clerk)
      query.store = caller->store;
    if (auto* status = find_param(*target, "status")) {
      if (auto parsed = domain::parse_restock_status(*status))
        query.status = *parsed;
      else
        errors.push_back({"status", "expected pending, approved, fulfilled or rejected"});
    }
    auto page = read_page(*target, errors, domain::decode_uuid_cursor);
    query.limit = page.limit;
    query.before_id = page.after.value_or("");
    if (!errors.empty())
      return reply(problem(400, "Some query parameters are invalid.", id, errors));
    return ask_rendered(std::move(reply), id, "", actors::list_atom_v, std::move(query));
  }
  case route_id::restock_approve:
    return ask_rendered(std::move(reply), id, "There is no restock request " + sale_id + ".",
                        actors::approve_atom_v, sale_id, std::move(idempotency_key));
  case route_id::restock_reject:
    return ask_rendered(std::move(reply), id, "There is no restock request " + sale_id + ".",
                        actors::reject_atom_v, sale_id);
  case route_id::sales_report: {
    // Reports have day granularity (UTC): a bound is the day it falls in,
    // `from` inclusive, `to` exclusive.
    std::string from_day;
    std::string to_day;
    std::vector<field_error> errors;
    for (auto [name, day] : {std::pair{"from", &from_day}, std::pair{"to", &to_day}})
      if (auto* text = find_param(*target, name)) {
        if (auto parsed = domain::parse_timestamp(*text))
          *day = parsed->substr(0, 10);
        else
          errors.push_back({name, "expected a date (YYYY-MM-DD) or an RFC 3339 date-time"});
      }
    if (errors.empty() && !from_day.empty() && !to_day.empty() && to_day < from_day)
      errors.push_back({"to", "must not be before from"});
    if (!errors.empty())
      return reply(problem(400, "Some query parameters are invalid.", id, errors));
    return ask_cached(std::move(reply), incoming, "", actors::report_atom_v, std::move(from_day),
                      std::move(to_day));
  }
  case route_id::dashboard:
    return ask_cached(std::move(reply), incoming, "", actors::dashboard_atom_v);
  case route_id::alerts_list:
    return ask_rendered(std::move(reply), id, "", actors::alerts_atom_v);
  case route_id::sale_create: {
    auto lines = read_lines(incoming);
    if (auto* refused = std::get_if<response>(&lines))
      return reply(std::move(*refused));
    actors::sale_request sale;
    sale.store = domain::location_id{*path_id};
    sale.lines = std::move(std::get<0>(lines));
    sale.idempotency_key = std::move(idempotency_key);
    sale.fingerprint = fingerprint("sale", std::to_string(*path_id), sale.lines);
    return ask_created(std::move(reply), id, "There is no store " + std::to_string(*path_id) + ".",
                       actors::sell_atom_v, std::move(sale));
  }
  case route_id::return_create: {
    auto lines = read_lines(incoming);
    if (auto* refused = std::get_if<response>(&lines))
      return reply(std::move(*refused));
    actors::return_request taken_back;
    taken_back.sale_id = sale_id;
    taken_back.lines = std::move(std::get<0>(lines));
    taken_back.idempotency_key = std::move(idempotency_key);
    taken_back.fingerprint = fingerprint("return", sale_id, taken_back.lines);
    return ask_created(std::move(reply), id, "There is no sale " + sale_id + ".",
                       actors::return_atom_v, *caller, std::move(taken_back));
  }
  case route_id::sale_get:
    return ask_rendered(std::move(reply), id, "There is no sale " + sale_id + ".", caf::get_atom_v,
                        actors::sale_atom_v, *caller, sale_id);
  case route_id::sales_list: {
    domain::sales_query query;
    query.store = domain::location_id{*path_id};
    std::vector<field_error> errors;
    for (auto [name, bound] : {std::pair{"from", &query.from}, std::pair{"to", &query.to}})
      if (auto* text = find_param(*target, name)) {
        if (auto parsed = domain::parse_timestamp(*text))
          *bound = *parsed;
        else
          errors.push_back({name, "expected an RFC 3339 date-time or a date (YYYY-MM-DD)"});
      }
    auto page = read_page(*target, errors, domain::decode_uuid_cursor);
    query.limit = page.limit;
    query.before_id = page.after.value_or("");
    if (!errors.empty())
      return reply(problem(400, "Some query parameters are invalid.", id, errors));
    return ask_rendered(std::move(reply), id, "There is no store " + std::to_string(*path_id) + ".",
                        actors::list_atom_v, std::move(query));
  }
  }
}

api::api(const caf::actor& frontend, const caf::actor& metrics, authenticator tokens,
         std::chrono::milliseconds timeout, domain::basket_limits limits,
         std::vector<std::string> cors_origins, std::shared_ptr<const web_assets> web,
         std::shared_ptr<const actors::stock_board> stock)
    : impl_(std::make_shared<impl>(impl{frontend, std::move(tokens), timeout, limits,
                                        cors_policy{std::move(cors_origins)}, metrics,
                                        std::move(web), std::move(stock)})) {}

api::~api() = default;

void api::handle(request incoming, responder reply) const {
  // Filled in by impl::handle as it learns them, before anything is sent
  // to the actors; copied into the answer for the metrics and the log.
  auto labels = std::make_shared<request_labels>();
  std::string origin = cors_policy::is_preflight(incoming) ? std::string{} : incoming.origin;
  reply = [reply = std::move(reply), labels, origin = std::move(origin),
           policy = impl_](response answer) {
    answer.route = labels->route;
    answer.store = labels->store;
    answer.role = labels->role;
    if (!origin.empty())
      policy->cors.expose(origin, answer);
    reply(std::move(answer));
  };
  impl_->handle(incoming, reply, *labels);
}

} // namespace comptoir::net
