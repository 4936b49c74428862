#include "actors/views.hpp"

#include "domain/cursor.hpp"

#include <boost/json.hpp>

#include <charconv>
#include <iterator>

namespace json = boost::json;

namespace comptoir::actors {

namespace {

json::object sale_object(const domain::sale& sold) {
  json::array lines;
  for (const auto& line : sold.lines)
    lines.push_back(json::object{{"product_id", line.product.value},
                                 {"quantity", line.quantity},
                                 {"unit_price_cents", line.unit_price_cents}});
  return json::object{{"id", sold.id},
                      {"store_id", sold.store.value},
                      {"lines", std::move(lines)},
                      {"total_cents", sold.total_cents},
                      {"status", to_string(sold.status)},
                      {"created_at", sold.created_at}};
}

json::object return_object(const domain::sale_return& taken_back) {
  json::array lines;
  for (const auto& line : taken_back.lines)
    lines.push_back(json::object{{"product_id", line.product.value}, {"quantity", line.quantity}});
  return json::object{{"id", taken_back.id},
                      {"sale_id", taken_back.sale_id},
                      {"lines", std::move(lines)},
                      {"refund_cents", taken_back.refund_cents},
                      {"created_at", taken_back.created_at}};
}

} // namespace

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

json::object stock_item_object(const domain::stock_item& item) {
  return json::object{{"product_id", item.product.value},
                      {"on_hand", item.on_hand},
                      {"reorder_point", item.reorder_point}};
}

std::string render_stock_item(const domain::stock_item& item) {
  return json::serialize(stock_item_object(item));
}

std::string render_stock(const domain::location& where, const domain::stock_ledger& ledger,
                         bool below_reorder_only) {
  // Written straight into the string, the same bytes as json::serialize of
  // the same object: only integers and fixed keys, so nothing to escape. A
  // store of 10,000 products is rendered again after each of its changes;
  // a JSON tree of it first cost a heap node per field.
  std::string out;
  out.reserve(48 + ledger.items().size() * 56);
  auto number = [&out](auto value) {
    char digits[24];
    auto end = std::to_chars(std::begin(digits), std::end(digits), value).ptr;
    out.append(digits, end);
  };
  out += where.kind == domain::location_kind::store ? R"({"store_id":)" : R"({"warehouse_id":)";
  number(where.id.value);
  out += R"(,"version":)";
  number(ledger.version());
  out += R"(,"items":[)";
  bool first = true;
  for (const auto& item : ledger.items()) {
    if (below_reorder_only && item.on_hand >= item.reorder_point)
      continue;
    out += first ? R"({"product_id":)" : R"(,{"product_id":)";
    first = false;
    number(item.product.value);
    out += R"(,"on_hand":)";
    number(item.on_hand);
    out += R"(,"reorder_point":)";
    number(item.reorder_point);
    out += '}';
  }
  out += "]}";
  return out;
}

} // namespace comptoir::actors

namespace comptoir::actors {

std::string render_sale(const domain::sale& sold) {
  return json::serialize(sale_object(sold));
}

std::string render_return(const domain::sale_return& taken_back) {
  return json::serialize(return_object(taken_back));
}

std::string render_sale_record(const domain::sale_record& record) {
  auto body = sale_object(record.sale);
  json::array returns;
  for (const auto& taken_back : record.returns)
    returns.push_back(return_object(taken_back));
  body["returns"] = std::move(returns);
  return json::serialize(body);
}

std::string render_sales_page(const domain::sales_page& page) {
  json::array items;
  for (const auto& sold : page.items)
    items.push_back(sale_object(sold));
  json::value next = nullptr;
  if (page.next_before_id)
    next = domain::encode_uuid_cursor(*page.next_before_id);
  return json::serialize(json::object{{"items", std::move(items)}, {"next_cursor", next}});
}

std::string render_shortages(const std::vector<domain::shortage>& lines) {
  json::array items;
  for (const auto& line : lines)
    items.push_back(json::object{{"product_id", line.product.value},
                                 {"requested", line.requested},
                                 {"available", line.available}});
  return json::serialize(items);
}

std::string render_field_problems(const std::vector<domain::field_problem>& problems) {
  json::array items;
  for (const auto& problem : problems)
    items.push_back(json::object{{"field", problem.field}, {"message", problem.message}});
  return json::serialize(items);
}

} // namespace comptoir::actors

