#pragma once
// The simulated network between peers: access links with upload and download
// capacity, and a propagation latency between sites (sim/engine/topology.hpp).
//
// The model (see docs/MODEL.md for its assumptions):
// 1. A peer's uplink sends one block (PIECE message) at a time at its upload
//    capacity; the driver serves the connections with queued blocks in round
//    robin, so k busy connections each get about U/k, unless the peer's upload
//    strategy orders the blocks (protocol/upload_strategy.hpp rule 6): then it
//    picks among the queued connections for each block.
// 2. A block that leaves the uplink at t0 (start) and t1 (end) reaches the
//    receiver's downlink at t0 + latency. The downlink is a work-conserving FIFO
//    of capacity D: it owes size/D of work per block, starting no earlier than the
//    block starts to arrive. The block is delivered when both its uplink
//    transmission has arrived (t1 + latency) and the downlink has done its work.
//    A leecher fed by many senders is thus capped at D in aggregate.
// 3. Control messages (everything but PIECE) are counted in byte totals but
//    occupy no link time: they arrive after the propagation latency alone.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "protocol/types.hpp"

namespace swarmsim::sim {

using protocol::duration;
using protocol::time_point;

// Time to push `bytes` through a link of `rate` bytes/s, rounded up to whole ns.
inline duration transmit_time(std::uint64_t bytes, double rate) {
  return duration{static_cast<std::int64_t>(std::ceil(static_cast<double>(bytes) * 1e9 / rate))};
}

struct downlink {
  double capacity = 0;   // bytes/s
  time_point free_at{};  // when the downlink has worked off everything queued

  // A block of `bytes` whose transmission started at `start` and ended at `end`
  // on the sender's uplink, `latency` away. Returns the delivery time.
  time_point receive(std::uint64_t bytes, time_point start, time_point end, duration latency) {
    const time_point begin = std::max(start + latency, free_at);
    free_at = begin + transmit_time(bytes, capacity);
    return std::max(free_at, end + latency);
  }
};

// A peer's uplink (rule 1): sends one block at a time at `rate`, serving the
// connections that have blocks queued in round robin. The driver queues a
// connection once until next() hands it back.
class uplink {
 public:
  explicit uplink(double rate = 0) : rate_(rate) {}

  double rate() const { return rate_; }
  bool busy() const { return busy_; }

  // Queues connection `c` behind the others.
  void queue(protocol::connection_id c) { ring_.push_back(c); }

  // The connection whose turn it is, taken off the queue; nothing once the
  // queue is empty.
  std::optional<protocol::connection_id> next() {
    if (head_ == ring_.size()) {
      ring_.clear();
      head_ = 0;
      return std::nullopt;
    }
    const protocol::connection_id c = ring_[head_++];
    if (head_ > 64 && head_ * 2 > ring_.size()) {
      ring_.erase(ring_.begin(), ring_.begin() + static_cast<std::ptrdiff_t>(head_));
      head_ = 0;
    }
    return c;
  }

  // For an upload strategy that orders blocks (rule 1): drops the queued
  // connections `keep` refuses, then the queue in order, and takes entry i.
  template <class Keep>
  void prune(Keep keep) {
    ring_.erase(ring_.begin(), ring_.begin() + static_cast<std::ptrdiff_t>(head_));
    head_ = 0;
    std::erase_if(ring_, [&](protocol::connection_id c) { return !keep(c); });
  }
  std::span<const protocol::connection_id> queued() const {
    return std::span(ring_).subspan(head_);
  }
  protocol::connection_id take(std::size_t i) {
    const protocol::connection_id c = ring_[head_ + i];
    ring_.erase(ring_.begin() + static_cast<std::ptrdiff_t>(head_ + i));
    return c;
  }

  // Starts sending `bytes` at `now`; returns when the last byte leaves.
  time_point send(std::uint64_t bytes, time_point now) {
    busy_ = true;
    return now + transmit_time(bytes, rate_);
  }

  // The block in transmission has left, or there was nothing to send.
  void idle() { busy_ = false; }

  // Forgets the queue (the peer left), freeing its memory.
  void clear() {
    ring_ = {};
    head_ = 0;
  }

 private:
  std::vector<protocol::connection_id> ring_;  // front at head_
  std::size_t head_ = 0;
  double rate_ = 0;
  bool busy_ = false;
};

}  // namespace swarmsim::sim
