#pragma once
// A discrete-event queue: events ordered by (time, sequence number).
//
// 1. pop() returns the event with the smallest time; among equal times, the one
//    pushed first (sequence numbers increase with every push).
// 2. Event is stored by value in a contiguous 4-ary heap: no allocation per event
//    once the heap has grown, no std::function, no virtual call.
// 3. cancel(handle) removes an event lazily: it is skipped when it reaches the top.
// 4. FIFO lanes: events that the caller pushes in (time, sequence) order anyway,
//    such as messages that all travel the same constant latency, can go to a lane
//    (push_lane) instead of the heap: O(1) each, no sifting. Every lane's times
//    must be non-decreasing in push order; pop() takes the earliest of the heap's
//    top and the lanes' fronts, so the order of rule 1 is unchanged.

#include <cstdint>
#include <optional>
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

  // A new FIFO lane (rule 4); returns its number for push_lane.
  std::uint32_t add_lane() {
    lanes_.emplace_back();
    fronts_.push_back(no_front);
    return static_cast<std::uint32_t>(lanes_.size() - 1);
  }
  std::size_t num_lanes() const { return lanes_.size(); }

  // Pushes onto lane `lane`; `t` must be at least the time of the lane's last push.
  event_handle push_lane(std::uint32_t lane, time_point t, const Event& e) {
    const std::uint64_t seq = next_seq_++;
    if (lanes_[lane].empty()) fronts_[lane] = key{t, seq};
    lanes_[lane].push(entry{t, seq, e});
    ++lane_size_;
    return seq;
  }

  void cancel(event_handle h) { cancelled_.insert(h); }

  bool empty() {
    skip_cancelled();
    return heap_.empty() && lane_size_ == 0;
  }
  std::size_t size() const { return heap_.size() + lane_size_; }

  // The earliest event; the queue must not be empty.
  const entry& top() {
    skip_cancelled();
    const int src = earliest();
    return src < 0 ? heap_.front() : lanes_[static_cast<std::size_t>(src)].front();
  }

  entry pop() {
    skip_cancelled();
    return take(earliest());
  }

  // The earliest event if it is due by `limit`, taken off the queue; nullopt
  // (nothing taken) if it is later. top() and pop() with one scan of the lanes.
  // The queue must not be empty.
  std::optional<entry> pop_due(time_point limit) {
    skip_cancelled();
    const int src = earliest();
    const entry& e = src < 0 ? heap_.front() : lanes_[static_cast<std::size_t>(src)].front();
    if (e.time > limit) return std::nullopt;
    return take(src);
  }

  void reserve(std::size_t n) { heap_.reserve(n); }
  std::uint64_t pushed() const { return next_seq_; }

 private:
  // What orders events (rule 1).
  struct key {
    time_point time;
    std::uint64_t seq;
  };
  static key key_of(const entry& e) { return key{e.time, e.seq}; }
  static bool before(const key& a, const key& b) {
    return a.time < b.time || (a.time == b.time && a.seq < b.seq);
  }
  static bool before(const entry& a, const entry& b) { return before(key_of(a), key_of(b)); }
  static constexpr key no_front{time_point::max(), ~std::uint64_t{0}};

  // A ring buffer of entries whose capacity is a power of two.
  class lane {
   public:
    bool empty() const { return head_ == tail_; }
    const entry& front() const { return items_[head_ & mask_]; }
    void push(const entry& e) {
      if (tail_ - head_ == items_.size()) grow();
      items_[tail_++ & mask_] = e;
    }
    entry pop() { return std::move(items_[head_++ & mask_]); }

   private:
    void grow() {
      std::vector<entry> bigger(items_.empty() ? 64 : items_.size() * 2);
      for (std::size_t i = 0; head_ + i != tail_; ++i)
        bigger[i] = std::move(items_[(head_ + i) & mask_]);
      tail_ -= head_;
      head_ = 0;
      items_ = std::move(bigger);
      mask_ = items_.size() - 1;
    }
    std::vector<entry> items_;
    std::size_t mask_ = 0;
    std::size_t head_ = 0;
    std::size_t tail_ = 0;
  };

  // Where the earliest event is: -1 for the heap, else a lane; the queue must not
  // be empty. Scans the lanes' front keys (one compact array), not their entries.
  int earliest() const {
    int src = -1;
    key best = heap_.empty() ? no_front : key_of(heap_.front());
    if (lane_size_ != 0) {
      for (std::size_t k = 0; k < fronts_.size(); ++k) {
        if (before(fronts_[k], best)) {
          best = fronts_[k];
          src = static_cast<int>(k);
        }
      }
    }
    return src;
  }

  entry take(int src) {
    if (src >= 0) {
      --lane_size_;
      lane& l = lanes_[static_cast<std::size_t>(src)];
      entry e = l.pop();
      fronts_[static_cast<std::size_t>(src)] = l.empty() ? no_front : key_of(l.front());
      return e;
    }
    entry e = std::move(heap_.front());
    remove_top();
    return e;
  }

  void skip_cancelled() {
    while (!cancelled_.empty() && (!heap_.empty() || lane_size_ != 0)) {
      const int src = earliest();
      const std::uint64_t seq =
          src < 0 ? heap_.front().seq : lanes_[static_cast<std::size_t>(src)].front().seq;
      auto it = cancelled_.find(seq);
      if (it == cancelled_.end()) return;
      cancelled_.erase(it);
      take(src);
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
  std::vector<lane> lanes_;
  std::size_t lane_size_ = 0;  // events in all lanes
  // fronts_[k]: the (time, seq) of lanes_[k]'s front, no_front while it is empty
  // (any real entry, and the heap's top, come before it).
  std::vector<key> fronts_;
  std::unordered_set<std::uint64_t> cancelled_;
  std::uint64_t next_seq_ = 0;
};

}  // namespace swarmsim::sim
