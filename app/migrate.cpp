#include "app/commands.hpp"
#include "persistence/errors.hpp"
#include "persistence/migrations.hpp"
#include "persistence/pg_pool.hpp"

#include <iostream>
#include <prometheus/registry.h>

namespace ferry::app {

int migrate_command(const std::vector<std::string>& args) {
  std::string bad_usage;
  auto path = config_path_argument(args, bad_usage);
  if (!bad_usage.empty()) {
    std::cerr << "ferry migrate: " << bad_usage
              << "\nusage: ferry migrate [--config FILE]\n";
    return 2;
  }
  auto config = load_or_report(path);
  if (!config)
    return 1;
  prometheus::Registry registry;
  persistence::pg_pool pool(pool_options(*config, 1, "migrate"), registry);
  auto report = persistence::migrate(pool);
  if (!report) {
    std::cerr << "ferry migrate: " << persistence::db_error_text(report.error())
              << "\n";
    return 1;
  }
  if (report->applied.empty()) {
    std::cout << "database is current at version " << report->current_version
              << "\n";
  } else {
    std::cout << "applied " << report->applied.size() << " migration"
              << (report->applied.size() == 1 ? "" : "s") << " (";
    for (size_t i = 0; i < report->applied.size(); ++i)
      std::cout << (i ? ", " : "") << report->applied[i];
    std::cout << "); database at version " << report->current_version << "\n";
  }
  return 0;
}

} // namespace ferry::app
