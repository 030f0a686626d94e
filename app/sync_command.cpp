// `ferry sync products --full [--resume]`: every ERP item to the shop once,
// through the same product pipeline as the continuous sync (mapping, echo
// hashes, ERP state, dead letters), as a resumable job in the `job` table.

#include "actors/erp_connector.hpp"
#include "actors/product_pipeline.hpp"
#include "actors/shop_connector.hpp"
#include "app/commands.hpp"
#include "app/components.hpp"
#include "mapping/product_mapping.hpp"
#include "monitoring/log.hpp"
#include "persistence/errors.hpp"
#include "persistence/job_store.hpp"
#include "persistence/migrations.hpp"
#include "persistence/pg_pool.hpp"

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/send.hpp>
#include <caf/spawn_options.hpp>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <prometheus/registry.h>
#include <set>
#include <sstream>
#include <thread>
#include <unistd.h>

namespace ferry::app {

namespace {

using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;
namespace mon = ferry::monitoring;

/// The `job.kind` of this command.
constexpr const char* job_kind = "sync_products_full";

/// Items per GetItems page (the contract's maximum).
constexpr int erp_page_size = 1000;

/// On resume, the shop's products written since this long before the last
/// commit are compared with the uncommitted page: it covers the clock
/// difference between PostgreSQL and the shop.
constexpr auto resume_window = std::chrono::minutes{10};

constexpr const char* usage =
    "usage: ferry sync products --full [--resume] [--config FILE]\n";

struct sync_arguments {
  bool full = false;
  bool resume = false;
  std::optional<std::string> config;
};

std::optional<sync_arguments> parse(const std::vector<std::string>& args,
                                    std::string& bad_usage) {
  if (args.empty() || args.front() != "products") {
    bad_usage = args.empty()
                    ? "what to sync is missing (products)"
                    : "cannot sync \"" + args.front() + "\" (only products)";
    return std::nullopt;
  }
  sync_arguments out;
  std::vector<std::string> rest;
  for (std::size_t i = 1; i < args.size(); ++i) {
    if (args[i] == "--full")
      out.full = true;
    else if (args[i] == "--resume")
      out.resume = true;
    else
      rest.push_back(args[i]);
  }
  out.config = config_path_argument(rest, bad_usage);
  if (!bad_usage.empty())
    return std::nullopt;
  if (!out.full) {
    bad_usage = "--full is required (the continuous product sync runs "
                "inside `ferry run`)";
    return std::nullopt;
  }
  return out;
}

/// "2026-11-29T17:50:46.123Z" (PostgreSQL, UTC) minus `back`, as the
/// shop's "YYYY-MM-DD HH:MM:SS"; empty when `iso` does not parse.
std::string shop_time_before(const std::string& iso,
                             std::chrono::seconds back) {
  std::tm tm{};
  if (std::sscanf(iso.c_str(), "%d-%d-%dT%d:%d:%d", &tm.tm_year, &tm.tm_mon,
                  &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec) != 6)
    return {};
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  auto at = ::timegm(&tm) - static_cast<std::time_t>(back.count());
  std::tm out{};
  ::gmtime_r(&at, &out);
  char text[32];
  std::strftime(text, sizeof(text), "%Y-%m-%d %H:%M:%S", &out);
  return text;
}

/// 12345 as "12,345".
std::string grouped(std::int64_t n) {
  auto digits = std::to_string(n < 0 ? -n : n);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0)
      out += ',';
    out += digits[i];
  }
  return n < 0 ? "-" + out : out;
}

std::string duration_text(double seconds) {
  auto s = static_cast<std::int64_t>(std::llround(seconds));
  std::ostringstream out;
  if (s >= 3600)
    out << s / 3600 << "h" << (s % 3600) / 60 << "m";
  else if (s >= 60)
    out << s / 60 << "m" << s % 60 << "s";
  else
    out << s << "s";
  return out.str();
}

/// One updating line on a terminal; a plain line per page otherwise. The
/// rate counts this run's items only (a resumed job's earlier items came
/// before the pause).
class progress_printer {
public:
  progress_printer(bool tty, std::int64_t read_before,
                   std::optional<std::int64_t> total)
      : tty_(tty), read_before_(read_before), total_(total) {}

