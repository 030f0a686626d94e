// The hand-off of new orders' sagas from webhook commits to the intake:
// slots are never granted beyond the intake's free ones, and nothing is
// handed to an intake that is gone.
#include "actors/order_handoff.hpp"

#include <gtest/gtest.h>

using ferry::order_handoff;
using ferry::persistence::order_saga_row;

namespace {

std::vector<order_saga_row> rows(std::initializer_list<const char*> keys) {
  std::vector<order_saga_row> out;
  for (const auto* k : keys) {
    order_saga_row r;
    r.key = k;
    out.push_back(r);
  }
  return out;
}

} // namespace

TEST(order_handoff, grants_no_slot_without_an_intake) {
  order_handoff h;
  EXPECT_EQ(h.reserve(5), 0u);
  h.release(3); // ignored: nobody's slots
  EXPECT_EQ(h.reserve(5), 0u);
}

TEST(order_handoff, grants_at_most_the_free_slots) {
  order_handoff h;
  h.attach(4, [] {});
  EXPECT_EQ(h.reserve(3), 3u);
  EXPECT_EQ(h.reserve(3), 1u);
  EXPECT_EQ(h.reserve(1), 0u);
  h.release(2);
  EXPECT_EQ(h.reserve(10), 2u);
}

TEST(order_handoff, delivers_rows_and_the_runnable_flag_to_the_intake) {
  order_handoff h;
  int notified = 0;
  h.attach(4, [&] { ++notified; });
  h.deliver(rows({"A", "B"}), false);
  h.deliver({}, true);
  h.deliver({}, false); // nothing to say: no call
  EXPECT_EQ(notified, 2);
  bool runnable = false;
  auto got = h.take_delivered(runnable);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].key, "A");
  EXPECT_TRUE(runnable);
  EXPECT_TRUE(h.take_delivered(runnable).empty());
  EXPECT_FALSE(runnable);
}

TEST(order_handoff,
     a_new_intake_starts_afresh_and_an_old_one_cannot_detach_it) {
  order_handoff h;
  auto first = h.attach(2, [] {});
  EXPECT_EQ(h.reserve(2), 2u);
  h.deliver(rows({"A"}), false);
  auto second = h.attach(3, [] {});
  bool runnable = false;
  EXPECT_TRUE(h.take_delivered(runnable).empty()) << "the old intake's rows";
  h.detach(first);
  EXPECT_EQ(h.reserve(5), 3u);
  h.detach(second);
  EXPECT_EQ(h.reserve(1), 0u);
  h.deliver(rows({"B"}), true);
  EXPECT_TRUE(h.take_delivered(runnable).empty());
}
