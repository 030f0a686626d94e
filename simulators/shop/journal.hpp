#pragma once

#include <cstdio>
#include <functional>
#include <mutex>
#include <string>

namespace ferry::sim_shop {

/// The simulator's durable state: an append-only file of JSON lines, each
/// line one change, fsync'd before the change is acknowledged (unless made
/// with `sync` false: then a crash of the process loses nothing, one of the
/// machine may lose the last changes), and replayed
/// at start. A line torn by a crash (no trailing newline, or not JSON) ends
/// the replay and is cut off, so the next append starts on a clean line.
class journal {
public:
  /// Opens (creating) `path`. Throws std::runtime_error naming the path.
  explicit journal(std::string path, bool sync = true);
  ~journal();
  journal(const journal&) = delete;
  journal& operator=(const journal&) = delete;

  /// Calls `apply` with each complete line in order; returns how many.
  std::size_t replay(const std::function<void(const std::string&)>& apply);

  /// Appends one line (without its newline) and fsyncs (when made with
  /// `sync`). Throws on failure.
  void append(const std::string& line);

  const std::string& path() const { return path_; }

private:
  std::string path_;
  int fd_ = -1;
  bool sync_ = true;
  std::mutex mutex_;
};

} // namespace ferry::sim_shop
