#include "persistence/generator.hpp"

#include "persistence/demo_data.hpp"

#include "domain/timestamp.hpp"
#include "persistence/setup_transaction.hpp"

#include <soci/soci.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <numeric>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace comptoir::persistence {

namespace {

using std::chrono::milliseconds;

// -- what the chain is made of ------------------------------------------------

struct neighbourhood {
  std::string_view name;
  std::string_view city;
};

// Store i gets entry (i - 1) % size, numbered from the second round on.
constexpr neighbourhood neighbourhoods[] = {
    {"Plateau-Mont-Royal", "Montréal"},
    {"Chomedey", "Laval"},
    {"Vieux-Longueuil", "Longueuil"},
    {"Saint-Roch", "Québec"},
    {"Wellington", "Sherbrooke"},
    {"Rosemont", "Montréal"},
    {"Hull", "Gatineau"},
    {"Trois-Rivières-Ouest", "Trois-Rivières"},
    {"Saint-Laurent", "Montréal"},
    {"Sainte-Foy", "Québec"},
    {"Chicoutimi", "Saguenay"},
    {"Vimont", "Laval"},
    {"Verdun", "Montréal"},
    {"Limoilou", "Québec"},
    {"Brossard", "Brossard"},
    {"Saint-Jérôme", "Saint-Jérôme"},
    {"Drummondville", "Drummondville"},
    {"Granby", "Granby"},
    {"Lévis", "Lévis"},
    {"Rimouski", "Rimouski"},
    {"Hochelaga", "Montréal"},
    {"Terrebonne", "Terrebonne"},
    {"Repentigny", "Repentigny"},
    {"Saint-Hyacinthe", "Saint-Hyacinthe"},
};

constexpr std::string_view logistics_centre_name = "Centre logistique Boucherville";
constexpr std::string_view logistics_centre_city = "Boucherville";

constexpr std::string_view brands[] = {
    "Boréal",    "Laurentide", "Saint-Laurent", "Nordique", "Fleurdelys", "Champlain",
    "Outaouais", "Gaspésie",   "Maisonneuve",   "Comptoir", "Val-d'Or",   "Kamouraska",
};

// -- how the sales look ---------------------------------------------------------

// The stores keep 8:00-21:00 in Québec (UTC-5; daylight saving is ignored)
// and are busiest at lunch and after work: the weight of each local hour.
constexpr int utc_offset_hours = -5;
constexpr std::array<int, 24> hourly_rhythm = {0, 0, 0, 0, 0, 0, 0, 0, 3, 4, 5, 7,
                                               9, 7, 5, 5, 6, 8, 9, 6, 4, 0, 0, 0};

// Weights of baskets of 1-5 distinct products and of quantities 1-3.
constexpr std::array<int, 5> basket_size_weights = {35, 28, 18, 12, 7};
constexpr std::array<int, 3> quantity_weights = {70, 22, 8};

constexpr std::int64_t millis_per_day = 24 * 60 * 60 * 1000;
constexpr std::int64_t millis_per_hour = 60 * 60 * 1000;

// -- SQL ----------------------------------------------------------------------

constexpr auto count_locations = "SELECT COUNT(*) FROM locations";
constexpr auto count_products = "SELECT COUNT(*) FROM products";
constexpr auto count_stock = "SELECT COUNT(*) FROM stock";
constexpr auto count_sales = "SELECT COUNT(*) FROM sales";

// SQLite runs a prepared statement once per row of the bound vectors, in process.
constexpr auto sqlite_insert_location =
    "INSERT INTO locations (id, kind, name, city) VALUES (:id, :kind, :name, :city)";
constexpr auto sqlite_insert_product =
    "INSERT INTO products (id, sku, name, category, description, price_cents, updated_at)"
    " VALUES (:id, :sku, :name, :category, :description, :price_cents, :updated_at)";
constexpr auto sqlite_insert_stock =
    "INSERT INTO stock (location_id, product_id, on_hand, reorder_point)"
    " VALUES (:location_id, :product_id, :on_hand, :reorder_point)";
// 'completed' is domain::to_string(sale_status::completed).
constexpr auto sqlite_insert_sale =
    "INSERT INTO sales (id, store_id, total_cents, status, created_at)"
    " VALUES (:id, :store_id, :total_cents, 'completed', :created_at)";
constexpr auto sqlite_insert_sale_line =
    "INSERT INTO sale_lines (sale_id, line_no, product_id, quantity, unit_price_cents)"
    " VALUES (:sale_id, :line_no, :product_id, :quantity, :unit_price_cents)";

// SOCI would send PostgreSQL one round trip per row; instead each column goes
// as one array literal and a batch is one statement.
constexpr auto postgresql_insert_locations =
    "INSERT INTO locations (id, kind, name, city) SELECT * FROM unnest("
    "CAST(:ids AS BIGINT[]), CAST(:kinds AS TEXT[]), CAST(:names AS TEXT[]),"
    " CAST(:cities AS TEXT[]))";
constexpr auto postgresql_insert_products =
    "INSERT INTO products (id, sku, name, category, description, price_cents, updated_at)"
    " SELECT * FROM unnest(CAST(:ids AS BIGINT[]), CAST(:skus AS TEXT[]),"
    " CAST(:names AS TEXT[]), CAST(:categories AS TEXT[]), CAST(:descriptions AS TEXT[]),"
    " CAST(:prices AS BIGINT[]), CAST(:updated_at AS TEXT[]))";
constexpr auto postgresql_insert_stock =
    "INSERT INTO stock (location_id, product_id, on_hand, reorder_point)"
    " SELECT * FROM unnest(CAST(:locations AS BIGINT[]), CAST(:products AS BIGINT[]),"
    " CAST(:on_hand AS BIGINT[]), CAST(:reorder_points AS BIGINT[]))";
constexpr auto postgresql_insert_sales =
    "INSERT INTO sales (id, store_id, total_cents, status, created_at)"
    " SELECT id, store_id, total_cents, 'completed', created_at FROM unnest("
    "CAST(:ids AS TEXT[]), CAST(:stores AS BIGINT[]), CAST(:totals AS BIGINT[]),"
    " CAST(:created_at AS TEXT[])) AS batch (id, store_id, total_cents, created_at)";
constexpr auto postgresql_insert_sale_lines =
    "INSERT INTO sale_lines (sale_id, line_no, product_id, quantity, unit_price_cents)"
    " SELECT * FROM unnest(CAST(:sale_ids AS TEXT[]), CAST(:line_nos AS INTEGER[]),"
    " CAST(:products AS BIGINT[]), CAST(:quantities AS BIGINT[]),"
    " CAST(:unit_prices AS BIGINT[]))";

// Explicit ids leave the identity sequence behind; the next product must get M + 1.
constexpr auto advance_product_id_sequence =
    "SELECT setval(pg_get_serial_sequence('products', 'id'), (SELECT MAX(id) FROM products))";

// -- randomness -----------------------------------------------------------------

// Our own draws rather than std's distributions, whose results the standard
// leaves to each library: the same seed gives the same chain everywhere.
class draw {
public:
  explicit draw(std::uint64_t seed) : random_(seed) {}

