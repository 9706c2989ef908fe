#pragma once
// Neighbour selection: how many connections a local peer keeps and opens, how
// many addresses it asks the tracker for and how often, and which connection
// it closes to make room for a newcomer. The interface every neighbour policy
// implements; protocol::peer holds one and calls nothing else. "mainline" (the
// peer's own options, unchanged) is one; strategies/large_view another.
//
// What a strategy is told:
// 1. Its construction: the peer's neighbour options (neighbour_options, the
//    group's max_connections, max_initiate, min_peers and numwant) and its own
//    parameters.
// 2. drop_for_incoming(droppable, now) when a remote connects while the peer
//    has limits().max_connections open: the connections the peer would let go
//    (open for a rechoke interval at least, and idle: demoted for holding a
//    seed's slot without asking, or neither side interested), in the order
//    they were opened. Also asked, with the same list, whether such a
//    connection would be accepted at all.
// 3. announce_interval(tracker_interval, min_interval) after each announce:
//    the tracker's interval (or the peer's default until it gave one) and the
//    least gap it allows.
// What it may decide:
// 4. limits(): the most connections open at once (in and out), the most it
//    opens itself, the count below which it announces early, and the numwant
//    of its announces. Read once, when the peer is built: they hold for the
//    peer's life.
// 5. Which droppable connection to close for the newcomer (an index into
//    `droppable`), or none (the newcomer is refused).
// 6. The gap to its next regular announce.
// What it must never do:
// 7. Give limits of 0 connections or more than peer_options's
//    max_connections_limit, an index out of range, a gap below min_interval
//    or not positive; read a clock or a global random generator. The peer
//    checks each answer and stops with a std::logic_error naming the strategy.
// The peer keeps the rest: the address list, reconnect delays, per-address
// limits, closing connections idle for inactivity_timeout, the announces.

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string_view>

#include "protocol/types.hpp"

namespace swarmsim::protocol {

// Rule 1 and 4.
struct neighbour_options {
  std::uint32_t max_connections = 50;
  std::uint32_t max_initiate = 40;
  std::uint32_t min_peers = 20;
  std::uint32_t numwant = 50;

  friend bool operator==(const neighbour_options&, const neighbour_options&) = default;
};
using neighbour_limits = neighbour_options;

// What a strategy sees of one connection it may close (rule 2).
struct drop_candidate {
  connection_id conn;
  bool demoted = false;        // held a seed's slot without asking (choker rule 10)
  time_point connected_at{};   // when it became active
  time_point interest_seen{};  // the last time either side was interested
};

class neighbour_strategy {
 public:
  virtual ~neighbour_strategy() = default;
  // Rule 4.
  virtual neighbour_limits limits() const = 0;
  // Rule 2 and 5. By default mainline's choice, idlest() below.
  virtual std::optional<std::size_t> drop_for_incoming(std::span<const drop_candidate> droppable,
                                                       time_point now) const;
  // Rule 3 and 6.
  virtual duration announce_interval(duration tracker_interval, duration min_interval) const {
    (void)min_interval;
    return tracker_interval;
  }
};

// Mainline's choice of a connection to drop: one demoted from a seed's slot
// first, then the one on which interest was seen longest ago, the first
// opened among equals; none if `droppable` is empty.
std::optional<std::size_t> idlest(std::span<const drop_candidate> droppable);

struct strategy_info;
struct strategy_ref;
// The strategy `policy` names, built from `options`; std::invalid_argument if
// it names no neighbour strategy.
std::unique_ptr<neighbour_strategy> make_neighbour_strategy(const strategy_ref& policy,
                                                            const neighbour_options& options);
// n.limits(), or std::logic_error naming `name` if they break rule 7.
neighbour_limits checked_limits(const neighbour_strategy& n, std::string_view name);

// mainline: the peer's options as given; the idlest connection makes room
// (demoted first, then the one idle longest).
const strategy_info& mainline_neighbours_info();

}  // namespace swarmsim::protocol