  void page(std::int64_t pages, const persistence::job_counts& c) {
    double elapsed =
        std::chrono::duration<double>(steady::now() - start_).count();
    double rate = elapsed > 0 ? (c.read - read_before_) / elapsed : 0;
    std::ostringstream line;
    if (tty_) {
      line << "\r";
      if (total_ && *total_ > 0) {
        double share = std::min(1.0, double(c.read) / double(*total_));
        constexpr int width = 30;
        int filled = static_cast<int>(share * width);
        line << "[" << std::string(filled, '#')
             << std::string(width - filled, '.') << "] "
             << static_cast<int>(share * 100) << "% " << grouped(c.read) << "/~"
             << grouped(*total_) << " items";
      } else {
        line << "page " << pages << ", " << grouped(c.read) << " items";
      }
      line << " | " << grouped(std::llround(rate)) << " items/s";
      if (total_ && rate > 0 && *total_ > c.read)
        line << " | ETA " << duration_text((*total_ - c.read) / rate);
      line << " | " << grouped(c.written) << " written, " << grouped(c.skipped)
           << " skipped, " << grouped(c.dead_lettered) << " dead-lettered"
           << "\x1b[K";
    } else {
      line << "page " << pages << ": " << c.read << " read, " << c.written
           << " written, " << c.skipped << " skipped unchanged, "
           << c.dead_lettered << " dead-lettered, " << std::llround(rate)
           << " items/s";
      if (total_ && rate > 0 && *total_ > c.read)
        line << ", ETA " << duration_text((*total_ - c.read) / rate) << " (of ~"
             << *total_ << ")";
      line << "\n";
    }
    std::cout << line.str() << std::flush;
  }

  /// Ends the updating line.
  void end() {
    if (tty_)
      std::cout << "\n" << std::flush;
  }

private:
  bool tty_;
  std::int64_t read_before_;
  std::optional<std::int64_t> total_;
  steady::time_point start_ = steady::now();
};

/// The shop's products among `skus` written since `since` (shop time).
caf::expected<std::map<std::string, shop::shop_product>>
shop_products_since(caf::actor_system& sys, const shop_connector_actor& shop,
                    std::chrono::milliseconds timeout, const std::string& since,
                    const std::set<std::string>& skus) {
  std::map<std::string, shop::shop_product> out;
  constexpr int page_size = 500;
  for (int page = 1;; ++page) {
    auto got = blocking_request<shop_product_page>(
        sys, shop, timeout, shop_list_products{since, page_size, page});
    if (!got)
      return got.error();
    for (auto& p : got->items)
      if (skus.count(p.sku))
        out[p.sku] = std::move(p);
    if (got->items.size() < static_cast<std::size_t>(page_size) ||
        static_cast<std::int64_t>(page) * page_size >= got->total_count)
      break;
  }
  return out;
}

/// The items of the page whose shop write may have happened before the
/// kill, minus those the shop already holds as Ferry would write them.
std::vector<erp_item>
not_yet_in_shop(const std::vector<erp_item>& items,
                const std::map<std::string, shop::shop_product>& in_shop,
                const config::field_owners& owners) {
  std::vector<erp_item> out;
  for (const auto& item : items) {
    auto current = in_shop.find(item.item_code);
    auto mapped = mapping::shop_product_from_erp(item);
    if (current != in_shop.end() && mapped) {
      auto merged =
          merge_product(*mapped, current->second, item.modified_at, owners);
      if (mapping::product_fields(merged) ==
          mapping::product_fields(current->second))
        continue;
    }
    out.push_back(item);
  }
  return out;
}

int fail(persistence::job_store& jobs, const persistence::job_row& job,
         progress_printer& progress, const std::string& why) {
  progress.end();
  auto marked = jobs.finish(job.id, false, why);
  std::cerr << "ferry sync: job " << job.id << " failed: " << why << "\n";
  if (!marked)
    std::cerr << "ferry sync: could not mark job " << job.id
              << " failed: " << persistence::db_error_text(marked.error())
              << "\n";
  std::cerr << "ferry sync: run `ferry sync products --full --resume` to "
               "continue from its last committed page\n";
  return 1;
}