  /// Uniform in [0, 1).
  double unit() { return static_cast<double>(random_() >> 11) * 0x1.0p-53; }

  /// Uniform in [0, n).
  std::int64_t below(std::int64_t n) {
    return std::min(n - 1, static_cast<std::int64_t>(unit() * static_cast<double>(n)));
  }

  /// An index of `weights`, as likely as its weight.
  std::size_t weighted(std::span<const int> weights) {
    const int total = std::accumulate(weights.begin(), weights.end(), 0);
    auto pick = below(total);
    for (std::size_t i = 0; i < weights.size(); ++i) {
      pick -= weights[i];
      if (pick < 0)
        return i;
    }
    return weights.size() - 1;
  }

  std::uint64_t bits() { return random_(); }

private:
  std::mt19937_64 random_;
};

// Each part of the chain draws from its own stream, so that changing how
// products are made does not change which sales are made.
constexpr std::uint64_t catalogue_stream = 0x636174616c6f6775; // "catalogu"
constexpr std::uint64_t sales_stream = 0x73616c6573000000;     // "sales"
constexpr std::uint64_t sale_id_stream = 0x73616c6520696473;   // "sale ids"

// -- rows -----------------------------------------------------------------------

struct location_rows {
  std::vector<std::int64_t> ids;
  std::vector<std::string> kinds, names, cities;
};

struct product_rows {
  std::vector<std::int64_t> ids, prices;
  std::vector<std::string> skus, names, categories, descriptions, updated_at;
};

struct stock_rows {
  std::vector<std::int64_t> locations, products, on_hand, reorder_points;
};

struct sale_rows {
  std::vector<std::string> ids, created_at;
  std::vector<std::int64_t> stores, totals;
  void clear() {
    ids.clear();
    created_at.clear();
    stores.clear();
    totals.clear();
  }
};

struct sale_line_rows {
  std::vector<std::string> sale_ids;
  std::vector<int> line_nos;
  std::vector<std::int64_t> products, quantities, unit_prices;
  void clear() {
    sale_ids.clear();
    line_nos.clear();
    products.clear();
    quantities.clear();
    unit_prices.clear();
  }
};

location_rows make_locations(std::int64_t stores) {
  location_rows rows;
  const auto size = static_cast<std::int64_t>(std::size(neighbourhoods));
  for (std::int64_t id = 1; id <= stores; ++id) {
    const auto& place = neighbourhoods[(id - 1) % size];
    const auto round = (id - 1) / size;
    std::string name = "Comptoir " + std::string{place.name};
    if (round > 0)
      name += " " + std::to_string(round + 1);
    rows.ids.push_back(id);
    rows.kinds.emplace_back("store");
    rows.names.push_back(std::move(name));
    rows.cities.emplace_back(place.city);
  }
  rows.ids.push_back(stores + 1);
  rows.kinds.emplace_back("warehouse");
  rows.names.emplace_back(logistics_centre_name);
  rows.cities.emplace_back(logistics_centre_city);
  return rows;
}

// Between 80% and 130% of the item's usual price, ending in 9 cents.
std::int64_t shelf_price(draw& random, std::int64_t base_price_cents) {
  const double factor = 0.8 + 0.5 * random.unit();
  const auto tens = static_cast<std::int64_t>(static_cast<double>(base_price_cents) * factor / 10);
  return std::max<std::int64_t>(tens, 5) * 10 - 1;
}

product_rows make_products(std::int64_t products, draw& random, const std::string& now) {
  product_rows rows;
  for (std::int64_t id = 1; id <= products; ++id) {
    const auto catalogue = demo_catalogue();
    const auto& item = catalogue[static_cast<std::size_t>(random.below(std::ssize(catalogue)))];
    const auto brand = brands[random.below(std::ssize(brands))];
    // The demo SKU's category prefix ("GRO" of "GRO-001"), then the id.
    const auto prefix = item.sku.substr(0, item.sku.find('-'));
    char sku[32];
    std::snprintf(sku, sizeof sku, "%.*s-%06lld", static_cast<int>(prefix.size()), prefix.data(),
                  static_cast<long long>(id));
    rows.ids.push_back(id);
    rows.skus.emplace_back(sku);
    rows.names.push_back(std::string{brand} + " " + std::string{item.name});
    rows.categories.emplace_back(item.category);
    rows.descriptions.push_back(std::string{item.description} + ", by " + std::string{brand});
    rows.prices.push_back(shelf_price(random, item.price_cents));
    rows.updated_at.push_back(now);
  }
  return rows;
}

std::int64_t store_reorder_point(std::int64_t stock) {
  return std::max<std::int64_t>(1, stock / 5);
}

// The stock of one location, every product.
stock_rows make_stock(std::int64_t location, std::int64_t products, std::int64_t on_hand,
                      std::int64_t reorder_point) {
  stock_rows rows;
  for (std::int64_t product = 1; product <= products; ++product) {
    rows.locations.push_back(location);
    rows.products.push_back(product);
    rows.on_hand.push_back(on_hand);
    rows.reorder_points.push_back(reorder_point);
  }
  return rows;
}

/// The milliseconds since the epoch of every sale, ascending, each within
/// [now - days, now) and in the stores' opening hours. Each sale falls in one
/// of the window's 24-hour slots, at a local time of day drawn from the
/// rhythm: the draws do not depend on `now`, so a later run with the same seed
/// makes the same sales, only later.
std::vector<std::int64_t> sale_times(draw& random, const generation_options& options) {
  const auto end = std::chrono::duration_cast<milliseconds>(options.now.time_since_epoch()).count();
  const auto start = end - options.days * millis_per_day;
  const auto utc_offset = utc_offset_hours * millis_per_hour;
  const auto start_time_of_day =
      ((start + utc_offset) % millis_per_day + millis_per_day) % millis_per_day;
  std::vector<std::int64_t> times;
  times.reserve(static_cast<std::size_t>(options.sales));
  for (std::int64_t i = 0; i < options.sales; ++i) {
    const auto slot = random.below(options.days);
    const auto hour = static_cast<std::int64_t>(random.weighted(hourly_rhythm));
    const auto time_of_day = hour * millis_per_hour + random.below(millis_per_hour);
    const auto into_slot = (time_of_day - start_time_of_day + millis_per_day) % millis_per_day;
    times.push_back(start + slot * millis_per_day + into_slot);
  }
  std::sort(times.begin(), times.end());
  return times;
}

/// UUIDv7 ids (RFC 9562) of sales made in ascending time: the time is the
/// sale's, a counter in rand_a keeps ids of one millisecond in order, and the
/// rest comes from the seed, so that the ids too are the same on every run.
class sale_id_maker {
public:
  explicit sale_id_maker(draw& random) : random_(random) {}

