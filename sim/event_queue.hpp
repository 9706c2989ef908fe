#pragma once
// A discrete-event queue: events ordered by (time, sequence number).
//
// 1. pop() returns the event with the smallest time; among equal times, the one
//    pushed first (sequence numbers increase with every push).
// 2. Event is stored by value in a contiguous 4-ary heap: no allocation per event
//    once the heap has grown, no std::function, no virtual call.
// 3. cancel(handle) removes an event lazily: it is skipped when it reaches the top.

#include <cstdint>
#include <unordered_set>
#include <utility>
#include <vector>

#include "protocol/types.hpp"

namespace swarmsim::sim {

using protocol::duration;
using protocol::time_point;

using event_handle = std::uint64_t;

template <typename Event>
class event_queue {
 public:
  struct entry {
    time_point time;
    std::uint64_t seq;
    Event event;
  };

  event_handle push(time_point t, const Event& e) {
    const std::uint64_t seq = next_seq_++;
    heap_.push_back(entry{t, seq, e});
    sift_up(heap_.size() - 1);
    return seq;
  }

  void cancel(event_handle h) { cancelled_.insert(h); }

  bool empty() {
    skip_cancelled();
    return heap_.empty();
  }
  std::size_t size() const { return heap_.size(); }

  // The earliest event; the queue must not be empty.
  const entry& top() {
    skip_cancelled();
    return heap_.front();
  }

  entry pop() {
    skip_cancelled();
    entry e = std::move(heap_.front());
    remove_top();
    return e;
  }

  void reserve(std::size_t n) { heap_.reserve(n); }
  std::uint64_t pushed() const { return next_seq_; }

 private:
  static bool before(const entry& a, const entry& b) {
    return a.time < b.time || (a.time == b.time && a.seq < b.seq);
  }

  void skip_cancelled() {
    while (!cancelled_.empty() && !heap_.empty()) {
      auto it = cancelled_.find(heap_.front().seq);
      if (it == cancelled_.end()) return;
      cancelled_.erase(it);
      remove_top();
    }
  }

  void remove_top() {
    entry last = std::move(heap_.back());
    heap_.pop_back();
    if (heap_.empty()) return;
    // Sift `last` down from the root.
    std::size_t i = 0;
    const std::size_t n = heap_.size();
    for (;;) {
      const std::size_t first = 4 * i + 1;
      if (first >= n) break;
      std::size_t best = first;
      const std::size_t end = first + 4 < n ? first + 4 : n;
      for (std::size_t c = first + 1; c < end; ++c)
        if (before(heap_[c], heap_[best])) best = c;
      if (!before(heap_[best], last)) break;
      heap_[i] = std::move(heap_[best]);
      i = best;
    }
    heap_[i] = std::move(last);
  }

  void sift_up(std::size_t i) {
    entry e = std::move(heap_[i]);
    while (i > 0) {
      const std::size_t parent = (i - 1) / 4;
      if (!before(e, heap_[parent])) break;
      heap_[i] = std::move(heap_[parent]);
      i = parent;
    }
    heap_[i] = std::move(e);
  }

  std::vector<entry> heap_;
  std::unordered_set<std::uint64_t> cancelled_;
  std::uint64_t next_seq_ = 0;
};

}  // namespace swarmsim::sim