/// Pages from the job's cursor to the end; the exit status.
int run_pages(caf::actor_system& sys, persistence::pg_pool& pool,
              const config::ferry_config& config, persistence::job_store& jobs,
              persistence::job_row job, bool resumed,
              const erp_connector_actor& erp,
              const shop_connector_actor& shop) {
  product_pipeline_settings settings;
  settings.owners = config.catalog.field_owner;
  product_pipeline pipeline(
      sys, pool, [erp] { return erp; }, [shop] { return shop; }, settings);
  progress_printer progress(::isatty(STDOUT_FILENO) == 1, job.counts.read,
                            job.total);
  auto counts = job.counts;
  auto pages = job.pages;
  erp_page_request request{"", erp_page_size, job.cursor};
  // Only the first page after a resume can have been written (in part) by
  // the killed run: its writes came after the last commit.
  bool check_shop = resumed;
  for (;;) {
    auto page = pipeline.get_items(request);
    if (!page)
      return fail(jobs, job, progress,
                  "ERP GetItems after page " + std::to_string(pages) + ": " +
                      describe_error(sys, page.error()));
    std::vector<erp_item> items = std::move(page->rows);
    std::int64_t already = 0;
    if (check_shop && !items.empty()) {
      std::set<std::string> skus;
      for (const auto& item : items)
        skus.insert(item.item_code);
      auto since = shop_time_before(
          job.updated_at,
          std::chrono::duration_cast<std::chrono::seconds>(resume_window));
      auto in_shop =
          shop_products_since(sys, shop, settings.call_timeout, since, skus);
      if (!in_shop)
        return fail(jobs, job, progress,
                    "reading the shop's recent products to resume: " +
                        describe_error(sys, in_shop.error()));
      auto rest = not_yet_in_shop(items, *in_shop, settings.owners);
      already = static_cast<std::int64_t>(items.size() - rest.size());
      counts.read += already;
      items = std::move(rest);
    }
    check_shop = false;
    product_sync_report report;
    auto pushed = pipeline.push_to_shop(items, report, true);
    if (!pushed)
      return fail(jobs, job, progress,
                  "page " + std::to_string(pages + 1) +
                      " to the shop: " + describe_error(sys, pushed.error()));
    counts.read += static_cast<std::int64_t>(report.read);
    counts.written += static_cast<std::int64_t>(report.written);
    counts.skipped +=
        already + static_cast<std::int64_t>(report.unchanged + report.echoes);
    counts.dead_lettered += static_cast<std::int64_t>(report.rejected);
    auto committed = jobs.commit_page(job.id, page->next_page_token, counts);
    if (!committed)
      return fail(jobs, job, progress,
                  "committing page " + std::to_string(pages + 1) + ": " +
                      persistence::db_error_text(committed.error()));
    ++pages;
    progress.page(pages, counts);
    if (page->next_page_token.empty())
      break;
    request.page_token = page->next_page_token;
  }
  progress.end();
  auto finished = jobs.finish(job.id, true, "");
  if (!finished) {
    std::cerr << "ferry sync: every page is committed but job " << job.id
              << " could not be marked done: "
              << persistence::db_error_text(finished.error()) << "\n";
    return 1;
  }
  std::cout << "job " << job.id << " done: " << counts.read << " read, "
            << counts.written << " written, " << counts.skipped
            << " skipped unchanged, " << counts.dead_lettered
            << " dead-lettered (see the dead_letter table), " << pages
            << " pages\n";
  return 0;
}

} // namespace

namespace {

nlohmann::json job_json(const persistence::job_row& job) {
  nlohmann::json body = {
      {"id", job.id},
      {"kind", job.kind},
      {"status", job.status},
      {"counts",
       {{"read", job.counts.read},
        {"written", job.counts.written},
        {"skipped_unchanged", job.counts.skipped},
        {"dead_lettered", job.counts.dead_lettered}}},
      {"pages", job.pages},
      {"cursor", job.cursor},
      {"total", job.total ? nlohmann::json(*job.total) : nlohmann::json()},
      {"started_at", job.started_at},
      {"updated_at", job.updated_at},
      {"finished_at", job.finished_at.empty()
                          ? nlohmann::json()
                          : nlohmann::json(job.finished_at)},
      {"message",
       job.message.empty() ? nlohmann::json() : nlohmann::json(job.message)},
      // Items read per second from the start to the last commit (a resumed
      // job's pause included).
      {"items_per_second",
       job.elapsed_seconds > 0
           ? std::round(job.counts.read / job.elapsed_seconds * 10) / 10
           : 0.0}};
  return body;
}

} // namespace

