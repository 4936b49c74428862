#include "app/generate_command.hpp"

#include <unistd.h>

#include <charconv>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <limits>
#include <string_view>
#include <variant>

namespace comptoir::app {

namespace {

using clock = std::chrono::steady_clock;

// -- options --------------------------------------------------------------------

struct numeric_option {
  std::string_view name;
  std::int64_t min;
  std::int64_t max;
};

// Bounds that keep every count, id and on-hand quantity (10 x Q) within 64 bits.
constexpr std::int64_t max_count = 1'000'000'000'000;

constexpr numeric_option stores_option{"--stores", 1, 1'000'000};
constexpr numeric_option products_option{"--products", 1, max_count};
constexpr numeric_option stock_option{"--stock", 0, max_count};
constexpr numeric_option sales_option{"--sales", 0, max_count};
constexpr numeric_option days_option{"--days", 1, 36'500};

std::optional<std::int64_t> parse_integer(std::string_view text) {
  std::int64_t value = 0;
  const auto end = text.data() + text.size();
  const auto [at, error] = std::from_chars(text.data(), end, value);
  if (text.empty() || error != std::errc{} || at != end)
    return std::nullopt;
  return value;
}

std::optional<std::uint64_t> parse_seed(std::string_view text) {
  std::uint64_t value = 0;
  const auto end = text.data() + text.size();
  const auto [at, error] = std::from_chars(text.data(), end, value);
  if (text.empty() || error != std::errc{} || at != end)
    return std::nullopt;
  return value;
}

// -- progress -------------------------------------------------------------------

constexpr int bar_width = 30;
constexpr auto redraw_interval = std::chrono::milliseconds{100};

/// `\r[#####     ] 52% 520000/1000000 sales, 85000/s`, redrawn at most ten times a second.
class progress_bar {
public:
  void operator()(std::int64_t written, std::int64_t total) {
    const auto now = clock::now();
    if (written == 0)
      start_ = now;
    if (written < total && drawn_ && now - last_draw_ < redraw_interval)
      return;
    last_draw_ = now;
    drawn_ = true;
    const double done =
        total == 0 ? 1.0 : static_cast<double>(written) / static_cast<double>(total);
    const int filled = static_cast<int>(done * bar_width);
    const double seconds = std::chrono::duration<double>(now - start_).count();
    const auto rate =
        seconds > 0 ? static_cast<long long>(static_cast<double>(written) / seconds) : 0;
    std::string bar(static_cast<std::size_t>(filled), '#');
    bar.resize(bar_width, ' ');
    std::fprintf(stderr, "\r[%s] %3d%% %lld/%lld sales, %lld/s", bar.c_str(),
                 static_cast<int>(done * 100), static_cast<long long>(written),
                 static_cast<long long>(total), rate);
    std::fflush(stderr);
  }

  /// Ends the bar's line, if one was drawn.
  void finish() {
    if (drawn_)
      std::fputc('\n', stderr);
    drawn_ = false;
  }

private:
  clock::time_point start_ = clock::now();
  clock::time_point last_draw_;
  bool drawn_ = false;
};

} // namespace

std::optional<persistence::generation_options>
parse_generate_options(std::span<const std::string> args, std::string& error) {
  persistence::generation_options options;
  bool has_stores = false, has_products = false, has_stock = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string_view name = args[i];
    std::string_view value;
    const auto equals = name.find('=');
    const bool inline_value = name.starts_with("--") && equals != name.npos;
    if (inline_value) {
      value = name.substr(equals + 1);
      name = name.substr(0, equals);
    }
    if (name != "--seed" && name != stores_option.name && name != products_option.name &&
        name != stock_option.name && name != sales_option.name && name != days_option.name) {
      error = "unknown option '" + std::string{args[i]} + "'";
      return std::nullopt;
    }
    if (!inline_value) {
      if (i + 1 == args.size()) {
        error = "option '" + std::string{name} + "' needs a value";
        return std::nullopt;
      }
      value = args[++i];
    }

    if (name == "--seed") {
      const auto seed = parse_seed(value);
      if (!seed) {
        error = "--seed: expected an unsigned integer, got '" + std::string{value} + "'";
        return std::nullopt;
      }
      options.seed = *seed;
      continue;
    }
    const numeric_option* option = nullptr;
    std::int64_t* target = nullptr;
    if (name == stores_option.name) {
      option = &stores_option, target = &options.stores, has_stores = true;
    } else if (name == products_option.name) {
      option = &products_option, target = &options.products, has_products = true;
    } else if (name == stock_option.name) {
      option = &stock_option, target = &options.stock, has_stock = true;
    } else if (name == sales_option.name) {
      option = &sales_option, target = &options.sales;
    } else {
      option = &days_option, target = &options.days;
    }
    const auto number = parse_integer(value);
    if (!number || *number < option->min || *number > option->max) {
      error = std::string{option->name} + ": expected an integer from " +
              std::to_string(option->min) + " to " + std::to_string(option->max) + ", got '" +
              std::string{value} + "'";
      return std::nullopt;
    }
    *target = *number;
  }
  if (!has_stores || !has_products || !has_stock) {
    error = "--stores, --products and --stock are required";
    return std::nullopt;
  }
  if (options.products > max_count / (options.stores + 1)) {
    error = "--stores x --products: more than " + std::to_string(max_count) + " stock rows";
    return std::nullopt;
  }
  return options;
}

generate_result run_generate(soci::session& sql, persistence::dialect kind,
                             const persistence::generation_options& options) {
  const auto started = clock::now();
  progress_bar bar;
  persistence::generation_progress progress;
  if (isatty(STDERR_FILENO))
    progress = std::ref(bar);
  persistence::generation_outcome outcome;
  try {
    // The history ends now, not when the options were parsed (migrating may take a while).
    auto timed = options;
    timed.now = std::chrono::system_clock::now();
    outcome = persistence::generate(sql, kind, timed, progress);
  } catch (...) {
    bar.finish();
    throw;
  }
  bar.finish();

  if (const auto* found = std::get_if<persistence::business_data_found>(&outcome)) {
    std::cerr << "comptoir generate: the database already holds business data (" << found->locations
              << " locations, " << found->products << " products, " << found->stock_rows
              << " stock rows, " << found->sales
              << " sales); generate fills only an empty database\n";
    return generate_result::refused;
  }
  const auto& made = std::get<persistence::generation_summary>(outcome);
  const double seconds = std::chrono::duration<double>(clock::now() - started).count();
  char line[400];
  std::snprintf(line, sizeof line,
                "generated %lld stores, the logistics centre (%lld), %lld products, %lld stock "
                "rows and %lld sales (%lld lines) over %lld days in %.1f s (%.0f sales/s, seed "
                "%llu)\n",
                static_cast<long long>(made.stores),
                static_cast<long long>(made.logistics_centre_id),
                static_cast<long long>(made.products), static_cast<long long>(made.stock_rows),
                static_cast<long long>(made.sales), static_cast<long long>(made.sale_lines),
                static_cast<long long>(options.days), seconds,
                seconds > 0 ? static_cast<double>(made.sales) / seconds : 0.0,
                static_cast<unsigned long long>(options.seed));
  std::cout << line;
  return generate_result::done;
}

} // namespace comptoir::app
