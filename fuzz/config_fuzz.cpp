// libFuzzer target: the bytes are a node's TOML config file, read by
// config::read_settings as the file "fuzz.toml" (without the environment).
//
// config_error is the expected answer to a bad file. A finding is any other
// exception, a sanitizer report, or (__builtin_trap) a broken invariant:
//   - settings read without error are usable: port >= 1, 1..1024 threads,
//     positive durations and limits, a known log level, and every token has
//     a known role, exactly one of token and token_sha256, and a store id
//     exactly when it is a clerk's;
//   - a config_error has a message naming the file, and never repeats the
//     value of a `token` key (loader.hpp: "Token values are never repeated").

#include "config/loader.hpp"

#include <toml++/toml.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace {

using namespace comptoir;

const std::string source = "fuzz.toml";

[[noreturn]] void finding() {
  __builtin_trap();
}

bool known(std::string_view text, std::initializer_list<std::string_view> values) {
  for (auto value : values)
    if (text == value)
      return true;
  return false;
}

void check_settings(const config::settings& read) {
  const auto& http = read.http;
  if (http.port < 1 || http.io_threads < 1 || http.io_threads > 1024)
    finding();
  if (http.body_limit_bytes < 1 || http.header_limit_bytes < 1 || http.url_limit_bytes < 1 ||
      http.max_connections < 1 || http.max_pipelined < 1 || http.max_in_flight < 1)
    finding();
  if (http.read_timeout.count() < 1 || http.idle_timeout.count() < 1 ||
      http.header_timeout.count() < 1)
    finding();
  if (http.address.empty())
    finding();
  for (const auto& origin : http.cors_origins)
    if (origin.empty() || origin == "*")
      finding();
  if (read.actors.scheduler_threads < 1 || read.actors.workers < 1 ||
      read.actors.request_timeout.count() < 1)
    finding();
  if (read.database.url.empty() || read.database.readers < 1)
    finding();
  if (read.sales.max_batch < 1 || read.sales.max_lines < 1 || read.sales.max_quantity < 1 ||
      read.sales.idempotency_retention_hours < 1)
    finding();
  if (read.restock.target_multiple < 1 || read.reports.overstock_multiple < 1 ||
      read.reports.cache_ttl.count() < 1)
    finding();
  if (!known(read.log_level, {"trace", "debug", "info", "warn", "error", "off"}))
    finding();
  if (read.source != source)
    finding();
  for (const auto& token : read.tokens) {
    if (!known(token.role, {"admin", "hq", "logistics", "clerk"}))
      finding();
    if (token.token.empty() == token.token_sha256.empty())
      finding();
    if ((token.role == "clerk") != (token.store_id >= 1))
      finding();
    if (token.role != "clerk" && token.store_id != 0)
      finding();
  }
}

/// The message of the config_error `text` gets, or "" when it reads fine.
std::string error_of(std::string_view text) {
  try {
    config::read_settings(text, source);
  } catch (const config::config_error& error) {
    return error.what();
  }
  return {};
}

/// The `token` values of the [[tokens]] of `text`, index for index ("" for an
/// entry without one); none when `text` is not valid TOML.
std::vector<std::string> token_values(std::string_view text) {
  std::vector<std::string> values;
  toml::table root;
  try {
    root = toml::parse(text, std::string_view{source});
  } catch (const toml::parse_error&) {
    return values;
  }
  if (const auto* tokens = root["tokens"].as_array())
    for (const auto& entry : *tokens) {
      const auto* table = entry.as_table();
      const auto* token = table ? table->get_as<std::string>("token") : nullptr;
      values.push_back(token ? token->get() : std::string{});
    }
  return values;
}

/// Whether `message`, the error of `text`, repeats the value of a `token`
/// key. A message may contain a token's text by coincidence (the token is
/// "header_limit_bytes" and the message lists the known keys), so a
/// suspicion is confirmed by reading the file again with that token's text
/// changed in place: a leak shows the changed text.
bool repeats_a_token(std::string_view text, std::string_view message) {
  auto values = token_values(text);
  for (std::size_t index = 0; index < values.size(); ++index) {
    const auto& value = values[index];
    if (value.size() < 8 || message.find(value) == std::string_view::npos)
      continue;
    // Only a token written once, without escapes, can be changed in place.
    auto at = text.find(value);
    if (at == std::string_view::npos || text.find(value, at + 1) != std::string_view::npos)
      continue;
    std::string changed_value;
    for (char c : value)
      changed_value += c == 'x' ? 'y' : 'x';
    if (text.find(changed_value) != std::string_view::npos)
      continue;
    std::string changed{text};
    changed.replace(at, value.size(), changed_value);
    auto changed_values = token_values(changed);
    if (changed_values.size() != values.size() || changed_values[index] != changed_value)
      continue; // that text was not (only) this token's
    if (error_of(changed).find(changed_value) != std::string::npos)
      return true;
  }
  return false;
}

} // namespace

extern "C" const char* __ubsan_default_options() {
  // Undefined behaviour is a finding, not a warning: stop at the first.
  return "halt_on_error=1:print_stacktrace=1";
}

extern "C" const char* __asan_default_options() {
  return "detect_leaks=1";
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text{reinterpret_cast<const char*>(data), size};
  try {
    check_settings(config::read_settings(text, source));
  } catch (const config::config_error& error) {
    std::string_view message = error.what();
    if (!message.starts_with(source))
      finding();
    if (message.find("tokens") != std::string_view::npos && repeats_a_token(text, message))
      finding();
  }
  // Anything else thrown escapes: libFuzzer reports it (a finding).
  return 0;
}
