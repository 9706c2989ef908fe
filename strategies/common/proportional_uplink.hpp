#pragma once
// Splits an uplink between connections in proportion to a weight each, block
// by block (upload_strategy.hpp rule 6): the next block goes to the ready
// connection that has been sent the least since its share was set, relative to
// its weight (weighted fair queueing with blocks as packets). A connection
// without a share comes after every one with a share; ties by connection id.

#include <cstdint>
#include <limits>
#include <span>
#include <utility>
#include <vector>

#include "protocol/upload_strategy.hpp"

namespace swarmsim::strategies {

class proportional_uplink {
 public:
  // Starts a round: every share is dropped.
  void clear() { shares_.clear(); }
  // Connection c gets `weight` from now on (none if not above 0); bytes_sent: what it has been
  // sent so far (choke_candidate::bytes_sent).
  void set(protocol::connection_id c, double weight, std::uint64_t bytes_sent);
  void forget(protocol::connection_id c);
  double weight(protocol::connection_id c) const;
  // The index into `ready` of the connection to serve next.
  std::size_t choose(std::span<const protocol::serve_candidate> ready) const;

 private:
  struct share {
    double weight;
    std::uint64_t base;  // bytes_sent when the share was set
  };
  const share* find(protocol::connection_id c) const;
  std::vector<std::pair<protocol::connection_id, share>> shares_;  // by connection id
};

}  // namespace swarmsim::strategies
