#pragma once
// `comptoir generate`: its options, and filling a database with a progress bar.

#include "persistence/database_url.hpp"
#include "persistence/generator.hpp"

#include <optional>
#include <span>
#include <string>

namespace soci {
class session;
} // namespace soci

namespace comptoir::app {

/// The arguments after `generate` (other than --config):
/// `--stores N --products M --stock Q [--sales S] [--days D] [--seed X]`,
/// each also as `--name=value`. Nothing, with `error` saying why, when they are wrong.
std::optional<persistence::generation_options>
parse_generate_options(std::span<const std::string> args, std::string& error);

enum class generate_result { done, refused };

/// Fills the migrated database, drawing a progress bar on stderr when it is a
/// terminal, then prints a one-line summary on stdout. A database that is not
/// empty is refused with a message on stderr. Throws what the database throws.
generate_result run_generate(soci::session& sql, persistence::dialect kind,
                             const persistence::generation_options& options);

} // namespace comptoir::app
