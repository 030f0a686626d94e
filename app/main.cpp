#include "app/commands.hpp"
#include "monitoring/metrics.hpp"

#include <iostream>
#include <string>
#include <vector>

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) {
    std::cerr << ferry::app::usage_text();
    return 2;
  }
  auto command = args.front();
  args.erase(args.begin());
  if (command == "check-config")
    return ferry::app::check_config_command(args);
  if (command == "migrate")
    return ferry::app::migrate_command(args);
  if (command == "run")
    return ferry::app::run_command(args);
  if (command == "reconcile")
    return ferry::app::reconcile_command(args);
  if (command == "replay")
    return ferry::app::replay_command(args);
  if (command == "sync")
    return ferry::app::sync_command(args);
  if (command == "version" || command == "--version") {
    std::cout << "ferry " << ferry::monitoring::build_version() << " ("
              << ferry::monitoring::build_commit() << ")\n";
    return 0;
  }
  if (command == "help" || command == "--help" || command == "-h") {
    std::cout << ferry::app::usage_text();
    return 0;
  }
  std::cerr << "ferry: unknown command \"" << command << "\"\n\n"
            << ferry::app::usage_text();
  return 2;
}
