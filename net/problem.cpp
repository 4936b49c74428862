#include "net/problem.hpp"

#include <boost/beast/http/status.hpp>
#include <boost/json.hpp>

namespace comptoir::net {

response problem(unsigned status, std::string_view detail, std::string_view request_id,
                 const std::vector<field_error>& errors) {
  namespace json = boost::json;
  auto reason = boost::beast::http::obsolete_reason(boost::beast::http::int_to_status(status));
  json::object body{
      {"type", "about:blank"},    {"title", json::string_view{reason.data(), reason.size()}},
      {"status", status},         {"detail", detail},
      {"request_id", request_id},
  };
  if (!errors.empty()) {
    json::array items;
    for (const auto& error : errors)
      items.push_back(json::object{{"field", error.field}, {"message", error.message}});
    body["errors"] = std::move(items);
  }
  response answer;
  answer.status = status;
  answer.content_type = "application/problem+json";
  answer.body = json::serialize(body);
  return answer;
}

response unavailable(std::string_view detail, std::string_view request_id, std::string note) {
  auto answer = problem(503, detail, request_id);
  answer.headers.emplace_back("Retry-After", "1");
  answer.log_note = std::move(note);
  return answer;
}

} // namespace comptoir::net
