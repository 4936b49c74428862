#include "actors/views.hpp"

#include "domain/cursor.hpp"

#include <boost/json.hpp>

namespace json = boost::json;

namespace comptoir::actors {

std::string render_product(const domain::product& item) {
  return json::serialize(json::object{
      {"id", item.id.value},
      {"sku", item.sku},
      {"name", item.name},
      {"category", item.category},
      {"price_cents", item.price_cents},
      {"description", item.description},
  });
}

std::string render_page(const std::vector<const std::string*>& rendered_items,
                        std::optional<std::int64_t> next_after) {
  std::string body = R"({"items":[)";
  for (std::size_t i = 0; i < rendered_items.size(); ++i) {
    if (i > 0)
      body += ',';
    body += *rendered_items[i];
  }
  body += R"(],"next_cursor":)";
  body += next_after ? json::serialize(json::value(domain::encode_cursor(*next_after))) : "null";
  body += '}';
  return body;
}

std::string render_stores(const std::vector<domain::location>& locations) {
  json::array items;
  for (const auto& where : locations)
    if (where.kind == domain::location_kind::store)
      items.push_back(
          json::object{{"id", where.id.value}, {"name", where.name}, {"city", where.city}});
  return json::serialize(json::object{{"items", std::move(items)}, {"next_cursor", nullptr}});
}

std::string render_stock(const domain::location& where, const domain::stock_ledger& ledger) {
  json::array items;
  items.reserve(ledger.items().size());
  for (const auto& item : ledger.items())
    items.push_back(json::object{{"product_id", item.product.value},
                                 {"on_hand", item.on_hand},
                                 {"reorder_point", item.reorder_point}});
  auto id_key = where.kind == domain::location_kind::store ? "store_id" : "warehouse_id";
  return json::serialize(json::object{
      {id_key, where.id.value}, {"version", ledger.version()}, {"items", std::move(items)}});
}

} // namespace comptoir::actors