void add_job_routes(api_context& c, http::router& router) {
  auto& pool = c.components.pool;
  auto& system = c.components.system;
  router.add("GET", "/api/v1/jobs/{id}",
             c.issuer.require_scopes(
                 {"ops:admin"},
                 [&pool, &system](http::request&& r, http::respond_fn respond) {
                   const auto& text = r.params["id"];
                   std::int64_t id = 0;
                   bool digits = !text.empty() && text.size() <= 18 &&
                                 text.find_first_not_of("0123456789") ==
                                     std::string::npos;
                   if (digits)
                     id = std::stoll(text);
                   if (!digits || id <= 0) {
                     respond(http::response::error(
                         400, "invalid_request",
                         "job id \"" + text + "\" is not a positive number"));
                     return;
                   }
                   // The database read blocks: not on the HTTP io thread.
                   system.spawn<caf::detached>([&pool, id, respond] {
                     persistence::job_store jobs(pool);
                     auto job = jobs.get(id);
                     if (!job)
                       respond(http::response::error(
                           503, "database_unavailable",
                           persistence::db_error_text(job.error())));
                     else if (!*job)
                       respond(http::response::error(
                           404, "not_found", "no job " + std::to_string(id)));
                     else
                       respond(http::response::json(200, job_json(**job)));
                   });
                 }));
}

int sync_command(const std::vector<std::string>& args) {
  std::string bad_usage;
  auto parsed = parse(args, bad_usage);
  if (!parsed) {
    std::cerr << "ferry sync: " << bad_usage << "\n" << usage;
    return 2;
  }
  auto config = load_or_report(parsed->config);
  if (!config)
    return 1;
  // Progress goes to stdout; the log (stderr) keeps warnings and errors.
  mon::set_log_level(mon::log_level::warn);
  std::signal(SIGPIPE, SIG_IGN);

  prometheus::Registry registry;
  persistence::pg_pool pool(pool_options(*config, 4, "sync"), registry);
  auto migrated = persistence::migrate(pool);
  if (!migrated) {
    std::cerr << "ferry sync: database migration failed: "
              << persistence::db_error_text(migrated.error()) << "\n";
    return 1;
  }

  // Held until the process ends (a kill included: PostgreSQL drops the
  // lock with the connection), so two full syncs never run at once.
  auto lock = pool.acquire();
  if (!lock) {
    std::cerr << "ferry sync: " << persistence::db_error_text(lock.error())
              << "\n";
    return 1;
  }
  // A killed run's session may take a moment to end on the server.
  auto locked = persistence::job_store::try_lock_kind(*lock, job_kind);
  for (auto until = steady::now() + 10s;
       locked && !*locked && steady::now() < until;) {
    std::this_thread::sleep_for(200ms);
    locked = persistence::job_store::try_lock_kind(*lock, job_kind);
  }
  if (!locked) {
    std::cerr << "ferry sync: " << persistence::db_error_text(locked.error())
              << "\n";
    return 1;
  }
  if (!*locked) {
    std::cerr << "ferry sync: another `ferry sync products --full` is "
                 "running against this database; wait for it to end\n";
    return 1;
  }

  persistence::job_store jobs(pool);
  auto unfinished = jobs.newest_unfinished(job_kind);
  if (!unfinished) {
    std::cerr << "ferry sync: "
              << persistence::db_error_text(unfinished.error()) << "\n";
    return 1;
  }
  persistence::job_row job;
  if (parsed->resume) {
    if (!*unfinished) {
      std::cerr << "ferry sync: there is no unfinished full product sync to "
                   "resume; run `ferry sync products --full` to start one\n";
      return 1;
    }
    job = **unfinished;
    std::cout << "resuming job " << job.id << " (started " << job.started_at
              << ", " << job.status << ") after page " << job.pages << ", "
              << job.counts.read << " items read so far\n";
  } else {
    if (*unfinished) {
      const auto& open = **unfinished;
      std::cerr << "ferry sync: job " << open.id << " (started "
                << open.started_at << ", " << open.status << ", " << open.pages
                << " pages committed) is unfinished; pass "
                << "--resume to continue it from its last committed page\n";
      return 1;
    }
    // The ERP's contract gives no item count: the last complete run's is
    // the estimate behind the progress bar and ETA.
    auto last = jobs.newest_done(job_kind);
    std::optional<std::int64_t> total;
    if (last && *last)
      total = (**last).counts.read;
    auto started = jobs.start(job_kind, total);
    if (!started) {
      std::cerr << "ferry sync: " << persistence::db_error_text(started.error())
                << "\n";
      return 1;
    }
    job = *started;
    std::cout << "job " << job.id << ": full product sync ERP → shop\n";
  }

  return run_with_connectors(*config, registry,
                             [&](caf::actor_system& system,
                                 const erp_connector_actor& erp,
                                 const shop_connector_actor& shop) {
                               return run_pages(system, pool, *config, jobs,
                                                job, parsed->resume, erp, shop);
                             });
}

} // namespace ferry::app
