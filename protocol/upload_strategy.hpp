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
// 6. Optionally, which unchoked connection gets the uplink's next block: a
//    strategy whose orders_blocks() is true is asked next_to_serve() each time
//    the uplink is free and several unchoked remotes have requests waiting
//    (serve_candidate: the bytes exchanged on each), and answers with an index
//    into them. It may thus split the upload unequally (rates rather than
//    slots) or serve without rounds. Otherwise the driver serves the ready
//    connections in turn, so k of them each get about 1/k of the upload.
// What it must never do:
// 7. Unchoke more than upload_slots() connections, name a connection that is
//    not a candidate, answer next_to_serve() with an index out of range, read
//    a clock or a global random generator (use `random`: runs are
//    reproducible), or keep a reference into the candidates past the call.
// The peer keeps the rest of BitTorrent around it: super-seeding, snubbing and
// idle measurements (choke_candidate), the HAVE and interest messages, and its
// upkeep every rechoke_interval whatever the strategy's timer. It checks rules
// 4 to 7 on every answer and stops with a std::logic_error naming the strategy
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
  bool idle = false;                 // holds a slot and asks for nothing (peer.hpp rule 10)
  bool demoted = false;              // was idle before
  std::uint64_t bytes_received = 0;  // payload the remote sent us on this connection
  std::uint64_t bytes_sent = 0;      // payload we sent it
  // Bytes/s of pieces the remote announced (HAVE) over the last rechoke
  // interval: its download rate, an estimate of what it uploads to others.
  double remote_have_rate = 0;
};

// What a strategy sees of one connection ready for a block (rule 6).
struct serve_candidate {
  connection_id conn;
  std::uint64_t bytes_received = 0;  // as in choke_candidate
  std::uint64_t bytes_sent = 0;
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
  // Rule 7: the most connections unchoked at once.
  virtual std::uint32_t upload_slots() const = 0;
  // The connections unchoked at random rather than earned (metrics, traces),
  // every one open: forget() drops the closed ones. None by default.
  virtual bool is_optimistic(connection_id) const { return false; }
  virtual std::vector<connection_id> optimistic_unchokes() const { return {}; }
  // Rule 6: whether next_to_serve() orders the uplink, and its choice: an
  // index into `ready` (two or more, in the driver's order: break ties
  // by connection id, not by position).
  virtual bool orders_blocks() const { return false; }
  virtual std::size_t next_to_serve(std::span<const serve_candidate> ready, time_point now) {
    (void)ready;
    (void)now;
    return 0;
  }
  // Throws std::logic_error naming a broken rule of the strategy's own state.
  virtual void check_invariants() const {}
};

}  // namespace swarmsim::protocol