namespace comptoir::actors {

const std::shared_ptr<const stock_snapshot>& stock_view::of(const domain::location& where,
                                                            const domain::stock_ledger& ledger) {
  if (current_ && current_->version == ledger.version()) {
    ++hits_;
    return current_;
  }
  ++misses_;
  current_ = std::make_shared<const stock_snapshot>(
      stock_snapshot{render_stock(where, ledger, false), ledger.version()});
  return current_;
}

} // namespace comptoir::actors

namespace comptoir::actors {

namespace {

json::object restock_object(const domain::restock_request& request) {
  json::array lines;
  for (const auto& line : request.lines)
    lines.push_back(json::object{{"product_id", line.product.value}, {"quantity", line.quantity}});
  return json::object{{"id", request.id},
                      {"store_id", request.store.value},
                      {"lines", std::move(lines)},
                      {"status", to_string(request.status)},
                      {"created_at", request.created_at},
                      {"updated_at", request.updated_at}};
}

} // namespace

std::string render_restock(const domain::restock_request& request) {
  return json::serialize(restock_object(request));
}

std::string render_restock_page(const domain::restock_page& page) {
  json::array items;
  for (const auto& request : page.items)
    items.push_back(restock_object(request));
  json::value next = nullptr;
  if (page.next_before_id)
    next = domain::encode_uuid_cursor(*page.next_before_id);
  return json::serialize(json::object{{"items", std::move(items)}, {"next_cursor", next}});
}

std::string render_alerts(const std::vector<domain::stock_alert>& alerts) {
  json::array items;
  for (const auto& alert : alerts)
    items.push_back(json::object{{"id", alert.id},
                                 {"store_id", alert.store.value},
                                 {"product_id", alert.product.value},
                                 {"kind", to_string(alert.kind)},
                                 {"since", alert.since}});
  return json::serialize(json::object{{"items", std::move(items)}, {"next_cursor", nullptr}});
}

} // namespace comptoir::actors

namespace comptoir::actors {

namespace {

// Enough best sellers for a head office's screen.
constexpr std::size_t top_product_count = 10;

json::array ids(const std::vector<domain::product_id>& products) {
  json::array out;
  for (auto product : products)
    out.push_back(product.value);
  return out;
}

} // namespace

std::string render_report(const std::vector<domain::store_summary>& summaries) {
  json::array stores;
  json::array stock;
  domain::window_totals chain;
  for (const auto& summary : summaries) {
    stores.push_back(json::object{{"store_id", summary.store.value},
                                  {"sales_count", summary.totals.sales_count},
                                  {"revenue_cents", summary.totals.revenue_cents}});
    stock.push_back(json::object{{"store_id", summary.store.value},
                                 {"on_hand_total", summary.on_hand_total},
                                 {"below_reorder", summary.below_reorder}});
    domain::merge(chain, summary.totals);
  }
  json::array top;
  for (const auto& [product, totals] : domain::top_products(chain, top_product_count))
    top.push_back(json::object{{"product_id", product.value},
                               {"quantity", totals.quantity},
                               {"revenue_cents", totals.revenue_cents}});
  return json::serialize(json::object{{"stores", std::move(stores)},
                                      {"top_products", std::move(top)},
                                      {"stock", std::move(stock)}});
}

std::string render_dashboard(const std::vector<domain::store_summary>& summaries,
                             const std::vector<std::string>& weeks) {
  json::array stores;
  std::map<std::string, std::int64_t> trend;
  for (const auto& week : weeks)
    trend[week] = 0;
  for (const auto& summary : summaries) {
    std::int64_t revenue = 0;
    for (const auto& [week, cents] : summary.weekly_revenue) {
      revenue += cents;
      trend[week] += cents;
    }
    stores.push_back(json::object{{"store_id", summary.store.value},
                                  {"revenue_cents", revenue},
                                  {"out_of_stock", ids(summary.out_of_stock)},
                                  {"overstock", ids(summary.overstock)}});
  }
  json::array weekly;
  for (const auto& week : weeks)
    weekly.push_back(json::object{{"week", week}, {"revenue_cents", trend[week]}});
  return json::serialize(
      json::object{{"stores", std::move(stores)}, {"weekly_trend", std::move(weekly)}});
}

} // namespace comptoir::actors

namespace comptoir::actors {

rendered read_stock(stock_view& cache, const domain::location& where,
                    const domain::stock_ledger& ledger, bool below_reorder_only) {
  if (below_reorder_only)
    return rendered{render_stock(where, ledger, true), ledger.version()};
  return rendered{cache.of(where, ledger)->body, ledger.version()};
}

} // namespace comptoir::actors