  std::string next(std::int64_t at_millis) {
    auto millis = static_cast<std::uint64_t>(at_millis);
    if (millis > last_millis_) {
      last_millis_ = millis;
      counter_ = static_cast<std::uint16_t>(random_.bits() & 0x1ff);
    } else if (++counter_ > 0xfff) {
      // Only when 3500+ sales share a millisecond: borrow the next one.
      ++last_millis_;
      counter_ = 0;
    }
    const std::uint64_t high = (last_millis_ << 16) | (0x7u << 12) | counter_;
    const std::uint64_t low = (random_.bits() & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;
    char text[37];
    std::snprintf(text, sizeof text, "%08x-%04x-%04x-%04x-%012llx",
                  static_cast<unsigned>(high >> 32), static_cast<unsigned>((high >> 16) & 0xffff),
                  static_cast<unsigned>(high & 0xffff), static_cast<unsigned>(low >> 48),
                  static_cast<unsigned long long>(low & 0xffffffffffffULL));
    return text;
  }

private:
  draw& random_;
  std::uint64_t last_millis_ = 0;
  std::uint16_t counter_ = 0;
};

/// Products by popularity: a few sell much more than most.
class shopper {
public:
  shopper(draw& random, std::span<const std::int64_t> prices) : random_(random), prices_(prices) {
    by_popularity_.resize(prices.size());
    std::iota(by_popularity_.begin(), by_popularity_.end(), std::int64_t{1});
    for (auto i = std::ssize(by_popularity_) - 1; i > 0; --i)
      std::swap(by_popularity_[static_cast<std::size_t>(i)],
                by_popularity_[static_cast<std::size_t>(random_.below(i + 1))]);
  }

