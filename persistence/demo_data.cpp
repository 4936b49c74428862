#include "persistence/demo_data.hpp"

#include "domain/timestamp.hpp"
#include "persistence/setup_transaction.hpp"

#include <chrono>

#include <soci/soci.h>
#include <spdlog/spdlog.h>

#include <cstdint>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

namespace comptoir::persistence {

namespace {

// -- the demo chain -----------------------------------------------------------

struct demo_location {
  std::int64_t id;
  std::string_view kind;
  std::string_view name;
  std::string_view city;
};

constexpr demo_location demo_locations[] = {
    {1, "store", "Comptoir Plateau-Mont-Royal", "Montréal"},
    {2, "store", "Comptoir Chomedey", "Laval"},
    {3, "store", "Comptoir Vieux-Longueuil", "Longueuil"},
    {4, "store", "Comptoir Saint-Roch", "Québec"},
    {5, "store", "Comptoir Wellington", "Sherbrooke"},
    {6, "warehouse", "Centre logistique Boucherville", "Boucherville"},
};

constexpr std::int64_t logistics_centre_id = 6;

// Product ids are positions in this table, from 1.
constexpr demo_product demo_products[] = {
    {"GRO-001", "Maple syrup 540 ml", "grocery", "Pure amber maple syrup from Québec", 1299},
    {"GRO-002", "Steel-cut oats 1 kg", "grocery", "Whole grain oats for a hearty breakfast", 599},
    {"GRO-003", "Basmati rice 2 kg", "grocery", "Long-grain aromatic rice", 899},
    {"GRO-004", "Spaghetti 900 g", "grocery", "Durum wheat semolina pasta", 249},
    {"GRO-005", "Crushed tomatoes 796 ml", "grocery", "Italian-style crushed tomatoes", 199},
    {"GRO-006", "Peanut butter 1 kg", "grocery", "Smooth peanut butter, no added sugar", 649},
    {"GRO-007", "Strawberry jam 500 ml", "grocery", "Made with Québec strawberries", 479},
    {"GRO-008", "Extra virgin olive oil 1 L", "grocery", "Cold-pressed olive oil", 1499},
    {"GRO-009", "Ground coffee 340 g", "grocery", "Medium roast, fair trade", 1099},
    {"GRO-010", "Aged cheddar 400 g", "grocery", "Cheddar aged two years", 899},
    {"DRK-001", "Sparkling water 12 x 355 ml", "drinks", "Naturally carbonated spring water", 649},
    {"DRK-002", "Orange juice 1.75 L", "drinks", "Not from concentrate, with pulp", 499},
    {"DRK-003", "Apple juice 1.89 L", "drinks", "Unsweetened juice from Québec apples", 379},
    {"DRK-004", "Cola 2 L", "drinks", "Classic cola soft drink", 299},
    {"DRK-005", "Ginger ale 2 L", "drinks", "Dry ginger ale", 279},
    {"DRK-006", "Lemon iced tea 1.89 L", "drinks", "Black tea with lemon", 349},
    {"DRK-007", "Oat beverage 1.89 L", "drinks", "Unsweetened, enriched with calcium", 479},
    {"DRK-008", "Spring water 24 x 500 ml", "drinks", "Natural spring water", 449},
    {"DRK-009", "Green tea, 20 bags", "drinks", "Japanese sencha tea bags", 399},
    {"DRK-010", "Hot chocolate mix 500 g", "drinks", "Rich cocoa drink mix", 599},
    {"HYG-001", "Fluoride toothpaste 100 ml", "hygiene", "Cavity protection, fresh mint", 349},
    {"HYG-002", "Soft toothbrushes, 2-pack", "hygiene", "Soft bristles for sensitive gums", 499},
    {"HYG-003", "Shampoo 750 ml", "hygiene", "For normal hair, family size", 799},
    {"HYG-004", "Conditioner 750 ml", "hygiene", "Detangling conditioner, family size", 799},
    {"HYG-005", "Bar soap, 4-pack", "hygiene", "Unscented moisturizing soap", 549},
    {"HYG-006", "Deodorant stick 85 g", "hygiene", "Aluminium-free, 24 h protection", 599},
    {"HYG-007", "Facial tissues, 6 boxes", "hygiene", "Two-ply soft tissues", 899},
    {"HYG-008", "Toilet paper, 12 double rolls", "hygiene", "Two-ply, septic safe", 1199},
    {"HYG-009", "Hand sanitizer 500 ml", "hygiene", "70% alcohol gel with pump", 699},
    {"HYG-010", "Dental floss 50 m", "hygiene", "Waxed mint floss", 299},
    {"HOU-001", "Dish soap 740 ml", "household", "Concentrated, cuts grease", 349},
    {"HOU-002", "Laundry detergent 2.03 L", "household", "High-efficiency liquid, 46 loads", 1299},
    {"HOU-003", "All-purpose cleaner 950 ml", "household", "Spray cleaner for every surface", 449},
    {"HOU-004", "Paper towels, 6 rolls", "household", "Absorbent select-a-size sheets", 999},
    {"HOU-005", "Garbage bags, 40 x 77 L", "household", "Drawstring bags for kitchen bins", 1099},
    {"HOU-006", "Sponges, 6-pack", "household", "Scrub sponges, non-scratch", 399},
    {"HOU-007", "Aluminium foil 30 m", "household", "Heavy-duty kitchen foil", 549},
    {"HOU-008", "LED bulbs, 2-pack", "household", "60 W equivalent, soft white", 899},
    {"HOU-009", "AA batteries, 8-pack", "household", "Long-lasting alkaline batteries", 1199},
    {"HOU-010", "Freezer bags, 50", "household", "Resealable 3.8 L bags", 499},
    {"STA-001", "Blue ballpoint pens, 10-pack", "stationery", "Medium point, smooth ink", 599},
    {"STA-002", "HB pencils, 12-pack", "stationery", "Pre-sharpened graphite pencils", 399},
    {"STA-003", "Lined notebook, 200 pages", "stationery", "Spiral-bound, letter size", 349},
    {"STA-004", "Sticky notes, 6 pads", "stationery", "76 x 76 mm, assorted colours", 749},
    {"STA-005", "Printer paper, 500 sheets", "stationery", "Letter size, 20 lb", 899},
    {"STA-006", "Highlighters, 5 colours", "stationery", "Chisel tip, fluorescent ink", 549},
    {"STA-007", "Clear tape, 4 rolls", "stationery", "Transparent tape with dispenser", 499},
    {"STA-008", "Stapler with staples", "stationery", "Desktop stapler and 1000 staples", 1299},
    {"STA-009", "Envelopes #10, 50-pack", "stationery", "White self-seal envelopes", 699},
    {"STA-010", "Glue sticks, 3-pack", "stationery", "Washable, acid-free", 399},
};

// -- deterministic stock ------------------------------------------------------

std::int64_t reorder_point_of(std::int64_t product) {
  return 5 + (product * 7) % 26;
}

// Comfortably above the reorder point: between it and 150 units.
std::int64_t healthy_on_hand(std::int64_t location, std::int64_t product) {
  const auto reorder_point = reorder_point_of(product);
  return reorder_point + 1 +
         (product * 37 + location * 53 + product * location * 11) % (150 - reorder_point);
}

// About one store-product pair in twenty-three is short, half of them out of
// stock, so that the stock-out and low-stock alerts have something to show.
std::int64_t store_on_hand(std::int64_t store, std::int64_t product) {
  if ((product * 3 + store) % 23 != 0)
    return healthy_on_hand(store, product);
  return product % 2 == 0 ? 0 : reorder_point_of(product) / 2;
}

// -- SQL ----------------------------------------------------------------------

constexpr auto count_locations = "SELECT COUNT(*) FROM locations";
constexpr auto count_products = "SELECT COUNT(*) FROM products";

constexpr auto insert_location =
    "INSERT INTO locations (id, kind, name, city) VALUES (:id, :kind, :name, :city)";

constexpr auto insert_product =
    "INSERT INTO products (id, sku, name, category, description, price_cents, updated_at)"
    " VALUES (:id, :sku, :name, :category, :description, :price_cents, :updated_at)";

constexpr auto insert_stock = "INSERT INTO stock (location_id, product_id, on_hand, reorder_point)"
                              " VALUES (:location_id, :product_id, :on_hand, :reorder_point)";

// Explicit ids leave the identity sequence behind; the next product must get 51.
constexpr auto advance_product_id_sequence =
    "SELECT setval(pg_get_serial_sequence('products', 'id'), (SELECT MAX(id) FROM products))";

// -- inserts ------------------------------------------------------------------

void insert_locations(soci::session& sql) {
  std::vector<std::int64_t> ids;
  std::vector<std::string> kinds, names, cities;
  for (const auto& l : demo_locations) {
    ids.push_back(l.id);
    kinds.emplace_back(l.kind);
    names.emplace_back(l.name);
    cities.emplace_back(l.city);
  }
  sql << insert_location, soci::use(ids), soci::use(kinds), soci::use(names), soci::use(cities);
}

void insert_products(soci::session& sql) {
  const std::string now = domain::format_timestamp(std::chrono::system_clock::now());
  std::vector<std::int64_t> ids, prices;
  std::vector<std::string> skus, names, categories, descriptions, updated_at;
  std::int64_t id = 0;
  for (const auto& p : demo_products) {
    ids.push_back(++id);
    skus.emplace_back(p.sku);
    names.emplace_back(p.name);
    categories.emplace_back(p.category);
    descriptions.emplace_back(p.description);
    prices.push_back(p.price_cents);
    updated_at.push_back(now);
  }
  sql << insert_product, soci::use(ids), soci::use(skus), soci::use(names), soci::use(categories),
      soci::use(descriptions), soci::use(prices), soci::use(updated_at);
}

void insert_stock_rows(soci::session& sql) {
  std::vector<std::int64_t> locations, products, on_hand, reorder_points;
  for (const auto& l : demo_locations) {
    for (std::int64_t product = 1; product <= std::ssize(demo_products); ++product) {
      const bool is_centre = l.id == logistics_centre_id;
      locations.push_back(l.id);
      products.push_back(product);
      // The logistics centre supplies every store: ten times a store's stock.
      on_hand.push_back(is_centre ? 10 * healthy_on_hand(l.id, product)
                                  : store_on_hand(l.id, product));
      reorder_points.push_back(is_centre ? 10 * reorder_point_of(product)
                                         : reorder_point_of(product));
    }
  }
  sql << insert_stock, soci::use(locations), soci::use(products), soci::use(on_hand),
      soci::use(reorder_points);
}

} // namespace

std::span<const demo_product> demo_catalogue() {
  return demo_products;
}

bool load_demo_data(soci::session& sql, dialect kind) {
  setup_transaction transaction(sql, kind);
  long long locations = 0;
  long long products = 0;
  sql << count_locations, soci::into(locations);
  sql << count_products, soci::into(products);
  if (locations != 0 || products != 0)
    return false;
  insert_locations(sql);
  insert_products(sql);
  insert_stock_rows(sql);
  if (kind == dialect::postgresql)
    sql << advance_product_id_sequence;
  transaction.commit();
  spdlog::info("loaded the demo data: {} locations, {} products", std::size(demo_locations),
               std::size(demo_products));
  return true;
}

} // namespace comptoir::persistence
