#pragma once

#include "config/ferry_config.hpp"
#include "persistence/pg_pool.hpp"

#include <optional>
#include <string>
#include <vector>

/// The `ferry` sub-commands. Each takes the arguments after its name and
/// returns the process exit status: 0 success, 1 failure, 2 bad usage.
namespace ferry::app {

/// `ferry check-config FILE`: every error as FILE:LINE: key.path: message.
int check_config_command(const std::vector<std::string>& args);

/// `ferry migrate [--config FILE]`: applies pending database migrations.
int migrate_command(const std::vector<std::string>& args);

/// `ferry run [--config FILE]`: runs until SIGTERM/SIGINT, then drains.
int run_command(const std::vector<std::string>& args);

/// `ferry sync products --full [--resume] [--config FILE]`: every ERP item
/// to the shop as a resumable job (app/sync_command.cpp).
int sync_command(const std::vector<std::string>& args);

/// `ferry reconcile stock|products [--fix] [--config FILE]`: compares ERP
/// and shop, prints and stores the drift (app/reconcile_command.cpp). Exit
/// status: 0 no drift, 1 drift found (also with --fix), 2 bad usage, 3 the
/// comparison could not be finished.
int reconcile_command(const std::vector<std::string>& args);

/// `ferry replay dead-letter ID [--config FILE]`: a failed order's dead
/// letter back into its saga, keyed by the same shop order
/// (app/replay_command.cpp). Exit 0 replayed, 1 refused or failed.
int replay_command(const std::vector<std::string>& args);

/// The usage text of `ferry help`.
std::string usage_text();

/// The value of `--config FILE` (or `--config=FILE`) in `args`, else
/// $FERRY_CONFIG, else none (the built-in defaults). Sets `bad_usage` on an
/// unknown argument or a missing FILE.
std::optional<std::string>
config_path_argument(const std::vector<std::string>& args,
                     std::string& bad_usage);

/// Loads the config for `run`/`migrate` (file or defaults, then the
/// environment); prints every error to stderr and returns nullopt on any.
std::optional<config::ferry_config>
load_or_report(const std::optional<std::string>& path);

/// The PostgreSQL pool settings of `config` (database.*), for a pool of
/// `max_size` connections whose metrics are labelled `name`.
persistence::pg_pool_options pool_options(const config::ferry_config& config,
                                          std::size_t max_size,
                                          std::string name);

} // namespace ferry::app