  /// Adds one sale's lines and returns its total.
  std::int64_t fill_basket(const std::string& sale_id, sale_line_rows& lines) {
    const auto max_size = std::min<std::size_t>(basket_size_weights.size(), prices_.size());
    const auto size = random_.weighted(std::span{basket_size_weights}.first(max_size)) + 1;
    std::array<std::int64_t, basket_size_weights.size()> chosen{};
    std::int64_t total = 0;
    for (std::size_t line = 0; line < size; ++line) {
      std::int64_t product = 0;
      do {
        const double u = random_.unit();
        const auto rank = static_cast<std::int64_t>(u * u * static_cast<double>(prices_.size()));
        product = by_popularity_[static_cast<std::size_t>(rank)];
      } while (std::find(chosen.begin(), chosen.begin() + line, product) != chosen.begin() + line);
      chosen[line] = product;
      const auto quantity = static_cast<std::int64_t>(random_.weighted(quantity_weights)) + 1;
      const auto price = prices_[static_cast<std::size_t>(product - 1)];
      lines.sale_ids.push_back(sale_id);
      lines.line_nos.push_back(static_cast<int>(line + 1));
      lines.products.push_back(product);
      lines.quantities.push_back(quantity);
      lines.unit_prices.push_back(price);
      total += quantity * price;
    }
    return total;
  }

private:
  draw& random_;
  std::span<const std::int64_t> prices_;
  std::vector<std::int64_t> by_popularity_;
};

// -- PostgreSQL array literals --------------------------------------------------

std::string array_literal(const std::vector<std::int64_t>& values) {
  std::string text = "{";
  for (auto v : values) {
    if (text.size() > 1)
      text += ',';
    text += std::to_string(v);
  }
  return text + '}';
}

std::string array_literal(const std::vector<int>& values) {
  std::string text = "{";
  for (auto v : values) {
    if (text.size() > 1)
      text += ',';
    text += std::to_string(v);
  }
  return text + '}';
}

std::string array_literal(const std::vector<std::string>& values) {
  std::string text = "{";
  for (const auto& v : values) {
    if (text.size() > 1)
      text += ',';
    text += '"';
    for (char c : v) {
      if (c == '"' || c == '\\')
        text += '\\';
      text += c;
    }
    text += '"';
  }
  return text + '}';
}

// -- writing --------------------------------------------------------------------

void insert_locations(soci::session& sql, dialect kind, location_rows& rows) {
  if (kind == dialect::sqlite) {
    sql << sqlite_insert_location, soci::use(rows.ids), soci::use(rows.kinds),
        soci::use(rows.names), soci::use(rows.cities);
    return;
  }
  // Named: SOCI runs the statement after the full expression's temporaries are gone.
  const auto ids = array_literal(rows.ids), kinds = array_literal(rows.kinds),
             names = array_literal(rows.names), cities = array_literal(rows.cities);
  sql << postgresql_insert_locations, soci::use(ids), soci::use(kinds), soci::use(names),
      soci::use(cities);
}

void insert_products(soci::session& sql, dialect kind, product_rows& rows) {
  if (kind == dialect::sqlite) {
    sql << sqlite_insert_product, soci::use(rows.ids), soci::use(rows.skus), soci::use(rows.names),
        soci::use(rows.categories), soci::use(rows.descriptions), soci::use(rows.prices),
        soci::use(rows.updated_at);
    return;
  }
  const auto ids = array_literal(rows.ids), skus = array_literal(rows.skus),
             names = array_literal(rows.names), categories = array_literal(rows.categories),
             descriptions = array_literal(rows.descriptions), prices = array_literal(rows.prices),
             updated_at = array_literal(rows.updated_at);
  sql << postgresql_insert_products, soci::use(ids), soci::use(skus), soci::use(names),
      soci::use(categories), soci::use(descriptions), soci::use(prices), soci::use(updated_at);
  sql << advance_product_id_sequence;
}

void insert_stock(soci::session& sql, dialect kind, stock_rows& rows) {
  if (kind == dialect::sqlite) {
    sql << sqlite_insert_stock, soci::use(rows.locations), soci::use(rows.products),
        soci::use(rows.on_hand), soci::use(rows.reorder_points);
    return;
  }
  const auto locations = array_literal(rows.locations), products = array_literal(rows.products),
             on_hand = array_literal(rows.on_hand),
             reorder_points = array_literal(rows.reorder_points);
  sql << postgresql_insert_stock, soci::use(locations), soci::use(products), soci::use(on_hand),
      soci::use(reorder_points);
}

/// Writes batches of sales and their lines with statements prepared once.
class sales_writer {
public:
  sales_writer(soci::session& sql, dialect kind) : kind_(kind) {
    // The extra parentheses make each a single comma expression, as SOCI reads it.
    if (kind == dialect::sqlite) {
      sales_.emplace((sql.prepare << sqlite_insert_sale, soci::use(sales_rows.ids),
                      soci::use(sales_rows.stores), soci::use(sales_rows.totals),
                      soci::use(sales_rows.created_at)));
      lines_.emplace((sql.prepare << sqlite_insert_sale_line, soci::use(line_rows.sale_ids),
                      soci::use(line_rows.line_nos), soci::use(line_rows.products),
                      soci::use(line_rows.quantities), soci::use(line_rows.unit_prices)));
    } else {
      sales_.emplace((sql.prepare << postgresql_insert_sales, soci::use(sale_ids_),
                      soci::use(stores_), soci::use(totals_), soci::use(created_at_)));
      lines_.emplace((sql.prepare << postgresql_insert_sale_lines, soci::use(line_sale_ids_),
                      soci::use(line_nos_), soci::use(products_), soci::use(quantities_),
                      soci::use(unit_prices_)));
    }
  }

