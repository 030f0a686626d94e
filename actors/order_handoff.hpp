#pragma once

#include "persistence/order_saga_store.hpp"

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <vector>

namespace ferry {

/// The sagas of new orders that a webhook's commit created already claimed
/// for this node, on their way to the node's order intake, and the
/// intake's free saga slots they hold. Shared by the webhook commit
/// threads and the intake, so that a new order's saga starts in the
/// transaction that received it, with no claim of its own, while the node
/// has room for it; without room it is created runnable and the intake
/// claims it later. Thread-safe.
class order_handoff {
public:
  /// Slots for up to `wanted` sagas; fewer, maybe none, when the intake's
  /// slots are taken or no intake is attached.
  std::size_t reserve(std::size_t wanted);

  /// Gives back `n` slots: reserved and not used, or of sagas that ended.
  void release(std::size_t n);

  /// Hands the intake `rows`, claimed for this node and each holding a
  /// reserved slot; `runnable` says that sagas were also created without a
  /// claim. With no intake attached the rows are dropped: their claims end
  /// when the next intake gives up its node's claims at its start.
  void deliver(std::vector<persistence::order_saga_row> rows, bool runnable);

  /// The intake side: the rows delivered since the last call, and whether
  /// runnable sagas were created meanwhile.
  std::vector<persistence::order_saga_row> take_delivered(bool& runnable);

  /// The intake that runs the sagas from now, with `slots` free slots;
  /// `notify` is called on the delivering thread after each delivery. Drops
  /// what an earlier intake left. Returns the attachment's number, for
  /// `detach`.
  std::uint64_t attach(std::size_t slots, std::function<void()> notify);
  /// Ends attachment `number` unless a later intake attached since.
  void detach(std::uint64_t number);

  /// What commits with work counted, for the intake's report.
  struct counts {
    std::atomic<std::uint64_t> events{0};
    std::atomic<std::uint64_t> duplicates{0};
    std::atomic<std::uint64_t> echoes{0};
  };
  counts& counted() { return counts_; }

private:
  std::mutex mutex_;
  bool attached_ = false;
  std::uint64_t attachments_ = 0;
  std::size_t free_ = 0;
  std::vector<persistence::order_saga_row> delivered_;
  bool runnable_ = false;
  std::function<void()> notify_;
  counts counts_;
};

} // namespace ferry
