#include "persistence/group_commit.hpp"

#include <atomic>
#include <chrono>
#include <future>
#include <gtest/gtest.h>
#include <mutex>
#include <string>
#include <vector>

using ferry::persistence::db_errc;
using ferry::persistence::group_commit;
using ferry::persistence::make_db_error;

namespace {

/// A batch writer that records each batch and can be held until released,
/// so that callers pile up behind a write in progress.
struct recording_writer {
  std::mutex mutex;
  std::vector<std::vector<int>> batches;
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::atomic<bool> hold{false};
  std::atomic<int> entered{0};

  caf::expected<std::vector<std::string>> write(const std::vector<int>& rs) {
    ++entered;
    if (hold)
      released.wait();
    std::lock_guard<std::mutex> guard{mutex};
    batches.push_back(rs);
    std::vector<std::string> out;
    for (auto r : rs)
      out.push_back("done " + std::to_string(r));
    return out;
  }
};

template <class Predicate>
bool wait_until(Predicate p) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{30};
  while (!p()) {
    if (std::chrono::steady_clock::now() > deadline)
      return false;
    std::this_thread::yield();
  }
  return true;
}

} // namespace

TEST(group_commit, each_caller_gets_the_result_of_its_own_request) {
  recording_writer w;
  group_commit<int, std::string> commits{
      [&](const std::vector<int>& rs) { return w.write(rs); }, 64};
  auto r = commits.commit(7);
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, "done 7");
}

TEST(group_commit, callers_waiting_behind_a_write_share_the_next_batch) {
  recording_writer w;
  w.hold = true;
  group_commit<int, std::string> commits{
      [&](const std::vector<int>& rs) { return w.write(rs); }, 64};
  // The first request occupies the writer...
  auto first =
      std::async(std::launch::async, [&] { return commits.commit(0); });
  ASSERT_TRUE(wait_until([&] { return w.entered == 1; }));
  // ...while ten more queue up behind it.
  std::vector<std::future<caf::expected<std::string>>> rest;
  for (int i = 1; i <= 10; ++i)
    rest.push_back(
        std::async(std::launch::async, [&, i] { return commits.commit(i); }));
  ASSERT_TRUE(wait_until([&] { return commits.waiting() == 10; }));
  w.release.set_value();
  ASSERT_EQ(*first.get(), "done 0");
  for (int i = 1; i <= 10; ++i) {
    auto r = rest[i - 1].get();
    ASSERT_TRUE(r);
    EXPECT_EQ(*r, "done " + std::to_string(i));
  }
  std::lock_guard<std::mutex> guard{w.mutex};
  // One batch for the first, then the other ten together.
  ASSERT_EQ(w.batches.size(), 2u);
  EXPECT_EQ(w.batches[0], std::vector<int>{0});
  EXPECT_EQ(w.batches[1].size(), 10u);
}

TEST(group_commit, a_batch_never_exceeds_max_batch) {
  recording_writer w;
  w.hold = true;
  group_commit<int, std::string> commits{
      [&](const std::vector<int>& rs) { return w.write(rs); }, 3};
  std::vector<std::future<caf::expected<std::string>>> all;
  for (int i = 0; i < 10; ++i)
    all.push_back(
        std::async(std::launch::async, [&, i] { return commits.commit(i); }));
  ASSERT_TRUE(wait_until(
      [&] { return w.entered == 1 && commits.waiting() + 3 >= 10; }));
  w.release.set_value();
  for (auto& f : all)
    ASSERT_TRUE(f.get());
  std::lock_guard<std::mutex> guard{w.mutex};
  std::size_t written = 0;
  for (const auto& b : w.batches) {
    EXPECT_LE(b.size(), 3u);
    written += b.size();
  }
  EXPECT_EQ(written, 10u);
}

TEST(group_commit, an_unavailable_database_fails_every_caller_of_the_batch) {
  group_commit<int, std::string> commits{
      [](const std::vector<int>&) -> caf::expected<std::vector<std::string>> {
        return make_db_error(db_errc::unavailable, "connection refused");
      },
      64};
  auto r = commits.commit(1);
  ASSERT_FALSE(r);
  EXPECT_EQ(ferry::persistence::db_error_code(r.error()), db_errc::unavailable);
}

TEST(group_commit, a_refused_batch_is_written_again_one_by_one) {
  // Request 13 is refused by the database; in a batch it fails the batch,
  // alone only itself.
  std::mutex mutex;
  std::vector<std::size_t> sizes;
  std::promise<void> release;
  auto released = release.get_future().share();
  std::atomic<int> entered{0};
  group_commit<int, std::string> commits{
      [&](const std::vector<int>& rs)
          -> caf::expected<std::vector<std::string>> {
        if (++entered == 1)
          released.wait();
        {
          std::lock_guard<std::mutex> guard{mutex};
          sizes.push_back(rs.size());
        }
        for (auto r : rs)
          if (r == 13)
            return make_db_error(db_errc::rejected, "request 13 is invalid");
        std::vector<std::string> out;
        for (auto r : rs)
          out.push_back("done " + std::to_string(r));
        return out;
      },
      64};
  auto first =
      std::async(std::launch::async, [&] { return commits.commit(1); });
  ASSERT_TRUE(wait_until([&] { return entered == 1; }));
  auto good = std::async(std::launch::async, [&] { return commits.commit(2); });
  auto bad = std::async(std::launch::async, [&] { return commits.commit(13); });
  ASSERT_TRUE(wait_until([&] { return commits.waiting() == 2; }));
  release.set_value();
  ASSERT_TRUE(first.get());
  auto g = good.get();
  ASSERT_TRUE(g);
  EXPECT_EQ(*g, "done 2");
  auto b = bad.get();
  ASSERT_FALSE(b);
  EXPECT_EQ(ferry::persistence::db_error_code(b.error()), db_errc::rejected);
  EXPECT_NE(ferry::persistence::db_error_text(b.error()).find("request 13"),
            std::string::npos);
  // The batch of both, then each alone.
  std::lock_guard<std::mutex> guard{mutex};
  EXPECT_EQ(sizes, (std::vector<std::size_t>{1, 2, 1, 1}));
}
