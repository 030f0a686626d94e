#include "app/commands.hpp"

#include <iostream>

namespace ferry::app {

int check_config_command(const std::vector<std::string>& args) {
  if (args.size() != 1 || args[0].empty() || args[0][0] == '-') {
    std::cerr << "usage: ferry check-config FILE\n";
    return 2;
  }
  // The environment counts: the check is of what `ferry run` would use.
  auto result =
      config::load_config_file(args[0], config::process_environment());
  if (result.ok()) {
    std::cout << "ok\n";
    return 0;
  }
  for (const auto& error : result.errors)
    std::cerr << config::format_error(error) << "\n";
  std::cerr << result.errors.size() << " error"
            << (result.errors.size() == 1 ? "" : "s") << " in " << args[0]
            << "\n";
  return 1;
}

} // namespace ferry::app
