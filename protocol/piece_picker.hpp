#pragma once
// Decides which blocks a local peer requests next, and tracks what it has,
// what is in flight and how available every piece is among its connections.
//
// API CONTRACT (implementation in piece_picker.cpp). Invariants:
// 1. availability(p) == number of connected peers known to have p (bitfields and
//    HAVEs added, departures removed), with seeds counted once in seed_count().
// 2. A block is in exactly one state: free, requested (by >= 1 requester),
//    received. A piece is complete when all its blocks are received; have(p) then.
// 3. Outside endgame a block is requested by at most one requester.
// 4. Endgame starts when no free block remains among missing pieces; then pick()
//    may hand out a block already requested by another requester (never twice to
//    the same requester, at most max_endgame_duplicates extra requesters).
// 5. A HAVE (inc_availability(piece)) costs O(1) in the number of pieces
//    (priority bands as in libtorrent, no re-sort); a whole bitfield may mark the
//    order dirty for an O(P) counting-sort rebuild at the next pick.

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "protocol/bitfield.hpp"
#include "protocol/torrent_geometry.hpp"
#include "protocol/types.hpp"

namespace swarmsim::protocol {

enum class pick_policy : std::uint8_t {
  rarest_first,  // lowest availability first, random among equals (BEP 3, mainline)
  sequential,    // lowest piece index first (streaming clients)
  random,        // uniformly random among wanted pieces
};

struct picker_options {
  pick_policy policy = pick_policy::rarest_first;
  // Until we have this many pieces, pick pieces at random (mainline's
  // rarest_first_cutoff, libtorrent's initial_picker_threshold: 4). 0 disables.
  std::uint32_t random_first_pieces = 4;
  // Finish pieces already started before starting new ones (strict priority,
  // Cohen 2003).
  bool finish_started_first = true;
  // Enter endgame when every missing block is requested.
  bool endgame = true;
  // Extra requesters allowed per block in endgame.
  std::uint32_t max_endgame_duplicates = 2;
};

// Who requested a block: the local peer's connection id.
using requester = connection_id;

class piece_picker {
 public:
  piece_picker(const torrent_geometry& geometry, picker_options options, std::uint64_t seed);
  ~piece_picker();
  piece_picker(piece_picker&&) noexcept;
  piece_picker& operator=(piece_picker&&) noexcept;

  const torrent_geometry& geometry() const;
  const picker_options& options() const;

  // --- our own content ---
  // Marks a piece as already had (initial content); does not count as received.
  void set_have(piece_index p);
  void set_have_all();
  bool have(piece_index p) const;
  const bitfield& have_bits() const;
  std::uint32_t num_have() const;
  bool is_seed() const;  // have every piece
  // Pieces we still need that are not complete.
  std::uint32_t num_missing() const;

  // --- availability among connected peers ---
  void inc_availability(const bitfield& peer_has);  // a BITFIELD arrived
  void dec_availability(const bitfield& peer_has);  // that peer left
  void inc_availability(piece_index p);             // a HAVE arrived
  void dec_availability(piece_index p);             // (rare: a peer lost a piece)
  void inc_seed();                                  // a peer with every piece connected
  void dec_seed();
  std::uint32_t seed_count() const;
  // Peers known to have p, seeds included.
  std::uint32_t availability(piece_index p) const;

  // --- picking ---
  // Appends to `out` up to `max_blocks` blocks that `peer_has` has and we need,
  // marks them requested by `who`, and returns how many were appended.
  // `peer_is_seed` lets callers skip the bitfield test for seeds.
  std::uint32_t pick(const bitfield& peer_has, std::uint32_t max_blocks, requester who,
                     std::vector<block_ref>& out);
  bool in_endgame() const;
  // Whether any block of a missing piece that peer_has has is neither received nor
  // requested by `who` (pick would find something, endgame aside).
  bool is_interesting(const bitfield& peer_has) const;

  // --- block lifecycle ---
  struct received_result {
    bool accepted = false;        // false: duplicate or not requested/needed
    bool piece_complete = false;  // this block completed its piece
    // Other requesters that had this block outstanding (endgame): send them CANCEL.
    std::vector<requester> cancel;
  };
  received_result mark_received(block_ref b, requester from);
  // A request that will not be answered (choked, rejected, timed out, peer left):
  // the block becomes free again unless another requester still has it.
  void abort_request(block_ref b, requester who);
  // A piece failed its hash check: every block of it becomes free again.
  void reset_piece(piece_index p);

  // --- introspection (tests, metrics) ---
  bool is_requested(block_ref b) const;
  bool is_received(block_ref b) const;
  std::uint32_t num_requesters(block_ref b) const;
  std::uint32_t num_partial_pieces() const;  // pieces with some but not all blocks received/requested

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace swarmsim::protocol