  sale_rows sales_rows;
  sale_line_rows line_rows;

  /// Inserts the rows gathered, then clears them.
  void flush() {
    if (sales_rows.ids.empty())
      return;
    if (kind_ == dialect::postgresql) {
      sale_ids_ = array_literal(sales_rows.ids);
      stores_ = array_literal(sales_rows.stores);
      totals_ = array_literal(sales_rows.totals);
      created_at_ = array_literal(sales_rows.created_at);
      line_sale_ids_ = array_literal(line_rows.sale_ids);
      line_nos_ = array_literal(line_rows.line_nos);
      products_ = array_literal(line_rows.products);
      quantities_ = array_literal(line_rows.quantities);
      unit_prices_ = array_literal(line_rows.unit_prices);
    }
    sales_->execute(true);
    lines_->execute(true);
    sales_rows.clear();
    line_rows.clear();
  }

private:
  dialect kind_;
  std::optional<soci::statement> sales_, lines_;
  // PostgreSQL: the columns of a batch as array literals.
  std::string sale_ids_, stores_, totals_, created_at_;
  std::string line_sale_ids_, line_nos_, products_, quantities_, unit_prices_;
};

std::int64_t write_sales(soci::session& sql, dialect kind, const generation_options& options,
                         std::span<const std::int64_t> prices,
                         const generation_progress& progress) {
  draw random{options.seed ^ sales_stream};
  const auto times = sale_times(random, options);
  // Its own stream: how many draws an id takes depends on the times.
  draw id_random{options.seed ^ sale_id_stream};
  sale_id_maker ids{id_random};
  shopper basket{random, prices};
  sales_writer writer{sql, kind};
  const auto batch = std::max<std::int64_t>(1, options.sales_per_transaction);
  std::int64_t written = 0;
  std::int64_t lines = 0;
  if (progress)
    progress(0, options.sales);
  while (written < options.sales) {
    const auto end = std::min(options.sales, written + batch);
    for (auto i = written; i < end; ++i) {
      const auto at = times[static_cast<std::size_t>(i)];
      auto id = ids.next(at);
      const auto total = basket.fill_basket(id, writer.line_rows);
      writer.sales_rows.ids.push_back(std::move(id));
      writer.sales_rows.stores.push_back(1 + random.below(options.stores));
      writer.sales_rows.totals.push_back(total);
      writer.sales_rows.created_at.push_back(
          domain::format_timestamp(std::chrono::system_clock::time_point{milliseconds{at}}));
    }
    lines += std::ssize(writer.line_rows.sale_ids);
    soci::transaction transaction{sql};
    writer.flush();
    transaction.commit();
    written = end;
    if (progress)
      progress(written, options.sales);
  }
  return lines;
}

std::int64_t count(soci::session& sql, const char* query) {
  long long rows = 0;
  sql << query, soci::into(rows);
  return rows;
}

} // namespace

generation_outcome generate(soci::session& sql, dialect kind, const generation_options& options,
                            const generation_progress& progress) {
  generation_summary summary;
  std::vector<std::int64_t> prices;
  {
    setup_transaction transaction(sql, kind);
    business_data_found found{count(sql, count_locations), count(sql, count_products),
                              count(sql, count_stock), count(sql, count_sales)};
    if (found.locations != 0 || found.products != 0 || found.stock_rows != 0 || found.sales != 0)
      return found;

    draw random{options.seed ^ catalogue_stream};
    auto locations = make_locations(options.stores);
    insert_locations(sql, kind, locations);
    auto products = make_products(options.products, random, domain::format_timestamp(options.now));
    insert_products(sql, kind, products);
    const auto reorder_point = store_reorder_point(options.stock);
    for (std::int64_t store = 1; store <= options.stores; ++store) {
      auto rows = make_stock(store, options.products, options.stock, reorder_point);
      insert_stock(sql, kind, rows);
    }
    // The logistics centre supplies every store: ten times a store's stock.
    auto centre =
        make_stock(options.stores + 1, options.products, 10 * options.stock, 10 * reorder_point);
    insert_stock(sql, kind, centre);
    transaction.commit();

    prices = std::move(products.prices);
    summary.stores = options.stores;
    summary.logistics_centre_id = options.stores + 1;
    summary.products = options.products;
    summary.stock_rows = (options.stores + 1) * options.products;
  }
  summary.sale_lines = write_sales(sql, kind, options, prices, progress);
  summary.sales = options.sales;
  return summary;
}

} // namespace comptoir::persistence
