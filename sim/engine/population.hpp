#pragma once
// The peers a scenario asks for, laid out before the run starts: each peer's
// group, site, capacities, arrival time, initial pieces and churn draws.
//
// 1. Deterministic, from the scenario seed split into streams: arrivals per group
//    (stream::arrivals), content and the class and site assignment per group
//    (stream::content), churn per peer (stream::departures). A feature a group
//    does not use draws nothing, so scenarios without it run as before.
// 2. Classes and sites by share: the counts follow the largest-remainder method
//    (floor(share x count) each, the peers left over to the largest fractional
//    parts, ties to the earlier entry); which peer gets which is shuffled.
// 3. Peer i of the result is the simulator's peer id i, in group order.
// 4. plan_peers() throws scenario_error when some piece is held by nobody at the
//    start.

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "protocol/bitfield.hpp"
#include "protocol/torrent_geometry.hpp"
#include "sim/engine/topology.hpp"
#include "sim/results/metrics.hpp"
#include "sim/scenario/scenario.hpp"

namespace swarmsim::sim {

inline constexpr std::uint32_t no_abort = 0xffffffffu;

struct planned_peer {
  std::uint32_t group = 0;
  std::uint32_t site = 0;
  // Payload upload: the class's or group's upload, capped by upload_cap (0 for a
  // free-rider). peers.csv's upload capacity shows this value.
  double upload = 0;
  double download = 0;
  protocol::time_point arrival{};
  protocol::bitfield initial;
  bool initial_seed = false;
  // abort.probability: leave on completing a piece that brings the peer to this
  // many pieces (or more); no_abort otherwise. Always < the number of pieces.
  std::uint32_t abort_at_pieces = no_abort;
  // abort.rate: leave this long after arrival unless complete by then.
  std::optional<protocol::duration> abort_after;
  // after_completion seed_for: this peer's seeding time.
  protocol::duration seed_time{};
  peer_record record;  // the fields known before the run
};

// Peers per share for `count` peers (largest remainder). Shares > 0, summing to 1.
std::vector<std::uint32_t> allocate_by_share(std::span<const double> shares, std::uint32_t count);

std::vector<planned_peer> plan_peers(const scenario& s, const topology& topo,
                                     const protocol::torrent_geometry& geometry);

}  // namespace swarmsim::sim
