#pragma once

// CPU time of processes, from /proc: what a benchmark spends per unit of
// work in each process, a figure that holds on a loaded machine where the
// rates do not.

#include <dirent.h>
#include <fstream>
#include <sstream>
#include <string>
#include <time.h>
#include <unistd.h>

namespace ferry::bench {

/// Field `n` (1-based, as in proc(5)) of /proc/<pid>/stat; "" if gone.
inline std::string proc_stat_field(int pid, int n) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line))
    return "";
  // Fields after the parenthesised name start with state, field 3.
  std::istringstream rest(line.substr(line.rfind(')') + 2));
  std::string field;
  for (int i = 3; i <= n && rest >> field; ++i)
    if (i == n)
      return field;
  return "";
}

/// The parent of `pid` (0 if gone).
inline int parent_pid(int pid) {
  auto f = proc_stat_field(pid, 4);
  return f.empty() ? 0 : std::stoi(f);
}

/// User + system CPU seconds of `pid` alone (all its threads), without
/// its children.
inline double own_cpu_seconds(int pid) {
  auto ticks = static_cast<double>(::sysconf(_SC_CLK_TCK));
  auto utime = proc_stat_field(pid, 14);
  auto stime = proc_stat_field(pid, 15);
  return utime.empty() || stime.empty()
             ? 0
             : static_cast<double>(std::stoull(utime) + std::stoull(stime)) /
                   ticks;
}

/// User + system CPU seconds of `pid` and its live descendants (nginx's
/// workers, PostgreSQL's backends).
inline double tree_cpu_seconds(int pid) {
  double total = own_cpu_seconds(pid);
  auto tasks = "/proc/" + std::to_string(pid) + "/task";
  if (DIR* dir = ::opendir(tasks.c_str())) {
    while (auto* entry = ::readdir(dir)) {
      if (entry->d_name[0] == '.')
        continue;
      std::ifstream children(tasks + "/" + entry->d_name + "/children");
      int child = 0;
      while (children >> child)
        total += tree_cpu_seconds(child);
    }
    ::closedir(dir);
  }
  return total;
}

/// CPU seconds the calling thread has used.
inline double thread_cpu_seconds() {
  timespec ts{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

} // namespace ferry::bench
