// `ferry replay dead-letter ID`: a failed order goes back to its saga, keyed
// by the same shop order, for a running node to take up (its claim of
// runnable sagas); the dead letter is marked replayed, with who and when.

#include "app/commands.hpp"
#include "mapping/order_mapping.hpp"
#include "persistence/errors.hpp"
#include "persistence/order_saga_store.hpp"
#include "persistence/pg_pool.hpp"

#include <cstdlib>
#include <iostream>
#include <prometheus/registry.h>
#include <pwd.h>
#include <unistd.h>

namespace ferry::app {

namespace {

const char* usage = "usage: ferry replay dead-letter ID [--config FILE]\n";

/// The login of the user running the command, for the audit row.
std::string operator_name() {
  if (const auto* pw = getpwuid(geteuid()); pw != nullptr && pw->pw_name)
    return pw->pw_name;
  if (const char* user = std::getenv("USER"); user != nullptr && *user)
    return user;
  return "uid " + std::to_string(geteuid());
}

/// The line that says why `id` was not replayed.
std::string refusal(std::int64_t id, const persistence::dead_letter_replay& r) {
  auto letter = "dead letter " + std::to_string(id);
  auto order = "order " + r.entity_id;
  switch (r.kind) {
    case persistence::dead_letter_replay::not_found:
      return letter + " does not exist";
    case persistence::dead_letter_replay::already_replayed:
      return letter + " (" + r.entity + " " + r.entity_id +
             ") was replayed already, at " + r.replayed_at +
             "; a dead letter is replayed once (a new failure has a dead "
             "letter of its own)";
    case persistence::dead_letter_replay::not_replayable:
      return letter + " is of source " + r.source + ", entity " + r.entity +
             "; only failed orders (source order_saga, entity order) can be "
             "replayed";
    case persistence::dead_letter_replay::no_saga:
      return letter + ": " + order + " has no saga";
    case persistence::dead_letter_replay::not_failed:
      return letter + ": the saga of " + order + " is " + r.state +
             ", not failed; there is nothing to replay";
    case persistence::dead_letter_replay::no_order:
      return letter + ": neither the saga of " + order +
             " nor the dead letter holds the order";
    case persistence::dead_letter_replay::replayed:
      break;
  }
  return letter + " was replayed";
}

} // namespace

int replay_command(const std::vector<std::string>& args) {
  std::string bad_usage;
  std::int64_t id = 0;
  std::vector<std::string> rest;
  if (args.size() < 2 || args[0] != "dead-letter") {
    bad_usage = "say what to replay: dead-letter ID";
  } else {
    const auto& text = args[1];
    std::size_t used = 0;
    try {
      id = std::stoll(text, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == 0 || used != text.size() || id <= 0)
      bad_usage = "dead letter ID \"" + text + "\" is not a positive number";
    rest.assign(args.begin() + 2, args.end());
  }
  auto path =
      bad_usage.empty() ? config_path_argument(rest, bad_usage) : std::nullopt;
  if (!bad_usage.empty()) {
    std::cerr << "ferry replay: " << bad_usage << "\n" << usage;
    return 2;
  }
  auto config = load_or_report(path);
  if (!config)
    return 1;
  prometheus::Registry registry;
  persistence::pg_pool pool(pool_options(*config, 1, "replay"), registry);
  persistence::order_saga_store sagas(pool);
  auto replay = sagas.replay(id, operator_name());
  if (!replay) {
    std::cerr << "ferry replay: dead letter " << id << ": "
              << persistence::db_error_text(replay.error()) << "\n";
    return 1;
  }
  if (replay->kind != persistence::dead_letter_replay::replayed) {
    std::cerr << "ferry replay: " << refusal(id, *replay) << "\n";
    return 1;
  }
  std::cout << "dead letter " << id << " replayed at " << replay->replayed_at
            << ": order " << replay->entity_id << " (ExternalOrderID "
            << external_order_id(replay->entity_id)
            << ") goes through its saga again from received; a running "
               "ferry node takes it up\n";
  return 0;
}

} // namespace ferry::app
