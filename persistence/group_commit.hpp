#pragma once

#include "persistence/errors.hpp"

#include <caf/expected.hpp>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace ferry::persistence {

/// Commits the requests of many blocking callers together: `commit` queues
/// one request and waits; one writer thread takes every request waiting (up
/// to `max_batch`) and writes them with one call of the batch function, so
/// N callers share one statement, one round trip and one WAL flush instead
/// of N. A caller returns only once its request is committed (or failed),
/// so "committed before the next step" holds for each of them.
///
/// The batch function gets the requests in arrival order and returns one
/// result per request, or an error for the whole batch. When a batch of
/// several is refused (db_errc::rejected), its requests are written again
/// one by one, so that only the offending one fails.
template <class Request, class Result>
class group_commit {
public:
  using batch_function = std::function<caf::expected<std::vector<Result>>(
      const std::vector<Request>&)>;

  group_commit(batch_function write, std::size_t max_batch)
      : write_(std::move(write)), max_batch_(max_batch == 0 ? 1 : max_batch) {
    writer_ = std::thread{[this] { run(); }};
  }

  ~group_commit() {
    {
      std::lock_guard<std::mutex> guard{mutex_};
      stopping_ = true;
    }
    wake_writer_.notify_one();
    writer_.join();
  }

  group_commit(const group_commit&) = delete;
  group_commit& operator=(const group_commit&) = delete;

  /// Queues `request` and blocks until the batch holding it is written.
  caf::expected<Result> commit(Request request) {
    waiter w;
    w.request = std::move(request);
    std::unique_lock<std::mutex> lock{mutex_};
    if (stopping_)
      return make_db_error(db_errc::unavailable, "group commit is stopping");
    queue_.push_back(&w);
    wake_writer_.notify_one();
    w.wake.wait(lock, [&] { return w.done; });
    return std::move(w.result);
  }

  /// Requests queued behind the write in progress.
  std::size_t waiting() const {
    std::lock_guard<std::mutex> guard{mutex_};
    return queue_.size();
  }

private:
  struct waiter {
    Request request;
    caf::expected<Result> result{caf::error{}};
    bool done = false;
    /// Its own, so that a batch wakes only its callers.
    std::condition_variable wake;
  };

  void run() {
    std::unique_lock<std::mutex> lock{mutex_};
    for (;;) {
      wake_writer_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty())
        return; // stopping, and nobody waits
      std::vector<waiter*> batch;
      while (!queue_.empty() && batch.size() < max_batch_) {
        batch.push_back(queue_.front());
        queue_.pop_front();
      }
      lock.unlock();
      write(batch);
      lock.lock();
      for (auto* w : batch) {
        w->done = true;
        w->wake.notify_one();
      }
    }
  }

  /// Fills every waiter's result (outside the lock).
  void write(const std::vector<waiter*>& batch) {
    std::vector<Request> requests;
    requests.reserve(batch.size());
    for (auto* w : batch)
      requests.push_back(std::move(w->request));
    auto results = write_(requests);
    if (!results && batch.size() > 1 &&
        db_error_code(results.error()) == db_errc::rejected) {
      for (std::size_t i = 0; i < batch.size(); ++i)
        deliver({batch[i]}, write_({requests[i]}));
      return;
    }
    deliver(batch, std::move(results));
  }

  static void deliver(const std::vector<waiter*>& batch,
                      caf::expected<std::vector<Result>> results) {
    for (std::size_t i = 0; i < batch.size(); ++i) {
      if (!results)
        batch[i]->result = results.error();
      else if (i < results->size())
        batch[i]->result = std::move((*results)[i]);
      else
        batch[i]->result = make_db_error(
            db_errc::rejected, "group commit: no result for a request");
    }
  }

  batch_function write_;
  std::size_t max_batch_;
  mutable std::mutex mutex_;
  std::condition_variable wake_writer_;
  std::deque<waiter*> queue_;
  bool stopping_ = false;
  std::thread writer_;
};

} // namespace ferry::persistence
