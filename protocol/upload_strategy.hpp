#pragma once
// Upload allocation: which remotes a local peer unchokes (uploads to). The
// interface every choker strategy implements; protocol::peer holds one and
// calls nothing else. The mainline choker (protocol/choker.hpp) is one.
//
// What a strategy is told:
// 1. start(now) once, when the peer joins; then rechoke() whenever now reaches
//    next_deadline() (the peer's timer), with a snapshot of every connection in
//    the active state (choke_candidate: interest, snubbing, rates over the last
//    rechoke_interval, bytes, when it connected and was unchoked), whether we
//    are a seed, the time and the peer's random generator.
// 2. reselect() between deadlines, when an unchoked remote lost interest or its
//    connection closed, or a choked remote became interested while fewer than
//    upload_slots() remotes are unchoked: the same snapshot, for a quick answer.
// 3. forget(c) when connection c closed.
// What it may decide:
// 4. The set of connections to unchoke, returned sorted by connection id, each
//    one of the candidates; the peer chokes every other. The set stays valid
//    until the next call.
// 5. When it wants to be called next (next_deadline(): never before the
//    previous call's time; `never` to wait for reselects only).
// What it must never do:
// 6. Unchoke more than upload_slots() connections, name a connection that is
//    not a candidate, read a clock or a global random generator (use `random`:
//    runs are reproducible), or keep a reference into the candidates past the
//    call.
// The peer keeps the rest of BitTorrent around it: super-seeding, snubbing and
// idle measurements (choke_candidate), the HAVE and interest messages, and its
// upkeep every rechoke_interval whatever the strategy's timer. It checks rules
// 4 to 6 on every answer and stops with a std::logic_error naming the strategy
// when one is broken.

#include <cstdint>
#include <span>
#include <vector>

#include "protocol/types.hpp"

namespace swarmsim::protocol {

// What a strategy sees of one connection (rule 1).
struct choke_candidate {
  connection_id conn;
  bool peer_interested = false;  // the remote wants to download from us
  bool snubbed = false;          // no block from it for snub_timeout while it unchoked us
  double download_rate = 0;      // bytes/s the remote recently sent us
  double upload_rate = 0;        // bytes/s we recently sent the remote
  time_point connected_at{};
  bool unchoked = false;        // currently unchoked by us
  time_point unchoked_since{};  // valid when unchoked
  std::uint64_t bytes_sent_since_unchoke = 0;
  bool idle = false;     // holds a slot and asks for nothing (peer.hpp rule 10)
  bool demoted = false;  // was idle before
};

class upload_strategy {
 public:
  virtual ~upload_strategy() = default;

  virtual void start(time_point now) = 0;
  virtual time_point next_deadline() const = 0;
  // Rule 1 and 4.
  virtual const std::vector<connection_id>& rechoke(std::span<const choke_candidate> candidates,
                                                    bool we_are_seed, time_point now,
                                                    rng& random) = 0;
  // Rule 2 and 4.
  virtual const std::vector<connection_id>& reselect(std::span<const choke_candidate> candidates,
                                                     bool we_are_seed, time_point now,
                                                     rng& random) = 0;
  virtual void forget(connection_id) {}
  // Rule 6: the most connections unchoked at once.
  virtual std::uint32_t upload_slots() const = 0;
  // The connections unchoked at random rather than earned (metrics, traces),
  // every one open: forget() drops the closed ones. None by default.
  virtual bool is_optimistic(connection_id) const { return false; }
  virtual std::vector<connection_id> optimistic_unchokes() const { return {}; }
  // Throws std::logic_error naming a broken rule of the strategy's own state.
  virtual void check_invariants() const {}
};

}  // namespace swarmsim::protocol
