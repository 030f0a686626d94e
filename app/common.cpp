#include "app/commands.hpp"

#include <cstdlib>
#include <iostream>

namespace ferry::app {

std::string usage_text() {
  return R"(usage: ferry COMMAND [ARGS]

commands:
  run [--config FILE]      run the integration until SIGTERM or SIGINT
                           (applies pending migrations first, serves
                           /metrics, /healthz and /readyz on ops.listen)
  migrate [--config FILE]  apply pending database migrations and exit
  sync products --full [--resume] [--config FILE]
                           copy every ERP item to the shop as a job (pages
                           of 1,000, bulk upserts of 500); --resume goes on
                           with an unfinished one from its last committed
                           page; progress also at GET /api/v1/jobs/{id}
  reconcile stock|products [--fix] [--config FILE]
                           compare ERP and shop in full: SKUs missing on one
                           side, ERP-owned product fields, stock per source
                           (ERP Available - open reservations); prints the
                           drift and stores it (reconcile_drift); --fix
                           repairs it through the sync and checks again.
                           Exit 0 no drift, 1 drift found, 3 not finished
  replay dead-letter ID [--config FILE]
                           send a failed order (a dead letter of source
                           order_saga) through its saga again, keyed by the
                           same shop order, so the ERP never gets it twice;
                           a running node takes it up. Exit 1 when the ID
                           does not exist, was replayed or is no failed order
  check-config FILE        check a config file; prints each error as
                           FILE:LINE: key.path: message
  version                  print the version
  help                     this text

Without --config, $FERRY_CONFIG names the file; without either, the built-in
defaults apply (see config/ferry.example.yaml). FERRY_<SECTION>_<KEY>
variables override single keys, e.g. FERRY_ERP_PASSWORD, FERRY_DATABASE_URL.

exit status: 0 success, 1 failure, 2 bad usage
)";
}

std::optional<std::string>
config_path_argument(const std::vector<std::string>& args,
                     std::string& bad_usage) {
  std::optional<std::string> path;
  for (size_t i = 0; i < args.size(); ++i) {
    const auto& arg = args[i];
    if (arg == "--config") {
      if (i + 1 >= args.size()) {
        bad_usage = "--config needs a FILE";
        return std::nullopt;
      }
      path = args[++i];
    } else if (arg.rfind("--config=", 0) == 0) {
      path = arg.substr(9);
    } else {
      bad_usage = "unexpected argument \"" + arg + "\"";
      return std::nullopt;
    }
  }
  if (path && path->empty()) {
    bad_usage = "--config needs a FILE";
    return std::nullopt;
  }
  if (!path) {
    if (const char* env = std::getenv("FERRY_CONFIG"); env && *env)
      path = env;
  }
  return path;
}

std::optional<config::ferry_config>
load_or_report(const std::optional<std::string>& path) {
  auto env = config::process_environment();
  auto result = path ? config::load_config_file(*path, env)
                     : config::load_config_text("", env, "<defaults>");
  if (result.ok())
    return std::move(result.config);
  for (const auto& error : result.errors)
    std::cerr << config::format_error(error) << "\n";
  std::cerr << "ferry: the configuration has " << result.errors.size()
            << " error" << (result.errors.size() == 1 ? "" : "s") << "\n";
  return std::nullopt;
}

persistence::pg_pool_options pool_options(const config::ferry_config& config,
                                          std::size_t max_size,
                                          std::string name) {
  persistence::pg_pool_options options;
  options.url = config.database.url;
  options.password = config.database.password;
  options.max_size = max_size;
  options.connect_timeout = config.database.acquire_timeout;
  options.statement_timeout = config.database.statement_timeout;
  options.acquire_timeout = config.database.acquire_timeout;
  options.name = std::move(name);
  return options;
}

} // namespace ferry::app
